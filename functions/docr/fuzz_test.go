package main

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
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
