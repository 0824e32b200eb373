package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/cronslot"
)

var doRegistryName = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// FuzzRunFunction feeds arbitrary specs (and an arbitrary observed registry) to the
// function. It must never panic or return an error; malformed input must give a Fatal
// result with nothing composed; anything it composes must be well-formed. The seeds run
// in plain `go test`; `go test -fuzz FuzzRunFunction ./functions/docr/` explores further.
func FuzzRunFunction(f *testing.F) {
	for _, ex := range []string{"xdocr.yaml", "xdocr-minimal.yaml", "xdocr-global.yaml", "xdocr-removal.yaml"} {
		b, err := os.ReadFile("../../examples/" + ex)
		if err != nil {
			f.Fatal(err)
		}
		var o map[string]any
		if err := yaml.Unmarshal(b, &o); err != nil {
			f.Fatal(err)
		}
		spec, _ := json.Marshal(o["spec"])
		f.Add(spec, []byte(`{"spec":{"forProvider":{"region":"fra1","deletionProtection":true}},"status":{"atProvider":{"uuid":"u","storageUsageBytes":12}}}`))
		f.Add(spec, []byte(`{}`))
	}
	for _, s := range []string{
		`null`, `"spec"`, `42`, `[]`, `{}`, `{"registryName":"a","regions":["nyc3"]}`,
		`{"registryName":"a","regions":"nyc3"}`, `{"registryName":7,"regions":["nyc3"]}`,
		`{"registryName":"a","regions":[null,"nyc3",{"x":1}]}`,
		`{"registryName":"a","regions":["nyc3"],"clusters":[{"id":"6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d","region":"tor1","pull":"All"},null,[]]}`,
		`{"registryName":"a","regions":["nyc3","ams3"],"garbageCollection":{"schedule":"*/7 */5 1-31/3 * 1-5","window":"1ns","maxDuration":"1ns"}}`,
		`{"registryName":"a","regions":["nyc3"],"garbageCollection":{"schedule":"@every 1h"}}`,
		`{"registryName":"a","regions":["nyc3"],"retention":{"keepLast":1e300,"olderThan":"9999999999h"}}`,
		`{"registryName":"a","regions":["nyc3"],"retention":{"keepLast":"NaN"},"pullSecret":{"name":"","expiry":"-1h"}}`,
		`{"registryName":"a","regions":["nyc3"],"garbageCollection":{"schedule":"0 3 * * 0","timeZone":"../../etc/passwd"}}`,
	} {
		f.Add([]byte(s), []byte(`null`))
	}

	f.Fuzz(func(t *testing.T, specJSON, observedJSON []byte) {
		spec := &structpb.Value{}
		if err := spec.UnmarshalJSON(specJSON); err != nil {
			t.Skip("not JSON")
		}
		x := &structpb.Struct{Fields: map[string]*structpb.Value{
			"apiVersion": structpb.NewStringValue("docr.digitalocean.crossplane.io/v1alpha1"),
			"kind":       structpb.NewStringValue("XDOCR"),
			"spec":       spec,
		}}
		var observed map[string]*fnv1.Resource
		if o := (&structpb.Struct{}); o.UnmarshalJSON(observedJSON) == nil {
			observed = map[string]*fnv1.Resource{"registry-fra1": {Resource: o}, "gc-nyc3": {Resource: o}}
		}

		began := time.Now()
		rsp, err := newTestFunction().RunFunction(context.Background(), request(x, observed))
		if d := time.Since(began); d > 2*time.Second {
			t.Fatalf("RunFunction took %s for %s", d, specJSON)
		}
		if err != nil {
			t.Fatalf("RunFunction returned an error: %v", err)
		}
		if m := fatal(rsp); m != "" {
			if len(rsp.GetDesired().GetResources()) != 0 {
				t.Fatalf("Fatal result %q came with desired resources", m)
			}
			return
		}
		if malformed(spec) {
			t.Fatalf("malformed spec %s gave no Fatal result", specJSON)
		}
		checkComposed(t, rsp)
	})
}

// malformed reports input the function must refuse whatever else it holds.
func malformed(spec *structpb.Value) bool {
	s := spec.GetStructValue()
	if s == nil {
		return true
	}
	name, ok := s.GetFields()["registryName"].GetKind().(*structpb.Value_StringValue)
	if !ok || !doRegistryName.MatchString(name.StringValue) {
		return true
	}
	regions := s.GetFields()["regions"].GetListValue().GetValues()
	if len(regions) == 0 || len(regions) > 10 {
		return true
	}
	for _, r := range regions {
		if _, ok := r.GetKind().(*structpb.Value_StringValue); !ok {
			return true
		}
	}
	return false
}

// checkComposed checks what any successful run must compose.
func checkComposed(t *testing.T, rsp *fnv1.RunFunctionResponse) {
	t.Helper()
	registries, subscriptions := 0, 0
	for key, r := range rsp.GetDesired().GetResources() {
		f := r.GetResource().GetFields()
		name := f["metadata"].GetStructValue().GetFields()["name"].GetStringValue()
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Errorf("%s: metadata.name %q: %v", key, name, errs)
		}
		if f["apiVersion"].GetStringValue() == "" || f["kind"].GetStringValue() == "" {
			t.Errorf("%s: no apiVersion or kind", key)
		}
		if r.GetReady() != fnv1.Ready_READY_TRUE && r.GetReady() != fnv1.Ready_READY_FALSE {
			t.Errorf("%s: readiness %v, want TRUE or FALSE", key, r.GetReady())
		}
		fp := f["spec"].GetStructValue().GetFields()["forProvider"].GetStructValue().GetFields()
		switch f["kind"].GetStringValue() {
		case "Registry":
			registries++
			if !doRegistryName.MatchString(name) {
				t.Errorf("%s: %q is not a DigitalOcean registry name", key, name)
			}
		case "Subscription":
			subscriptions++
		case "GarbageCollectionSchedule", "RetentionPolicy":
			if _, err := cronslot.Parse(fp["schedule"].GetStringValue()); err != nil {
				t.Errorf("%s: composed schedule: %v", key, err)
			}
		}
	}
	if registries < 1 || registries > 10 || subscriptions != 1 {
		t.Errorf("composed %d registries and %d subscriptions", registries, subscriptions)
	}
}

// FuzzEstate builds specs and observed state from the fuzzer's bytes out of plausible
// parts (real and unknown regions, cron expressions, durations, removed regions holding
// images or not, integrations being replaced), reaching far more of the function than
// random JSON does. Besides the checks of FuzzRunFunction, every Usage must name a
// composed user, and registries must never exceed ten.
func FuzzEstate(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("a three region estate with clusters"))
	f.Add([]byte{255, 254, 253, 0, 0, 0, 17, 42, 99, 3, 3, 3, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &byteSource{data: data}
		regionPool := []string{"nyc3", "ams3", "sgp1", "fra1", "sfo3", "syd1", "blr1", "sfo2", "lon1", "tor1", "mars1", "NYC3"}
		crons := []string{"0 3 * * 0", "30 23 * * 6", "@weekly", "@daily", "0 * * * *", "*/15 * * * *", "0 23 28 * *", "10,50 3 * * 0", "0 0 1 1 *", "bad", "0 3 * * 1-5"}
		durations := []string{"1h", "30m", "2h", "0s", "1ns", "15m", "24h", "x"}

		spec := map[string]any{"registryName": b.pick([]string{"acme", "acme-shop", "A", "-x", strings.Repeat("a", 58), strings.Repeat("b", 60)})}
		var regs []any
		for range b.n(11) {
			regs = append(regs, b.pick(regionPool))
		}
		spec["regions"] = regs
		if b.bit() {
			spec["tier"] = b.pick([]string{"starter", "basic", "professional", "gold"})
		}
		spec["deletionProtection"] = b.bit()
		spec["allowRegistryRemoval"] = b.bit()
		var clusters []any
		for i := range b.n(4) {
			clusters = append(clusters, map[string]any{
				"id":     fmt.Sprintf("00000000-0000-4000-8000-%012d", i+b.n(2)),
				"region": b.pick(append(regionPool, "atl1", "nyc1")),
				"pull":   b.pick([]string{"Local", "All", "Local", "Some"}),
			})
		}
		spec["clusters"] = clusters
		if b.bit() {
			spec["garbageCollection"] = map[string]any{"schedule": b.pick(crons), "window": b.pick(durations), "maxDuration": b.pick(durations)}
		}
		if b.bit() {
			spec["retention"] = map[string]any{"keepLast": float64(b.n(30)), "protect": []any{b.pick([]string{"^v1$", "(", "x"})}}
		}
		if b.bit() {
			spec["pullSecret"] = map[string]any{"name": b.pick([]string{"pull", "Pull_Secret"})}
		}
		sv, err := structpb.NewStruct(spec)
		if err != nil {
			t.Fatal(err)
		}

		observed := map[string]*fnv1.Resource{}
		for range b.n(4) {
			region := b.pick(regionPool)
			name := spec["registryName"].(string) + "-" + region
			if b.n(8) == 0 {
				name = "renamed-" + region
			}
			st, _ := structpb.NewStruct(map[string]any{
				"metadata": map[string]any{"name": name},
				"spec":     map[string]any{"forProvider": map[string]any{"region": region, "deletionProtection": b.bit()}},
				"status": map[string]any{
					"atProvider": map[string]any{"uuid": "u", "storageUsageBytes": float64(b.n(3) * 1000)},
					"conditions": []any{map[string]any{"type": "Ready", "status": b.pick([]string{"True", "False"})}},
				},
			})
			observed[prefixRegistry+region] = &fnv1.Resource{Resource: st}
		}
		if len(clusters) > 0 && b.bit() {
			id := clusters[0].(map[string]any)["id"].(string)
			prev := integrationID(id, []string{"acme-old"})
			st, _ := structpb.NewStruct(map[string]any{
				"metadata": map[string]any{"name": "acme-" + prev},
				"spec":     map[string]any{"forProvider": map[string]any{"clusterID": id, "registryRefs": []any{map[string]any{"name": "acme-old"}}}},
			})
			observed[prefixIntegration+prev] = &fnv1.Resource{Resource: st}
		}

		x := xr(t, "{}")
		x.Fields["spec"] = structpb.NewStructValue(sv)
		rsp, err := newTestFunction().RunFunction(context.Background(), request(x, observed))
		if err != nil {
			t.Fatalf("RunFunction: %v", err)
		}
		if m := fatal(rsp); m != "" {
			if len(rsp.GetDesired().GetResources()) != 0 {
				t.Fatalf("Fatal result %q came with desired resources", m)
			}
			return
		}
		checkComposed(t, rsp)
		names := map[string]bool{}
		for _, r := range rsp.GetDesired().GetResources() {
			m := r.GetResource().AsMap()
			names[at(m, "kind").(string)+"/"+at(m, "metadata.name").(string)] = true
		}
		for key, r := range rsp.GetDesired().GetResources() {
			m := r.GetResource().AsMap()
			if at(m, "kind") == "Usage" && !names[at(m, "spec.by.kind").(string)+"/"+at(m, "spec.by.resourceRef.name").(string)] {
				t.Errorf("%s: a Usage by an object that is not composed", key)
			}
		}
	})
}

// byteSource hands out choices from the fuzzer's bytes, zero once they run out.
type byteSource struct {
	data []byte
	i    int
}

func (b *byteSource) next() int {
	if b.i >= len(b.data) {
		return 0
	}
	b.i++
	return int(b.data[b.i-1])
}

func (b *byteSource) n(max int) int             { return b.next() % (max + 1) }
func (b *byteSource) bit() bool                 { return b.next()%2 == 1 }
func (b *byteSource) pick(from []string) string { return from[b.next()%len(from)] }
