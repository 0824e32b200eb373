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

// Package gcenv is the integration environment of the garbage collection and
// retention tests: the shared local control plane with the provider's CRDs, a
// simulator and the GarbageCollectionSchedule and RetentionPolicy controllers
// running in-process, all driven by one fake clock the test steps.
package gcenv

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis"
	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/internal/controller/gcschedule"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
	"github.com/crossplane-contrib/provider-docr/internal/controller/retentionpolicy"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// Token of the simulated account. A test token, not a credential.
const Token = "dop_v1_gcenv_test_token"

// Poll is the controllers' poll interval in real time. Scheduled moments
// are on the fake clock: a step of the clock is noticed within a poll.
const Poll = 300 * time.Millisecond

// Timeout of every wait: generous for a loaded 2-core machine.
const Timeout = 120 * time.Second

// Env is one test's environment.
type Env struct {
	T         *testing.T
	CP        *controlplane.ControlPlane
	Clock     *clocktesting.FakeClock
	Sim       *docrsim.Server
	Kube      client.Client
	Namespace string
	// DO is a godo client acting behind the provider's back, like doctl.
	DO *godo.Client

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Options of an environment.
type Options struct {
	// Start is the fake clock's initial time.
	Start time.Time
	// Registries seeded in the simulator (account "acct" is filled in).
	Registries []docrsim.SeedRegistry
	// GCPhases of the simulator's garbage collections.
	GCPhases docrsim.GCPhases
}

var (
	crdOnce sync.Once
	crdErr  error
	nsSeq   int
	nsMu    sync.Mutex
)

func repoRoot() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..", "..", "..")
}

// New starts a simulator and the controllers on the shared control plane,
// in a fresh namespace with a ProviderConfig "default" pointing at the
// simulator. Everything stops when the test ends.
func New(t *testing.T, o Options) *Env {
	t.Helper()
	cp := controlplane.Shared(t)
	ctx := context.Background()
	crdOnce.Do(func() {
		_, crdErr = cp.InstallCRDs(ctx, filepath.Join(repoRoot(), "package", "provider", "crds"))
	})
	if crdErr != nil {
		t.Fatalf("cannot install CRDs: %v", crdErr)
	}
	clk := clocktesting.NewFakeClock(o.Start)
	regs := append([]docrsim.SeedRegistry(nil), o.Registries...)
	for i := range regs {
		regs[i].Account = "acct"
		if regs[i].Region == "" {
			regs[i].Region = "nyc3"
		}
	}
	sim := docrsim.NewTestServer(t, docrsim.Options{
		Accounts:   []docrsim.Account{{Name: "acct", Tokens: []string{Token}, Tier: docrsim.TierProfessional}},
		Registries: regs,
		Clock:      clk,
		GCPhases:   o.GCPhases,
	})

	nsMu.Lock()
	nsSeq++
	ns := fmt.Sprintf("%s-%d", strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), nsSeq)
	nsMu.Unlock()
	if len(ns) > 60 {
		ns = ns[len(ns)-60:]
		ns = strings.TrimLeft(ns, "-")
	}
	if err := cp.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	s := kruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube, err := client.New(cp.RESTConfig(), client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, CP: cp, Clock: clk, Sim: sim, Kube: kube, Namespace: ns}
	e.must(kube.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "do-token", Namespace: ns},
		StringData: map[string]string{"token": Token},
	}))
	e.must(kube.Create(ctx, &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{
				Source:    v1alpha1.CredentialsSourceSecret,
				SecretRef: &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "do-token"}, Key: "token"},
			},
			ClientSettings: v1alpha1.ClientSettings{
				APIURL: sim.URL(),
				// Quick retries: tests inject failures and wait for them.
				Retry: &v1alpha1.Retry{MaxRetries: ptr.To[int32](2), WaitMin: &metav1.Duration{Duration: 10 * time.Millisecond}, WaitMax: &metav1.Duration{Duration: 50 * time.Millisecond}},
			},
		},
	}))
	e.DO = godo.NewFromToken(Token)
	if err := godo.SetBaseURL(sim.URL())(e.DO); err != nil {
		t.Fatal(err)
	}
	e.StartProvider()
	t.Cleanup(e.StopProvider)
	return e
}

func (e *Env) must(err error) {
	e.T.Helper()
	if err != nil {
		e.T.Fatal(err)
	}
}

// StartProvider starts the two controllers in a new manager, as a provider
// process would.
func (e *Env) StartProvider() {
	e.T.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancel != nil {
		e.T.Fatal("provider already running")
	}
	mgr, err := ctrl.NewManager(e.CP.RESTConfig(), ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// A restarted provider registers its controllers again in this
		// process; names are unique per process otherwise.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
		Cache:      cacheFor(e.Namespace),
	})
	if err != nil {
		e.T.Fatal(err)
	}
	if err := apis.AddToScheme(mgr.GetScheme()); err != nil {
		e.T.Fatal(err)
	}
	o := options.Options{
		Options: controller.Options{
			Logger:                  logging.NewNopLogger(),
			GlobalRateLimiter:       ratelimiter.NewGlobal(100),
			PollInterval:            Poll,
			MaxConcurrentReconciles: 5,
			Features:                &feature.Flags{},
		},
		Clients: clients.NewFactory(),
		Clock:   e.Clock,
	}
	if err := gcschedule.Setup(mgr, o); err != nil {
		e.T.Fatal(err)
	}
	if err := retentionpolicy.Setup(mgr, o); err != nil {
		e.T.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			e.T.Errorf("manager: %v", err)
		}
	}()
	e.cancel, e.done = cancel, done
}

// StopProvider stops the controllers and waits until they are gone.
func (e *Env) StopProvider() {
	e.mu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel, e.done = nil, nil
	e.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Eventually polls cond until it holds or Timeout passes.
func (e *Env) Eventually(what string, cond func() (bool, error)) {
	e.T.Helper()
	deadline := time.Now().Add(Timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	e.T.Fatalf("timed out after %s waiting for %s (last error: %v)", Timeout, what, last)
}

// GCRequests counts the GET active garbage collection requests the simulator
// served: each reconcile of a schedule makes one.
func (e *Env) GCRequests() int {
	return e.Sim.Stats().Count("GET", "/v2/registries/{registry_name}/garbage-collection", 0)
}

// Settle waits until the controllers have looked at DigitalOcean at least n
// more times (counted by GET active garbage collection requests), so a test
// can assert that something did not happen after a clock step.
func (e *Env) Settle(n int) {
	e.T.Helper()
	start := e.GCRequests()
	e.Eventually(fmt.Sprintf("%d more reconciles", n), func() (bool, error) {
		return e.GCRequests() >= start+n, nil
	})
}

// Runs returns the registry's garbage collections, oldest first.
func (e *Env) Runs(registry string) []docrsim.GarbageCollectionInfo {
	rs := e.Sim.GarbageCollections(registry)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].CreatedAt.Before(rs[j].CreatedAt) })
	return rs
}

// Events returns the reasons of the events about an object, oldest first.
func (e *Env) Events(name string) []string {
	l := &corev1.EventList{}
	if err := e.Kube.List(context.Background(), l, client.InNamespace(e.Namespace)); err != nil {
		return nil
	}
	sort.SliceStable(l.Items, func(i, j int) bool { return l.Items[i].FirstTimestamp.Before(&l.Items[j].FirstTimestamp) })
	var out []string
	for _, ev := range l.Items {
		if ev.InvolvedObject.Name == name {
			out = append(out, ev.Reason)
		}
	}
	return out
}

// HasEvent reports whether an event with the reason was recorded about an
// object.
func (e *Env) HasEvent(name, reason string) bool {
	for _, r := range e.Events(name) {
		if r == reason {
			return true
		}
	}
	return false
}

// ProviderConfigRef is the reference to the environment's ProviderConfig.
func ProviderConfigRef() *xpv2.ProviderConfigReference {
	return &xpv2.ProviderConfigReference{Kind: v1alpha1.ProviderConfigKind, Name: "default"}
}

// cacheFor watches one namespace: objects other tests left behind belong to
// other simulators and clocks.
func cacheFor(ns string) cache.Options {
	return cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}}
}
