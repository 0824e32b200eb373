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

// Package env is the integration environment of provider-docr: a local control
// plane with the provider's CRDs, a DigitalOcean simulator, a token Secret and
// provider configs pointing at the simulator, and the provider's controllers
// running in-process in a controller-runtime manager with a short poll and an
// injectable clock. Tests talk to it through the Kubernetes API, as users do.
//
// Use it from a package whose TestMain shares one control plane:
//
//	func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }
//
//	func TestSomething(t *testing.T) {
//		e := env.Start(t, env.Options{})            // skips under -short
//		r := &v1alpha1.Registry{...}
//		e.Create(t, r)                             // in e.Namespace, using e.ProviderConfigRef()
//		e.WaitForCondition(t, r, xpv2.TypeReady, corev1.ConditionTrue)
//		e.Sim.Registry("name")                     // what DigitalOcean holds
//	}
//
// Each Start gets its own namespace, simulator, token, namespaced
// ProviderConfig "default" and ClusterProviderConfig (named after the
// namespace; also written to "default", so do not run envs in parallel if you
// rely on the default reference). Cleanup deletes the test's managed resources
// while the provider still runs, then stops the provider; on failure it logs
// the provider's log lines.
//
// Options select the controllers (Setups, default all of
// internal/controller.Setup), the poll interval, the clock shared by the
// controllers and (by default) the simulator, simulator options, and where
// provider logs go. StopProvider / StartProvider restart the controllers (same
// options, new in-memory state) to test restarts.
package env

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis"
	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	ctrls "github.com/crossplane-contrib/provider-docr/internal/controller"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// Account is the simulator account Start creates when Options.Sim has none.
const Account = "acme"

// Options configure Start. The zero value is a professional-tier account, all
// controllers, a 1s poll and the real clock.
type Options struct {
	// ControlPlane to use; default controlplane.Shared(t) (needs
	// controlplane.Main in the package's TestMain).
	ControlPlane *controlplane.ControlPlane

	// Sim configures the simulator. When Sim.Accounts is empty, one account
	// (Account, tier professional) with a random token is created. The
	// token of the first account is the one the provider configs hold.
	// When Sim.Clock is nil it is Clock.
	Sim docrsim.Options

	// Setups are the controllers to run; default: every controller
	// (internal/controller.Setup).
	Setups []func(ctrl.Manager, options.Options) error

	// Poll is the controllers' poll interval (default 1s).
	Poll time.Duration

	// Clock is given to the controllers (options.Options.Clock) and, unless
	// Sim.Clock is set, to the simulator. Nil: the real clock.
	Clock clock.Clock

	// Logs receive every provider log line at debug level, besides the
	// buffer Logs() returns.
	Logs io.Writer

	// RequestsPerMinute and Retry of the provider configs (default: the
	// provider's defaults, with retry waits of 50-500ms so tests stay quick).
	RequestsPerMinute int32
	MaxRetries        *int32

	// MaxReconcileRate is the reconciles per second across controllers and
	// concurrent reconciles per controller (default 50).
	MaxReconcileRate int

	// NoManagementPolicies turns the management policies feature off.
	NoManagementPolicies bool

	// NoProvider starts no controllers in-process (e.g. to run the
	// cmd/provider binary against the env instead); StartProvider can still
	// start them later.
	NoProvider bool
}

// Env is a running environment.
type Env struct {
	CP  *controlplane.ControlPlane
	Sim *docrsim.Server
	// Kube is a direct (uncached) client for the test, with the provider's
	// types and core types registered.
	Kube client.WithWatch
	// Namespace holds the test's objects, the token Secret and the
	// ProviderConfig "default".
	Namespace string
	// Token is the API token of the simulator account the configs use.
	Token string
	// ClusterProviderConfig is the name of this env's ClusterProviderConfig.
	ClusterProviderConfig string
	// Metrics of the provider's DigitalOcean clients.
	Metrics *clients.Metrics
	// Clock the controllers use (nil: real).
	Clock clock.Clock

	opts Options
	logs *syncBuffer

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan error
}

// TokenSecretName and TokenKey locate the token in Namespace.
const (
	TokenSecretName = "docr-token"
	TokenKey        = "token"
)

// Scheme has the provider's types, Kubernetes' core types and Leases.
func Scheme() *kruntime.Scheme {
	s := kruntime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := coordinationv1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := apis.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// CRDDir holds the provider's CRDs.
func CRDDir() string { return filepath.Join(RepoRoot(), "package", "provider", "crds") }

var installed sync.Map // *controlplane.ControlPlane -> error

func installCRDs(ctx context.Context, cp *controlplane.ControlPlane) error {
	// Install once per control plane; InstallCRDs updates in place, so a
	// reused control plane gets today's CRDs.
	v, _ := installed.LoadOrStore(cp, &sync.Once{})
	var err error
	v.(*sync.Once).Do(func() {
		_, err = cp.InstallCRDs(ctx, CRDDir())
		if err != nil {
			installed.Delete(cp)
		}
	})
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start starts an environment for t and stops it when t ends. It skips t under
// -short.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the local control plane; skipped with -short")
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.MaxReconcileRate == 0 {
		o.MaxReconcileRate = 50
	}
	if len(o.Setups) == 0 {
		o.Setups = []func(ctrl.Manager, options.Options) error{ctrls.Setup}
	}
	cp := o.ControlPlane
	if cp == nil {
		cp = controlplane.Shared(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := installCRDs(ctx, cp); err != nil {
		t.Fatalf("env: %v", err)
	}

	e := &Env{CP: cp, Clock: o.Clock, opts: o, logs: &syncBuffer{}}
	kube, err := client.NewWithWatch(cp.RESTConfig(), client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatalf("env: kube client: %v", err)
	}
	e.Kube = kube

	// The simulator.
	sim := o.Sim
	if len(sim.Accounts) == 0 {
		sim.Accounts = []docrsim.Account{{Name: Account, Tokens: []string{"dop_v1_" + randomHex(32)}, Tier: docrsim.TierProfessional}}
	}
	if sim.Clock == nil && o.Clock != nil {
		sim.Clock = o.Clock
	}
	e.Token = sim.Accounts[0].Tokens[0]
	e.Sim = docrsim.NewTestServer(t, sim)

	// Namespace, token, provider configs.
	e.Namespace = "t-" + randomHex(4)
	e.ClusterProviderConfig = e.Namespace
	if err := cp.CreateNamespace(ctx, e.Namespace); err != nil {
		t.Fatalf("env: namespace: %v", err)
	}
	if err := e.Kube.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: TokenSecretName},
		Data:       map[string][]byte{TokenKey: []byte(e.Token)},
	}); err != nil {
		t.Fatalf("env: token Secret: %v", err)
	}
	settings := v1alpha1.ClientSettings{
		APIURL: e.Sim.URL(),
		Retry:  &v1alpha1.Retry{MaxRetries: o.MaxRetries, WaitMin: &metav1.Duration{Duration: 50 * time.Millisecond}, WaitMax: &metav1.Duration{Duration: 500 * time.Millisecond}},
	}
	if o.RequestsPerMinute > 0 {
		settings.RateLimit = &v1alpha1.RateLimit{RequestsPerMinute: ptr.To(o.RequestsPerMinute)}
	}
	pc := &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "default"},
		Spec: v1alpha1.ProviderConfigSpec{
			Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceSecret,
				SecretRef: &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: TokenSecretName}, Key: TokenKey}},
			ClientSettings: settings,
		},
	}
	if err := e.Kube.Create(ctx, pc); err != nil {
		t.Fatalf("env: ProviderConfig: %v", err)
	}
	for _, name := range []string{e.ClusterProviderConfig, "default"} {
		cpc := &v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}}
		spec := v1alpha1.ClusterProviderConfigSpec{
			Credentials: v1alpha1.ClusterProviderCredentials{Source: v1alpha1.CredentialsSourceSecret,
				SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: e.Namespace, Name: TokenSecretName}, Key: TokenKey}},
			ClientSettings: settings,
		}
		if err := upsertCPC(ctx, e.Kube, cpc, spec); err != nil {
			t.Fatalf("env: ClusterProviderConfig %s: %v", name, err)
		}
	}

	t.Cleanup(func() {
		e.cleanup(t)
		if t.Failed() {
			t.Logf("provider logs (last 200 lines):\n%s", tail(e.Logs(), 200))
		}
	})
	if !o.NoProvider {
		e.StartProvider(t)
	}
	return e
}

func upsertCPC(ctx context.Context, kube client.Client, cpc *v1alpha1.ClusterProviderConfig, spec v1alpha1.ClusterProviderConfigSpec) error {
	err := kube.Get(ctx, client.ObjectKeyFromObject(cpc), cpc)
	if kerrors.IsNotFound(err) {
		cpc.Spec = spec
		return kube.Create(ctx, cpc)
	}
	if err != nil {
		return err
	}
	cpc.Spec = spec
	return kube.Update(ctx, cpc)
}

// ProviderConfigRef is the namespaced ProviderConfig of this env.
func (e *Env) ProviderConfigRef() *xpv2.ProviderConfigReference {
	return &xpv2.ProviderConfigReference{Kind: v1alpha1.ProviderConfigKind, Name: "default"}
}

// ClusterProviderConfigRef is this env's ClusterProviderConfig.
func (e *Env) ClusterProviderConfigRef() *xpv2.ProviderConfigReference {
	return &xpv2.ProviderConfigReference{Kind: v1alpha1.ClusterProviderConfigKind, Name: e.ClusterProviderConfig}
}

// Logs returns every provider log line so far.
func (e *Env) Logs() string { return e.logs.String() }

// StartProvider starts the controllers (Start does; call it after StopProvider).
func (e *Env) StartProvider(t testing.TB) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancel != nil {
		t.Fatal("env: the provider is already running")
	}
	var w io.Writer = e.logs
	if e.opts.Logs != nil {
		w = io.MultiWriter(e.logs, e.opts.Logs)
	}
	zl := zap.New(zap.UseDevMode(true), zap.WriteTo(w))
	log := logging.NewLogrLogger(zl.WithName("provider-docr"))
	// controller-runtime's own global logger (caches, sources) goes to the
	// running provider's logs too.
	globalLogs.set(w)
	globalLoggerOnce.Do(func() { ctrllog.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(globalLogs))) })

	sync := 10 * time.Minute
	mgr, err := ctrl.NewManager(e.CP.RESTConfig(), ctrl.Options{
		Scheme:                 Scheme(),
		Logger:                 zl,
		Cache:                  cache.Options{SyncPeriod: &sync},
		Client:                 client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Tests start several managers in one process.
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatalf("env: manager: %v", err)
	}
	if e.Metrics == nil {
		e.Metrics = clients.NewMetrics(prometheus.NewRegistry())
	}
	o := options.Options{
		Options: controller.Options{
			Logger:                  log,
			GlobalRateLimiter:       ratelimiter.NewGlobal(e.opts.MaxReconcileRate),
			PollInterval:            e.opts.Poll,
			MaxConcurrentReconciles: e.opts.MaxReconcileRate,
			Features:                &feature.Flags{},
		},
		Clients: clients.NewFactory(clients.WithMetrics(e.Metrics)),
		Clock:   e.Clock,
	}
	if !e.opts.NoManagementPolicies {
		o.Features.Enable(feature.EnableBetaManagementPolicies)
	}
	for _, setup := range e.opts.Setups {
		if err := setup(mgr, o); err != nil {
			t.Fatalf("env: controller setup: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer wcancel()
	if !mgr.GetCache().WaitForCacheSync(wctx) {
		cancel()
		t.Fatalf("env: the provider's cache did not sync")
	}
	e.cancel, e.done = cancel, done
}

// StopProvider stops the controllers and waits until they have stopped.
func (e *Env) StopProvider(t testing.TB) {
	t.Helper()
	e.mu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel, e.done = nil, nil
	e.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("env: provider stopped with: %v", err)
		}
	case <-time.After(time.Minute):
		t.Errorf("env: the provider did not stop within a minute")
	}
}

// managedLists are the kinds cleanup deletes.
func managedLists() []client.ObjectList {
	return []client.ObjectList{
		&v1alpha1.RetentionPolicyList{}, &v1alpha1.GarbageCollectionScheduleList{}, &v1alpha1.DockerCredentialsList{},
		&v1alpha1.RegistryIntegrationList{}, &v1alpha1.SubscriptionList{}, &v1alpha1.RegistryList{},
	}
}

// cleanup deletes the test's managed resources while the provider runs (so
// nothing is left at the simulator's side... which goes anyway), then stops
// the provider and removes what is left.
func (e *Env) cleanup(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	running := e.cancel != nil
	var left []client.Object
	for _, l := range managedLists() {
		if err := e.Kube.List(ctx, l, client.InNamespace(e.Namespace)); err != nil {
			continue
		}
		ml, ok := l.(resource.ManagedList)
		if !ok {
			continue
		}
		for _, mg := range ml.GetItems() {
			if r, ok := mg.(*v1alpha1.Registry); ok && r.Spec.ForProvider.DeletionProtection {
				r.Spec.ForProvider.DeletionProtection = false
				_ = e.Kube.Update(ctx, r)
			}
			_ = e.Kube.Delete(ctx, mg)
			left = append(left, mg)
		}
	}
	if running {
		deadline := time.Now().Add(60 * time.Second)
		for _, o := range left {
			for time.Now().Before(deadline) {
				if err := e.Kube.Get(ctx, client.ObjectKeyFromObject(o), o); kerrors.IsNotFound(err) {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	e.StopProvider(t)
	// Whatever is still there (e.g. the provider was stopped): drop finalizers.
	for _, o := range left {
		if err := e.Kube.Get(ctx, client.ObjectKeyFromObject(o), o); err == nil && len(o.GetFinalizers()) > 0 {
			o.SetFinalizers(nil)
			_ = e.Kube.Update(ctx, o)
		}
	}
	_ = e.Kube.Delete(ctx, &v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: e.ClusterProviderConfig}})
	_ = e.Kube.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.Namespace}})
}

// Create creates obj in the env's namespace. A managed resource without a
// providerConfigRef gets the env's namespaced ProviderConfig.
func (e *Env) Create(t testing.TB, obj client.Object) {
	t.Helper()
	if obj.GetNamespace() == "" {
		obj.SetNamespace(e.Namespace)
	}
	if mg, ok := obj.(resource.ModernManaged); ok && mg.GetProviderConfigReference() == nil {
		mg.SetProviderConfigReference(e.ProviderConfigRef())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Kube.Create(ctx, obj); err != nil {
		t.Fatalf("env: create %T %s: %v", obj, obj.GetName(), err)
	}
}

// Update applies change to the latest version of obj, retrying on conflicts.
func (e *Env) Update(t testing.TB, obj client.Object, change func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if err := e.Kube.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatalf("env: get %s: %v", obj.GetName(), err)
		}
		change()
		err := e.Kube.Update(ctx, obj)
		if err == nil {
			return
		}
		if !kerrors.IsConflict(err) || ctx.Err() != nil {
			t.Fatalf("env: update %s: %v", obj.GetName(), err)
		}
	}
}

// Delete deletes obj (no error when it is already gone).
func (e *Env) Delete(t testing.TB, obj client.Object) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Kube.Delete(ctx, obj); err != nil && !kerrors.IsNotFound(err) {
		t.Fatalf("env: delete %s: %v", obj.GetName(), err)
	}
}

// DefaultTimeout of the Wait helpers: generous, for a loaded 2-core machine.
const DefaultTimeout = 90 * time.Second

// Eventually polls check until it returns true, failing t after timeout with
// the last description check gave.
func Eventually(t testing.TB, timeout time.Duration, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, desc := check()
		if ok {
			return
		}
		last = desc
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitFor polls obj until cond holds.
func (e *Env) WaitFor(t testing.TB, obj client.Object, what string, cond func() bool) {
	t.Helper()
	Eventually(t, DefaultTimeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Kube.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, fmt.Sprintf("%s %s: %v", what, obj.GetName(), err)
		}
		return cond(), fmt.Sprintf("%s %s: %s", what, obj.GetName(), describeConditions(obj))
	})
}

// WaitForCondition waits until obj has condition ct with status s.
func (e *Env) WaitForCondition(t testing.TB, obj resource.Managed, ct xpv2.ConditionType, s corev1.ConditionStatus) {
	t.Helper()
	e.WaitFor(t, obj, fmt.Sprintf("condition %s=%s of", ct, s), func() bool { return obj.GetCondition(ct).Status == s })
}

// WaitGone waits until obj no longer exists.
func (e *Env) WaitGone(t testing.TB, obj client.Object) {
	t.Helper()
	Eventually(t, DefaultTimeout, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := e.Kube.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		if kerrors.IsNotFound(err) {
			return true, ""
		}
		return false, fmt.Sprintf("%s still exists (%v): %s", obj.GetName(), err, describeConditions(obj))
	})
}

// Events lists the Kubernetes events of the env's namespace.
func (e *Env) Events(t testing.TB) []corev1.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := &corev1.EventList{}
	if err := e.Kube.List(ctx, l, client.InNamespace(e.Namespace)); err != nil {
		t.Fatalf("env: events: %v", err)
	}
	return l.Items
}

func describeConditions(obj client.Object) string {
	c, ok := obj.(interface {
		GetCondition(xpv2.ConditionType) xpv2.Condition
	})
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, ct := range []xpv2.ConditionType{xpv2.TypeReady, xpv2.TypeSynced} {
		cd := c.GetCondition(ct)
		fmt.Fprintf(&b, "%s=%s(%s: %s) ", ct, cd.Status, cd.Reason, cd.Message)
	}
	return b.String()
}

var (
	globalLogs       = &switchWriter{}
	globalLoggerOnce sync.Once
)

// switchWriter forwards to the running provider's log writer.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// DO is a godo client with the env's token, for acting at DigitalOcean behind
// the provider's back (as doctl or the control panel would). Its requests
// count in the simulator's stats.
func (e *Env) DO(t testing.TB) *godo.Client {
	t.Helper()
	c, err := godo.New(oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: e.Token})), godo.SetBaseURL(e.Sim.URL()))
	if err != nil {
		t.Fatalf("env: godo client: %v", err)
	}
	return c
}
