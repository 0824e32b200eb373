package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/chaos/invariants"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/e2e/rig"
)

// DefaultSeed is the seed of the short form in `make test`.
const DefaultSeed = 20261122

// Bound is how long, after the faults stop, every XR and managed resource may take to be
// Ready (docs/chaos.md explains the figure: backoff after errors, a poll, and Crossplane's
// XR watch circuit breaker, which alone delays XR readiness by up to ~2 minutes).
const Bound = 6 * time.Minute

var (
	xdocrGVK = schema.GroupVersionKind{Group: "docr.digitalocean.crossplane.io", Version: "v1alpha1", Kind: "XDOCR"}
	mrGV     = schema.GroupVersion{Group: "docr.digitalocean.m.crossplane.io", Version: "v1alpha1"}
	// MRKinds are the managed resource kinds the function composes.
	MRKinds = []string{"Subscription", "Registry", "RegistryIntegration", "GarbageCollectionSchedule", "RetentionPolicy", "DockerCredentials"}
)

// TestChaos is the chaos suite; see docs/chaos.md. DOCR_CHAOS=long runs the long form,
// DOCR_CHAOS_SEED=n another seed, DOCR_CHAOS_REPORT=path writes the report there (the
// long form defaults to docs/resilience.md).
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs the control plane and Crossplane binaries; skipped with -short")
	}
	testStart := time.Now()
	cfg, form := Short, "short"
	if os.Getenv("DOCR_CHAOS") == "long" {
		cfg, form = Long, "long"
	}
	seed := uint64(DefaultSeed)
	if s := os.Getenv("DOCR_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DOCR_CHAOS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	// Every random choice of the run comes from this seed: the schedule, the pushes, and
	// (through Options.Seed) which requests the simulator fails.
	rng := rand.New(rand.NewPCG(seed, 0x6368616f73)) //nolint:gosec // reproducible chaos, not security
	plan := NewPlan(rng, cfg)
	t.Logf("CHAOS SEED %d (%s form; reproduce with DOCR_CHAOS_SEED=%d%s go test -count=1 -v -timeout 60m ./test/chaos/)",
		seed, form, seed, map[bool]string{true: " DOCR_CHAOS=long", false: ""}[form == "long"])
	for _, e := range plan {
		t.Logf("plan: %s", e)
	}

	estates := Workload()
	sim := &docrsim.Options{
		Accounts: []docrsim.Account{
			{Name: Account1, Tokens: []string{Token1}, Tier: docrsim.TierProfessional},
			{Name: Account2, Tokens: []string{Token2}, Tier: docrsim.TierProfessional},
		},
		GCPhases: GCPhases,
		Seed:     int64(seed), //nolint:gosec // a seed, any bits do
		// RateLimit left zero: DigitalOcean's 250/min and 5000/h per token.
	}
	for _, e := range estates {
		sim.Clusters = append(sim.Clusters, e.Cluster)
	}
	began := time.Now()
	r := rig.StartForTest(t, rig.Options{Simulator: sim, ProviderArgs: []string{"--poll=20s"}})
	ctx := t.Context()
	for _, step := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"install the Function", r.InstallFunction},
		{"install the Provider", r.InstallProvider},
		{"install the Configuration", r.InstallConfiguration},
		{"ClusterProviderConfig " + Config1, func(ctx context.Context) error { return r.ApplyClusterProviderConfig(ctx, Config1, Token1, "") }},
		{"ClusterProviderConfig " + Config2, func(ctx context.Context) error { return r.ApplyClusterProviderConfig(ctx, Config2, Token2, "") }},
	} {
		if err := step.fn(ctx); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	t.Logf("stack installed in %s", time.Since(began).Round(time.Second))

	d := newDriver(t, r, seed, rng, estates)
	d.form, d.cfg, d.plan, d.testStart = form, cfg, plan, testStart
	d.run(ctx)
	d.converge(ctx)
	d.verify(ctx)
	if path := reportPath(form); path != "" {
		if err := os.WriteFile(path, []byte(d.report()), 0o644); err != nil { //nolint:gosec // a document
			t.Errorf("cannot write the report: %v", err)
		} else {
			t.Logf("report written to %s", path)
		}
	}
}

func reportPath(form string) string {
	if p := os.Getenv("DOCR_CHAOS_REPORT"); p != "" {
		return p
	}
	if form == "long" {
		root, err := controlplane.RepoRoot()
		if err == nil {
			return filepath.Join(root, "docs", "resilience.md")
		}
	}
	return ""
}

// driver runs the plan and records what it did and saw.
type driver struct {
	t    *testing.T
	r    *rig.Rig
	seed uint64
	rng  *rand.Rand
	form string
	cfg  Config
	plan []Event

	mu         sync.Mutex
	estates    map[string]*Estate // by name
	wanted     map[string]string  // registry -> account: must exist at the end
	removed    map[string]string  // registry -> why it must be gone at the end
	kept       map[string]string  // registry -> why it must survive (protected)
	deleted    []string           // XRs deleted on purpose
	intent     map[string]invariants.Registry
	journal    []docrsim.JournalEntry // read at the end
	lastSample time.Time
	applied    map[string]time.Time
	xrReady    map[string]time.Duration // XR -> last apply to first Ready after it
	mrSeen     map[string]mrRecord
	pulls      []PullSample
	gcPolicy   map[string]map[string]GCPolicy // XR -> registry -> policies seen
	faults     struct{ spike, burst bool }

	testStart  time.Time
	results    []InvariantRow
	start      time.Time // chaos began
	quiesced   time.Time // faults stopped
	converged  time.Duration
	convErr    string
	done       []done
	recoveries []time.Duration // kill -> first successful API answer of the new process
	startups   []time.Duration // restart -> the same
	apiDown    []time.Duration
	coreDown   []time.Duration
	pushes     map[string]int         // outcome -> count
	effects    map[Kind]time.Duration // workload change: apply -> its effect in place
	sampler    context.CancelFunc
	samplerEnd chan struct{}
}

type done struct {
	Event
	Began, Took time.Duration
	Err         string
}

// mrRecord is one managed resource as the sampler saw it.
type mrRecord struct {
	Kind, Namespace, Name string
	Created               time.Time
	FirstReady            time.Time // first sample with Ready=True
	ReadyAfterQuiesce     time.Time // first sample after the faults stopped with Ready and Synced True
}

// PullSample is one look at an estate's pull Secret.
type PullSample struct {
	Time             time.Time
	Namespace, Name  string
	XR               string
	Exists           bool
	DockerConfigJSON []byte
}

// GCPolicy is the GarbageCollectionSchedule of one registry as composed, and when it
// was seen.
type GCPolicy struct {
	XR                           string // namespace/name
	Registry, Schedule, TimeZone string
	Window, QuietPeriod          string
	From, To                     time.Time
}

func newDriver(t *testing.T, r *rig.Rig, seed uint64, rng *rand.Rand, estates []Estate) *driver {
	d := &driver{t: t, r: r, seed: seed, rng: rng, estates: map[string]*Estate{}, wanted: map[string]string{},
		removed: map[string]string{}, kept: map[string]string{}, applied: map[string]time.Time{}, xrReady: map[string]time.Duration{},
		mrSeen: map[string]mrRecord{}, gcPolicy: map[string]map[string]GCPolicy{}, pushes: map[string]int{},
		effects: map[Kind]time.Duration{}, intent: map[string]invariants.Registry{}}
	for i := range estates {
		e := estates[i]
		d.estates[e.Name] = &e
		for _, region := range e.Regions {
			d.want(&e, region)
		}
	}
	return d
}

// want records that the estate's registry in region must exist (d.mu held or not yet shared).
func (d *driver) want(e *Estate, region string) string {
	reg := e.Registry + "-" + region
	d.wanted[reg] = e.Account
	d.intent[reg] = invariants.Registry{Name: reg, Account: e.Account, Group: e.Namespace + "/" + e.Name, Region: region, Wanted: true}
	return reg
}

// unwant records that a registry must be gone at the end, its deletion asked for now (d.mu held).
func (d *driver) unwant(reg, why string) {
	delete(d.wanted, reg)
	d.removed[reg] = why
	r := d.intent[reg]
	r.Wanted, r.DeleteAllowedAt = false, time.Now()
	d.intent[reg] = r
}

func (d *driver) logf(format string, args ...any) {
	d.t.Logf("[chaos %6.1fs] %s", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

// baseFaults is what the simulator injects throughout the chaos phase: 10% 5xx and 2%
// connection resets on every API request; spikes add 2 s to every request, bursts answer
// half of them 429 with retry-after.
func (d *driver) setFaults() {
	rule := docrsim.FaultRule{Method: "*", Error500: 0.04, Error502: 0.03, Error503: 0.03, Reset: 0.02}
	if d.faults.spike {
		rule.Latency = 2 * time.Second
	}
	if d.faults.burst {
		rule.Error429 = 0.5
	}
	if err := d.r.Sim.SetFaults(docrsim.FaultProfile{Rules: []docrsim.FaultRule{rule}}); err != nil {
		d.t.Errorf("SetFaults: %v", err)
	}
}

func (d *driver) apply(ctx context.Context, e *Estate, allowRemoval bool) error {
	err := d.r.Eventually(ctx, 3*time.Minute, "apply XDOCR "+e.Name, func() (bool, error) {
		// The API server may be restarting: retry until it takes the apply.
		return d.r.Apply(ctx, e.Manifest(allowRemoval)) == nil, nil
	})
	d.mu.Lock()
	if d.applied[e.Name].IsZero() {
		d.applied[e.Name] = time.Now() // XR readiness is measured from the first apply
	}
	d.mu.Unlock()
	return err
}

func (d *driver) run(ctx context.Context) {
	d.start = time.Now()
	d.setFaults()
	for _, ns := range []string{"chaos-a", "chaos-b"} {
		if err := d.r.Apply(ctx, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n"); err != nil {
			d.t.Fatal(err)
		}
	}
	sctx, cancel := context.WithCancel(context.Background())
	d.sampler, d.samplerEnd = cancel, make(chan struct{})
	go d.sample(sctx)
	for _, name := range []string{"alpha", "beta", "gamma", "delta"} {
		if err := d.apply(ctx, d.estates[name], false); err != nil {
			d.t.Fatal(err)
		}
	}
	pctx, stopPush := context.WithCancel(ctx)
	defer stopPush()
	pushDone := make(chan struct{})
	go d.push(pctx, rand.New(rand.NewPCG(d.seed, 0x70757368)), pushDone) //nolint:gosec // reproducible

	for _, e := range d.plan {
		if wait := time.Until(d.start.Add(e.At)); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		began := time.Since(d.start)
		d.logf("event %s", e)
		err := d.do(ctx, e)
		rec := done{Event: e, Began: began, Took: time.Since(d.start) - began}
		if err != nil {
			rec.Err = err.Error()
			d.t.Errorf("event %s: %v", e, err)
		}
		d.done = append(d.done, rec)
	}
	if wait := time.Until(d.start.Add(d.cfg.Chaos)); wait > 0 {
		time.Sleep(wait)
	}
	stopPush()
	<-pushDone
	// Under the lock, so that a spike or burst ending now cannot bring faults back.
	d.mu.Lock()
	d.faults.spike, d.faults.burst = false, false
	if err := d.r.Sim.SetFaults(docrsim.FaultProfile{}); err != nil {
		d.t.Errorf("SetFaults: %v", err)
	}
	d.quiesced = time.Now()
	d.mu.Unlock()
	d.logf("faults stopped after %s of chaos", d.quiesced.Sub(d.start).Round(time.Second))
}

func (d *driver) do(ctx context.Context, e Event) error {
	switch e.Kind {
	case KillProvider:
		killed := time.Now()
		d.r.Provider.Kill()
		time.Sleep(e.Pause)
		before := okAnswers(d.r.Sim.Stats())
		restarted := time.Now()
		if err := d.r.StartProvider(ctx); err != nil {
			return err
		}
		// Recovery: from the kill until the new process gets its first successful answer
		// from DigitalOcean (only the provider calls the API; pushes use the admin side).
		go func() {
			deadline := time.Now().Add(3 * time.Minute)
			for time.Now().Before(deadline) {
				if okAnswers(d.r.Sim.Stats()) > before {
					d.mu.Lock()
					d.recoveries = append(d.recoveries, time.Since(killed))
					d.startups = append(d.startups, time.Since(restarted))
					d.mu.Unlock()
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		return nil
	case RestartCore:
		began := time.Now()
		grace := time.Duration(0)
		if e.Graceful {
			grace = 10 * time.Second
		}
		err := d.r.RestartCore(ctx, grace)
		d.coreDown = append(d.coreDown, time.Since(began))
		return err
	case RestartAPIServer:
		began := time.Now()
		err := d.r.CP.RestartAPIServer(ctx)
		d.apiDown = append(d.apiDown, time.Since(began))
		return err
	case LatencySpike, Burst429:
		d.mu.Lock()
		if e.Kind == LatencySpike {
			d.faults.spike = true
		} else {
			d.faults.burst = true
		}
		d.setFaults()
		d.mu.Unlock()
		time.AfterFunc(e.Pause, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.quiesced.IsZero() {
				if e.Kind == LatencySpike {
					d.faults.spike = false
				} else {
					d.faults.burst = false
				}
				d.setFaults()
			}
		})
		return nil
	case AddRegion:
		g := d.estates["gamma"]
		g.Regions = append(g.Regions, "sfo3")
		d.mu.Lock()
		reg := d.want(g, "sfo3")
		d.mu.Unlock()
		d.watchEffect(ctx, e.Kind, func() bool {
			_, atSim := d.r.Sim.Registry(reg)
			u := d.get(ctx, mrGV.WithKind("Registry"), g.Namespace, reg)
			return atSim && u != nil && rig.HasCondition(u, "Ready", "True")
		})
		return d.apply(ctx, g, false)
	case RemoveRegion:
		b := d.estates["beta"]
		gone := b.Registry + "-" + b.Regions[len(b.Regions)-1]
		b.Regions = b.Regions[:len(b.Regions)-1]
		d.mu.Lock()
		d.unwant(gone, "region removed from XDOCR beta with allowRegistryRemoval")
		d.mu.Unlock()
		d.watchEffect(ctx, e.Kind, func() bool {
			_, atSim := d.r.Sim.Registry(gone)
			return !atSim && d.gone(ctx, mrGV.WithKind("Registry"), b.Namespace, gone)
		})
		return d.apply(ctx, b, true)
	case KeepRegion:
		return d.keepRegion(ctx)
	case ChangeGCSchedule:
		g := d.estates["gamma"]
		g.Schedule = GCScheduleChanged
		primary := g.Registry + "-" + g.Regions[0]
		d.watchEffect(ctx, e.Kind, func() bool {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(mrGV.WithKind("GarbageCollectionScheduleList"))
			if err := d.r.Kube.List(ctx, l, client.InNamespace(g.Namespace)); err != nil {
				return false
			}
			for i := range l.Items {
				u := &l.Items[i]
				sched, _, _ := unstructured.NestedString(u.Object, "spec", "forProvider", "schedule")
				if gcRegistry(u) == primary && sched == GCScheduleChanged && rig.HasCondition(u, "Ready", "True") && rig.HasCondition(u, "Synced", "True") {
					return true
				}
			}
			return false
		})
		return d.apply(ctx, g, false)
	case DeleteXR:
		dl := d.estates["delta"]
		d.mu.Lock()
		for _, reg := range dl.Registries() {
			d.unwant(reg, "XDOCR delta deleted (no deletion protection)")
		}
		d.deleted = append(d.deleted, dl.Namespace+"/"+dl.Name)
		delete(d.estates, "delta")
		d.mu.Unlock()
		d.watchEffect(ctx, e.Kind, func() bool {
			for _, reg := range dl.Registries() {
				if _, ok := d.r.Sim.Registry(reg); ok {
					return false
				}
			}
			return d.gone(ctx, xdocrGVK, dl.Namespace, dl.Name)
		})
		return d.r.Eventually(ctx, 3*time.Minute, "delete XDOCR delta", func() (bool, error) {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(xdocrGVK)
			u.SetNamespace(dl.Namespace)
			u.SetName(dl.Name)
			err := d.r.Kube.Delete(ctx, u)
			return err == nil || kerrors.IsNotFound(err), nil
		})
	}
	return fmt.Errorf("unknown event kind %q", e.Kind)
}

// keepRegion removes sgp1 from alpha once its registry holds an image the provider has
// observed: the function must keep the registry (no allowRegistryRemoval).
func (d *driver) keepRegion(ctx context.Context) error {
	a := d.estates["alpha"]
	reg := a.Registry + "-sgp1"
	if err := d.r.Eventually(ctx, 5*time.Minute, "an image in "+reg, func() (bool, error) {
		_, err := d.r.Sim.PushImage(reg, "keep", "v1.0.0", 1<<20)
		return err == nil, nil
	}); err != nil {
		return err
	}
	if err := d.r.Eventually(ctx, 5*time.Minute, "Registry "+reg+" observes its storage", func() (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(mrGV.WithKind("Registry"))
		if err := d.r.Kube.Get(ctx, types.NamespacedName{Namespace: a.Namespace, Name: reg}, u); err != nil {
			return false, nil //nolint:nilerr // not yet, or the API server restarts
		}
		n, _, _ := unstructured.NestedInt64(u.Object, "status", "atProvider", "storageUsageBytes")
		return n > 0, nil
	}); err != nil {
		return err
	}
	a.Regions = slices.DeleteFunc(a.Regions, func(s string) bool { return s == "sgp1" })
	d.mu.Lock()
	d.kept[reg] = "region removed from XDOCR alpha while the registry holds images, allowRegistryRemoval false"
	r := d.intent[reg]
	r.Protected = true
	d.intent[reg] = r
	d.mu.Unlock()
	return d.apply(ctx, a, false)
}

// push writes images into the workload's registries at seeded intervals, so that quiet
// periods defer some GC slots and registries hold data.
func (d *driver) push(ctx context.Context, rng *rand.Rand, done chan struct{}) {
	defer close(done)
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(1000+rng.IntN(4000)) * time.Millisecond):
		}
		d.mu.Lock()
		regs := make([]string, 0, len(d.wanted))
		for reg := range d.wanted {
			regs = append(regs, reg)
		}
		d.mu.Unlock()
		slices.Sort(regs)
		reg := regs[rng.IntN(len(regs))]
		n++
		_, err := d.r.Sim.PushImage(reg, fmt.Sprintf("app-%d", rng.IntN(3)), fmt.Sprintf("build-%d", n), int64(1+rng.IntN(4))<<20)
		outcome := "pushed"
		if err != nil {
			switch {
			case strings.Contains(err.Error(), "read-only") || strings.Contains(strings.ToLower(err.Error()), "garbage"):
				outcome = "refused: garbage collection active"
			case strings.Contains(err.Error(), "not found"):
				outcome = "refused: registry not created yet"
			default:
				outcome = "refused: " + err.Error()
			}
		}
		d.mu.Lock()
		d.pushes[outcome]++
		d.mu.Unlock()
	}
}

// watchEffect measures, in the background, how long after now a workload change takes
// effect (cond true), up to the end of the convergence bound.
func (d *driver) watchEffect(ctx context.Context, k Kind, cond func() bool) {
	began := time.Now()
	go func() {
		deadline := began.Add(d.cfg.Chaos + Bound)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if cond() {
				d.mu.Lock()
				d.effects[k] = time.Since(began)
				d.mu.Unlock()
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()
}

// get returns an object, or nil when it does not exist or cannot be read.
func (d *driver) get(ctx context.Context, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := d.r.Kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		return nil
	}
	return u
}

// gone reports whether the API server says an object does not exist.
func (d *driver) gone(ctx context.Context, gvk schema.GroupVersionKind, ns, name string) bool {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return kerrors.IsNotFound(d.r.Kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u))
}

func okAnswers(st docrsim.Stats) int {
	n := 0
	for _, s := range st.Requests {
		if s.Status >= 200 && s.Status < 300 {
			n += s.Count
		}
	}
	return n
}

// sample looks at the XRs, the managed resources and the pull Secrets every second until
// cancelled: first-Ready times, GC policies as composed, pull Secret contents.
func (d *driver) sample(ctx context.Context) {
	defer close(d.samplerEnd)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		d.sampleOnce(ctx, i%5 == 0)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (d *driver) sampleOnce(ctx context.Context, pulls bool) {
	now := time.Now()
	xrs := &unstructured.UnstructuredList{}
	xrs.SetGroupVersionKind(xdocrGVK.GroupVersion().WithKind("XDOCRList"))
	if err := d.r.Kube.List(ctx, xrs); err == nil {
		quiesced := d.quiescedAt()
		d.mu.Lock()
		for i := range xrs.Items {
			u := &xrs.Items[i]
			if _, ok := d.xrReady[u.GetName()]; !ok && rig.HasCondition(u, "Ready", "True") && !d.applied[u.GetName()].IsZero() {
				d.xrReady[u.GetName()] = now.Sub(d.applied[u.GetName()])
			}
			key := "XDOCR " + u.GetNamespace() + "/" + u.GetName()
			rec := d.mrSeen[key]
			rec.Kind, rec.Namespace, rec.Name, rec.Created = "XDOCR", u.GetNamespace(), u.GetName(), u.GetCreationTimestamp().Time
			if !quiesced.IsZero() && rec.ReadyAfterQuiesce.IsZero() && rig.HasCondition(u, "Ready", "True") {
				rec.ReadyAfterQuiesce = now
			}
			d.mrSeen[key] = rec
		}
		d.mu.Unlock()
	}
	quiesced := d.quiescedAt()
	for _, kind := range MRKinds {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(mrGV.WithKind(kind + "List"))
		if err := d.r.Kube.List(ctx, l); err != nil {
			continue
		}
		d.mu.Lock()
		for i := range l.Items {
			u := &l.Items[i]
			key := kind + " " + u.GetNamespace() + "/" + u.GetName()
			rec, ok := d.mrSeen[key]
			if !ok || !rec.Created.Equal(u.GetCreationTimestamp().Time) {
				rec = mrRecord{Kind: kind, Namespace: u.GetNamespace(), Name: u.GetName(), Created: u.GetCreationTimestamp().Time}
			}
			if rec.FirstReady.IsZero() && rig.HasCondition(u, "Ready", "True") {
				rec.FirstReady = now
			}
			if !quiesced.IsZero() && rec.ReadyAfterQuiesce.IsZero() && rig.HasCondition(u, "Ready", "True") && rig.HasCondition(u, "Synced", "True") {
				rec.ReadyAfterQuiesce = now
			}
			d.mrSeen[key] = rec
			if kind == "GarbageCollectionSchedule" {
				d.recordGCPolicy(u, now)
			}
		}
		if kind == "GarbageCollectionSchedule" {
			d.lastSample = now
		}
		d.mu.Unlock()
	}
	if !pulls {
		return
	}
	d.mu.Lock()
	names := make([]*Estate, 0, len(d.estates))
	for _, e := range d.estates {
		names = append(names, e)
	}
	d.mu.Unlock()
	for _, e := range names {
		s := &corev1.Secret{}
		err := d.r.Kube.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: e.Name + "-pull"}, s)
		if err != nil && !kerrors.IsNotFound(err) {
			continue // API server restarting: no sample
		}
		ps := PullSample{Time: time.Now(), Namespace: e.Namespace, Name: e.Name + "-pull", XR: e.Namespace + "/" + e.Name, Exists: err == nil}
		if err == nil {
			ps.DockerConfigJSON = s.Data[corev1.DockerConfigJsonKey]
		}
		d.mu.Lock()
		d.pulls = append(d.pulls, ps)
		d.mu.Unlock()
	}
}

// recordGCPolicy notes the schedule the function composed for one registry, grouped by
// the XR that composed it (Crossplane's composite label). d.mu is held.
func (d *driver) recordGCPolicy(u *unstructured.Unstructured, now time.Time) {
	xr := u.GetNamespace() + "/" + u.GetLabels()["crossplane.io/composite"]
	fp, _, _ := unstructured.NestedMap(u.Object, "spec", "forProvider")
	str := func(k string) string { s, _ := fp[k].(string); return s }
	p := GCPolicy{XR: xr, Registry: gcRegistry(u), Schedule: str("schedule"), TimeZone: str("timeZone"), Window: str("window"), QuietPeriod: str("quietPeriod"), From: now, To: now}
	if p.Registry == "" {
		return
	}
	m := d.gcPolicy[xr]
	if m == nil {
		m = map[string]GCPolicy{}
		d.gcPolicy[xr] = m
	}
	key := p.Registry + " " + p.Schedule + " " + p.TimeZone + " " + p.Window + " " + p.QuietPeriod
	if old, ok := m[key]; ok {
		p.From = old.From
	}
	m[key] = p
}

// gcRegistry is the registry a GarbageCollectionSchedule targets: the function composes a
// registryRef (resolved into registryName by the provider).
func gcRegistry(u *unstructured.Unstructured) string {
	if n, _, _ := unstructured.NestedString(u.Object, "spec", "forProvider", "registryName"); n != "" {
		return n
	}
	n, _, _ := unstructured.NestedString(u.Object, "spec", "forProvider", "registryRef", "name")
	return n
}

func (d *driver) quiescedAt() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.quiesced
}

// converge waits, after the faults stopped, until every XR and managed resource is Ready
// and the simulator holds exactly the registries the workload wants (Bound at most).
func (d *driver) converge(ctx context.Context) {
	d.mu.Lock()
	q := d.quiesced
	d.mu.Unlock()
	if q.IsZero() {
		d.t.Fatal("the chaos phase did not finish")
	}
	var last string
	err := d.r.Eventually(ctx, Bound, "convergence after the faults stopped", func() (bool, error) {
		last = d.notConverged(ctx)
		return last == "", nil
	})
	d.converged = time.Since(q)
	if err != nil {
		d.convErr = fmt.Sprintf("%v; still: %s", err, last)
		d.t.Errorf("not converged within %s of the faults stopping: %s", Bound, last)
	} else {
		d.logf("converged %s after the faults stopped", d.converged.Round(100*time.Millisecond))
	}
	// One more sample so every object has its ReadyAfterQuiesce, then stop sampling.
	d.sampleOnce(ctx, true)
	d.sampler()
	<-d.samplerEnd
}

// notConverged says what is not yet as it must end, or "".
func (d *driver) notConverged(ctx context.Context) string {
	var out []string
	d.mu.Lock()
	estates := make([]Estate, 0, len(d.estates))
	for _, e := range d.estates {
		estates = append(estates, *e)
	}
	want := map[string]bool{}
	for reg := range d.wanted {
		want[reg] = true
	}
	for reg := range d.kept {
		want[reg] = true
	}
	deleted := slices.Clone(d.deleted)
	d.mu.Unlock()
	for _, e := range estates {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(xdocrGVK)
		if err := d.r.Kube.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: e.Name}, u); err != nil {
			out = append(out, "XDOCR "+e.Name+": "+err.Error())
		} else if !rig.HasCondition(u, "Ready", "True") {
			out = append(out, "XDOCR "+e.Name+" not Ready: "+rig.Conditions(u))
		}
	}
	for _, nn := range deleted {
		ns, name, _ := strings.Cut(nn, "/")
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(xdocrGVK)
		if err := d.r.Kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u); !kerrors.IsNotFound(err) {
			out = append(out, "XDOCR "+nn+" not gone yet")
		}
	}
	for _, kind := range MRKinds {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(mrGV.WithKind(kind + "List"))
		if err := d.r.Kube.List(ctx, l); err != nil {
			return err.Error()
		}
		for i := range l.Items {
			u := &l.Items[i]
			if !rig.HasCondition(u, "Ready", "True") || !rig.HasCondition(u, "Synced", "True") {
				out = append(out, fmt.Sprintf("%s %s/%s: %s", kind, u.GetNamespace(), u.GetName(), rig.Conditions(u)))
			}
		}
	}
	got := map[string]bool{}
	for _, reg := range d.r.Sim.Registries("") {
		got[reg.Name] = true
		if !want[reg.Name] {
			out = append(out, "registry "+reg.Name+" still at the simulator")
		}
	}
	for reg := range want {
		if !got[reg] {
			out = append(out, "registry "+reg+" missing at the simulator")
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

// eventsText renders every Kubernetes Event (all namespaces), for the leak check.
func (d *driver) eventsText(ctx context.Context) string {
	l := &corev1.EventList{}
	if err := d.r.Kube.List(ctx, l, &client.ListOptions{}); err != nil {
		d.t.Errorf("cannot list Events: %v", err)
		return ""
	}
	var b strings.Builder
	for _, e := range l.Items {
		fmt.Fprintf(&b, "%s %s/%s %s %s: %s\n", e.Type, e.InvolvedObject.Namespace, e.InvolvedObject.Name, e.InvolvedObject.Kind, e.Reason, e.Message)
	}
	return b.String()
}

// logFiles lists every log of the run: the rig's children, the simulator and the control
// plane's components.
func (d *driver) logFiles() []string {
	var out []string
	for _, dir := range []string{filepath.Join(d.r.Dir, "logs"), filepath.Join(d.r.CP.Dir, "logs")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

func machine() string {
	host, _ := os.Hostname()
	load, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("%s/%s, %d CPUs, %s, load average at the end %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), host, strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
}
