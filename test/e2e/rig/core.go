package rig

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// crossplaneVersion is what the core binary must report: packages declare
// `spec.crossplane.version` constraints, and a core without a version ("") fails every
// one of them ("invalid semantic version").
const crossplaneVersion = "v2.4.0"

const versionPkg = "github.com/crossplane/crossplane-runtime/v2/pkg/version.version"

var coreBin struct {
	once sync.Once
	path string
	err  error
}

// coreBinary returns a Crossplane core binary that knows its version: the one from
// `make tools` when it does, else a copy linked with the version stamped in, from the
// tools' own wrapper module (the build cache makes this a link step), kept in
// .cache/e2e so it is built once.
func coreBinary(ctx context.Context, logf func(string, ...any)) (string, error) {
	coreBin.once.Do(func() {
		coreBin.path, coreBin.err = findCoreBinary(ctx, logf)
	})
	return coreBin.path, coreBin.err
}

func findCoreBinary(ctx context.Context, logf func(string, ...any)) (string, error) {
	bin, err := controlplane.Tool("crossplane")
	if err != nil {
		return "", err
	}
	if out, err := exec.CommandContext(ctx, bin, "--version").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		return bin, nil
	}
	root, err := controlplane.RepoRoot()
	if err != nil {
		return "", err
	}
	dst := filepath.Join(root, ".cache", "e2e", "bin", "crossplane-"+crossplaneVersion)
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	src := filepath.Join(filepath.Dir(filepath.Dir(bin)), "src", "crossplane")
	logf("crossplane core reports no version; linking %s with version %s (once)", dst, crossplaneVersion)
	tmp := dst + ".tmp"
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-X "+versionPkg+"="+crossplaneVersion, "-o", tmp, "github.com/crossplane/crossplane/v2/cmd/crossplane")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build a versioned crossplane core in %s: %w\n%s", src, err, out)
	}
	return dst, os.Rename(tmp, dst)
}
