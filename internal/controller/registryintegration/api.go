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
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/clock"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-docr/internal/clients"
)

// API is what the controller needs from DigitalOcean.
type API interface {
	// GetCluster returns the DOKS cluster.
	GetCluster(ctx context.Context, id string) (*godo.KubernetesCluster, error)
	// GetKubeconfig returns the cluster's kubeconfig (a credential: never log it).
	GetKubeconfig(ctx context.Context, id string) ([]byte, error)
	// AddRegistries integrates the registries into the cluster.
	AddRegistries(ctx context.Context, clusterID string, registries []string) error
	// RemoveRegistries removes the registries from the cluster.
	RemoveRegistries(ctx context.Context, clusterID string, registries []string) error
	// RegistryExists reports whether DigitalOcean knows the registry.
	RegistryExists(ctx context.Context, name string) (bool, error)
}

// godoAPI is API through the provider's shared godo client, so the rate
// limiter, retries and metrics apply to every request.
type godoAPI struct{ c *clients.Client }

func (a godoAPI) GetCluster(ctx context.Context, id string) (*godo.KubernetesCluster, error) {
	cl, _, err := a.c.Kubernetes.Get(ctx, id)
	return cl, err
}

func (a godoAPI) GetKubeconfig(ctx context.Context, id string) ([]byte, error) {
	kc, _, err := a.c.Kubernetes.GetKubeConfig(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	return kc.KubeconfigYAML, nil
}

func (a godoAPI) AddRegistries(ctx context.Context, clusterID string, registries []string) error {
	_, err := a.c.AddKubernetesRegistries(ctx, &clients.KubernetesRegistriesRequest{ClusterUUIDs: []string{clusterID}, Registries: registries})
	return err
}

func (a godoAPI) RemoveRegistries(ctx context.Context, clusterID string, registries []string) error {
	_, err := a.c.RemoveKubernetesRegistries(ctx, &clients.KubernetesRegistriesRequest{ClusterUUIDs: []string{clusterID}, Registries: registries})
	return err
}

func (a godoAPI) RegistryExists(ctx context.Context, name string) (bool, error) {
	_, _, err := a.c.Registries.Get(ctx, name)
	if clients.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, errors.Wrapf(clients.Describe(err), "cannot get registry %q", name)
	}
	return true, nil
}

// SecretIdentifierAnnotation marks the pull Secret DigitalOcean writes into a
// cluster's kube-system namespace for an integrated registry.
const SecretIdentifierAnnotation = "digitalocean.com/dosecret-identifier"

// A SecretChecker finds which registries lack DigitalOcean's pull Secret in a
// cluster's kube-system namespace.
type SecretChecker interface {
	Missing(ctx context.Context, kubeconfig []byte, registries []string) ([]string, error)
}

// errClusterAuth marks a refusal by the cluster's API server: the cached
// kubeconfig may have expired.
type errClusterAuth struct{ error }

func (e errClusterAuth) Unwrap() error { return e.error }

// clusterSecrets is a SecretChecker talking to the cluster with client-go.
type clusterSecrets struct{ timeout time.Duration }

func (c clusterSecrets) Missing(ctx context.Context, kubeconfig []byte, registries []string) ([]string, error) {
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		// The parse error could quote the kubeconfig, which holds credentials.
		return nil, errors.New("the cluster's kubeconfig from DigitalOcean cannot be read")
	}
	cfg.Timeout = c.timeout
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, errors.New("cannot make a client for the cluster from its kubeconfig")
	}
	l, err := cs.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("type", string(corev1.SecretTypeDockerConfigJson)).String(),
	})
	if kerrors.IsUnauthorized(err) || kerrors.IsForbidden(err) {
		return nil, errClusterAuth{errors.Wrap(err, "the cluster refused to list kube-system Secrets")}
	}
	if err != nil {
		return nil, errors.Wrap(err, "cannot list kube-system Secrets in the cluster")
	}
	return missing(l.Items, registries), nil
}

// missing returns the registries without a pull Secret: one of type
// kubernetes.io/dockerconfigjson that is named after the registry or carries
// DigitalOcean's identifier annotation for it.
func missing(secrets []corev1.Secret, registries []string) []string {
	have := map[string]bool{}
	for i := range secrets {
		s := &secrets[i]
		if s.Type != corev1.SecretTypeDockerConfigJson || s.DeletionTimestamp != nil {
			continue
		}
		// DigitalOcean names the Secret after the registry and annotates it
		// with the registry's name; an unannotated Secret is not DigitalOcean's.
		if id, ok := s.Annotations[SecretIdentifierAnnotation]; ok {
			have[s.Name] = true
			if id != "" {
				have[id] = true
			}
		}
	}
	var out []string
	for _, r := range registries {
		if !have[r] {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// kubeconfigs caches cluster kubeconfigs so that verifying a cluster costs no
// DigitalOcean request on most polls. Entries live in memory only.
type kubeconfigs struct {
	clock clock.PassiveClock
	ttl   time.Duration

	mu sync.Mutex
	m  map[string]kubeconfigEntry
}

type kubeconfigEntry struct {
	b       []byte
	fetched time.Time
}

func newKubeconfigs(c clock.PassiveClock, ttl time.Duration) *kubeconfigs {
	return &kubeconfigs{clock: c, ttl: ttl, m: map[string]kubeconfigEntry{}}
}

// key separates clusters of different API clients (tokens).
func kubeconfigKey(client any, clusterID string) string {
	return fmt.Sprintf("%p/%s", client, clusterID)
}

func (k *kubeconfigs) get(key string) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.m[key]
	if !ok || k.clock.Since(e.fetched) > k.ttl {
		delete(k.m, key)
		return nil, false
	}
	return e.b, true
}

func (k *kubeconfigs) put(key string, b []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = kubeconfigEntry{b: b, fetched: k.clock.Now()}
}

func (k *kubeconfigs) forget(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
}

// clusterMemo remembers clusters fetched moments ago. Creating or updating an
// object makes the runtime reconcile it several times in quick succession
// (its own annotation and status writes trigger watches); the memo lets those
// reconciles share one GET. Entries expire after ttl of real time (well below
// any poll interval, so polls always see DigitalOcean afresh) and are dropped
// whenever this provider changes the cluster's integration.
type clusterMemo struct {
	clock clock.PassiveClock
	ttl   time.Duration

	mu sync.Mutex
	m  map[string]clusterMemoEntry
}

type clusterMemoEntry struct {
	cluster godo.KubernetesCluster
	fetched time.Time
}

func newClusterMemo(c clock.PassiveClock, ttl time.Duration) *clusterMemo {
	return &clusterMemo{clock: c, ttl: ttl, m: map[string]clusterMemoEntry{}}
}

func (c *clusterMemo) get(key string) (*godo.KubernetesCluster, bool) {
	if c == nil || c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || c.clock.Since(e.fetched) > c.ttl {
		delete(c.m, key)
		return nil, false
	}
	cl := e.cluster
	return &cl, true
}

func (c *clusterMemo) put(key string, cl *godo.KubernetesCluster) {
	if c == nil || c.ttl <= 0 || cl == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = clusterMemoEntry{cluster: *cl, fetched: c.clock.Now()}
}

func (c *clusterMemo) forget(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
