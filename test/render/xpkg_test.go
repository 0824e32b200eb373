package render

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPackagesLint builds the Configuration and the Function package metadata with the
// Crossplane CLI, whose linter checks the metadata and the kinds each package may hold.
func TestPackagesLint(t *testing.T) {
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
	for _, p := range []string{"configuration", "function"} {
		t.Run(p, func(t *testing.T) {
			out := filepath.Join(e.dir, p+".xpkg")
			stdout, stderr, code := e.cli(t, "xpkg", "build", "--package-root="+filepath.Join(root, "package", p), "-o", out)
			if code != 0 {
				t.Fatalf("crossplane xpkg build failed (exit %d):\n%s%s", code, stdout, stderr)
			}
			if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
				t.Fatalf("no package written: %v", err)
			}
		})
	}
}
