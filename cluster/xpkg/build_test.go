package xpkg

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func testPackages(root string) []Package {
	return []Package{
		{
			Name: "provider-test", Root: filepath.Join(root, "cluster/xpkg/testdata/provider"),
			Binary: "./cluster/xpkg/testdata/hello", Entrypoint: "/usr/local/bin/provider",
			Ports: []string{"8080/tcp"},
		},
		{Name: "configuration-test", Root: filepath.Join(root, "cluster/xpkg/testdata/configuration")},
	}
}

// TestBuildIsReproducible builds the same packages twice into two directories and
// expects identical digests and identical files.
func TestBuildIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	root := moduleRoot(t)
	epoch := time.Unix(1700000000, 0).UTC()
	var digests [2]string
	var results [2][]Result
	var outs [2]string
	for i := range 2 {
		out := filepath.Join(t.TempDir(), "xpkg")
		outs[i] = out
		res, err := Build(context.Background(), Options{ModuleRoot: root, Out: out, Platforms: Platforms, Epoch: epoch}, testPackages(root)...)
		if err != nil {
			t.Fatalf("build %d: %v", i, err)
		}
		b, err := os.ReadFile(filepath.Join(out, "digests.txt"))
		if err != nil {
			t.Fatal(err)
		}
		digests[i], results[i] = string(b), res
	}
	if diff := cmp.Diff(digests[0], digests[1]); diff != "" {
		t.Errorf("two builds gave different digests (-first +second):\n%s", diff)
	}
	for _, f := range []string{"provider-test-amd64.xpkg", "provider-test-arm64.xpkg", "configuration-test.xpkg", "provider-test/index.json"} {
		a, errA := os.ReadFile(filepath.Join(outs[0], f))
		b, errB := os.ReadFile(filepath.Join(outs[1], f))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v, %v", f, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds", f)
		}
	}
	// 2 lines for the provider's platforms + 1 index + 1 configuration.
	if n := strings.Count(digests[0], "\n"); n != 4 {
		t.Errorf("digests.txt has %d lines, want 4:\n%s", n, digests[0])
	}
	for i := range results[0] {
		if results[0][i].Digest != results[1][i].Digest {
			t.Errorf("%s: digest %s then %s", results[0][i].Name, results[0][i].Digest, results[1][i].Digest)
		}
	}
}

// TestBuildContents checks what Crossplane and a kubelet rely on: one image per
// platform, a non-root user, the entrypoint and ports, fixed timestamps, a binary of the
// right architecture, and the package layer annotated as the xpkg base layer.
func TestBuildContents(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	root := moduleRoot(t)
	epoch := time.Unix(1700000000, 0).UTC()
	out := filepath.Join(t.TempDir(), "xpkg")
	if _, err := Build(context.Background(), Options{ModuleRoot: root, Out: out, Platforms: Platforms, Epoch: epoch}, testPackages(root)...); err != nil {
		t.Fatal(err)
	}
	lp, err := layout.FromPath(filepath.Join(out, "provider-test"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	topm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := top.ImageIndex(topm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	var platforms []string
	for _, m := range im.Manifests {
		platforms = append(platforms, m.Platform.OS+"/"+m.Platform.Architecture)
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		got := struct {
			Arch, User string
			Entrypoint []string
			Ports      map[string]struct{}
			Created    time.Time
		}{cf.Architecture, cf.Config.User, cf.Config.Entrypoint, cf.Config.ExposedPorts, cf.Created.UTC()}
		want := struct {
			Arch, User string
			Entrypoint []string
			Ports      map[string]struct{}
			Created    time.Time
		}{m.Platform.Architecture, "65532:65532", []string{"/usr/local/bin/provider"}, map[string]struct{}{"8080/tcp": {}}, epoch}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s config (-want +got):\n%s", m.Platform.Architecture, diff)
		}
		man, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(man.Layers) != 2 {
			t.Fatalf("%s: %d layers, want runtime + package", m.Platform.Architecture, len(man.Layers))
		}
		if got := man.Layers[1].Annotations[annotationKey]; got != packageAnnotation {
			t.Errorf("package layer annotation %q, want %q", got, packageAnnotation)
		}
		if got := cf.Config.Labels[annotationKey+":"+man.Layers[1].Digest.String()]; got != packageAnnotation {
			t.Errorf("package layer label %q, want %q", got, packageAnnotation)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		files := readLayer(t, layers[0], epoch)
		bin, ok := files["usr/local/bin/provider"]
		if !ok {
			t.Fatalf("%s: no binary at the entrypoint", m.Platform.Architecture)
		}
		ef, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("binary is not ELF: %v", err)
		}
		if ef.Machine != wantMachine[m.Platform.Architecture] {
			t.Errorf("%s image holds a %s binary", m.Platform.Architecture, ef.Machine)
		}
		if p := ef.Section(".interp"); p != nil {
			t.Errorf("%s binary is dynamically linked", m.Platform.Architecture)
		}
		pkg := readLayer(t, layers[1], epoch)[streamFile]
		for _, want := range []string{"kind: Provider", "kind: CustomResourceDefinition"} {
			if !strings.Contains(string(pkg), want) {
				t.Errorf("package.yaml lacks %q:\n%s", want, pkg)
			}
		}
		if !strings.HasPrefix(string(pkg), "---\n# A minimal provider package") {
			t.Errorf("package.yaml does not start with crossplane.yaml:\n%s", pkg)
		}
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, platforms); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
}

// readLayer returns the layer's regular files and fails on a timestamp other than epoch
// or entries out of order.
func readLayer(t *testing.T, l v1.Layer, epoch time.Time) map[string][]byte {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string][]byte{}
	prev := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(epoch) {
			t.Errorf("%s: mtime %s, want %s", h.Name, h.ModTime, epoch)
		}
		if h.Name < prev {
			t.Errorf("%s after %s: entries not sorted", h.Name, prev)
		}
		prev = h.Name
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = b
		}
	}
	return files
}

func TestPackageStreamErrors(t *testing.T) {
	meta := "apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata: {name: c}\n"
	cases := map[string]struct {
		files   map[string]string
		wantErr string
	}{
		"NoMetadata": {
			files:   map[string]string{"crds/x.yaml": "apiVersion: v1\nkind: ConfigMap\n"},
			wantErr: "crossplane.yaml",
		},
		"TwoMetadata": {
			files:   map[string]string{"crossplane.yaml": meta + "---\n" + meta},
			wantErr: "want exactly one meta.pkg.crossplane.io object, found 2",
		},
		"MetadataOutsideCrossplaneYAML": {
			files:   map[string]string{"crossplane.yaml": meta, "other.yaml": meta},
			wantErr: "package metadata belongs in crossplane.yaml",
		},
		"NoKind": {
			files:   map[string]string{"crossplane.yaml": meta, "x.yaml": "apiVersion: v1\nmetadata: {name: x}\n"},
			wantErr: "no apiVersion or kind",
		},
		"Valid": {
			files: map[string]string{"crossplane.yaml": meta, "b.yaml": "# only a comment\n", "a.yaml": "apiVersion: v1\nkind: ConfigMap\n"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, body := range tc.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := packageStream(dir)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && !strings.Contains(gotErr, tc.wantErr) {
				t.Errorf("packageStream() error = %q, want one containing %q", gotErr, tc.wantErr)
			}
		})
	}
}
