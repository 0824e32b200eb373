package controlplane

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// EnvToolsBin names the directory holding the pinned toolchain. The Makefile exports it.
const EnvToolsBin = "DOCR_TOOLS_BIN"

const modulePath = "github.com/crossplane-contrib/provider-docr"

// ToolsBin returns the directory holding etcd, kube-apiserver and friends: $DOCR_TOOLS_BIN,
// else <repo root>/.cache/tools/bin.
func ToolsBin() (string, error) {
	if d := os.Getenv(EnvToolsBin); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "tools", "bin"), nil
}

// RepoRoot walks up from the working directory to the go.mod of this repository. Nested
// modules (functions/docr may be one) are skipped because their module path differs.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("cannot find repository root: %w", err)
	}
	first := ""
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if first == "" {
				first = d
			}
			if strings.HasPrefix(string(b), "module "+modulePath+"\n") || strings.Contains(string(b), "\nmodule "+modulePath+"\n") {
				return d, nil
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if first != "" {
		return first, nil
	}
	return "", fmt.Errorf("cannot find repository root: no go.mod above %s", wd)
}

// Tool returns the absolute path of a pinned tool, with a hint when it has not been built.
func Tool(name string) (string, error) {
	dir, err := ToolsBin()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("tool %s not found in %s (run `make tools`, or set %s): %w", name, dir, EnvToolsBin, err)
	}
	if _, err := exec.LookPath(p); err != nil {
		return "", fmt.Errorf("tool %s is not executable: %w", p, err)
	}
	return p, nil
}
