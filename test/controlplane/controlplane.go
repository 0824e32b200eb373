// Package controlplane runs a real, local Kubernetes control plane for tests and `make dev`:
// etcd, kube-apiserver (RBAC, token and client-certificate authentication) and
// kube-controller-manager (garbage collection, namespace deletion, service accounts), all on
// 127.0.0.1 with free ports, from the pinned binaries that `make tools` builds.
//
// It never leaves processes behind: children are killed by the kernel when the parent dies
// (Pdeathsig), on SIGINT/SIGTERM by a signal handler, and by Stop otherwise.
package controlplane

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// User is an identity tests can act as, to exercise RBAC.
type User struct {
	Name   string
	Groups []string
}

// AdminUser is the identity of RESTConfig and the kubeconfig: a member of system:masters.
var AdminUser = User{Name: "docr-admin", Groups: []string{"system:masters"}}

// DefaultControllers are the kube-controller-manager controllers a control plane without
// nodes needs: owner-reference garbage collection, namespace deletion, service accounts and
// their tokens, the root CA ConfigMap, and ClusterRole aggregation (Crossplane's RBAC
// manager relies on aggregated ClusterRoles).
var DefaultControllers = []string{
	"garbage-collector-controller",
	"namespace-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller",
	"clusterrole-aggregation-controller",
}

// Options configure Start. The zero value is a throw-away control plane in a temp dir.
type Options struct {
	// Dir holds data, keys, logs and the kubeconfig. When set it is kept by Stop and reused
	// by the next Start (etcd data, keys and ports survive). When empty a temporary directory
	// is used and removed by Stop.
	Dir string
	// Users get a bearer token in the token file and a context in the kubeconfig. Any user,
	// listed or not, can get a rest.Config from RESTConfigFor (client certificates).
	Users []User
	// Logf receives progress lines (startup time). Default: stderr.
	Logf func(format string, args ...any)
	// ReadyTimeout bounds the wait for each component's readiness. Default 4 minutes: a
	// loaded 2-core machine can take a minute to bring up kube-apiserver.
	ReadyTimeout time.Duration
	// Controllers overrides DefaultControllers.
	Controllers []string
	// NoControllerManager skips kube-controller-manager (no GC, no namespace deletion).
	NoControllerManager bool
	// APIServerFlags are appended to kube-apiserver's command line.
	APIServerFlags []string
	// NoSignalHandler leaves SIGINT/SIGTERM to the caller (who must call Stop). Children still
	// die with the process through Pdeathsig.
	NoSignalHandler bool
}

// Component names, also the names of their log files in <Dir>/logs.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
)

// ControlPlane is a running control plane.
type ControlPlane struct {
	// Dir is the state directory; Kubeconfig the admin kubeconfig inside it.
	Dir        string
	Kubeconfig string
	// Host is the kube-apiserver URL.
	Host string
	// StartupTime is how long Start took until every component was ready.
	StartupTime time.Duration

	opts       Options
	temp       bool
	pki        *pki
	adminToken string
	ports      ports
	logf       func(string, ...any)

	mu    sync.Mutex
	procs []*process // in start order
	stop  sync.Once
}

type ports struct {
	EtcdClient int `json:"etcdClient"`
	EtcdPeer   int `json:"etcdPeer"`
	APIServer  int `json:"apiServer"`
	KCM        int `json:"kubeControllerManager"`
}

// Start starts etcd, kube-apiserver and kube-controller-manager and waits until all are
// ready. On error nothing is left running.
func Start(ctx context.Context, o Options) (*ControlPlane, error) {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		var cp *ControlPlane
		cp, err = start(ctx, o)
		if err == nil {
			return cp, nil
		}
		// Free ports are picked then released; another process may grab one meanwhile.
		if !strings.Contains(err.Error(), "address already in use") || ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

func start(ctx context.Context, o Options) (*ControlPlane, error) {
	begin := time.Now()
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 4 * time.Minute
	}
	if o.Controllers == nil {
		o.Controllers = DefaultControllers
	}
	logf := o.Logf
	if logf == nil {
		logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "controlplane: "+format+"\n", args...) }
	}
	bins := map[string]string{}
	for _, name := range []string{Etcd, KubeAPIServer, KubeControllerManager} {
		p, err := Tool(name)
		if err != nil {
			return nil, err
		}
		bins[name] = p
	}

	cp := &ControlPlane{opts: o, logf: logf, Dir: o.Dir}
	if cp.Dir == "" {
		d, err := os.MkdirTemp("", "docr-controlplane-")
		if err != nil {
			return nil, fmt.Errorf("cannot create control plane directory: %w", err)
		}
		cp.Dir, cp.temp = d, true
	}
	d, err := filepath.Abs(cp.Dir)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve %s: %w", cp.Dir, err)
	}
	cp.Dir = d
	fail := func(err error) (*ControlPlane, error) {
		_ = cp.Stop()
		return nil, err
	}
	for _, sub := range []string{"logs", "etcd", "kube-apiserver", "kube-controller-manager"} {
		if err := os.MkdirAll(filepath.Join(cp.Dir, sub), 0o700); err != nil {
			return fail(fmt.Errorf("cannot create %s: %w", sub, err))
		}
	}
	if cp.pki, err = loadOrCreatePKI(filepath.Join(cp.Dir, "pki")); err != nil {
		return fail(err)
	}
	if cp.adminToken, err = persistentToken(filepath.Join(cp.pki.dir, "admin.token")); err != nil {
		return fail(err)
	}
	tokenFile, userTokens, err := cp.writeTokenFile()
	if err != nil {
		return fail(err)
	}
	if cp.ports, err = cp.pickPorts(); err != nil {
		return fail(err)
	}
	cp.Host = fmt.Sprintf("https://127.0.0.1:%d", cp.ports.APIServer)
	cp.Kubeconfig = filepath.Join(cp.Dir, "kubeconfig")

	if !o.NoSignalHandler {
		register(cp)
	}

	// etcd
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", cp.ports.EtcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", cp.ports.EtcdPeer)
	if err := cp.run(ctx, Etcd, bins[Etcd], []string{
		"--name=default",
		"--data-dir=" + filepath.Join(cp.Dir, "etcd"),
		"--listen-client-urls=" + etcdURL,
		"--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL,
		// A local rig: the page cache survives a killed etcd, and fsync dominates its latency.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}, httpCheck(plainClient(), etcdURL+"/health", "")); err != nil {
		return fail(err)
	}

	// kube-apiserver
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(cp.ports.APIServer),
		"--cert-dir=" + filepath.Join(cp.Dir, "kube-apiserver"),
		"--tls-cert-file=" + cp.pki.certFile,
		"--tls-private-key-file=" + cp.pki.keyFile,
		"--client-ca-file=" + cp.pki.caFile,
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + cp.pki.saPub,
		"--service-account-signing-key-file=" + cp.pki.saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		// Fewer moving parts on a small machine; fairness queues only matter under contention
		// between tenants, which a test rig does not have.
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	}
	args = append(args, o.APIServerFlags...)
	apiClient, err := cp.httpClient()
	if err != nil {
		return fail(err)
	}
	if err := cp.run(ctx, KubeAPIServer, bins[KubeAPIServer], args,
		httpCheck(apiClient, cp.Host+"/readyz", cp.adminToken)); err != nil {
		return fail(err)
	}

	if err := cp.writeKubeconfig(cp.Kubeconfig, userTokens); err != nil {
		return fail(err)
	}

	// kube-controller-manager, as admin (its own RBAC identity would add nothing here).
	if !o.NoControllerManager {
		kcmKubeconfig := filepath.Join(cp.Dir, "kube-controller-manager", "kubeconfig")
		if err := cp.writeKubeconfig(kcmKubeconfig, nil); err != nil {
			return fail(err)
		}
		kcmURL := fmt.Sprintf("https://127.0.0.1:%d/healthz", cp.ports.KCM)
		if err := cp.run(ctx, KubeControllerManager, bins[KubeControllerManager], []string{
			"--kubeconfig=" + kcmKubeconfig,
			"--authentication-kubeconfig=" + kcmKubeconfig,
			"--authorization-kubeconfig=" + kcmKubeconfig,
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(cp.ports.KCM),
			"--cert-dir=" + filepath.Join(cp.Dir, "kube-controller-manager"),
			"--leader-elect=false",
			"--controllers=" + strings.Join(o.Controllers, ","),
			"--service-account-private-key-file=" + cp.pki.saKey,
			"--root-ca-file=" + cp.pki.caFile,
			"--use-service-account-credentials=false",
			"--profiling=false",
		}, httpCheck(insecureClient(), kcmURL, "")); err != nil {
			return fail(err)
		}
	}

	cp.StartupTime = time.Since(begin)
	logf("control plane ready in %s at %s (dir %s, kubeconfig %s)", cp.StartupTime.Round(time.Millisecond), cp.Host, cp.Dir, cp.Kubeconfig)
	return cp, nil
}

// run starts a component and polls its readiness check until it passes, the process exits
// or the timeout expires. Errors carry the tail of the component's log.
func (cp *ControlPlane) run(ctx context.Context, name, bin string, args []string, ready func(context.Context) error) error {
	p, err := startProcess(name, bin, args, filepath.Join(cp.Dir, "logs", name+".log"))
	if err != nil {
		return err
	}
	cp.mu.Lock()
	cp.procs = append(cp.procs, p)
	cp.mu.Unlock()
	return cp.waitReady(ctx, p, ready)
}

// waitReady polls a started component's readiness check.
func (cp *ControlPlane) waitReady(ctx context.Context, p *process, ready func(context.Context) error) error {
	name := p.name
	ctx, cancel := context.WithTimeout(ctx, cp.opts.ReadyTimeout)
	defer cancel()
	var last error
	for {
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
		last = ready(pctx)
		pcancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before becoming ready (%v); last lines of %s:\n%s", name, stateString(p.cmd, p.waitErr), p.logPath, tail(p.logPath, 30))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v; last lines of %s:\n%s", name, cp.opts.ReadyTimeout, last, p.logPath, tail(p.logPath, 30))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func httpCheck(c *http.Client, url, token string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rsp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer rsp.Body.Close() //nolint:errcheck // drained below
		body, _ := io.ReadAll(io.LimitReader(rsp.Body, 4096))
		if rsp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s", url, rsp.StatusCode, strings.TrimSpace(string(body)))
		}
		return nil
	}
}

func plainClient() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

// insecureClient talks to kube-controller-manager's self-signed health endpoint.
func insecureClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health probe
	}}
}

func (cp *ControlPlane) httpClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cp.pki.caPEM) {
		return nil, errors.New("cannot use control plane CA")
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}, nil
}

// pickPorts reuses the ports recorded in a kept Dir when they are still free (so a dev
// kubeconfig stays valid across restarts) and picks free ones otherwise.
func (cp *ControlPlane) pickPorts() (ports, error) {
	path := filepath.Join(cp.Dir, "ports.json")
	var p ports
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &p) == nil {
		if free(p.EtcdClient, p.EtcdPeer, p.APIServer, p.KCM) {
			return p, nil
		}
	}
	got, err := freePorts(4)
	if err != nil {
		return ports{}, err
	}
	p = ports{EtcdClient: got[0], EtcdPeer: got[1], APIServer: got[2], KCM: got[3]}
	b, _ := json.Marshal(p)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return ports{}, fmt.Errorf("cannot record ports: %w", err)
	}
	return p, nil
}

func free(ps ...int) bool {
	for _, p := range ps {
		if p == 0 {
			return false
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		_ = l.Close()
	}
	return true
}

// freePorts holds all listeners until every port is chosen, so the ports are distinct.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	out := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cannot find a free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot generate token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func persistentToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	t, err := randomToken()
	if err != nil {
		return "", err
	}
	return t, writeFiles(map[string][]byte{path: []byte(t)})
}

// writeTokenFile writes kube-apiserver's static token file: admin plus Options.Users.
func (cp *ControlPlane) writeTokenFile() (string, map[string]string, error) {
	tokens := map[string]string{}
	var b strings.Builder
	line := func(token string, u User) {
		// token,user,uid,"group1,group2"
		fmt.Fprintf(&b, "%s,%s,%s,\"%s\"\n", token, u.Name, u.Name, strings.Join(u.Groups, ","))
	}
	line(cp.adminToken, AdminUser)
	for _, u := range cp.opts.Users {
		if u.Name == "" || strings.ContainsAny(u.Name, ",\"\n") {
			return "", nil, fmt.Errorf("invalid user name %q in Options.Users", u.Name)
		}
		t, err := randomToken()
		if err != nil {
			return "", nil, err
		}
		tokens[u.Name] = t
		line(t, u)
	}
	path := filepath.Join(cp.pki.dir, "tokens.csv")
	return path, tokens, writeFiles(map[string][]byte{path: []byte(b.String())})
}

func (cp *ControlPlane) writeKubeconfig(path string, userTokens map[string]string) error {
	const cluster = "docr-local"
	c := clientcmdapi.NewConfig()
	c.Clusters[cluster] = &clientcmdapi.Cluster{Server: cp.Host, CertificateAuthorityData: cp.pki.caPEM}
	c.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: cp.adminToken}
	c.Contexts["admin"] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: "admin", Namespace: "default"}
	for name, token := range userTokens {
		c.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
		c.Contexts[name] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: name, Namespace: "default"}
	}
	c.CurrentContext = "admin"
	if err := clientcmd.WriteToFile(*c, path); err != nil {
		return fmt.Errorf("cannot write kubeconfig %s: %w", path, err)
	}
	return nil
}

// RESTConfig returns a fresh admin rest.Config.
func (cp *ControlPlane) RESTConfig() *rest.Config {
	return &rest.Config{
		Host:            cp.Host,
		BearerToken:     cp.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.pki.caPEM},
		QPS:             100,
		Burst:           200,
	}
}

// RESTConfigFor returns a rest.Config that authenticates as u (client certificate: CN is the
// user name, O the groups). u needs no entry in Options.Users.
func (cp *ControlPlane) RESTConfigFor(u User) (*rest.Config, error) {
	if u.Name == "" {
		return nil, errors.New("RESTConfigFor: user name is empty")
	}
	certPEM, keyPEM, err := cp.pki.sign(pkix.Name{CommonName: u.Name, Organization: u.Groups}, false)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            cp.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.pki.caPEM, CertData: certPEM, KeyData: keyPEM},
		QPS:             100,
		Burst:           200,
	}, nil
}

// PIDs returns the process id of each component that was started.
func (cp *ControlPlane) PIDs() map[string]int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	out := map[string]int{}
	for _, p := range cp.procs {
		out[p.name] = p.pid()
	}
	return out
}

// LogPath returns the log file of a component (Etcd, KubeAPIServer, KubeControllerManager).
func (cp *ControlPlane) LogPath(component string) string {
	return filepath.Join(cp.Dir, "logs", component+".log")
}

// DumpLogs writes the last n lines of every component's log to w: call it when a test fails.
func (cp *ControlPlane) DumpLogs(w io.Writer, n int) {
	cp.mu.Lock()
	procs := append([]*process(nil), cp.procs...)
	cp.mu.Unlock()
	for _, p := range procs {
		fmt.Fprintf(w, "===== last %d lines of %s (%s) =====\n%s\n", n, p.name, p.logPath, tail(p.logPath, n))
	}
}

// Stop stops the components in reverse order and, for a temporary Dir, removes it. It is
// safe to call more than once and from a deferred call after a failed Start.
func (cp *ControlPlane) Stop() error {
	var err error
	cp.stop.Do(func() {
		unregister(cp)
		// State in a temp dir is thrown away, so there is nothing to shut down cleanly.
		grace := 10 * time.Second
		if cp.temp {
			grace = 0
		}
		cp.mu.Lock()
		procs := append([]*process(nil), cp.procs...)
		cp.mu.Unlock()
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop(grace)
		}
		if cp.temp {
			if rerr := os.RemoveAll(cp.Dir); rerr != nil {
				err = fmt.Errorf("cannot remove %s: %w", cp.Dir, rerr)
			}
		}
	})
	return err
}

// kill is Stop for signal handlers: no grace, no ordering.
func (cp *ControlPlane) kill() {
	cp.mu.Lock()
	procs := append([]*process(nil), cp.procs...)
	cp.mu.Unlock()
	for _, p := range procs {
		p.kill()
	}
	if cp.temp {
		_ = os.RemoveAll(cp.Dir)
	}
}
