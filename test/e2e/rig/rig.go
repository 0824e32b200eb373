// Package rig runs the whole stack on loopback, as a user's cluster would run it: the
// local control plane (etcd, kube-apiserver, kube-controller-manager), the DigitalOcean
// simulator, an OCI registry serving this project's packages, Crossplane core with the
// External package runtime, and the provider and function as local processes. Packages
// are installed through Crossplane's package manager; the rig plays the package runtime
// (revision endpoint and TLS Secrets). The end-to-end suite, `make dev` and the chaos
// suite use it.
package rig

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-docr/cluster/xpkg"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// Names used by the rig.
const (
	CrossplaneNamespace = "crossplane-system"
	// PackageOrg is the organisation in the packages' names; an ImageConfig rewrites
	// it to the loopback registry, so objects carry the names users write.
	PackageOrg     = "xpkg.crossplane.io/crossplane-contrib/"
	caSecret       = "crossplane-root-ca"
	clientSecret   = "crossplane-tls-client"
	serverSecret   = "crossplane-tls-server"
	imageConfig    = "rig-loopback-registry"
	defaultVersion = "v0.1.0"
)

// Options configure a rig.
type Options struct {
	// ModuleRoot is the repository root; default: found from the working directory.
	ModuleRoot string
	// Dir holds logs, certificates, binaries and state; default: a new temporary
	// directory removed by Stop. A given Dir is kept (make dev resumes from it).
	Dir string
	// Log receives progress lines; default: discarded.
	Log io.Writer
	// Version tags the packages in the loopback registry; default v0.1.0.
	Version string
	// Function and Provider override the packages (tests of the rig itself).
	Function, Provider, Configuration *xpkg.Package
	// FunctionArgs and ProviderArgs are extra arguments of the processes.
	FunctionArgs, ProviderArgs []string
	// ProviderEnv is extra environment of the provider process.
	ProviderEnv []string
	// NoSignalHandler leaves SIGINT/SIGTERM to the caller, who must call Stop (make dev).
	NoSignalHandler bool
	// Simulator, when set, starts a DigitalOcean simulator in-process (StartCore).
	Simulator *docrsim.Options
	// APIServerFlags are appended to kube-apiserver's command line (e.g. audit logging).
	APIServerFlags []string
}

// Rig is a running stack. Methods are safe to call from one goroutine (the test).
type Rig struct {
	opts    Options
	Dir     string
	tempDir bool
	logf    func(format string, args ...any)

	CP   *controlplane.ControlPlane
	Kube client.Client

	Registry string // host:port of the loopback OCI registry
	regSrv   *http.Server

	Sim    *docrsim.Server
	SimURL string

	Core     *Process // replaced by RestartCore; read it through CoreProcess from other goroutines
	coreCmd  command
	Function *Process
	Provider *Process
	// ProviderKubeconfig, when set, is the provider's kubeconfig from its next
	// StartProvider on (a test running it under a restricted identity); default the
	// control plane's admin kubeconfig.
	ProviderKubeconfig string

	functionAddr string
	built        map[string]string // main package -> host binary

	mu       sync.Mutex
	runtimes map[string]*pkgRuntime // package name (metadata.name of the Package) -> runtime
	stopLoop context.CancelFunc
	loopDone chan struct{}
}

// pkgRuntime is what the rig knows about one package it runs.
type pkgRuntime struct {
	kind     string // Function or Provider
	endpoint string // functions only
	healthy  func() bool
	certPEM  []byte
	keyPEM   []byte
}

// New prepares a rig; Start* methods bring parts up.
func New(opts Options) (*Rig, error) {
	if opts.ModuleRoot == "" {
		root, err := controlplane.RepoRoot()
		if err != nil {
			return nil, err
		}
		opts.ModuleRoot = root
	}
	if opts.Version == "" {
		opts.Version = defaultVersion
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	r := &Rig{opts: opts, Dir: opts.Dir, built: map[string]string{}, runtimes: map[string]*pkgRuntime{}}
	if r.Dir == "" {
		d, err := os.MkdirTemp("", "docr-e2e-")
		if err != nil {
			return nil, err
		}
		r.Dir, r.tempDir = d, true
	}
	for _, d := range []string{"logs", "bin", "certs", "xpkg-cache", "xpkg"} {
		if err := os.MkdirAll(filepath.Join(r.Dir, d), 0o755); err != nil { //nolint:gosec // test state
			return nil, err
		}
	}
	start := time.Now()
	r.logf = func(format string, args ...any) {
		fmt.Fprintf(opts.Log, "[rig %6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	return r, nil
}

// StartCore brings up the control plane, the loopback OCI registry and Crossplane core.
func (r *Rig) StartCore(ctx context.Context) error {
	r.logf("starting the control plane (etcd, kube-apiserver, kube-controller-manager)")
	cp, err := controlplane.Start(ctx, controlplane.Options{
		Dir: filepath.Join(r.Dir, "controlplane"), Logf: r.logf, NoSignalHandler: r.opts.NoSignalHandler,
		APIServerFlags: r.opts.APIServerFlags,
	})
	if err != nil {
		return fmt.Errorf("control plane: %w", err)
	}
	r.CP = cp
	if r.Kube, err = client.New(cp.RESTConfig(), client.Options{Scheme: scheme.Scheme}); err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}

	if err := r.startRegistry(); err != nil {
		return err
	}
	if r.opts.Simulator != nil {
		if err := r.startSimulator(*r.opts.Simulator); err != nil {
			return err
		}
	}
	if err := r.startCrossplane(ctx); err != nil {
		return err
	}
	ctxLoop, cancel := context.WithCancel(context.Background())
	r.stopLoop, r.loopDone = cancel, make(chan struct{})
	go r.playRuntime(ctxLoop)
	return nil
}

func (r *Rig) startRegistry() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("OCI registry: %w", err)
	}
	r.Registry = l.Addr().String()
	lf, err := os.Create(filepath.Join(r.Dir, "logs", "registry.log"))
	if err != nil {
		return err
	}
	r.regSrv = &http.Server{Handler: registry.New(registry.Logger(log.New(lf, "", log.LstdFlags))), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.regSrv.Serve(l) }()
	r.logf("OCI registry on %s", r.Registry)
	return nil
}

func (r *Rig) startSimulator(o docrsim.Options) error {
	lf, err := os.OpenFile(filepath.Join(r.Dir, "logs", "simulator.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	o.Logf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(lf, time.Now().UTC().Format("15:04:05.000 ")+format+"\n", args...)
	}
	if r.Sim, err = docrsim.New(o); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	if r.SimURL, err = r.Sim.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	r.logf("DigitalOcean simulator on %s", r.SimURL)
	return nil
}

// ApplyClusterProviderConfig stores token in a Secret in crossplane-system and points a
// ClusterProviderConfig at apiURL (the simulator when empty) with it.
func (r *Rig) ApplyClusterProviderConfig(ctx context.Context, name, token, apiURL string) error {
	if apiURL == "" {
		apiURL = r.SimURL
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: CrossplaneNamespace, Name: name + "-docr-token"},
		StringData: map[string]string{"token": token},
	}
	if err := r.Kube.Create(ctx, sec); err != nil && !kerrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create the token Secret: %w", err)
	}
	url := ""
	if apiURL != "" {
		url = "\n  apiURL: " + apiURL
	}
	return r.Apply(ctx, fmt.Sprintf(`apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata:
  name: %s
spec:%s
  credentials:
    source: Secret
    secretRef: {namespace: %s, name: %s, key: token}
`, name, url, CrossplaneNamespace, sec.Name))
}

// ApplyProviderConfig does the same for a namespaced ProviderConfig, whose Secret lives
// in its own namespace.
func (r *Rig) ApplyProviderConfig(ctx context.Context, namespace, name, token string) error {
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name + "-docr-token"},
		StringData: map[string]string{"token": token},
	}
	if err := r.Kube.Create(ctx, sec); err != nil && !kerrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create the token Secret: %w", err)
	}
	return r.Apply(ctx, fmt.Sprintf(`apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: ProviderConfig
metadata:
  name: %s
  namespace: %s
spec:
  apiURL: %s
  credentials:
    source: Secret
    secretRef: {name: %s, key: token}
`, name, namespace, r.SimURL, sec.Name))
}

func (r *Rig) startCrossplane(ctx context.Context) error {
	tool, err := controlplane.Tool("crossplane")
	if err != nil {
		return err
	}
	bin, err := coreBinary(ctx, r.logf)
	if err != nil {
		return err
	}
	crds := filepath.Join(filepath.Dir(filepath.Dir(tool)), "crossplane-crds")
	if _, err := os.Stat(crds); err != nil {
		return fmt.Errorf("crossplane CRDs not found next to the tools (run `make tools`): %w", err)
	}
	hooks, err := webhookConfigsPath(ctx, tool)
	if err != nil {
		return err
	}
	env := []string{
		"KUBECONFIG=" + r.CP.Kubeconfig,
		"CRDS_PATH=" + crds,
		"POD_NAMESPACE=" + CrossplaneNamespace,
		"TLS_CA_SECRET_NAME=" + caSecret,
		"TLS_CLIENT_SECRET_NAME=" + clientSecret,
		"TLS_SERVER_SECRET_NAME=" + serverSecret,
		"WEBHOOK_CONFIGS_PATH=" + hooks,
		"WEBHOOK_SERVICE_NAME=crossplane-webhooks",
		"WEBHOOK_SERVICE_NAMESPACE=" + CrossplaneNamespace,
		"WEBHOOK_SERVICE_PORT=9443",
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: CrossplaneNamespace}}
	if err := r.Kube.Create(ctx, ns); err != nil && !kerrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create namespace %s: %w", CrossplaneNamespace, err)
	}
	// init installs the core CRDs and the CA; a CRD can race its own establishment, so
	// it is retried.
	var initErr error
	for attempt := 1; attempt <= 3; attempt++ {
		r.logf("crossplane core init (attempt %d)", attempt)
		initErr = r.runOnce(ctx, "crossplane-init", bin, []string{"core", "init", "--activation=*"}, env, 5*time.Minute)
		if initErr == nil {
			break
		}
	}
	if initErr != nil {
		return initErr
	}
	sec := &corev1.Secret{}
	if err := r.Kube.Get(ctx, types.NamespacedName{Namespace: CrossplaneNamespace, Name: clientSecret}, sec); err != nil {
		return fmt.Errorf("crossplane core init made no client certificate: %w", err)
	}
	clientDir := filepath.Join(r.Dir, "certs", "crossplane-client")
	if err := writeSecretFiles(clientDir, sec.Data); err != nil {
		return err
	}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	// Webhooks stay on, so Usages are enforced and their controller runs as in a
	// cluster. The API server reaches core's webhook server by URL on loopback with a
	// certificate for 127.0.0.1 from Crossplane's CA (no Service, no kube-proxy here).
	serverDir := filepath.Join(r.Dir, "certs", "crossplane-server")
	ca := &corev1.Secret{}
	if err := r.Kube.Get(ctx, types.NamespacedName{Namespace: CrossplaneNamespace, Name: caSecret}, ca); err != nil {
		return fmt.Errorf("crossplane core init made no CA: %w", err)
	}
	certPEM, keyPEM, err := issueCert(ca.Data["tls.crt"], ca.Data["tls.key"], "crossplane-webhooks")
	if err != nil {
		return err
	}
	if err := writeSecretFiles(serverDir, map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM, "ca.crt": ca.Data["tls.crt"]}); err != nil {
		return err
	}
	if err := r.pointWebhooksAt(ctx, fmt.Sprintf("https://127.0.0.1:%d", ports[2]), ca.Data["tls.crt"]); err != nil {
		return err
	}
	args := []string{
		"core", "start",
		"--package-runtime=External",
		"--tls-server-certs-dir=" + serverDir,
		fmt.Sprintf("--webhook-port=%d", ports[2]),
		"--namespace=" + CrossplaneNamespace,
		"--tls-client-certs-dir=" + clientDir,
		"--xpkg-cache-dir=" + filepath.Join(r.Dir, "xpkg-cache"),
		fmt.Sprintf("--metrics-port=%d", ports[0]),
		fmt.Sprintf("--health-probe-port=%d", ports[1]),
		"--poll-interval=30s",
		"--debug",
	}
	r.logf("crossplane core start")
	r.coreCmd = command{bin: bin, args: args, env: env}
	if err := r.startCoreProcess(); err != nil {
		return err
	}
	// The ImageConfig makes xpkg.crossplane.io/crossplane-contrib/* resolve to the
	// loopback registry; the apply waits for core's CRDs to be served.
	ic := fmt.Sprintf(`apiVersion: pkg.crossplane.io/v1beta1
kind: ImageConfig
metadata:
  name: %s
spec:
  matchImages:
    - type: Prefix
      prefix: %s
  rewriteImage:
    prefix: %s/crossplane-contrib/
`, imageConfig, PackageOrg, r.Registry)
	return r.Eventually(ctx, 2*time.Minute, "ImageConfig accepted", func() (bool, error) {
		return r.Apply(ctx, ic) == nil, nil
	})
}

// webhookConfigsPath finds core's webhook configurations in the Crossplane module the
// tools were built from.
func webhookConfigsPath(ctx context.Context, tool string) (string, error) {
	src := filepath.Join(filepath.Dir(filepath.Dir(tool)), "src", "crossplane")
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/crossplane/crossplane/v2")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot find the Crossplane module from %s (run `make tools`): %w", src, err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "cluster", "webhookconfigurations")
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// pointWebhooksAt makes core's webhook configurations call url (plus each webhook's
// path) instead of a Service.
func (r *Rig) pointWebhooksAt(ctx context.Context, url string, caBundle []byte) error {
	for _, kind := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: kind + "List"})
		if err := r.Kube.List(ctx, l); err != nil {
			return err
		}
		for i := range l.Items {
			wc := &l.Items[i]
			hooks, _, _ := unstructured.NestedSlice(wc.Object, "webhooks")
			changed := false
			for j, h := range hooks {
				m, _ := h.(map[string]any)
				cc, _ := m["clientConfig"].(map[string]any)
				svc, ok := cc["service"].(map[string]any)
				if !ok {
					continue
				}
				path, _ := svc["path"].(string)
				m["clientConfig"] = map[string]any{"url": url + path, "caBundle": base64.StdEncoding.EncodeToString(caBundle)}
				hooks[j], changed = m, true
			}
			if !changed {
				continue
			}
			_ = unstructured.SetNestedSlice(wc.Object, hooks, "webhooks")
			if err := r.Kube.Update(ctx, wc); err != nil {
				return fmt.Errorf("cannot point %s %s at %s: %w", kind, wc.GetName(), url, err)
			}
			r.logf("%s %s calls %s", kind, wc.GetName(), url)
		}
	}
	return nil
}

// runOnce runs a short-lived command with the rig's hygiene and a deadline.
func (r *Rig) runOnce(ctx context.Context, name, bin string, args, env []string, timeout time.Duration) error {
	p, err := StartProcess(name, bin, args, env, filepath.Join(r.Dir, "logs", name+".log"))
	if err != nil {
		return err
	}
	select {
	case <-p.Done():
	case <-time.After(timeout):
		p.Stop(time.Second)
		return fmt.Errorf("%s timed out after %s:\n%s", name, timeout, p.Tail(40))
	case <-ctx.Done():
		p.Stop(time.Second)
		return ctx.Err()
	}
	if !p.cmd.ProcessState.Success() {
		return fmt.Errorf("%s failed (%s):\n%s", name, p.cmd.ProcessState, p.Tail(40))
	}
	return nil
}

// Build compiles a main package of the module for this machine (static, trimmed).
func (r *Rig) Build(ctx context.Context, mainPkg string) (string, error) {
	if b, ok := r.built[mainPkg]; ok {
		return b, nil
	}
	out := filepath.Join(r.Dir, "bin", strings.ReplaceAll(strings.Trim(mainPkg, "./"), "/", "-"))
	r.logf("go build %s", mainPkg)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, mainPkg)
	cmd.Dir = r.opts.ModuleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", mainPkg, err, b)
	}
	r.built[mainPkg] = out
	return out, nil
}

// PushPackage builds a package (runtime image for linux/amd64, the platform
// Crossplane's fetcher picks from an index) and pushes it to the loopback registry as
// crossplane-contrib/<name>:<version>. It returns the digest.
func (r *Rig) PushPackage(ctx context.Context, p xpkg.Package) (v1.Hash, error) {
	p = p.InRoot(r.opts.ModuleRoot)
	if p.Binary != "" && runtime.GOARCH == "amd64" {
		bin, err := r.Build(ctx, p.Binary)
		if err != nil {
			return v1.Hash{}, err
		}
		p.BinaryPath = map[string]string{"linux/amd64": bin}
	}
	res, err := xpkg.Build(ctx, xpkg.Options{
		ModuleRoot: r.opts.ModuleRoot, Out: filepath.Join(r.Dir, "xpkg", p.Name),
		Platforms: []v1.Platform{{OS: "linux", Architecture: "amd64"}}, Epoch: time.Unix(0, 0).UTC(),
	}, p)
	if err != nil {
		return v1.Hash{}, err
	}
	ref, err := name.ParseReference(fmt.Sprintf("%s/crossplane-contrib/%s:%s", r.Registry, p.Name, r.opts.Version))
	if err != nil {
		return v1.Hash{}, err
	}
	switch a := res[0].Artifact().(type) {
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, a, remote.WithContext(ctx))
	case v1.Image:
		err = remote.Write(ref, a, remote.WithContext(ctx))
	}
	if err != nil {
		return v1.Hash{}, fmt.Errorf("cannot push %s: %w", ref, err)
	}
	r.logf("pushed %s (%s)", ref, res[0].Digest)
	return res[0].Digest, nil
}

// PackageRef is the name users write for one of this project's packages.
func (r *Rig) PackageRef(pkgName string) string {
	return PackageOrg + pkgName + ":" + r.opts.Version
}

func (r *Rig) pkg(override *xpkg.Package, def xpkg.Package) xpkg.Package {
	if override != nil {
		return *override
	}
	return def
}

// InstallFunction pushes the function package, creates a Function for it, runs the
// function process with a certificate from Crossplane's CA and waits until the
// FunctionRevision is Healthy.
func (r *Rig) InstallFunction(ctx context.Context) error {
	p := r.pkg(r.opts.Function, xpkg.Function)
	if _, err := r.PushPackage(ctx, p); err != nil {
		return err
	}
	bin, err := r.Build(ctx, p.Binary)
	if err != nil {
		return err
	}
	objName := "crossplane-contrib-" + p.Name
	certDir := filepath.Join(r.Dir, "certs", p.Name)
	rt, err := r.serverCert(ctx, objName, "Function", certDir)
	if err != nil {
		return err
	}
	port, err := freePorts(2)
	if err != nil {
		return err
	}
	endpoint := fmt.Sprintf("127.0.0.1:%d", port[0])
	r.functionAddr = endpoint
	args := append([]string{"--address=" + endpoint, "--tls-certs-dir=" + certDir, fmt.Sprintf("--metrics-address=127.0.0.1:%d", port[1]), "--debug"}, r.opts.FunctionArgs...)
	if r.Function, err = StartProcess(p.Name, bin, args, nil, filepath.Join(r.Dir, "logs", p.Name+".log")); err != nil {
		return err
	}
	fn := r.Function
	r.mu.Lock()
	rt.endpoint = endpoint
	rt.healthy = func() bool { return !fn.Exited() && dialable(endpoint) }
	r.mu.Unlock()
	r.logf("installing Function %s", r.PackageRef(p.Name))
	if err := r.Apply(ctx, fmt.Sprintf("apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: %s\nspec:\n  package: %s\n", objName, r.PackageRef(p.Name))); err != nil {
		return err
	}
	return r.WaitPackageHealthy(ctx, "Function", objName, 5*time.Minute)
}

// InstallProvider pushes the provider package, creates a Provider, waits for its CRDs,
// runs the provider process against the control plane and waits until the
// ProviderRevision is Healthy.
func (r *Rig) InstallProvider(ctx context.Context) error {
	p := r.pkg(r.opts.Provider, xpkg.Provider)
	if _, err := r.PushPackage(ctx, p); err != nil {
		return err
	}
	if _, err := r.Build(ctx, p.Binary); err != nil {
		return err
	}
	objName := "crossplane-contrib-" + p.Name
	rt, err := r.serverCert(ctx, objName, "Provider", filepath.Join(r.Dir, "certs", p.Name))
	if err != nil {
		return err
	}
	r.mu.Lock()
	rt.healthy = func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.Provider != nil && !r.Provider.Exited()
	}
	r.mu.Unlock()
	r.logf("installing Provider %s", r.PackageRef(p.Name))
	if err := r.Apply(ctx, fmt.Sprintf("apiVersion: pkg.crossplane.io/v1\nkind: Provider\nmetadata:\n  name: %s\nspec:\n  package: %s\n", objName, r.PackageRef(p.Name))); err != nil {
		return err
	}
	// The provider watches its kinds: start it once Crossplane established their CRDs.
	crds, err := packageCRDs(p.InRoot(r.opts.ModuleRoot).Root)
	if err != nil {
		return err
	}
	if err := r.Eventually(ctx, 3*time.Minute, "provider CRDs established", func() (bool, error) {
		for _, c := range crds {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
			if err := r.Kube.Get(ctx, types.NamespacedName{Name: c}, u); err != nil {
				return false, nil //nolint:nilerr // not there yet
			}
			if !HasCondition(u, "Established", "True") {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return fmt.Errorf("%w (%s)", err, r.revisionConditions(ctx, "Provider", objName))
	}
	if err := r.StartProvider(ctx); err != nil {
		return err
	}
	return r.WaitPackageHealthy(ctx, "Provider", objName, 3*time.Minute)
}

// StartProvider (re)starts the provider process.
func (r *Rig) StartProvider(ctx context.Context) error {
	p := r.pkg(r.opts.Provider, xpkg.Provider)
	bin, err := r.Build(ctx, p.Binary)
	if err != nil {
		return err
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	args := append([]string{"--debug", fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", ports[0]), fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", ports[1])}, r.opts.ProviderArgs...)
	kubeconfig := r.CP.Kubeconfig
	if r.ProviderKubeconfig != "" {
		kubeconfig = r.ProviderKubeconfig
	}
	env := append([]string{"KUBECONFIG=" + kubeconfig}, r.opts.ProviderEnv...)
	proc, err := StartProcess(p.Name, bin, args, env, filepath.Join(r.Dir, "logs", p.Name+".log"))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.Provider = proc
	r.mu.Unlock()
	return nil
}

// InstallConfiguration pushes the Configuration package, creates a Configuration and
// waits until its revision is Healthy (its XRD and Composition established, its
// dependencies the installed provider and function).
func (r *Rig) InstallConfiguration(ctx context.Context) error {
	p := r.pkg(r.opts.Configuration, xpkg.Configuration)
	if _, err := r.PushPackage(ctx, p); err != nil {
		return err
	}
	objName := "crossplane-contrib-" + p.Name
	r.logf("installing Configuration %s", r.PackageRef(p.Name))
	if err := r.Apply(ctx, fmt.Sprintf("apiVersion: pkg.crossplane.io/v1\nkind: Configuration\nmetadata:\n  name: %s\nspec:\n  package: %s\n", objName, r.PackageRef(p.Name))); err != nil {
		return err
	}
	return r.WaitPackageHealthy(ctx, "Configuration", objName, 5*time.Minute)
}

// WaitPackageHealthy waits until a package (resource "functions", "providers" or
// "configurations") is Installed and Healthy, as `kubectl get` shows it to a user: its
// active revision established its objects and, for packages with a runtime, the rig's
// process is up.
func (r *Rig) WaitPackageHealthy(ctx context.Context, kind, name string, timeout time.Duration) error {
	var last string
	err := r.Eventually(ctx, timeout, kind+" "+name+" Installed and Healthy", func() (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: kind})
		if err := r.Kube.Get(ctx, types.NamespacedName{Name: name}, u); err != nil {
			last = err.Error()
			return false, nil
		}
		last = conditionsString(u)
		if rl := r.revisionConditions(ctx, kind, name); rl != "" {
			last += "; " + rl
		}
		return HasCondition(u, "Installed", "True") && HasCondition(u, "Healthy", "True"), nil
	})
	if err != nil {
		return fmt.Errorf("%w (last seen: %s)", err, last)
	}
	r.logf("%s %s Installed and Healthy", kind, name)
	return nil
}

// revisionConditions describes the active revision of a package, for error messages.
func (r *Rig) revisionConditions(ctx context.Context, kind, name string) string {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: kind + "RevisionList"})
	if err := r.Kube.List(ctx, l, client.MatchingLabels{"pkg.crossplane.io/package": name}); err != nil {
		return ""
	}
	var out []string
	for i := range l.Items {
		out = append(out, conditionsString(&l.Items[i]))
	}
	return strings.Join(out, "; ")
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// serverCert issues (or reloads) the certificate of a package runtime from Crossplane's
// CA, writes tls.crt, tls.key and ca.crt into dir and registers the runtime so the
// runtime loop publishes it.
func (r *Rig) serverCert(ctx context.Context, objName, kind, dir string) (*pkgRuntime, error) {
	ca := &corev1.Secret{}
	if err := r.Kube.Get(ctx, types.NamespacedName{Namespace: CrossplaneNamespace, Name: caSecret}, ca); err != nil {
		return nil, fmt.Errorf("cannot read Crossplane's CA: %w", err)
	}
	certPEM, keyPEM, err := issueCert(ca.Data["tls.crt"], ca.Data["tls.key"], objName)
	if err != nil {
		return nil, err
	}
	if err := writeSecretFiles(dir, map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM, "ca.crt": ca.Data["tls.crt"]}); err != nil {
		return nil, err
	}
	rt := &pkgRuntime{kind: kind, certPEM: certPEM, keyPEM: keyPEM}
	r.mu.Lock()
	r.runtimes[objName] = rt
	r.mu.Unlock()
	return rt, nil
}

// Stop stops everything the rig started, in reverse order. It is safe to call twice
// and after a partial start.
func (r *Rig) Stop() {
	if r.stopLoop != nil {
		r.stopLoop()
		<-r.loopDone
		r.stopLoop = nil
	}
	for _, p := range []*Process{r.Provider, r.Function, r.CoreProcess()} {
		if p != nil && !p.Exited() {
			p.Stop(10 * time.Second)
		}
	}
	if r.regSrv != nil {
		_ = r.regSrv.Close()
	}
	if r.Sim != nil {
		if err := r.Sim.Close(); err != nil {
			r.logf("stopping the simulator: %v", err)
		}
		r.Sim = nil
	}
	if r.CP != nil {
		if err := r.CP.Stop(); err != nil {
			r.logf("stopping the control plane: %v", err)
		}
		r.CP = nil
	}
	if r.tempDir && os.Getenv("DOCR_E2E_KEEP") == "" {
		_ = os.RemoveAll(r.Dir)
	}
}

// Logs returns the tails of every log, for a failed test to print.
func (r *Rig) Logs(lines int) string {
	var b strings.Builder
	entries, _ := os.ReadDir(filepath.Join(r.Dir, "logs"))
	for _, e := range entries {
		fmt.Fprintf(&b, "\n===== %s (last %d lines) =====\n%s\n", e.Name(), lines, tailFile(filepath.Join(r.Dir, "logs", e.Name()), lines))
	}
	return b.String()
}

// Eventually polls cond every half second until it is true, its error is non-nil, the
// timeout passes, or a process of the rig dies.
func (r *Rig) Eventually(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		if c := r.CoreProcess(); c != nil && c.Exited() {
			return fmt.Errorf("%s: crossplane core exited:\n%s", what, c.Tail(30))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not within %s: %w", what, timeout, ctx.Err())
		case <-t.C:
		}
	}
}

// Apply creates or updates the objects of a YAML stream (server-side apply, forced).
func (r *Rig) Apply(ctx context.Context, manifests string) error {
	for _, doc := range strings.Split(manifests, "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return fmt.Errorf("cannot parse manifest: %w\n%s", err, doc)
		}
		if len(u.Object) == 0 {
			continue
		}
		if err := r.Kube.Patch(ctx, u, client.Apply, client.FieldOwner("e2e-rig"), client.ForceOwnership); err != nil { //nolint:staticcheck // unstructured apply
			return fmt.Errorf("cannot apply %s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	return nil
}

// HasCondition reports whether an object has the condition typ with status.
func HasCondition(u *unstructured.Unstructured, typ, status string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ && m["status"] == status {
			return true
		}
	}
	return false
}

// Conditions renders an object's conditions for a failure message.
func Conditions(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	parts := make([]string, 0, len(conds))
	for _, c := range conds {
		m, _ := c.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v=%v %v: %v", m["type"], m["status"], m["reason"], m["message"]))
	}
	return strings.Join(parts, "; ")
}

func conditionsString(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	parts := make([]string, 0, len(conds))
	for _, c := range conds {
		m, _ := c.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v=%v (%v: %v)", m["type"], m["status"], m["reason"], m["message"]))
	}
	return u.GetKind() + " " + u.GetName() + ": " + strings.Join(parts, "; ")
}

// packageCRDs lists the CRD names under a package root.
func packageCRDs(root string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, err := os.ReadFile(path) //nolint:gosec // package sources
		if err != nil {
			return err
		}
		for _, doc := range strings.Split(string(b), "\n---") {
			var m struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if yaml.Unmarshal([]byte(doc), &m) == nil && m.Kind == "CustomResourceDefinition" {
				names = append(names, m.Metadata.Name)
			}
		}
		return nil
	})
	return names, err
}

func writeSecretFiles(dir string, data map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for k, v := range data {
		if err := os.WriteFile(filepath.Join(dir, k), v, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
