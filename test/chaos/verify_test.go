package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/chaos/invariants"
	"github.com/crossplane-contrib/provider-docr/test/e2e/rig"
)

// StartTolerance is how long after its window closes a GC start may reach the simulator:
// the provider decides on its own clock, and the chaos phase adds 2 s latency spikes,
// resets and retries to the request's transit.
const StartTolerance = 15 * time.Second

// faultCounts counts what the simulator injected, by answer, from its journal (d.mu held).
func (d *driver) faultCounts() [][2]string {
	injected := map[string]int{}
	limited, requests := 0, 0
	for _, e := range d.journal {
		if e.Kind != docrsim.JournalRequest {
			continue
		}
		requests++
		switch {
		case e.Limited:
			limited++
		case e.Injected:
			k := fmt.Sprintf("injected %d", e.Status)
			if e.Status == 0 {
				k = "injected connection reset"
			}
			injected[k]++
		}
	}
	keys := make([]string, 0, len(injected))
	for k := range injected {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := [][2]string{{"API requests (all)", fmt.Sprint(requests)}}
	total := 0
	for _, k := range keys {
		out = append(out, [2]string{k, fmt.Sprint(injected[k])})
		total += injected[k]
	}
	out = append(out, [2]string{"injected in all", fmt.Sprint(total)}, [2]string{"429 from the rate limiter (DigitalOcean's limits)", fmt.Sprint(limited)})
	return out
}

// verify builds invariants.Input from the run and fails the test on any failed invariant.
func (d *driver) verify(ctx context.Context) {
	in := d.input(ctx)
	results := invariants.Check(in)
	d.mu.Lock()
	for _, r := range results {
		d.results = append(d.results, InvariantRow{Name: r.Name, Pass: r.Pass, Checked: r.Checked, Detail: r.Detail})
	}
	d.mu.Unlock()
	for _, r := range results {
		if r.Pass {
			d.t.Logf("invariant PASS %s (%d checked): %s", r.Name, r.Checked, r.Detail)
		} else {
			d.t.Errorf("invariant FAIL %s (%d checked): %s (reproduce with DOCR_CHAOS_SEED=%d)", r.Name, r.Checked, r.Detail, d.seed)
		}
	}
}

func (d *driver) input(ctx context.Context) invariants.Input {
	journal := d.r.Sim.Journal()
	final := []string{}
	for _, r := range d.r.Sim.Registries("") {
		final = append(final, r.Name)
	}
	events := strings.Split(strings.TrimSpace(d.eventsText(ctx)), "\n")
	logs := map[string][]byte{}
	for _, f := range d.logFiles() {
		b, err := os.ReadFile(f) //nolint:gosec // our own logs
		if err != nil {
			d.t.Errorf("cannot read log %s: %v", f, err)
			continue
		}
		logs[filepath.Base(filepath.Dir(filepath.Dir(f)))+"/"+filepath.Base(f)] = b
	}
	objects := d.objects(ctx)

	d.mu.Lock()
	defer d.mu.Unlock()
	d.journal = journal
	in := invariants.Input{
		Journal:         journal,
		RateLimit:       docrsim.RateLimit{PerMinute: 250, PerHour: 5000},
		FinalRegistries: final,
		StartTolerance:  StartTolerance,
		Objects:         objects,
		Bound:           Bound,
		Logs:            logs,
		Events:          events,
		Tokens:          []string{Token1, Token2},
	}
	for _, reg := range d.intent {
		in.Registries = append(in.Registries, reg)
	}
	sort.Slice(in.Registries, func(a, b int) bool { return in.Registries[a].Name < in.Registries[b].Name })
	in.GCPolicies = d.policies()
	for _, p := range d.pulls {
		var b []byte
		if p.Exists {
			b = p.DockerConfigJSON
		}
		in.SecretSamples = append(in.SecretSamples, invariants.SecretSample{Time: p.Time, Secret: p.Namespace + "/" + p.Name, DockerConfigJSON: b})
	}
	return in
}

// objects is the final snapshot: every XR and managed resource, Ready or not, and how long
// after the faults stopped it was first seen Ready (and Synced, for MRs).
func (d *driver) objects(ctx context.Context) []invariants.Object {
	var out []invariants.Object
	d.mu.Lock()
	q := d.quiesced
	seen := maps(d.mrSeen)
	d.mu.Unlock()
	for _, kind := range append([]string{"XDOCR"}, MRKinds...) {
		l := &unstructured.UnstructuredList{}
		if kind == "XDOCR" {
			l.SetGroupVersionKind(xdocrGVK.GroupVersion().WithKind("XDOCRList"))
		} else {
			l.SetGroupVersionKind(mrGV.WithKind(kind + "List"))
		}
		if err := d.r.Kube.List(ctx, l); err != nil {
			d.t.Errorf("cannot list %s for the final snapshot: %v", kind, err)
			continue
		}
		for i := range l.Items {
			u := &l.Items[i]
			key := kind + " " + u.GetNamespace() + "/" + u.GetName()
			o := invariants.Object{Ref: key, Ready: rig.HasCondition(u, "Ready", "True") && (kind == "XDOCR" || rig.HasCondition(u, "Synced", "True"))}
			if rec, ok := seen[key]; ok && !rec.ReadyAfterQuiesce.IsZero() {
				o.ConvergedAfter = max(0, rec.ReadyAfterQuiesce.Sub(q))
			} else if o.Ready {
				o.ConvergedAfter = d.converged // Ready by the end of the wait, not sampled earlier
			}
			out = append(out, o)
		}
	}
	return out
}

func maps[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// policies turns the sampled GarbageCollectionSchedules into the periods each schedule
// was in force: a replaced schedule is in force until its successor was first seen, the
// successor from the moment its predecessor was last seen (the switch happened between
// two samples); a schedule whose object disappeared before the end, until it was last
// seen (d.mu held).
func (d *driver) policies() []invariants.GCPolicy {
	byReg := map[string][]GCPolicy{}
	for _, m := range d.gcPolicy {
		for _, p := range m {
			byReg[p.Registry] = append(byReg[p.Registry], p)
		}
	}
	var out []invariants.GCPolicy
	for _, ps := range byReg {
		slices.SortFunc(ps, func(a, b GCPolicy) int { return a.From.Compare(b.From) })
		for i, p := range ps {
			ip := invariants.GCPolicy{Registry: p.Registry, Group: p.XR, Schedule: p.Schedule, TimeZone: p.TimeZone,
				Window: parseDuration(p.Window), QuietPeriod: parseDuration(p.QuietPeriod)}
			if i > 0 {
				ip.From = ps[i-1].To
			}
			switch {
			case i < len(ps)-1:
				ip.Until = ps[i+1].From
			case p.To.Before(d.lastSample.Add(-2 * time.Second)):
				ip.Until = p.To
			}
			out = append(out, ip)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		return out[a].Registry+out[a].From.String() < out[b].Registry+out[b].From.String()
	})
	return out
}

func parseDuration(s string) time.Duration {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0
	}
	return v
}
