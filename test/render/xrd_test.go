package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestXRDValidation runs the XRD's schema and CEL rules (with `crossplane resource
// validate`) on every example, which must pass, and on XRs a user could get wrong, which
// must be refused with a message naming the field.
func TestXRDValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Crossplane CLI")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tools := os.Getenv("DOCR_TOOLS_BIN")
	if tools == "" {
		tools = filepath.Join(root, ".cache", "tools", "bin")
	}
	e := &env{root: root, tools: tools, dir: t.TempDir()}
	e.extensions = filepath.Join(e.dir, "xrd")
	xrd, err := os.ReadFile(filepath.Join(root, "package", "configuration", "definition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(e.extensions, "definition.yaml"), string(xrd))

	examples, _ := filepath.Glob(filepath.Join(root, "examples", "xdocr*.yaml"))
	for _, ex := range examples {
		t.Run(filepath.Base(ex), func(t *testing.T) {
			out, stderr, code := e.cli(t, "resource", "validate", "--crossplane-image=", "--error-on-missing-schemas", e.extensions, ex)
			if code != 0 {
				t.Errorf("example does not validate:\n%s%s", out, stderr)
			}
		})
	}

	const head = "apiVersion: docr.digitalocean.crossplane.io/v1alpha1\nkind: XDOCR\nmetadata: {name: x, namespace: default}\nspec:\n"
	cases := map[string]struct {
		spec string
		want string
	}{
		"TierTooLowForRegions":  {spec: "  registryName: acme\n  regions: [nyc3, ams3]\n  tier: basic\n", want: "spec.tier starter and basic allow one registry"},
		"RegionWithoutRegistry": {spec: "  registryName: acme\n  regions: [lon1]\n", want: `spec.regions[0]: Unsupported value: "lon1"`},
		"TooManyRegions":        {spec: "  registryName: acme\n  regions: [nyc3, ams3, sgp1, fra1, sfo3, syd1, blr1, sfo2, nyc3, ams3, sgp1]\n", want: "spec.regions: Too many"},
		"RegistryNameTooLong":   {spec: "  registryName: " + strings.Repeat("a", 59) + "\n  regions: [nyc3]\n", want: "spec.registryName: Too long"},
		"RegistryNameUppercase": {spec: "  registryName: Acme\n  regions: [nyc3]\n", want: "spec.registryName: Invalid value"},
		"ClusterIDNotUUID":      {spec: "  registryName: acme\n  regions: [nyc3]\n  clusters: [{id: abc, region: nyc1}]\n", want: "spec.clusters[0].id: Invalid value"},
		"ClusterRegionNotDOKS":  {spec: "  registryName: acme\n  regions: [nyc3]\n  clusters: [{id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d, region: mars1}]\n", want: "spec.clusters[0].region: Unsupported value"},
		"ScheduleWithSeconds":   {spec: "  registryName: acme\n  regions: [nyc3]\n  garbageCollection: {schedule: \"0 0 3 * * 0\"}\n", want: "schedule must be five cron fields"},
		"BadDuration":           {spec: "  registryName: acme\n  regions: [nyc3]\n  garbageCollection: {schedule: \"0 3 * * 0\", maxDuration: 1 hour}\n", want: "spec.garbageCollection.maxDuration: Invalid value"},
		"RetentionNoCriteria":   {spec: "  registryName: acme\n  regions: [nyc3]\n  retention: {dryRun: false}\n", want: "retention needs keepLast, olderThan or both"},
		"RenewAfterExpiry":      {spec: "  registryName: acme\n  regions: [nyc3]\n  pullSecret: {name: p, expiry: 1h, renewBefore: 2h}\n", want: "pullSecret.renewBefore must be shorter than pullSecret.expiry"},
		"PullSecretBadName":     {spec: "  registryName: acme\n  regions: [nyc3]\n  pullSecret: {name: Pull_Secret}\n", want: "spec.pullSecret.name: Invalid value"},
		"NoRegistryName":        {spec: "  regions: [nyc3]\n", want: "spec.registryName: Required value"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(e.dir, name+".yaml")
			writeFile(t, f, head+tc.spec)
			out, stderr, code := e.cli(t, "resource", "validate", "--crossplane-image=", e.extensions, f)
			if code == 0 || !strings.Contains(out+stderr, tc.want) {
				t.Errorf("validate exit %d, want a failure mentioning %q:\n%s%s", code, tc.want, out, stderr)
			}
		})
	}
}
