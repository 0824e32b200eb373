/*
Copyright 2026 The provider-docr Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package registryintegration

import (
	"context"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
)

// connector makes an external client per reconcile from the managed
// resource's provider config.
type connector struct {
	kube        client.Client
	connect     func(ctx context.Context, mg resource.ModernManaged) (*clients.Client, error)
	newAPI      func(c *clients.Client) API
	secrets     SecretChecker
	clock       clock.PassiveClock
	kubeconfigs *kubeconfigs
	clusters    *clusterMemo
}

func (c *connector) Connect(ctx context.Context, mg *v1alpha1.RegistryIntegration) (managed.TypedExternalClient[*v1alpha1.RegistryIntegration], error) {
	cl, err := c.connect(ctx, mg)
	if err != nil {
		return nil, err
	}
	return &external{
		kube:        c.kube,
		api:         c.newAPI(cl),
		secrets:     c.secrets,
		clock:       c.clock,
		kubeconfigs: c.kubeconfigs,
		kcClient:    cl,
		clusters:    c.clusters,
	}, nil
}

// Setup adds the RegistryIntegration controller to mgr.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.RegistryIntegrationGroupVersionKind.GroupKind().String())
	clk := o.GetClock()
	conn := &connector{
		kube:        mgr.GetClient(),
		connect:     clients.NewConnector(mgr.GetClient(), o.Clients).Connect,
		newAPI:      func(c *clients.Client) API { return godoAPI{c: c} },
		secrets:     clusterSecrets{timeout: clusterTimeout},
		clock:       clk,
		kubeconfigs: newKubeconfigs(clk, kubeconfigTTL),
		clusters:    newClusterMemo(clock.RealClock{}, memoTTL(o.PollInterval)),
	}
	rec := event.NewAPIRecorder(mgr.GetEventRecorderFor(name))
	opts, err := o.ManagedReconcilerOptions(mgr, name, rec, &v1alpha1.RegistryIntegrationList{})
	if err != nil {
		return err
	}
	opts = append(opts,
		managed.WithTypedExternalConnector[*v1alpha1.RegistryIntegration](conn),
		// What Create did is read back from the Kubernetes API (an annotation
		// or the Secret), which is consistent at once: the default 30s wait for
		// an eventually consistent API would only delay an early delete.
		managed.WithCreationGracePeriod(creationGrace),
	)
	opts = append(opts, o.PollJitterOptions()...)
	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.RegistryIntegrationGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.RegistryIntegration{}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// creationGrace is how long a missing external resource is tolerated after a
// successful Create.
const creationGrace = 3 * time.Second

// memoTTL keeps cluster memos well below the poll interval, so that every
// poll asks DigitalOcean.
func memoTTL(poll time.Duration) time.Duration {
	ttl := 2 * time.Second
	if poll > 0 && poll/2 < ttl {
		ttl = poll / 2
	}
	return ttl
}
