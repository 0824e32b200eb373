// Package xpkg builds this project's Crossplane packages without Docker: runtime images
// for the provider and the function are written with go-containerregistry, and the
// package layer is added in the format `crossplane xpkg build` writes. Output is reproducible: fixed timestamps, sorted
// tar entries, fixed ownership, so two builds of one commit give the same digests.
package xpkg

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// NonRootUID is the user the runtime images run as (distroless' "nonroot").
const NonRootUID = 65532

// Package describes one Crossplane package to build.
type Package struct {
	// Name is the package's short name, e.g. "provider-docr"; output files use it.
	Name string
	// Root is the package root holding crossplane.yaml (and CRDs, XRDs, ...).
	Root string
	// Binary is the Go main package of the runtime image, e.g. "./cmd/provider".
	// Empty for a Configuration, which has no runtime.
	Binary string
	// BinaryPath, when set, is used instead of building Binary (one prebuilt file
	// per platform is expected, keyed "os/arch"). Tests use it.
	BinaryPath map[string]string
	// Entrypoint is where the binary lives in the image.
	Entrypoint string
	// Ports exposed by the runtime, e.g. "9443/tcp".
	Ports []string
	// Args are the default arguments of the runtime image.
	Args []string
}

// Options for Build.
type Options struct {
	// ModuleRoot is the Go module root binaries are built from.
	ModuleRoot string
	// Out is the output directory; it is replaced.
	Out string
	// Platforms of the runtime images, e.g. linux/amd64, linux/arm64.
	Platforms []v1.Platform
	// Epoch is the timestamp written everywhere a timestamp is needed.
	Epoch time.Time
	// CABundle is a PEM file copied into the runtime images so a static binary can
	// verify TLS servers (the real DigitalOcean API). Empty: none.
	CABundle string
	// Log receives progress lines.
	Log io.Writer
}

// Result of building one package.
type Result struct {
	Name string
	// Digest of what a registry serves for the package: the image index for
	// packages with a runtime, the image itself for a Configuration.
	Digest v1.Hash
	// Index is set for packages with a runtime image.
	Index v1.ImageIndex
	// Image is set for a Configuration.
	Image v1.Image
	// PlatformDigests are the per-platform package image digests ("os/arch" keys).
	PlatformDigests map[string]v1.Hash
}

// Artifact returns what is pushed to a registry: the index or the image.
func (r Result) Artifact() any {
	if r.Index != nil {
		return r.Index
	}
	return r.Image
}

// Build builds every package and writes, under opts.Out:
//   - <name>/           an OCI image layout holding the package (index or image),
//   - <name>-<arch>.xpkg per platform (or <name>.xpkg for a Configuration), the file
//     format `crossplane xpkg push -f` takes,
//   - digests.txt       one "<name> <digest>" line per package and platform.
func Build(ctx context.Context, opts Options, pkgs ...Package) ([]Result, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if err := os.RemoveAll(opts.Out); err != nil {
		return nil, fmt.Errorf("cannot clean output directory %s: %w", opts.Out, err)
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create output directory %s: %w", opts.Out, err)
	}
	results := make([]Result, 0, len(pkgs))
	var digests strings.Builder
	for _, p := range pkgs {
		r, err := buildPackage(ctx, opts, p)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", p.Name, err)
		}
		fmt.Fprintf(&digests, "%s %s\n", p.Name, r.Digest)
		keys := make([]string, 0, len(r.PlatformDigests))
		for k := range r.PlatformDigests {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&digests, "%s@%s %s\n", p.Name, k, r.PlatformDigests[k])
		}
		results = append(results, r)
	}
	if err := os.WriteFile(filepath.Join(opts.Out, "digests.txt"), []byte(digests.String()), 0o644); err != nil {
		return nil, fmt.Errorf("cannot write digests: %w", err)
	}
	return results, nil
}

func buildPackage(ctx context.Context, opts Options, p Package) (Result, error) {
	r := Result{Name: p.Name, PlatformDigests: map[string]v1.Hash{}}
	lp, err := layout.Write(filepath.Join(opts.Out, p.Name), empty.Index)
	if err != nil {
		return r, fmt.Errorf("cannot create OCI layout: %w", err)
	}
	tag, err := name.NewTag("xpkg.local/" + p.Name + ":build")
	if err != nil {
		return r, err
	}

	if p.Binary == "" && p.BinaryPath == nil {
		img, err := packageImage(ctx, p.Root, empty.Image, opts.Epoch)
		if err != nil {
			return r, err
		}
		if r.Digest, err = img.Digest(); err != nil {
			return r, err
		}
		fmt.Fprintf(opts.Log, ">> %s %s\n", p.Name, r.Digest)
		r.Image = img
		if err := lp.AppendImage(img); err != nil {
			return r, fmt.Errorf("cannot write OCI layout: %w", err)
		}
		return r, tarball.WriteToFile(filepath.Join(opts.Out, p.Name+".xpkg"), tag, img)
	}

	adds := make([]mutate.IndexAddendum, 0, len(opts.Platforms))
	for _, pl := range opts.Platforms {
		key := pl.OS + "/" + pl.Architecture
		bin := p.BinaryPath[key]
		if bin == "" {
			bin = filepath.Join(opts.Out, ".bin", p.Name+"-"+pl.OS+"-"+pl.Architecture)
			fmt.Fprintf(opts.Log, ">> go build %s for %s\n", p.Binary, key)
			if err := goBuild(ctx, opts.ModuleRoot, p.Binary, pl, bin); err != nil {
				return r, err
			}
		}
		base, err := runtimeImage(p, pl, bin, opts)
		if err != nil {
			return r, err
		}
		img, err := packageImage(ctx, p.Root, base, opts.Epoch)
		if err != nil {
			return r, err
		}
		d, err := img.Digest()
		if err != nil {
			return r, err
		}
		r.PlatformDigests[key] = d
		plc := pl
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &plc}})
		if err := tarball.WriteToFile(filepath.Join(opts.Out, p.Name+"-"+pl.Architecture+".xpkg"), tag, img); err != nil {
			return r, fmt.Errorf("cannot write %s xpkg: %w", key, err)
		}
	}
	idx := mutate.AppendManifests(empty.Index, adds...)
	if r.Digest, err = idx.Digest(); err != nil {
		return r, err
	}
	fmt.Fprintf(opts.Log, ">> %s %s\n", p.Name, r.Digest)
	r.Index = idx
	if err := lp.AppendIndex(idx); err != nil {
		return r, fmt.Errorf("cannot write OCI layout: %w", err)
	}
	_ = os.RemoveAll(filepath.Join(opts.Out, ".bin"))
	return r, nil
}

// goBuild builds a static binary; -trimpath and no VCS stamping make it byte-identical
// across builds of one tree with one toolchain.
func goBuild(ctx context.Context, dir, pkg string, pl v1.Platform, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+pl.OS, "GOARCH="+pl.Architecture, "GOFLAGS=-buildvcs=false")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %w\n%s", pkg, pl.OS, pl.Architecture, err, stderr.String())
	}
	return nil
}

type tarEntry struct {
	hdr  tar.Header
	body []byte
}

// runtimeImage is a one-layer image: the static binary, an /etc/passwd naming the
// non-root user, a CA bundle and a world-writable /tmp.
func runtimeImage(p Package, pl v1.Platform, bin string, opts Options) (v1.Image, error) {
	binary, err := os.ReadFile(bin) //nolint:gosec // our own build output
	if err != nil {
		return nil, fmt.Errorf("cannot read binary: %w", err)
	}
	entries := []tarEntry{
		dirEntry("etc/", 0o755),
		fileEntry("etc/passwd", 0o644, []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", NonRootUID, NonRootUID))),
		fileEntry("etc/group", 0o644, []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", NonRootUID))),
		dirEntry("home/", 0o755),
		dirEntry("tmp/", 0o1777),
		dirEntry("usr/", 0o755),
		dirEntry("usr/local/", 0o755),
		dirEntry("usr/local/bin/", 0o755),
		fileEntry(strings.TrimPrefix(p.Entrypoint, "/"), 0o755, binary),
	}
	home := dirEntry("home/nonroot/", 0o700)
	home.hdr.Uid, home.hdr.Gid = NonRootUID, NonRootUID
	entries = append(entries, home)
	if opts.CABundle != "" {
		ca, err := os.ReadFile(opts.CABundle)
		if err != nil {
			return nil, fmt.Errorf("cannot read CA bundle: %w", err)
		}
		entries = append(entries, dirEntry("etc/ssl/", 0o755), dirEntry("etc/ssl/certs/", 0o755),
			fileEntry("etc/ssl/certs/ca-certificates.crt", 0o644, ca))
	}
	layerTar, err := tarBytes(entries, opts.Epoch)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot make layer: %w", err)
	}
	ports := map[string]struct{}{}
	for _, port := range p.Ports {
		ports[port] = struct{}{}
	}
	cfg := &v1.ConfigFile{
		Architecture: pl.Architecture,
		OS:           pl.OS,
		Created:      v1.Time{Time: opts.Epoch},
		Config: v1.Config{
			Entrypoint:   []string{p.Entrypoint},
			Cmd:          p.Args,
			User:         fmt.Sprintf("%d:%d", NonRootUID, NonRootUID),
			ExposedPorts: ports,
			Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
			WorkingDir:   "/",
			Labels:       map[string]string{},
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: opts.Epoch}, CreatedBy: "cluster/xpkg: " + p.Binary},
	})
	if err != nil {
		return nil, err
	}
	return img, nil
}

func dirEntry(name string, mode int64) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode}}
}

func fileEntry(name string, mode int64, body []byte) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}, body: body}
}

// tarBytes writes entries sorted by name with one fixed timestamp and no user names.
func tarBytes(entries []tarEntry, epoch time.Time) ([]byte, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].hdr.Name < entries[j].hdr.Name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		h.ModTime, h.AccessTime, h.ChangeTime = epoch, time.Time{}, time.Time{}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			return nil, fmt.Errorf("cannot write tar header %s: %w", h.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("cannot write tar entry %s: %w", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Layer annotations and file names of the xpkg format (crossplane-runtime pkg/xpkg; not
// imported because that package pulls in every cloud registry keychain).
const (
	annotationKey     = "io.crossplane.xpkg"
	packageAnnotation = "base"
	streamFile        = "package.yaml"
	metaFile          = "crossplane.yaml"
	metaGroup         = "meta.pkg.crossplane.io"
)

// packageImage adds the package layer on top of base: one package.yaml holding
// crossplane.yaml first and then every other YAML document under root (sorted by path),
// as `crossplane xpkg build` writes it. The layer is marked with the
// io.crossplane.xpkg=base annotation both as a config label (what the .xpkg file
// format carries) and as a manifest layer annotation (what `crossplane xpkg push` adds
// and what Crossplane's package manager looks for).
func packageImage(_ context.Context, root string, base v1.Image, epoch time.Time) (v1.Image, error) {
	stream, err := packageStream(root)
	if err != nil {
		return nil, err
	}
	layerTar, err := tarBytes([]tarEntry{fileEntry(streamFile, 0o644, stream)}, epoch)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot make package layer: %w", err)
	}
	d, err := layer.Digest()
	if err != nil {
		return nil, err
	}
	cf, err := base.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg := cf.Config.DeepCopy()
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels[annotationKey+":"+d.String()] = packageAnnotation
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       layer,
		History:     v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "cluster/xpkg: package layer"},
		Annotations: map[string]string{annotationKey: packageAnnotation},
	})
	if err != nil {
		return nil, err
	}
	if img, err = mutate.Config(img, *cfg); err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, v1.Time{Time: epoch})
}

// packageStream reads and checks the package root: exactly one package metadata
// object (meta.pkg.crossplane.io) in crossplane.yaml, every document with apiVersion
// and kind. Crossplane lints the rest when it installs the package.
func packageStream(root string) ([]byte, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Base(path) == metaFile {
			return nil
		}
		if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read package root %s: %w", root, err)
	}
	sort.Strings(files)
	files = append([]string{filepath.Join(root, metaFile)}, files...)
	var out bytes.Buffer
	metas := 0
	for _, f := range files {
		b, err := os.ReadFile(f) //nolint:gosec // package sources of this repository
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", f, err)
		}
		dec := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := dec.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 || isComments(doc) {
				continue
			}
			var tm struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if tm.APIVersion == "" || tm.Kind == "" {
				return nil, fmt.Errorf("%s: a document has no apiVersion or kind", f)
			}
			if strings.HasPrefix(tm.APIVersion, metaGroup+"/") {
				if filepath.Base(f) != metaFile {
					return nil, fmt.Errorf("%s: package metadata belongs in %s", f, metaFile)
				}
				metas++
			}
			out.WriteString("---\n")
			out.Write(bytes.TrimRight(doc, "\n"))
			out.WriteString("\n")
		}
	}
	if metas != 1 {
		return nil, fmt.Errorf("%s: want exactly one %s object, found %d", filepath.Join(root, metaFile), metaGroup, metas)
	}
	return out.Bytes(), nil
}

func isComments(doc []byte) bool {
	for _, l := range strings.Split(string(doc), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			return false
		}
	}
	return true
}

// Platforms the runtime images are built for by default.
var Platforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// Provider, Function and Configuration are this project's packages, relative to the
// module root.
var (
	Provider = Package{
		Name: "provider-docr", Root: "package/provider", Binary: "./cmd/provider",
		Entrypoint: "/usr/local/bin/provider", Ports: []string{"8080/tcp", "8081/tcp"},
	}
	Function = Package{
		Name: "function-docr", Root: "package/function", Binary: "./functions/docr",
		Entrypoint: "/usr/local/bin/function", Ports: []string{"9443/tcp", "8080/tcp"},
	}
	Configuration = Package{Name: "configuration-docr", Root: "package/configuration"}
)

// InRoot returns p with its package root made absolute under moduleRoot.
func (p Package) InRoot(moduleRoot string) Package {
	if !filepath.IsAbs(p.Root) {
		p.Root = filepath.Join(moduleRoot, p.Root)
	}
	return p
}
