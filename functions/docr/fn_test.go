package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

func TestRunFunction(t *testing.T) {
	type want struct {
		rsp *fnv1.RunFunctionResponse
		err error
	}
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   want
	}{
		"OneRegionNothingObserved": {
			reason: "One region needs only the starter tier; nothing observed yet means nothing is ready.",
			req:    request(xr(t, `{registryName: acme-tools, regions: [fra1]}`), nil),
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Tag: "test", Ttl: durationpb.New(60e9)},
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: mustStruct(t, `
apiVersion: docr.digitalocean.crossplane.io/v1alpha1
kind: XDOCR
status:
  tier: starter
  registries:
  - {region: fra1, registryName: acme-tools-fra1, state: Active, ready: false, readOnly: false, storageUsageBytes: 0}
  clusters: []
`)},
					Resources: map[string]*fnv1.Resource{
						"subscription": {Ready: fnv1.Ready_READY_FALSE, Resource: mustStruct(t, `
apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: Subscription
metadata: {name: acme-tools-subscription}
spec:
  forProvider: {tier: starter, policy: AtLeast}
`)},
						"registry-fra1": {Ready: fnv1.Ready_READY_FALSE, Resource: mustStruct(t, `
apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: Registry
metadata:
  name: acme-tools-fra1
spec:
  forProvider: {region: fra1, deletionProtection: true}
`)},
					},
				},
			}},
		},
		"InvalidSpecIsFatal": {
			reason: "Input the function cannot act on gives one Fatal result naming every field, and no desired state.",
			req:    request(xr(t, `{registryName: Acme, regions: []}`), nil),
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Tag: "test", Ttl: durationpb.New(60e9)},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL,
					Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
					Message: `invalid XDOCR: spec.regions: at least one region is required; list DOCR regions, the first is primary ` +
						`(available: ams3, blr1, fra1, nyc3, sfo2, sfo3, sgp1, syd1); spec.registryName: "Acme" breaks DigitalOcean's naming rules: ` +
						`use lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit`,
				}},
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := newTestFunction().RunFunction(context.Background(), tc.req)
			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.err, err); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want err, +got err:\n%s", tc.reason, diff)
			}
		})
	}
}

// run calls RunFunction and fails the test on an error.
func run(t *testing.T, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := newTestFunction().RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction: %v", err)
	}
	return rsp
}

// fatal returns the Fatal result's message, or "".
func fatal(rsp *fnv1.RunFunctionResponse) string {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return r.GetMessage()
		}
	}
	return ""
}

func results(rsp *fnv1.RunFunctionResponse, s fnv1.Severity) []string {
	var out []string
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == s {
			out = append(out, r.GetMessage())
		}
	}
	return out
}

func mustOK(t *testing.T, rsp *fnv1.RunFunctionResponse) {
	t.Helper()
	if m := fatal(rsp); m != "" {
		t.Fatalf("unexpected Fatal result: %s", m)
	}
}

// field reads a dotted path (list indexes as numbers) from a desired resource.
func field(t *testing.T, rsp *fnv1.RunFunctionResponse, resource, path string) any {
	t.Helper()
	r, ok := rsp.GetDesired().GetResources()[resource]
	if !ok {
		t.Fatalf("no desired resource %q", resource)
	}
	return at(r.GetResource().AsMap(), path)
}

func at(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func xrStatus(rsp *fnv1.RunFunctionResponse) map[string]any {
	s, _ := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
	return s
}

func TestComposedKinds(t *testing.T) {
	rsp := run(t, request(exampleXR(t, "../../examples/xdocr.yaml"), nil))
	mustOK(t, rsp)
	got := map[string]string{}
	for name, r := range rsp.GetDesired().GetResources() {
		got[name] = r.GetResource().GetFields()["kind"].GetStringValue()
	}
	// Integrations are named after their cluster and set of registries.
	in1 := integrationID("6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d", []string{"acme-shop-nyc3"})
	in2 := integrationID("0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a", []string{"acme-shop-ams3"})
	in3 := integrationID("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", []string{"acme-shop-nyc3", "acme-shop-ams3", "acme-shop-sgp1"})
	want := map[string]string{
		"subscription":                       "Subscription",
		"registry-nyc3":                      "Registry",
		"registry-ams3":                      "Registry",
		"registry-sgp1":                      "Registry",
		"gc-nyc3":                            "GarbageCollectionSchedule",
		"gc-ams3":                            "GarbageCollectionSchedule",
		"gc-sgp1":                            "GarbageCollectionSchedule",
		"retention-nyc3":                     "RetentionPolicy",
		"retention-ams3":                     "RetentionPolicy",
		"retention-sgp1":                     "RetentionPolicy",
		"pull-credentials":                   "DockerCredentials",
		"integration-" + in1:                 "RegistryIntegration",
		"integration-" + in2:                 "RegistryIntegration",
		"integration-" + in3:                 "RegistryIntegration",
		"usage-gc-nyc3":                      "Usage",
		"usage-gc-ams3":                      "Usage",
		"usage-gc-sgp1":                      "Usage",
		"usage-retention-nyc3":               "Usage",
		"usage-retention-ams3":               "Usage",
		"usage-retention-sgp1":               "Usage",
		"usage-integration-" + in1 + "-nyc3": "Usage",
		"usage-integration-" + in2 + "-ams3": "Usage",
		"usage-integration-" + in3 + "-nyc3": "Usage",
		"usage-integration-" + in3 + "-ams3": "Usage",
		"usage-integration-" + in3 + "-sgp1": "Usage",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("composed resources: -want +got:\n%s", diff)
	}

	// Field by field, what the example asks for reaches each kind.
	checks := []struct {
		resource, path string
		want           any
	}{
		{"subscription", "spec.forProvider.tier", "professional"},
		{"subscription", "spec.forProvider.policy", "AtLeast"},
		{"registry-ams3", "metadata.name", "acme-shop-ams3"},
		{"registry-ams3", "spec.forProvider.region", "ams3"},
		{"registry-ams3", "spec.forProvider.deletionProtection", true},
		{"registry-ams3", "spec.providerConfigRef.kind", "ClusterProviderConfig"},
		{"gc-sgp1", "spec.forProvider.registryRef.name", "acme-shop-sgp1"},
		{"gc-sgp1", "spec.forProvider.type", "UntaggedManifestsAndUnreferencedBlobs"},
		{"gc-sgp1", "spec.forProvider.quietPeriod", "15m0s"},
		{"gc-sgp1", "spec.forProvider.maxDuration", "1h0m0s"},
		{"gc-sgp1", "spec.forProvider.window", "1h0m0s"},
		{"retention-nyc3", "spec.forProvider.registryRef.name", "acme-shop-nyc3"},
		{"retention-nyc3", "spec.forProvider.keepLast", float64(20)},
		{"retention-nyc3", "spec.forProvider.olderThan", "720h0m0s"},
		{"retention-nyc3", "spec.forProvider.protect.0", `^v\d+\.\d+\.\d+$`},
		{"retention-nyc3", "spec.forProvider.dryRun", true},
		{"retention-nyc3", "spec.forProvider.schedule", "0 1 * * *"},
		{"pull-credentials", "spec.writeConnectionSecretToRef.name", "docr-pull"},
		{"pull-credentials", "spec.forProvider.access", "Read"},
		{"pull-credentials", "spec.forProvider.registryRefs", []any{
			map[string]any{"name": "acme-shop-nyc3"}, map[string]any{"name": "acme-shop-ams3"}, map[string]any{"name": "acme-shop-sgp1"}}},
		{"integration-" + in2, "metadata.name", "acme-shop-" + in2},
		{"integration-" + in2, "spec.forProvider.clusterID", "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a"},
		{"integration-" + in2, "spec.forProvider.registryRefs", []any{map[string]any{"name": "acme-shop-ams3"}}},
		{"usage-gc-ams3", "spec.of.kind", "Registry"},
		{"usage-gc-ams3", "spec.of.resourceRef.name", "acme-shop-ams3"},
		{"usage-gc-ams3", "spec.by.kind", "GarbageCollectionSchedule"},
		{"usage-gc-ams3", "spec.by.resourceRef.name", "acme-shop-ams3-gc"},
		{"usage-gc-ams3", "spec.replayDeletion", true},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, field(t, rsp, c.resource, c.path)); diff != "" {
			t.Errorf("%s %s: -want +got:\n%s", c.resource, c.path, diff)
		}
	}
}

// TestUsagesOrderEveryDependency checks, for every example, that each composed object
// referring to a registry is the "by" of a Usage whose "of" is that registry, and that
// every Usage names objects that are composed.
func TestUsagesOrderEveryDependency(t *testing.T) {
	for _, ex := range []string{"xdocr.yaml", "xdocr-minimal.yaml", "xdocr-global.yaml", "xdocr-removal.yaml"} {
		t.Run(ex, func(t *testing.T) {
			rsp := run(t, request(exampleXR(t, "../../examples/"+ex), nil))
			mustOK(t, rsp)
			names := map[string]string{} // kind/name -> composition resource name
			type edge struct{ byKind, by, of string }
			needed, usages := map[edge]bool{}, map[edge]bool{}
			for key, r := range rsp.GetDesired().GetResources() {
				m := r.GetResource().AsMap()
				kind, name := at(m, "kind").(string), at(m, "metadata.name").(string)
				names[kind+"/"+name] = key
				if kind == "Usage" {
					usages[edge{at(m, "spec.by.kind").(string), at(m, "spec.by.resourceRef.name").(string), at(m, "spec.of.resourceRef.name").(string)}] = true
					if at(m, "spec.of.kind") != "Registry" {
						t.Errorf("%s: a Usage of a %v", key, at(m, "spec.of.kind"))
					}
					continue
				}
				if kind == "DockerCredentials" {
					continue // issued, not created, at DigitalOcean: nothing to order (see compose.go)
				}
				if ref, ok := at(m, "spec.forProvider.registryRef.name").(string); ok {
					needed[edge{kind, name, ref}] = true
				}
				refs, _ := at(m, "spec.forProvider.registryRefs").([]any)
				for _, r := range refs {
					needed[edge{kind, name, r.(map[string]any)["name"].(string)}] = true
				}
			}
			for e := range needed {
				if !usages[e] {
					t.Errorf("%s %s refers to registry %s but no Usage orders their deletion", e.byKind, e.by, e.of)
				}
			}
			for e := range usages {
				if names[e.byKind+"/"+e.by] == "" || names["Registry/"+e.of] == "" {
					t.Errorf("Usage of %s by %s %s names an object that is not composed", e.of, e.byKind, e.by)
				}
			}
		})
	}
}

func TestStagger(t *testing.T) {
	cases := map[string]struct {
		reason    string
		spec      string
		want      map[string]string // GC resource -> schedule
		wantFatal string
	}{
		"WeeklyDefaults": {
			reason: "window 1h + maxDuration 1h: each region two hours after the previous.",
			spec:   `{registryName: a, regions: [nyc3, ams3, sgp1], garbageCollection: {schedule: "0 3 * * 0"}}`,
			want:   map[string]string{"gc-nyc3": "0 3 * * 0", "gc-ams3": "0 5 * * 0", "gc-sgp1": "0 7 * * 0"},
		},
		"CarriesMinutesHoursAndWeekday": {
			reason: "Saturday 23:30 shifted by 90 minutes is Sunday 01:00, then 02:30.",
			spec:   `{registryName: a, regions: [nyc3, ams3, sgp1], garbageCollection: {schedule: "30 23 * * 6", window: 30m, maxDuration: 1h}}`,
			want:   map[string]string{"gc-nyc3": "30 23 * * 6", "gc-ams3": "0 1 * * 0", "gc-sgp1": "30 2 * * 0"},
		},
		"DescriptorAndTimeZone": {
			reason: "@daily is midnight; the time zone passes through unchanged.",
			spec:   `{registryName: a, regions: [fra1, ams3], garbageCollection: {schedule: "@daily", timeZone: Europe/Amsterdam, window: 1h, maxDuration: 30m}}`,
			want:   map[string]string{"gc-fra1": "0 0 * * *", "gc-ams3": "30 1 * * *"},
		},
		"EightRegionsAcrossMidnight": {
			reason: "Eight regions three hours apart from Saturday 22:00 end on Sunday 19:00.",
			spec:   `{registryName: a, regions: [nyc3, sfo3, ams3, fra1, sgp1, blr1, syd1, sfo2], garbageCollection: {schedule: "0 22 * * 6", maxDuration: 2h}}`,
			want: map[string]string{"gc-nyc3": "0 22 * * 6", "gc-sfo3": "0 1 * * 0", "gc-ams3": "0 4 * * 0", "gc-fra1": "0 7 * * 0",
				"gc-sgp1": "0 10 * * 0", "gc-blr1": "0 13 * * 0", "gc-syd1": "0 16 * * 0", "gc-sfo2": "0 19 * * 0"},
		},
		"TooFrequentForAllRegions": {
			reason:    "Eight regions four hours apart need 32h, more than a daily schedule leaves.",
			spec:      `{registryName: a, regions: [nyc3, sfo3, ams3, fra1, sgp1, blr1, syd1, sfo2], garbageCollection: {schedule: "0 3 * * *", window: 2h, maxDuration: 2h}}`,
			wantFatal: `spec.garbageCollection.schedule: "0 3 * * *" runs every 24h0m0s, but 8 registries staggered by window + maxDuration (4h0m0s) need 32h0m0s between runs`,
		},
		"OverlapsItselfWithOneRegion": {
			reason:    "An hourly run of up to two hours would overlap the next one.",
			spec:      `{registryName: a, regions: [nyc3], garbageCollection: {schedule: "0 * * * *"}}`,
			wantFatal: `spec.garbageCollection.schedule: "0 * * * *" runs every 1h0m0s, but 1 registries staggered by window + maxDuration (2h0m0s) need 2h0m0s`,
		},
		"ShiftCronCannotExpress": {
			reason:    "The 28th at 23:00 plus two hours is the 29th, which February lacks.",
			spec:      `{registryName: a, regions: [nyc3, ams3], garbageCollection: {schedule: "0 23 28 * *"}}`,
			wantFatal: `spec.garbageCollection.schedule: cannot stagger the slot for a-ams3 (region 2 of 2): shifting "0 23 28 * *" by 2h0m0s: day-of-month 28 moves to 29, which not every month has`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := run(t, request(xr(t, tc.spec), nil))
			if tc.wantFatal != "" {
				if m := fatal(rsp); !strings.Contains(m, tc.wantFatal) {
					t.Fatalf("%s\nFatal = %q, want containing %q", tc.reason, m, tc.wantFatal)
				}
				if len(rsp.GetDesired().GetResources()) != 0 {
					t.Errorf("%s\na Fatal result must come without desired resources", tc.reason)
				}
				return
			}
			mustOK(t, rsp)
			got := map[string]string{}
			for name := range rsp.GetDesired().GetResources() {
				if strings.HasPrefix(name, prefixGC) {
					got[name] = field(t, rsp, name, "spec.forProvider.schedule").(string)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nschedules: -want +got:\n%s", tc.reason, diff)
			}
			// The status shows the same slots, one per registry, primary first.
			for _, s := range xrStatus(rsp)["garbageCollection"].([]any) {
				e := s.(map[string]any)
				region := e["registryName"].(string)[2:]
				if e["schedule"] != tc.want[prefixGC+region] {
					t.Errorf("status slot for %s = %v, want %s", region, e["schedule"], tc.want[prefixGC+region])
				}
			}
		})
	}
}

func TestNearestRegion(t *testing.T) {
	spec := `
registryName: acme
regions: [ams3, nyc3, sgp1]
clusters:
- {id: 00000000-0000-4000-8000-000000000001, region: tor1}
- {id: 00000000-0000-4000-8000-000000000002, region: lon1}
- {id: 00000000-0000-4000-8000-000000000003, region: blr1}
- {id: 00000000-0000-4000-8000-000000000004, region: nyc3}
- {id: 00000000-0000-4000-8000-000000000005, region: nyc1}
- {id: 00000000-0000-4000-8000-000000000006, region: atl1, pull: All}
`
	rsp := run(t, request(xr(t, spec), nil))
	mustOK(t, rsp)
	want := []any{
		map[string]any{"id": "00000000-0000-4000-8000-000000000001", "region": "tor1", "registries": []any{"acme-nyc3"}, "reason": "Nearest",
			"detail": "no registry in tor1; nyc3 is the nearest (550 km)"},
		map[string]any{"id": "00000000-0000-4000-8000-000000000002", "region": "lon1", "registries": []any{"acme-ams3"}, "reason": "Nearest",
			"detail": "no registry in lon1; ams3 is the nearest (358 km)"},
		map[string]any{"id": "00000000-0000-4000-8000-000000000003", "region": "blr1", "registries": []any{"acme-sgp1"}, "reason": "Nearest",
			"detail": "no registry in blr1; sgp1 is the nearest (3164 km)"},
		map[string]any{"id": "00000000-0000-4000-8000-000000000004", "region": "nyc3", "registries": []any{"acme-nyc3"}, "reason": "Local",
			"detail": "registry in the cluster's region nyc3"},
		map[string]any{"id": "00000000-0000-4000-8000-000000000005", "region": "nyc1", "registries": []any{"acme-nyc3"}, "reason": "Nearest",
			"detail": "no registry in nyc1; nyc3 is in the same metro area"},
		map[string]any{"id": "00000000-0000-4000-8000-000000000006", "region": "atl1", "registries": []any{"acme-ams3", "acme-nyc3", "acme-sgp1"}, "reason": "All",
			"detail": "pull: All wires every registry"},
	}
	if diff := cmp.Diff(want, xrStatus(rsp)["clusters"]); diff != "" {
		t.Errorf("status.clusters: -want +got:\n%s", diff)
	}
	// The integrations wire exactly what the status says.
	for _, c := range want {
		c := c.(map[string]any)
		var refs []any
		for _, r := range c["registries"].([]any) {
			refs = append(refs, map[string]any{"name": r})
		}
		if diff := cmp.Diff(refs, field(t, rsp, integrationKey(t, rsp, c["id"].(string)), "spec.forProvider.registryRefs")); diff != "" {
			t.Errorf("integration for %s: -want +got:\n%s", c["region"], diff)
		}
	}
}

// observedResource returns an observed composed resource with the given Ready status
// and extra status fields (YAML).
func observedResource(t *testing.T, ready string, statusYAML string) *fnv1.Resource {
	t.Helper()
	s := mustStruct(t, "kind: Whatever\nstatus: {}\n")
	st := mustStruct(t, "{"+statusYAML+"}")
	if ready != "" {
		st.Fields["conditions"] = mustStruct(t, `{c: [{type: Synced, status: "True"}, {type: Ready, status: "`+ready+`", reason: X}]}`).Fields["c"]
	}
	s.Fields["status"].Kind = structValue(st)
	return &fnv1.Resource{Resource: s}
}

func TestReadiness(t *testing.T) {
	spec := `{registryName: acme, regions: [nyc3, ams3], clusters: [{id: 00000000-0000-4000-8000-000000000001, region: nyc3}], garbageCollection: {schedule: "0 3 * * 0"}}`
	observed := map[string]*fnv1.Resource{
		"subscription":  observedResource(t, "True", ""),
		"registry-nyc3": observedResource(t, "True", `atProvider: {uuid: u1, endpoint: registry.digitalocean.com/acme-nyc3}`),
		"registry-ams3": observedResource(t, "False", ""),
		"gc-nyc3":       observedResource(t, "True", ""),
		"gc-ams3":       observedResource(t, "Unknown", ""),
		"usage-gc-nyc3": observedResource(t, "True", ""),
		"integration-" + integrationID("00000000-0000-4000-8000-000000000001", []string{"acme-nyc3"}): observedResource(t, "", ""), // no conditions yet
	}
	rsp := run(t, request(xr(t, spec), observed))
	mustOK(t, rsp)
	got := map[string]fnv1.Ready{}
	for name, r := range rsp.GetDesired().GetResources() {
		got[name] = r.GetReady()
	}
	want := map[string]fnv1.Ready{
		"subscription":  fnv1.Ready_READY_TRUE,
		"registry-nyc3": fnv1.Ready_READY_TRUE,
		"registry-ams3": fnv1.Ready_READY_FALSE,
		"gc-nyc3":       fnv1.Ready_READY_TRUE,
		"gc-ams3":       fnv1.Ready_READY_FALSE,
		"usage-gc-nyc3": fnv1.Ready_READY_TRUE,
		"usage-gc-ams3": fnv1.Ready_READY_FALSE, // not observed yet
		"integration-" + integrationID("00000000-0000-4000-8000-000000000001", []string{"acme-nyc3"}):                 fnv1.Ready_READY_FALSE,
		"usage-integration-" + integrationID("00000000-0000-4000-8000-000000000001", []string{"acme-nyc3"}) + "-nyc3": fnv1.Ready_READY_FALSE,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readiness: -want +got:\n%s", diff)
	}
}

func TestStatus(t *testing.T) {
	spec := `{registryName: acme, regions: [nyc3, ams3], garbageCollection: {schedule: "0 3 * * 0", timeZone: America/New_York}, pullSecret: {name: docr-pull}}`
	observed := map[string]*fnv1.Resource{
		"registry-nyc3": observedResource(t, "True", `atProvider: {uuid: u1, endpoint: registry.digitalocean.com/acme-nyc3, storageUsageBytes: 1048576, readOnly: true}`),
		"registry-ams3": observedResource(t, "False", `atProvider: {uuid: u2, endpoint: registry.digitalocean.com/acme-ams3}`),
	}
	rsp := run(t, request(xr(t, spec), observed))
	mustOK(t, rsp)
	want := map[string]any{
		"tier":            "professional",
		"primaryEndpoint": "registry.digitalocean.com/acme-nyc3",
		"pullSecretName":  "docr-pull",
		"registries": []any{
			map[string]any{"region": "nyc3", "registryName": "acme-nyc3", "state": "Active", "endpoint": "registry.digitalocean.com/acme-nyc3",
				"ready": true, "readOnly": true, "storageUsageBytes": float64(1048576)},
			map[string]any{"region": "ams3", "registryName": "acme-ams3", "state": "Active", "endpoint": "registry.digitalocean.com/acme-ams3",
				"ready": false, "readOnly": false, "storageUsageBytes": float64(0)},
		},
		"clusters": []any{},
		// The fake clock is Sunday 2026-11-22 07:00 UTC, 02:00 in New York: nyc3's 03:00 slot
		// is an hour away; ams3's 05:00 slot is at 10:00 UTC.
		"garbageCollection": []any{
			map[string]any{"registryName": "acme-nyc3", "schedule": "0 3 * * 0", "timeZone": "America/New_York", "nextSlot": "2026-11-22T08:00:00Z"},
			map[string]any{"registryName": "acme-ams3", "schedule": "0 5 * * 0", "timeZone": "America/New_York", "nextSlot": "2026-11-22T10:00:00Z"},
		},
	}
	if diff := cmp.Diff(want, xrStatus(rsp)); diff != "" {
		t.Errorf("status: -want +got:\n%s", diff)
	}
}

func TestStatusKeepsEarlierSteps(t *testing.T) {
	req := request(xr(t, `{registryName: acme, regions: [nyc3]}`), nil)
	req.Desired = &fnv1.State{
		Composite: &fnv1.Resource{Resource: mustStruct(t, `{status: {fromEarlierStep: kept}}`)},
		Resources: map[string]*fnv1.Resource{"earlier": {Resource: mustStruct(t, `{kind: ConfigMap}`)}},
	}
	rsp := run(t, req)
	mustOK(t, rsp)
	if got := xrStatus(rsp)["fromEarlierStep"]; got != "kept" {
		t.Errorf("status.fromEarlierStep = %v, want kept", got)
	}
	if xrStatus(rsp)["tier"] != "starter" {
		t.Errorf("status.tier = %v, want starter", xrStatus(rsp)["tier"])
	}
	if _, ok := rsp.GetDesired().GetResources()["earlier"]; !ok {
		t.Error("a resource an earlier step composed was dropped")
	}
}

func TestProviderConfigRef(t *testing.T) {
	cases := map[string]struct {
		spec string
		want any
	}{
		"OmittedLeavesTheDefault": {spec: `{registryName: acme, regions: [nyc3]}`, want: nil},
		"NamespacedProviderConfig": {
			spec: `{registryName: acme, regions: [nyc3], providerConfigRef: {kind: ProviderConfig, name: team-a}}`,
			want: map[string]any{"kind": "ProviderConfig", "name": "team-a"},
		},
		"KindDefaultsToCluster": {
			spec: `{registryName: acme, regions: [nyc3], providerConfigRef: {name: shared}}`,
			want: map[string]any{"kind": "ClusterProviderConfig", "name": "shared"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := run(t, request(xr(t, tc.spec), nil))
			mustOK(t, rsp)
			for _, r := range []string{"subscription", "registry-nyc3"} {
				if diff := cmp.Diff(tc.want, field(t, rsp, r, "spec.providerConfigRef")); diff != "" {
					t.Errorf("%s providerConfigRef: -want +got:\n%s", r, diff)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	const ok = `registryName: acme
regions: [nyc3, ams3]
`
	cases := map[string]struct {
		spec string
		want []string // substrings of the Fatal message, each naming a field and a fix
	}{
		"NoSpec":                     {spec: "", want: []string{"spec: is required; set at least spec.registryName and spec.regions"}},
		"NoRegions":                  {spec: `{registryName: acme, regions: []}`, want: []string{"spec.regions: at least one region is required; list DOCR regions"}},
		"RegionsMissing":             {spec: `{registryName: acme}`, want: []string{"spec.regions: at least one region is required"}},
		"DuplicateRegion":            {spec: `{registryName: acme, regions: [nyc3, ams3, nyc3]}`, want: []string{`spec.regions[2]: "nyc3" is listed twice (also spec.regions[0]); list each region once`}},
		"UnknownRegion":              {spec: `{registryName: acme, regions: [nyc3, mars1]}`, want: []string{`spec.regions[1]: "mars1" is not a DOCR region; use one of ams3, blr1, fra1, nyc3, sfo2, sfo3, sgp1, syd1`}},
		"RegionWithoutRegistries":    {spec: `{registryName: acme, regions: [lon1]}`, want: []string{`spec.regions[0]: "lon1" runs DOKS clusters but offers no container registry; use the nearest registry region ams3`}},
		"MoreThanTenRegions":         {spec: `{registryName: acme, regions: [nyc3, ams3, sgp1, fra1, sfo3, syd1, blr1, sfo2, nyc3, ams3, sgp1]}`, want: []string{"spec.regions: lists 11 regions; DigitalOcean allows at most 10 registries per account: remove 1"}},
		"TierAllowsOneRegistry":      {spec: ok + `tier: basic`, want: []string{"spec.tier: basic allows 1 registry but spec.regions lists 2; set tier: professional or remove spec.tier"}},
		"StarterAllowsOneRegistry":   {spec: ok + `tier: starter`, want: []string{"spec.tier: starter allows 1 registry but spec.regions lists 2"}},
		"UnknownTier":                {spec: ok + `tier: gold`, want: []string{`spec.tier: "gold" is not a tier; use starter, basic or professional`}},
		"RegistryNameTooLong":        {spec: `{registryName: ` + strings.Repeat("a", 59) + `, regions: [nyc3]}`, want: []string{"spec.registryName: registry \"" + strings.Repeat("a", 59) + "-nyc3\" would be 64 characters; DigitalOcean allows 63: shorten registryName to at most 58 characters"}},
		"RegistryNameUppercase":      {spec: `{registryName: Acme, regions: [nyc3]}`, want: []string{`spec.registryName: "Acme" breaks DigitalOcean's naming rules: use lowercase letters, digits and hyphens, starting with a letter`}},
		"RegistryNameStartsDigit":    {spec: `{registryName: 9acme, regions: [nyc3]}`, want: []string{`spec.registryName: "9acme" breaks DigitalOcean's naming rules`}},
		"RegistryNameEndsHyphen":     {spec: `{registryName: acme-, regions: [nyc3]}`, want: []string{`spec.registryName: "acme-" breaks DigitalOcean's naming rules`}},
		"RegistryNameMissing":        {spec: `{regions: [nyc3]}`, want: []string{"spec.registryName: is required; registries are named <registryName>-<region>"}},
		"BadClusterUUID":             {spec: ok + `clusters: [{id: not-a-uuid, region: nyc1}]`, want: []string{`spec.clusters[0].id: "not-a-uuid" is not a cluster UUID; copy the cluster's ID`}},
		"UppercaseClusterUUID":       {spec: ok + `clusters: [{id: 6B8A3C52-1E2F-4A3B-9C4D-5E6F7A8B9C0D, region: nyc1}]`, want: []string{`spec.clusters[0].id: "6B8A3C52-1E2F-4A3B-9C4D-5E6F7A8B9C0D" is not a cluster UUID; copy the cluster's ID (lowercase`}},
		"DuplicateCluster":           {spec: ok + `clusters: [{id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d, region: nyc1}, {id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d, region: tor1}]`, want: []string{"spec.clusters[1].id: cluster 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d is listed twice (also spec.clusters[0]); list each cluster once"}},
		"ClusterRegionNotDOKS":       {spec: ok + `clusters: [{id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d, region: mars1}]`, want: []string{`spec.clusters[0].region: "mars1" is not a region DOKS runs in; use one of ams3, atl1, blr1`}},
		"ClusterRegionMissing":       {spec: ok + `clusters: [{id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d}]`, want: []string{"spec.clusters[0].region: is required"}},
		"ClusterIDMissing":           {spec: ok + `clusters: [{region: nyc1}]`, want: []string{"spec.clusters[0].id: is required: the DOKS cluster's UUID"}},
		"ClusterNotAnObject":         {spec: ok + `clusters: [nyc1]`, want: []string{"spec.clusters[0]: must be an object with id and region, not a string"}},
		"UnknownPullMode":            {spec: ok + `clusters: [{id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d, region: nyc1, pull: Some}]`, want: []string{`spec.clusters[0].pull: "Some" is not a pull mode; use Local`}},
		"TooManyClusters":            {spec: ok + `clusters: [` + strings.Repeat(`{id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d, region: nyc1},`, 51) + `]`, want: []string{"spec.clusters: lists 51 clusters; at most 50 are supported"}},
		"InvalidCron":                {spec: ok + `garbageCollection: {schedule: "0 25 * * *"}`, want: []string{`spec.garbageCollection.schedule: "0 25 * * *" is not a 5-field cron schedule`}},
		"CronWithSeconds":            {spec: ok + `garbageCollection: {schedule: "0 0 3 * * 0"}`, want: []string{`spec.garbageCollection.schedule: "0 0 3 * * 0" is not a 5-field cron schedule`}},
		"CronInterval":               {spec: ok + `garbageCollection: {schedule: "@every 24h"}`, want: []string{`spec.garbageCollection.schedule: "@every 24h" is an interval, not a slot`}},
		"CronNeverFires":             {spec: ok + `garbageCollection: {schedule: "0 3 30 2 *"}`, want: []string{`spec.garbageCollection.schedule: "0 3 30 2 *" never fires`}},
		"ScheduleMissing":            {spec: ok + `garbageCollection: {timeZone: UTC}`, want: []string{"spec.garbageCollection.schedule: is required: the base slot as five cron fields"}},
		"InvalidTimeZone":            {spec: ok + `garbageCollection: {schedule: "0 3 * * 0", timeZone: Mars/Olympus}`, want: []string{`spec.garbageCollection.timeZone: "Mars/Olympus" is not an IANA time zone; use names such as UTC`}},
		"LocalTimeZone":              {spec: ok + `garbageCollection: {schedule: "0 3 * * 0", timeZone: Local}`, want: []string{`spec.garbageCollection.timeZone: "Local" is not an IANA time zone`}},
		"InvalidMaxDuration":         {spec: ok + `garbageCollection: {schedule: "0 3 * * 0", maxDuration: 1 hour}`, want: []string{`spec.garbageCollection.maxDuration: "1 hour" is not a duration; write it like 15m, 1h or 720h`}},
		"ZeroWindow":                 {spec: ok + `garbageCollection: {schedule: "0 3 * * 0", window: 0s}`, want: []string{`spec.garbageCollection.window: "0s" must be positive`}},
		"NegativeQuietPeriod":        {spec: ok + `garbageCollection: {schedule: "0 3 * * 0", quietPeriod: -5m}`, want: []string{`spec.garbageCollection.quietPeriod: "-5m" must be positive`}},
		"UnknownGCType":              {spec: ok + `garbageCollection: {schedule: "0 3 * * 0", type: Everything}`, want: []string{`spec.garbageCollection.type: "Everything" is not a garbage collection type`}},
		"RetentionWithoutCriteria":   {spec: ok + `retention: {dryRun: false}`, want: []string{"spec.retention: needs keepLast, olderThan or both"}},
		"RetentionBadOlderThan":      {spec: ok + `retention: {olderThan: 30d}`, want: []string{`spec.retention.olderThan: "30d" is not a duration`}},
		"RetentionNegativeKeepLast":  {spec: ok + `retention: {keepLast: -1}`, want: []string{"spec.retention.keepLast: must be a whole number from 0 to 100000, not -1"}},
		"RetentionFractionKeepLast":  {spec: ok + `retention: {keepLast: 2.5}`, want: []string{"spec.retention.keepLast: must be a whole number from 0 to 100000, not 2.5"}},
		"RetentionBadRegexp":         {spec: ok + `retention: {keepLast: 3, protect: ["^v(1"]}`, want: []string{`spec.retention.protect[0]: "^v(1" is not a regular expression (RE2 syntax)`}},
		"RetentionHugeRegexp":        {spec: ok + `retention: {keepLast: 3, protect: ["` + strings.Repeat("a", 300) + `"]}`, want: []string{"spec.retention.protect[0]: is 300 characters long; keep expressions under 256"}},
		"RetentionBadGlob":           {spec: ok + `retention: {keepLast: 3, repositories: ["team-["]}`, want: []string{`spec.retention.repositories[0]: "team-[" is not a glob`}},
		"RetentionBadSchedule":       {spec: ok + `retention: {keepLast: 3, schedule: "daily"}`, want: []string{`spec.retention.schedule: "daily" is not a 5-field cron schedule`}},
		"RetentionBadTimeZone":       {spec: ok + `retention: {keepLast: 3, timeZone: Nowhere/Town}`, want: []string{`spec.retention.timeZone: "Nowhere/Town" is not an IANA time zone`}},
		"PullSecretBadName":          {spec: ok + `pullSecret: {name: Docr_Pull}`, want: []string{`spec.pullSecret.name: "Docr_Pull" cannot name a Secret`}},
		"PullSecretNameMissing":      {spec: ok + `pullSecret: {access: Read}`, want: []string{"spec.pullSecret.name: is required"}},
		"PullSecretBadAccess":        {spec: ok + `pullSecret: {name: docr-pull, access: Admin}`, want: []string{`spec.pullSecret.access: "Admin" is not an access level; use Read (pull only) or ReadWrite`}},
		"PullSecretRenewAfterExpiry": {spec: ok + `pullSecret: {name: docr-pull, expiry: 24h, renewBefore: 48h}`, want: []string{"spec.pullSecret.renewBefore: 48h0m0s must be shorter than expiry 24h0m0s"}},
		"ProviderConfigBadKind":      {spec: ok + `providerConfigRef: {kind: Secret, name: default}`, want: []string{`spec.providerConfigRef.kind: "Secret" is not a provider config kind`}},
		"ProviderConfigNoName":       {spec: ok + `providerConfigRef: {kind: ProviderConfig}`, want: []string{"spec.providerConfigRef.name: is required"}},
		"WrongTypes": {spec: `{registryName: 42, regions: nyc3, deletionProtection: "yes", clusters: {a: b}, garbageCollection: [1]}`, want: []string{
			"spec.registryName: must be a string, not a number",
			"spec.regions: must be a list, not a string",
			"spec.deletionProtection: must be true or false, not a string",
			"spec.clusters: must be a list, not an object",
			"spec.garbageCollection: must be an object, not a list",
		}},
		"WrongItemTypes":     {spec: `{registryName: acme, regions: [nyc3, 7]}`, want: []string{"spec.regions[1]: must be a string, not a number"}},
		"EveryProblemAtOnce": {spec: `{registryName: Acme, regions: [nyc3, nyc3], tier: gold}`, want: []string{"spec.registryName:", "spec.regions[1]:", "spec.tier:"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			x := xr(t, "{}")
			if tc.spec == "" {
				delete(x.Fields, "spec")
			} else {
				x = xr(t, tc.spec)
			}
			rsp := run(t, request(x, nil))
			m := fatal(rsp)
			if m == "" {
				t.Fatalf("no Fatal result; results: %v", rsp.GetResults())
			}
			for _, w := range tc.want {
				if !strings.Contains(m, w) {
					t.Errorf("Fatal result\n  %s\nshould contain\n  %s", m, w)
				}
			}
			if len(rsp.GetDesired().GetResources()) != 0 {
				t.Error("a Fatal result must come without desired resources")
			}
		})
	}
}

func TestRegionRemoval(t *testing.T) {
	const spec = `{registryName: acme, regions: [nyc3], garbageCollection: {schedule: "0 3 * * 0"}, pullSecret: {name: pull}}`
	reg := func(statusYAML string, protected bool) *fnv1.Resource {
		r := observedResource(t, "True", statusYAML)
		r.Resource.Fields["spec"] = structpb.NewStructValue(mustStruct(t, `{forProvider: {region: ams3}}`))
		if protected {
			r.Resource.Fields["spec"].GetStructValue().Fields["forProvider"].GetStructValue().Fields["deletionProtection"] = structpb.NewBoolValue(true)
		}
		return r
	}
	type want struct {
		composed      bool // registry-ams3 still desired
		protection    any  // its spec.forProvider.deletionProtection
		state         string
		tier          string
		warning, note string
		fatal         string
	}
	cases := map[string]struct {
		reason   string
		spec     string
		observed *fnv1.Resource
		want     want
	}{
		"KeptWhileHoldingImages": {
			reason:   "A registry with images is never deleted because its region left spec.regions.",
			spec:     spec,
			observed: reg(`atProvider: {uuid: u, storageUsageBytes: 5000}`, true),
			want: want{composed: true, protection: true, state: "Retained", tier: "professional",
				warning: "registry acme-ams3 was removed from spec.regions but still holds 5000 bytes of images; it is kept: move its images, or set spec.allowRegistryRemoval: true"},
		},
		"UnreadableStorageCountsAsImages": {
			reason:   "Storage the function cannot read is treated as images, never as empty.",
			spec:     spec,
			observed: reg(`atProvider: {uuid: u, storageUsageBytes: lots}`, false),
			want:     want{composed: true, protection: true, state: "Retained", tier: "professional", warning: "acme-ams3 was removed from spec.regions but still holds"},
		},
		"EmptyProtectedIsDisarmedFirst": {
			reason:   "An empty registry goes, but its deletion protection is switched off first or the provider refuses to delete it.",
			spec:     spec,
			observed: reg(`atProvider: {uuid: u}`, true),
			want: want{composed: true, protection: nil, state: "Removing", tier: "professional",
				note: "registry acme-ams3 was removed from spec.regions: switching off its deletion protection before deleting it"},
		},
		"EmptyUnprotectedIsRemoved": {
			reason:   "An empty registry without protection is simply no longer composed.",
			spec:     spec,
			observed: reg(`atProvider: {uuid: u, storageUsageBytes: 0}`, false),
			want:     want{composed: false, tier: "starter", note: "registry acme-ams3 was removed from spec.regions and is being deleted"},
		},
		"AllowedRemovalWithImages": {
			reason:   "allowRegistryRemoval lets a registry with images go.",
			spec:     `{registryName: acme, regions: [nyc3], allowRegistryRemoval: true, pullSecret: {name: pull}}`,
			observed: reg(`atProvider: {uuid: u, storageUsageBytes: 5000}`, false),
			want:     want{composed: false, tier: "starter", note: "acme-ams3 was removed from spec.regions and is being deleted"},
		},
		"RetainedRegistryNeedsProfessional": {
			reason:   "Two registries cannot exist on starter: the user must choose.",
			spec:     `{registryName: acme, regions: [nyc3], tier: starter}`,
			observed: reg(`atProvider: {uuid: u, storageUsageBytes: 5000}`, true),
			want:     want{fatal: "spec.tier: starter allows 1 registry, but 2 must exist: acme-ams3 left spec.regions but still hold images or are being removed; set tier: professional, or set spec.allowRegistryRemoval: true"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := run(t, request(xr(t, tc.spec), map[string]*fnv1.Resource{"registry-ams3": tc.observed}))
			if tc.want.fatal != "" {
				if m := fatal(rsp); !strings.Contains(m, tc.want.fatal) {
					t.Fatalf("%s\nFatal = %q, want containing %q", tc.reason, m, tc.want.fatal)
				}
				return
			}
			mustOK(t, rsp)
			_, composed := rsp.GetDesired().GetResources()["registry-ams3"]
			if composed != tc.want.composed {
				t.Fatalf("%s\nregistry-ams3 composed = %v, want %v", tc.reason, composed, tc.want.composed)
			}
			if composed {
				if diff := cmp.Diff(tc.want.protection, field(t, rsp, "registry-ams3", "spec.forProvider.deletionProtection")); diff != "" {
					t.Errorf("%s\ndeletionProtection: -want +got:\n%s", tc.reason, diff)
				}
				if got := at(xrStatus(rsp), "registries.1.state"); got != tc.want.state {
					t.Errorf("%s\nstatus state = %v, want %s", tc.reason, got, tc.want.state)
				}
				// Nothing new is scheduled on a registry that is leaving.
				for _, n := range []string{"gc-ams3", "usage-gc-ams3"} {
					if _, ok := rsp.GetDesired().GetResources()[n]; ok {
						t.Errorf("%s\n%s composed for a registry that left spec.regions", tc.reason, n)
					}
				}
			}
			if got := xrStatus(rsp)["tier"]; got != tc.want.tier {
				t.Errorf("%s\ntier = %v, want %s", tc.reason, got, tc.want.tier)
			}
			// Pull credentials keep covering a retained registry, never one being removed.
			refs := field(t, rsp, "pull-credentials", "spec.forProvider.registryRefs").([]any)
			if retained := tc.want.state == "Retained"; (len(refs) == 2) != retained {
				t.Errorf("%s\npull credentials cover %v", tc.reason, refs)
			}
			for sev, w := range map[fnv1.Severity]string{fnv1.Severity_SEVERITY_WARNING: tc.want.warning, fnv1.Severity_SEVERITY_NORMAL: tc.want.note} {
				got := strings.Join(results(rsp, sev), "\n")
				if (w == "") != (got == "") || !strings.Contains(got, w) {
					t.Errorf("%s\n%s results = %q, want %q", tc.reason, sev, got, w)
				}
			}
		})
	}
}

func TestRegistryNameCannotChange(t *testing.T) {
	observed := map[string]*fnv1.Resource{"registry-nyc3": {Resource: mustStruct(t, `{kind: Registry, metadata: {name: old-nyc3}}`)}}
	rsp := run(t, request(xr(t, `{registryName: acme, regions: [nyc3]}`), observed))
	want := "spec.registryName: the registry in nyc3 is old-nyc3, but the spec would name it acme-nyc3; registries cannot be renamed: set registryName back, or create a new XDOCR and move the images"
	if got := fatal(rsp); got != want {
		t.Errorf("Fatal = %q, want %q", got, want)
	}
	if len(rsp.GetDesired().GetResources()) != 0 {
		t.Error("a Fatal result must come without desired resources")
	}
}

// integrationKey finds the current integration of a cluster among the desired resources.
func integrationKey(t *testing.T, rsp *fnv1.RunFunctionResponse, clusterID string) string {
	t.Helper()
	for _, in := range xrStatus(rsp)["clusters"].([]any) {
		if in.(map[string]any)["id"] == clusterID {
			var regs []string
			for _, r := range in.(map[string]any)["registries"].([]any) {
				regs = append(regs, r.(string))
			}
			return prefixIntegration + integrationID(clusterID, regs)
		}
	}
	t.Fatalf("no cluster %s in the status", clusterID)
	return ""
}

func TestIntegrationReplacement(t *testing.T) {
	const cluster = "00000000-0000-4000-8000-000000000001"
	oldID := integrationID(cluster, []string{"acme-nyc3", "acme-ams3"}) // pull: All over nyc3 and ams3
	newID := integrationID(cluster, []string{"acme-nyc3"})              // pull: Local after ams3 left
	observedIntegration := func(id, ready string, registries ...string) *fnv1.Resource {
		r := observedResource(t, ready, "")
		r.Resource.Fields["metadata"] = structpb.NewStructValue(mustStruct(t, `{name: acme-`+id+`}`))
		refs := ""
		for _, n := range registries {
			refs += "{name: " + n + "},"
		}
		r.Resource.Fields["spec"] = structpb.NewStructValue(mustStruct(t, `{forProvider: {clusterID: `+cluster+`, registryRefs: [`+refs+`]}}`))
		return r
	}
	cases := map[string]struct {
		reason   string
		spec     string
		observed map[string]*fnv1.Resource
		want     []string // integration and integration Usage keys composed
	}{
		"PreviousKeptUntilNewIsReady": {
			reason: "The previous integration and its Usages stay while the new one is not Ready, so no Usage is dropped while its user lives.",
			spec:   `{registryName: acme, regions: [nyc3], clusters: [{id: ` + cluster + `, region: nyc1}]}`,
			observed: map[string]*fnv1.Resource{
				"integration-" + oldID: observedIntegration(oldID, "True", "acme-nyc3", "acme-ams3"),
				"integration-" + newID: observedIntegration(newID, "False", "acme-nyc3"),
			},
			want: []string{"integration-" + newID, "integration-" + oldID,
				"usage-integration-" + newID + "-nyc3", "usage-integration-" + oldID + "-ams3", "usage-integration-" + oldID + "-nyc3"},
		},
		"PreviousDroppedOnceNewIsReady": {
			reason: "With the new integration Ready, the previous one goes, and its Usages with it.",
			spec:   `{registryName: acme, regions: [nyc3], clusters: [{id: ` + cluster + `, region: nyc1}]}`,
			observed: map[string]*fnv1.Resource{
				"integration-" + oldID: observedIntegration(oldID, "True", "acme-nyc3", "acme-ams3"),
				"integration-" + newID: observedIntegration(newID, "True", "acme-nyc3"),
			},
			want: []string{"integration-" + newID, "usage-integration-" + newID + "-nyc3"},
		},
		"RemovedClusterDropsEverything": {
			reason: "A cluster no longer listed keeps nothing.",
			spec:   `{registryName: acme, regions: [nyc3]}`,
			observed: map[string]*fnv1.Resource{
				"integration-" + oldID: observedIntegration(oldID, "True", "acme-nyc3", "acme-ams3"),
			},
			want: nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := run(t, request(xr(t, tc.spec), tc.observed))
			mustOK(t, rsp)
			var got []string
			for key := range rsp.GetDesired().GetResources() {
				if strings.HasPrefix(key, prefixIntegration) || strings.HasPrefix(key, prefixUsage+prefixIntegration) {
					got = append(got, key)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nintegrations: -want +got:\n%s", tc.reason, diff)
			}
			if prev, ok := rsp.GetDesired().GetResources()["integration-"+oldID]; ok {
				// The previous integration is composed as it was.
				if diff := cmp.Diff([]any{map[string]any{"name": "acme-nyc3"}, map[string]any{"name": "acme-ams3"}}, at(prev.GetResource().AsMap(), "spec.forProvider.registryRefs")); diff != "" {
					t.Errorf("previous integration changed: -want +got:\n%s", diff)
				}
			}
			// The status shows only what the cluster is getting.
			if cl, _ := xrStatus(rsp)["clusters"].([]any); len(cl) > 1 {
				t.Errorf("status.clusters = %v, want one entry per cluster", cl)
			}
		})
	}
}
