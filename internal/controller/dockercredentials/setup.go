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

package dockercredentials

import (
	"context"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
)

// cacheWait bounds how long a write waits for the manager's cache.
const cacheWait = 5 * time.Second

type connector struct {
	kube    client.Client
	connect func(ctx context.Context, mg resource.ModernManaged) (*clients.Client, error)
	newAPI  func(c *clients.Client) API
	clock   clock.PassiveClock
}

func (c *connector) Connect(ctx context.Context, mg *v1alpha1.DockerCredentials) (managed.TypedExternalClient[*v1alpha1.DockerCredentials], error) {
	cl, err := c.connect(ctx, mg)
	if err != nil {
		return nil, err
	}
	return &external{kube: c.kube, api: c.newAPI(cl), clock: c.clock, cacheWait: cacheWait}, nil
}

// RenewalHook requeues a DockerCredentials at its renewal time when that comes
// before the next poll, so credentials are renewed on time rather than up to
// a poll interval late. jitter randomises the poll like
// managed.WithPollJitterHook (which this hook replaces).
func RenewalHook(c clock.PassiveClock, jitter time.Duration) managed.PollIntervalHook {
	return func(mg resource.Managed, poll time.Duration) time.Duration {
		d := poll
		if jitter > 0 {
			d += time.Duration((rand.Float64() - 0.5) * 2 * float64(jitter)) //nolint:gosec // Jitter needs no secure randomness.
		}
		dc, ok := mg.(*v1alpha1.DockerCredentials)
		if !ok || dc.Status.AtProvider.RenewAt == nil {
			return d
		}
		until := dc.Status.AtProvider.RenewAt.Sub(c.Now())
		// Overdue means the renewal just failed or updates are not allowed
		// (management policies): retries and polls take care of those.
		if until > 0 && until < d {
			// A second late rather than early: the renewal is due when
			// now >= renewAt.
			return until + time.Second
		}
		return d
	}
}

// Setup adds the DockerCredentials controller to mgr.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.DockerCredentialsGroupVersionKind.GroupKind().String())
	clk := o.GetClock()
	conn := &connector{
		kube:    mgr.GetClient(),
		connect: clients.NewConnector(mgr.GetClient(), o.Clients).Connect,
		newAPI:  func(c *clients.Client) API { return godoAPI{c: c} },
		clock:   clk,
	}
	rec := event.NewAPIRecorder(mgr.GetEventRecorderFor(name))
	opts, err := o.ManagedReconcilerOptions(mgr, name, rec, &v1alpha1.DockerCredentialsList{})
	if err != nil {
		return err
	}
	opts = append(opts,
		managed.WithTypedExternalConnector[*v1alpha1.DockerCredentials](conn),
		// What Create did is read back from the Kubernetes API (an annotation
		// or the Secret), which is consistent at once: the default 30s wait for
		// an eventually consistent API would only delay an early delete.
		managed.WithCreationGracePeriod(creationGrace),
		managed.WithPollIntervalHook(RenewalHook(clk, o.PollJitter)),
	)
	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.DockerCredentialsGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.DockerCredentials{}).
		// A Secret deleted or edited behind the provider's back is repaired
		// at once, not at the next poll.
		Watches(&corev1.Secret{}, handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &v1alpha1.DockerCredentials{}, handler.OnlyControllerOwner())).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// creationGrace is how long a missing Secret is tolerated after a successful
// Create.
const creationGrace = 3 * time.Second
