// Package render runs every XDOCR example through the real `crossplane composition render`
// with the function served locally, compares the output with golden files, and validates
// the rendered resources against the provider's CRDs with `crossplane resource validate`.
//
//	go test ./test/render/ -update   # rewrite the golden files after an intended change
package render

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// functionName is what the Composition calls the function (see docs/function.md).
const functionName = "crossplane-contrib-function-docr"

type env struct {
	root, tools, dir string
	functions        string // functions.yaml
	extensions       string // CRDs and XRD for resource validate
}

func TestRender(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Crossplane CLI and core binaries")
	}
	e := setup(t)

	cases := []struct {
		name     string
		xr       string
		observed func(t *testing.T, e *env) string // a file of observed resources, or ""
		wantExit int
	}{
		{name: "xdocr", xr: "examples/xdocr.yaml"},
		{name: "xdocr-minimal", xr: "examples/xdocr-minimal.yaml"},
		{name: "xdocr-global", xr: "examples/xdocr-global.yaml"},
		{name: "xdocr-removal", xr: "examples/xdocr-removal.yaml", observed: fixture("xdocr-removal.observed.yaml")},
		{name: "xdocr-steady-state", xr: "examples/xdocr.yaml", observed: steadyState("examples/xdocr.yaml")},
		{name: "invalid", xr: "test/render/testdata/invalid.xr.yaml", wantExit: 1}, // a Fatal result: stderr names field and fix
	}
	// Every example must be exercised.
	examples, _ := filepath.Glob(filepath.Join(e.root, "examples", "xdocr*.yaml"))
	for _, ex := range examples {
		rel, _ := filepath.Rel(e.root, ex)
		if !slices.ContainsFunc(cases, func(c struct {
			name     string
			xr       string
			observed func(t *testing.T, e *env) string
			wantExit int
		}) bool {
			return c.xr == rel
		}) {
			t.Errorf("example %s has no render case", rel)
		}
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			observed := ""
			if tc.observed != nil {
				observed = tc.observed(t, e)
			}
			out, stderr, code := e.render(t, tc.xr, observed)
			if code != tc.wantExit {
				t.Fatalf("render exit code %d, want %d\nstderr: %s", code, tc.wantExit, stderr)
			}
			got := out
			if tc.wantExit != 0 {
				got = stderr
			}
			norm := normalize(t, got)
			golden := filepath.Join(e.root, "test", "render", "testdata", tc.name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, []byte(norm), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden) //nolint:gosec // test data
			if err != nil {
				t.Fatalf("cannot read golden file (run with -update to create it): %v", err)
			}
			if diff := cmp.Diff(string(want), norm); diff != "" {
				t.Errorf("render output differs from %s (-want +got; -update rewrites it):\n%s", golden, diff)
			}
			if tc.wantExit == 0 {
				e.validate(t, out)
			}
		})
	}
}

func setup(t *testing.T) *env {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{root: root, tools: os.Getenv("DOCR_TOOLS_BIN"), dir: t.TempDir()}
	if e.tools == "" {
		e.tools = filepath.Join(root, ".cache", "tools", "bin")
	}
	for _, b := range []string{"crossplane", "crossplane-cli"} {
		if _, err := os.Stat(filepath.Join(e.tools, b)); err != nil {
			t.Fatalf("%s is missing: run `make tools` (%v)", b, err)
		}
	}

	// The function, as `composition render` runs it: locally, without mTLS.
	bin := filepath.Join(e.dir, "function-docr")
	build := exec.Command("go", "build", "-o", bin, "./functions/docr")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cannot build the function: %v\n%s", err, b)
	}
	addr, metrics := freeAddr(t), freeAddr(t)
	fn := exec.Command(bin, "--insecure", "--address="+addr, "--metrics-address="+metrics)
	var fnLog bytes.Buffer
	fn.Stdout, fn.Stderr = &fnLog, &fnLog
	if err := fn.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = fn.Process.Kill()
		_ = fn.Wait()
		if t.Failed() {
			t.Logf("function log:\n%s", fnLog.String())
		}
	})
	waitListening(t, addr)

	e.functions = filepath.Join(e.dir, "functions.yaml")
	writeFile(t, e.functions, fmt.Sprintf(`apiVersion: pkg.crossplane.io/v1
kind: Function
metadata:
  name: %s
  annotations:
    render.crossplane.io/runtime: Development
    render.crossplane.io/runtime-development-target: %s
spec:
  package: xpkg.crossplane.io/crossplane-contrib/function-docr:v0.1.0
`, functionName, addr))

	// Schemas: the provider's CRDs, the XRD, and Crossplane's Usage CRD (from the
	// crossplane module `make tools` built the core binary from).
	e.extensions = filepath.Join(e.dir, "extensions")
	crds, _ := filepath.Glob(filepath.Join(root, "package", "provider", "crds", "*.yaml"))
	if len(crds) == 0 {
		t.Fatal("no CRDs in package/provider/crds: run `make generate`")
	}
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	usage := filepath.Join(strings.TrimSpace(string(modcache)), "github.com", "crossplane", "crossplane", "v2@v2.4.0", "cluster", "crds", "protection.crossplane.io_usages.yaml")
	for _, f := range append(crds, filepath.Join(root, "package", "configuration", "definition.yaml"), usage) {
		b, err := os.ReadFile(f) //nolint:gosec // schemas of this repository and its tools
		if err != nil {
			t.Fatalf("cannot read schema (is `make tools` done?): %v", err)
		}
		writeFile(t, filepath.Join(e.extensions, filepath.Base(f)), string(b))
	}
	return e
}

func (e *env) render(t *testing.T, xr, observed string) (stdout, stderr string, code int) {
	t.Helper()
	args := []string{"composition", "render",
		filepath.Join(e.root, xr),
		filepath.Join(e.root, "package", "configuration", "composition.yaml"),
		e.functions,
		"--crossplane-binary=" + filepath.Join(e.tools, "crossplane"),
		"--xrd=" + filepath.Join(e.root, "package", "configuration", "definition.yaml"),
		"--include-full-xr", "--include-function-results", "--timeout=2m",
	}
	if observed != "" {
		args = append(args, "--observed-resources="+observed)
	}
	return e.cli(t, args...)
}

func (e *env) cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.tools, "crossplane-cli"), args...)
	cmd.Env = append(os.Environ(), "HOME="+e.dir) // the CLI's cache stays in the test's directory
	var o, s bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &s
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("cannot run crossplane %v: %v", args[:2], err)
	}
	return o.String(), s.String(), code
}

// validate checks the rendered XR and composed resources against their schemas.
func (e *env) validate(t *testing.T, rendered string) {
	t.Helper()
	var docs []string
	for _, d := range splitDocs(rendered) {
		if kindOf(d) != "Result" { // render's own records, not resources
			docs = append(docs, d)
		}
	}
	f := filepath.Join(e.dir, "rendered.yaml")
	writeFile(t, f, "---\n"+strings.Join(docs, "---\n"))
	out, stderr, code := e.cli(t, "resource", "validate", "--crossplane-image=", "--error-on-missing-schemas", e.extensions, f)
	if code != 0 || !strings.Contains(out+stderr, "0 missing schemas") || !strings.Contains(out+stderr, " 0 failure cases") {
		t.Errorf("crossplane resource validate failed (exit %d):\n%s%s", code, out, stderr)
	}
}

var nextSlot = regexp.MustCompile(`nextSlot: "([^"]+)"`)

// normalize makes render output comparable across runs: the next GC slot depends on the
// clock (it is checked to be a future time, then masked), and results whose order
// follows Go's map order are sorted.
func normalize(t *testing.T, out string) string {
	t.Helper()
	start := time.Now().Add(-time.Minute)
	out = nextSlot.ReplaceAllStringFunc(out, func(m string) string {
		ts, err := time.Parse(time.RFC3339, nextSlot.FindStringSubmatch(m)[1])
		if err != nil || ts.Before(start) {
			t.Errorf("status nextSlot %s is not a future RFC 3339 time", m)
		}
		return `nextSlot: "<next slot>"`
	})
	docs := splitDocs(out)
	if len(docs) < 2 {
		return out
	}
	rest := docs[1:]
	slices.SortStableFunc(rest, func(a, b string) int { return strings.Compare(sortKey(a), sortKey(b)) })
	return "---\n" + strings.Join(docs, "---\n")
}

func sortKey(doc string) string {
	var o struct {
		Kind     string `json:"kind"`
		Message  string `json:"message"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal([]byte(doc), &o)
	return o.Kind + "/" + o.Metadata.Name + "/" + o.Message
}

func splitDocs(s string) []string {
	var out []string
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(s, -1) {
		if strings.TrimSpace(d) != "" {
			out = append(out, strings.TrimLeft(d, "\n"))
		}
	}
	return out
}

func kindOf(doc string) string {
	var o struct {
		Kind string `json:"kind"`
	}
	_ = yaml.Unmarshal([]byte(doc), &o)
	return o.Kind
}

func fixture(name string) func(t *testing.T, e *env) string {
	return func(_ *testing.T, e *env) string { return filepath.Join(e.root, "test", "render", "testdata", name) }
}

// steadyState renders xr once and returns its composed resources as observed, each with
// a True Ready condition and registries with storage and endpoints: the XR must then
// render Ready, with every resource reported ready by the function.
func steadyState(xr string) func(t *testing.T, e *env) string {
	return func(t *testing.T, e *env) string {
		t.Helper()
		out, stderr, code := e.render(t, xr, "")
		if code != 0 {
			t.Fatalf("first render failed: %s", stderr)
		}
		var observed []string
		for i, d := range splitDocs(out) {
			if i == 0 || kindOf(d) == "Result" {
				continue
			}
			var o map[string]any
			if err := yaml.Unmarshal([]byte(d), &o); err != nil {
				t.Fatal(err)
			}
			st := map[string]any{"conditions": []any{
				map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-01-01T00:00:00Z"},
				map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-01-01T00:00:00Z"},
			}}
			if o["kind"] == "Registry" {
				name := o["metadata"].(map[string]any)["name"].(string)
				st["atProvider"] = map[string]any{"uuid": "uuid-" + name, "name": name, "endpoint": "registry.digitalocean.com/" + name, "storageUsageBytes": 1048576}
			}
			o["status"] = st
			b, err := yaml.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			observed = append(observed, string(b))
		}
		f := filepath.Join(e.dir, "steady-state.observed.yaml")
		writeFile(t, f, "---\n"+strings.Join(observed, "---\n"))
		return f
	}
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() //nolint:errcheck // only reserving a port
	return l.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the function did not listen on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
