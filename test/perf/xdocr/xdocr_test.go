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

// Package xdocr measures the platform API end to end: the time from applying 1, 10
// and 50 XDOCRs (3 regions each) to all Ready, on the e2e rig (Crossplane core, our
// packages, the simulator), and 50 XDOCRs again with DigitalOcean's rate limits on,
// counting 429s. It runs only with DOCR_PERF=1 (make bench) and writes its figures
// as JSON to DOCR_PERF_XDOCR_OUT; its numbers are measurements, not assertions, except
// that every XDOCR must become Ready.
package xdocr

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/e2e/rig"
)

// Figure is one measured quantity, as test/perf writes it (cluster/bench merges both).
type Figure struct {
	Name    string    `json:"name"`
	Unit    string    `json:"unit"`
	Samples []float64 `json:"samples"`
	Method  string    `json:"method"`
}

// Result is what the test writes.
type Result struct {
	Figures []Figure          `json:"figures"`
	Notes   map[string]string `json:"notes"`
}

// Three XDOCRs (nine registries) per account: the professional tier allows ten.
const perAccount = 3

var (
	xdocrGVK = schema.GroupVersionKind{Group: "docr.digitalocean.crossplane.io", Version: "v1alpha1", Kind: "XDOCR"}
	regions  = []string{"nyc3", "ams3", "sgp1"}
)

func token(i int) string { return fmt.Sprintf("dop_v1_xdocr%03d%s", i, strings.Repeat("0", 52)) }

// round is one measurement: n XDOCRs applied at once.
type round struct {
	name       string
	n          int
	rateLimits bool
}

func TestXDOCRConvergence(t *testing.T) {
	if testing.Short() || os.Getenv("DOCR_PERF") != "1" {
		t.Skip("end-to-end convergence of XDOCRs: runs with DOCR_PERF=1 (make bench), takes ~20 minutes")
	}
	rounds := []round{{"1 XDOCR", 1, false}, {"1 XDOCR", 1, false}, {"1 XDOCR", 1, false}, {"10 XDOCRs", 10, false}, {"50 XDOCRs", 50, false}, {"50 XDOCRs, rate limits on", 50, true}}
	if os.Getenv("DOCR_PERF_XDOCR_QUICK") == "1" { // development: one small round
		rounds = []round{{"1 XDOCR", 1, false}, {"3 XDOCRs, rate limits on", 3, true}}
	}
	accounts := 0
	for _, r := range rounds {
		accounts += (r.n + perAccount - 1) / perAccount
	}
	simOpts := &docrsim.Options{RateLimit: docrsim.RateLimit{Disabled: true}}
	for i := range accounts {
		simOpts.Accounts = append(simOpts.Accounts, docrsim.Account{Name: fmt.Sprintf("acct-%03d", i), Tokens: []string{token(i)}, Tier: docrsim.TierProfessional})
	}
	r := rig.StartForTest(t, rig.Options{Simulator: simOpts})
	ctx := t.Context()
	for _, step := range []struct {
		name string
		fn   func(context.Context) error
	}{{"install the Function", r.InstallFunction}, {"install the Provider", r.InstallProvider}, {"install the Configuration", r.InstallConfiguration}} {
		if err := step.fn(ctx); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	for i := range accounts {
		if err := r.ApplyClusterProviderConfig(ctx, fmt.Sprintf("acct-%03d", i), token(i), ""); err != nil {
			t.Fatal(err)
		}
	}

	res := Result{Notes: map[string]string{}}
	all := map[string][]float64{}
	mrs := map[string][]float64{}
	per := map[string][]float64{}
	var order []string
	nextAccount := 0
	for ri, rd := range rounds {
		if _, seen := all[rd.name]; !seen {
			order = append(order, rd.name)
		}
		if rd.rateLimits {
			r.Sim.SetRateLimit(docrsim.RateLimit{}) // DigitalOcean's: 250/min, 5000/h per token
		} else {
			r.Sim.SetRateLimit(docrsim.RateLimit{Disabled: true})
		}
		r.Sim.ResetStats()
		ns := fmt.Sprintf("round-%d", ri)
		if err := r.Apply(ctx, fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", ns)); err != nil {
			t.Fatal(err)
		}
		var docs []string
		for i := range rd.n {
			acct := nextAccount + i/perAccount
			docs = append(docs, xdocrYAML(ns, fmt.Sprintf("x%02d", i), fmt.Sprintf("r%d-x%02d", ri, i), fmt.Sprintf("acct-%03d", acct)))
		}
		nextAccount += (rd.n + perAccount - 1) / perAccount

		applied := time.Now()
		if err := r.Apply(ctx, strings.Join(docs, "\n---\n")); err != nil {
			t.Fatal(err)
		}
		readyAt, mrsAt := waitAll(t, r, ns, rd.n, applied, 20*time.Minute)
		total := time.Duration(0)
		for _, d := range readyAt {
			total = max(total, d)
			per[rd.name] = append(per[rd.name], d.Seconds())
		}
		all[rd.name] = append(all[rd.name], total.Seconds())
		mrs[rd.name] = append(mrs[rd.name], mrsAt.Seconds())
		st := r.Sim.Stats()
		n429 := 0
		for _, s := range st.Requests {
			if s.Status == 429 {
				n429 += s.Count
			}
		}
		t.Logf("MEASURED: %s: all XRs Ready after %s, all composed resources Ready after %s; %d requests, %d answered 429",
			rd.name, total.Round(100*time.Millisecond), mrsAt.Round(100*time.Millisecond), st.Total, n429)
		if rd.rateLimits {
			res.Figures = append(res.Figures, Figure{Name: "429 responses, " + rd.name, Unit: "responses", Samples: []float64{float64(n429)},
				Method: "simulator Stats: responses with status 429 from apply until every XR was Ready, DigitalOcean's limits (250/min, 5000/h per token) on, 3 XDOCRs per token"})
		}
		res.Notes[fmt.Sprintf("round %d (%s)", ri, rd.name)] = fmt.Sprintf("%d requests to the simulator until all Ready, %d answered 429", st.Total, n429)

		// Delete the round's XDOCRs (deletionProtection off) so the next round runs on
		// an idle provider, and wait until their registries are gone.
		if err := deleteAll(ctx, r, ns); err != nil {
			t.Fatal(err)
		}
		if err := r.Eventually(ctx, 15*time.Minute, "round "+ns+" deleted", func() (bool, error) {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(xdocrGVK.GroupVersion().WithKind("XDOCRList"))
			if err := r.Kube.List(ctx, l, client.InNamespace(ns)); err != nil {
				return false, err
			}
			return len(l.Items) == 0 && registriesWithPrefix(r, fmt.Sprintf("r%d-", ri)) == 0, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	method := "e2e rig (Crossplane core v2.4.0 out of cluster, our provider, function and Configuration installed by Crossplane, in-process simulator); n XDOCRs (3 regions, retention, GC schedule, pull Secret; 11 composed resources each) applied at once; "
	for _, name := range order {
		res.Figures = append(res.Figures,
			Figure{Name: "XDOCR apply -> all Ready, " + name, Unit: "s", Samples: all[name], Method: method + "time until every XR is Ready, one sample per round"},
			Figure{Name: "XDOCR apply -> composed resources Ready, " + name, Unit: "s", Samples: mrs[name], Method: method + "time until every composed managed resource is Ready, one sample per round"},
			Figure{Name: "XDOCR apply -> Ready per XR, " + name, Unit: "s", Samples: per[name], Method: method + "time until each XR is Ready, one sample per XR"})
	}
	if out := os.Getenv("DOCR_PERF_XDOCR_OUT"); out != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, 0o644); err != nil { //nolint:gosec // a report
			t.Fatal(err)
		}
	}
}

func xdocrYAML(ns, name, registry, pc string) string {
	return fmt.Sprintf(`apiVersion: docr.digitalocean.crossplane.io/v1alpha1
kind: XDOCR
metadata:
  name: %s
  namespace: %s
spec:
  registryName: %s
  regions: [%s]
  deletionProtection: false
  allowRegistryRemoval: true
  garbageCollection:
    schedule: "0 3 * * 0"
  retention:
    keepLast: 20
  pullSecret:
    name: %s-pull
  providerConfigRef:
    kind: ClusterProviderConfig
    name: %s
`, name, ns, registry, strings.Join(regions, ", "), name, pc)
}

// waitAll polls every second until the n XDOCRs of ns and their composed resources are
// Ready; it returns when each XR turned Ready (as first seen) and when the last
// composed resource did.
func waitAll(t *testing.T, r *rig.Rig, ns string, n int, applied time.Time, timeout time.Duration) (map[string]time.Duration, time.Duration) {
	t.Helper()
	ctx := t.Context()
	readyAt := map[string]time.Duration{}
	var mrsAt time.Duration
	last := ""
	err := r.Eventually(ctx, timeout, fmt.Sprintf("%d XDOCRs in %s Ready", n, ns), func() (bool, error) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(xdocrGVK.GroupVersion().WithKind("XDOCRList"))
		if err := r.Kube.List(ctx, l, client.InNamespace(ns)); err != nil {
			return false, nil //nolint:nilerr // the API server may be busy; poll again
		}
		now := time.Since(applied)
		for i := range l.Items {
			if _, seen := readyAt[l.Items[i].GetName()]; !seen && ready(&l.Items[i]) {
				readyAt[l.Items[i].GetName()] = now
			}
		}
		if mrsAt == 0 {
			if ok, why := composedReady(ctx, r, l.Items, n); ok {
				mrsAt = now
			} else {
				last = why
			}
		}
		return len(readyAt) == n && mrsAt != 0, nil
	})
	if err != nil {
		t.Fatalf("%v (%d of %d XRs Ready; %s)", err, len(readyAt), n, last)
	}
	return readyAt, mrsAt
}

// composedReady reports whether n XRs exist and each composed resource they reference
// is Ready.
func composedReady(ctx context.Context, r *rig.Rig, xrs []unstructured.Unstructured, n int) (bool, string) {
	if len(xrs) < n {
		return false, fmt.Sprintf("%d of %d XRs exist", len(xrs), n)
	}
	for i := range xrs {
		refs, _, _ := unstructured.NestedSlice(xrs[i].Object, "spec", "crossplane", "resourceRefs")
		if len(refs) == 0 {
			return false, xrs[i].GetName() + " composes nothing yet"
		}
		for _, ref := range refs {
			m, _ := ref.(map[string]any)
			av, _ := m["apiVersion"].(string)
			kind, _ := m["kind"].(string)
			name, _ := m["name"].(string)
			gv, _ := schema.ParseGroupVersion(av)
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(gv.WithKind(kind))
			if err := r.Kube.Get(ctx, client.ObjectKey{Namespace: xrs[i].GetNamespace(), Name: name}, u); err != nil || !ready(u) {
				return false, fmt.Sprintf("%s %s not Ready", kind, name)
			}
		}
	}
	return true, ""
}

func ready(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" && m["status"] == "True" {
			return true
		}
	}
	return false
}

func deleteAll(ctx context.Context, r *rig.Rig, ns string) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(xdocrGVK)
	return r.Kube.DeleteAllOf(ctx, u, client.InNamespace(ns))
}

func registriesWithPrefix(r *rig.Rig, prefix string) int {
	n := 0
	for _, reg := range r.Sim.Registries("") {
		if strings.HasPrefix(reg.Name, prefix) {
			n++
		}
	}
	return n
}
