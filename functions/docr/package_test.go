package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/xdocr"
	"github.com/crossplane-contrib/provider-docr/internal/regions"
)

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestXRDAgreesWithFunction keeps the XRD's validation in step with the function and the
// one region table: the XRD rejects early what the function would refuse anyway.
func TestXRDAgreesWithFunction(t *testing.T) {
	xrd := readYAML(t, "../../package/configuration/definition.yaml")
	spec := at(xrd, "spec.versions.0.schema.openAPIV3Schema.properties.spec.properties").(map[string]any)
	strs := func(v any) []string {
		var out []string
		for _, s := range v.([]any) {
			out = append(out, s.(string))
		}
		return out
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"scope", at(xrd, "spec.scope"), "Namespaced"},
		{"group", at(xrd, "spec.group"), "docr.digitalocean.crossplane.io"},
		{"kind", at(xrd, "spec.names.kind"), "XDOCR"},
		{"version", at(xrd, "spec.versions.0.name"), "v1alpha1"},
		{"registryName maxLength", at(spec, "registryName.maxLength"), float64(xdocr.MaxRegistryNameBase())},
		{"regions enum", strs(at(spec, "regions.items.enum")), regions.Registry()},
		{"regions maxItems", at(spec, "regions.maxItems"), float64(xdocr.MaxRegions)},
		{"cluster regions enum", strs(at(spec, "clusters.items.properties.region.enum")), regions.Kubernetes()},
		{"clusters maxItems", at(spec, "clusters.maxItems"), float64(xdocr.MaxClusters)},
		{"retention schedule default", at(spec, "retention.properties.schedule.default"), xdocr.DefaultRetentionSchedule},
		{"deletionProtection default", at(spec, "deletionProtection.default"), true},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s: -want +got:\n%s", c.what, diff)
		}
	}

	// The XRD's defaults give the same spec as the function's own defaults.
	gc := at(spec, "garbageCollection.properties").(map[string]any)
	withDefaults := `{registryName: a, regions: [nyc3], garbageCollection: {schedule: "0 3 * * 0", timeZone: ` + at(gc, "timeZone.default").(string) +
		`, type: ` + at(gc, "type.default").(string) + `, quietPeriod: ` + at(gc, "quietPeriod.default").(string) +
		`, window: ` + at(gc, "window.default").(string) + `, maxDuration: ` + at(gc, "maxDuration.default").(string) + `}}`
	bare, p1 := xdocr.Parse(xr(t, `{registryName: a, regions: [nyc3], garbageCollection: {schedule: "0 3 * * 0"}}`))
	full, p2 := xdocr.Parse(xr(t, withDefaults))
	if p1 != nil || p2 != nil {
		t.Fatalf("problems: %v %v", p1, p2)
	}
	if diff := cmp.Diff(*bare.GarbageCollection, *full.GarbageCollection, cmp.Comparer(func(a, b interface{ String() string }) bool { return a.String() == b.String() })); diff != "" {
		t.Errorf("XRD defaults differ from the function's: -function +XRD:\n%s", diff)
	}

	// Every field, in spec and status, says what it is for.
	var walk func(path string, schema map[string]any)
	walk = func(path string, schema map[string]any) {
		props, _ := schema["properties"].(map[string]any)
		for name, p := range props {
			p := p.(map[string]any)
			if d, _ := p["description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("%s.%s has no description", path, name)
			}
			walk(path+"."+name, p)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			walk(path+"[]", items)
		}
	}
	walk("", at(xrd, "spec.versions.0.schema.openAPIV3Schema").(map[string]any))
}

// TestPackagesAgree checks the names the packages use for each other (docs/function.md
// lists them): the Composition calls the Function object Crossplane creates for the
// Configuration's function dependency.
func TestPackagesAgree(t *testing.T) {
	cfg := readYAML(t, "../../package/configuration/crossplane.yaml")
	comp := readYAML(t, "../../package/configuration/composition.yaml")
	fn := readYAML(t, "../../package/function/crossplane.yaml")
	checks := []struct {
		what      string
		got, want any
	}{
		{"configuration kind", at(cfg, "kind"), "Configuration"},
		{"provider dependency", at(cfg, "spec.dependsOn.0.provider"), "xpkg.crossplane.io/crossplane-contrib/provider-docr"},
		{"function dependency", at(cfg, "spec.dependsOn.1.function"), "xpkg.crossplane.io/crossplane-contrib/function-docr"},
		{"function package kind", at(fn, "kind"), "Function"},
		{"function package name", at(fn, "metadata.name"), "function-docr"},
		{"composition type", at(comp, "spec.compositeTypeRef.kind"), "XDOCR"},
		{"composition mode", at(comp, "spec.mode"), "Pipeline"},
		{"composition function", at(comp, "spec.pipeline.0.functionRef.name"), "crossplane-contrib-function-docr"},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s: -want +got:\n%s", c.what, diff)
		}
	}
}
