/*
Copyright 2026 The provider-docr Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing,
software distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package xdocr

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/e2e/rig"
)

// TestXDOCRChurn counts the watch events each object of one XDOCR's estate produces
// from apply until the XR is Ready (plus a settling minute), and names what changed in
// each event. Crossplane's XR controller spends one token of its watch circuit breaker
// (burst 100, refill 1/s) per event of a composed resource, so these counts are what
// opens it. Runs with DOCR_PERF_CHURN=1; it reports, it asserts nothing but Ready.
func TestXDOCRChurn(t *testing.T) {
	if testing.Short() || os.Getenv("DOCR_PERF_CHURN") != "1" {
		t.Skip("watch events per composed resource: runs with DOCR_PERF_CHURN=1")
	}
	simOpts := &docrsim.Options{RateLimit: docrsim.RateLimit{Disabled: true},
		Accounts: []docrsim.Account{{Name: "acct-000", Tokens: []string{token(0)}, Tier: docrsim.TierProfessional}}}
	r := rig.StartForTest(t, rig.Options{Simulator: simOpts})
	ctx := t.Context()
	for _, fn := range []func(context.Context) error{r.InstallFunction, r.InstallProvider, r.InstallConfiguration} {
		if err := fn(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.ApplyClusterProviderConfig(ctx, "acct-000", token(0), ""); err != nil {
		t.Fatal(err)
	}
	const ns = "churn"
	if err := r.Apply(ctx, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n"); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(r.CP.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	gvrs := []schema.GroupVersionResource{{Group: "docr.digitalocean.crossplane.io", Version: "v1alpha1", Resource: "xdocrs"}, {Version: "v1", Resource: "secrets"}}
	for _, res := range []string{"registries", "registryintegrations", "dockercredentials", "garbagecollectionschedules", "retentionpolicies", "subscriptions"} {
		gvrs = append(gvrs, schema.GroupVersionResource{Group: "docr.digitalocean.m.crossplane.io", Version: "v1alpha1", Resource: res})
	}
	var mu sync.Mutex
	last := map[string]*unstructured.Unstructured{}
	events := map[string]int{}
	causes := map[string]map[string]int{} // object -> what changed -> events
	var timeline []string
	start := time.Now()
	for _, gvr := range gvrs {
		w, err := dyn.Resource(gvr).Namespace(ns).Watch(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("watch %s: %v", gvr, err)
		}
		t.Cleanup(w.Stop)
		go func() {
			for ev := range w.ResultChan() {
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok || (ev.Type != watch.Added && ev.Type != watch.Modified) {
					continue
				}
				key := u.GetKind() + "/" + u.GetName()
				mu.Lock()
				events[key]++
				if causes[key] == nil {
					causes[key] = map[string]int{}
				}
				what := "created"
				if prev := last[key]; prev != nil {
					what = changed(prev, u)
				}
				causes[key][what]++
				timeline = append(timeline, fmt.Sprintf("%6.1fs %s %s", time.Since(start).Seconds(), key, what))
				last[key] = u
				mu.Unlock()
			}
		}()
	}
	applied := time.Now()
	if err := r.Apply(ctx, xdocrYAML(ns, "x00", "churn-x00", "acct-000")); err != nil {
		t.Fatal(err)
	}
	readyAt, mrsAt := waitAll(t, r, ns, 1, applied, 10*time.Minute)
	time.Sleep(60 * time.Second) // what follows Ready counts too (the breaker's bucket refills at 1/s)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("MEASURED: XR Ready after %s, composed resources Ready after %s", readyAt["x00"].Round(100*time.Millisecond), mrsAt.Round(100*time.Millisecond))
	keys := make([]string, 0, len(events))
	for k := range events {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	total, composed := 0, 0
	for _, k := range keys {
		var parts []string
		for what, n := range causes[k] {
			parts = append(parts, fmt.Sprintf("%s×%d", what, n))
		}
		sort.Strings(parts)
		t.Logf("CHURN: %-60s %3d events: %s", k, events[k], strings.Join(parts, ", "))
		total += events[k]
		if !strings.HasPrefix(k, "XDOCR/") && !strings.HasPrefix(k, "Secret/") {
			composed += events[k]
		}
	}
	t.Logf("MEASURED: %d watch events in all, %d of them from composed managed resources", total, composed)
	for _, l := range timeline {
		t.Log("TIMELINE: " + l)
	}
}

// changed names the parts of an object that differ between two versions of it.
func changed(a, b *unstructured.Unstructured) string {
	var out []string
	am, bm := a.GetAnnotations(), b.GetAnnotations()
	for k := range union(am, bm) {
		if am[k] != bm[k] {
			out = append(out, "annotation "+k)
		}
	}
	al, bl := a.GetLabels(), b.GetLabels()
	for k := range union(al, bl) {
		if al[k] != bl[k] {
			out = append(out, "label "+k)
		}
	}
	if !reflect.DeepEqual(a.GetFinalizers(), b.GetFinalizers()) {
		out = append(out, "finalizers")
	}
	if !reflect.DeepEqual(a.GetOwnerReferences(), b.GetOwnerReferences()) {
		out = append(out, "ownerReferences")
	}
	for _, f := range []string{"spec", "data", "type"} {
		if !reflect.DeepEqual(a.Object[f], b.Object[f]) {
			out = append(out, f)
		}
	}
	as, _, _ := unstructured.NestedMap(a.Object, "status")
	bs, _, _ := unstructured.NestedMap(b.Object, "status")
	for k := range union(as, bs) {
		if k == "conditions" {
			ac, _ := as[k].([]any)
			bc, _ := bs[k].([]any)
			out = append(out, condChange(ac, bc)...)
			continue
		}
		if !reflect.DeepEqual(as[k], bs[k]) {
			out = append(out, "status."+k)
		}
	}
	if len(out) == 0 {
		return "nothing but metadata (managedFields/resourceVersion)"
	}
	sort.Strings(out)
	return strings.Join(out, "+")
}

func condChange(a, b []any) []string {
	idx := func(cs []any) map[string]map[string]any {
		m := map[string]map[string]any{}
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			typ, _ := cm["type"].(string)
			m[typ] = cm
		}
		return m
	}
	am, bm := idx(a), idx(b)
	var out []string
	for k := range union(am, bm) {
		ac, bc := am[k], bm[k]
		switch {
		case ac == nil:
			out = append(out, fmt.Sprintf("condition %s=%v/%v", k, bc["status"], bc["reason"]))
		case bc == nil:
			out = append(out, "condition "+k+" removed")
		case ac["status"] != bc["status"] || ac["reason"] != bc["reason"]:
			out = append(out, fmt.Sprintf("condition %s=%v/%v", k, bc["status"], bc["reason"]))
		case !reflect.DeepEqual(ac, bc):
			out = append(out, "condition "+k+" (message/time/generation only)")
		}
	}
	return out
}

func union[V any](a, b map[string]V) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}
