/*
Copyright 2026 The provider-docr Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package perf measures the cmd/provider binary as users run it: a separate
// process, talking to a local control plane and to the DigitalOcean simulator.
// TestProviderProcess runs only with DOCR_PERF=1 (make bench sets it): it takes
// several minutes and its figures are measurements, not assertions.
package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis"
	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }

// The shape of the measurement (issue 4's targets): 50 simulated accounts,
// each in its own namespace with its own token Secret and ProviderConfig, 10
// Registries each (the Professional tier's limit) = 500 managed resources.
const (
	accounts   = 50
	perAccount = 10
	poll       = 30 * time.Second
	// steadyWindows of one poll each are measured at steady state.
	steadyWindows = 4
)

// Figure is one measured quantity: every sample, its unit and how it was
// measured. cluster/bench reads these from the JSON file DOCR_PERF_OUT.
type Figure struct {
	Name    string    `json:"name"`
	Unit    string    `json:"unit"`
	Samples []float64 `json:"samples"`
	Method  string    `json:"method"`
}

// Result is what TestProviderProcess writes.
type Result struct {
	Figures []Figure          `json:"figures"`
	Notes   map[string]string `json:"notes"`
}

// proc reads a process's resident set (MiB, VmRSS of /proc/<pid>/status) and
// its CPU time (utime+stime of /proc/<pid>/stat).
func proc(pid int) (rssMiB float64, cpu time.Duration, err error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read status of %d: %w", pid, err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return 0, 0, fmt.Errorf("VmRSS %q: %w", l, err)
			}
			rssMiB = kb / 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read stat of %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces: count fields after its ')'.
	// utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100/s on
	// Linux).
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("short /proc/%d/stat: %q", pid, s)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("utime/stime of %q: %v %v", s, err1, err2)
	}
	return rssMiB, time.Duration(ut+st) * 10 * time.Millisecond, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return strings.TrimSpace(string(b))
	}
	return strings.Join(f[:3], " ")
}

type rig struct {
	t    *testing.T
	cp   *controlplane.ControlPlane
	kube client.Client
	sim  *docrsim.Server
	pid  int
	res  Result
}

func (r *rig) sample(pid int) (float64, time.Duration) {
	r.t.Helper()
	rss, cpu, err := proc(pid)
	if err != nil {
		r.t.Fatal(err)
	}
	return rss, cpu
}

// rssSamples takes n RSS samples interval apart, and adds a figure of the
// anonymous part (RssAnon: heap, stacks) to tell it from the binary's mapped
// pages (RssFile), which are shared and reclaimable.
func (r *rig) rssSamples(name string, n int, interval time.Duration, method string) {
	var rss, anon []float64
	for i := range n {
		if i > 0 {
			time.Sleep(interval)
		}
		v, _ := r.sample(r.pid)
		rss = append(rss, v)
		anon = append(anon, statusMiB(r.pid, "RssAnon:"))
	}
	r.add(Figure{Name: name, Unit: "MiB", Samples: rss, Method: method})
	r.add(Figure{Name: name + ", anonymous part", Unit: "MiB", Samples: anon,
		Method: "RssAnon of /proc/<pid>/status, same samples; the rest of VmRSS is RssFile (the executable's pages) and RssShmem"})
}

// steady measures, over steadyWindows consecutive poll intervals, the
// provider's CPU cores (CPU time / wall time of each window) and DigitalOcean
// requests per managed resource per poll (the simulator's count over the
// window / (MRs x window/poll)).
func (r *rig) steady(mrs int) (cores, reqs []float64) {
	for range steadyWindows {
		r.sim.ResetStats()
		_, c0 := r.sample(r.pid)
		start := time.Now()
		time.Sleep(poll)
		_, c1 := r.sample(r.pid)
		wall := time.Since(start)
		st := r.sim.Stats()
		cores = append(cores, float64(c1-c0)/float64(wall))
		reqs = append(reqs, float64(st.Total)/(float64(mrs)*float64(wall)/float64(poll)))
	}
	return cores, reqs
}

func (r *rig) add(f Figure) {
	r.res.Figures = append(r.res.Figures, f)
	s := append([]float64(nil), f.Samples...)
	sort.Float64s(s)
	r.t.Logf("%s: min %.4g median %.4g max %.4g %s (%d samples)", f.Name, s[0], s[len(s)/2], s[len(s)-1], f.Unit, len(s))
}

func ns(i int) string         { return fmt.Sprintf("perf-%02d", i) }
func token(i int) string      { return fmt.Sprintf("dop_v1_perf%02d%s", i, strings.Repeat("0", 53)) }
func regName(i, j int) string { return fmt.Sprintf("perf-%02d-%d", i, j) }

// setup creates, per account, a namespace with a token Secret and a
// ProviderConfig "default"; account 0's Registries use a ClusterProviderConfig
// instead, so both kinds are in play.
func (r *rig) setup(ctx context.Context) {
	settings := v1alpha1.ClientSettings{APIURL: r.sim.URL()}
	for i := range accounts {
		if err := r.cp.CreateNamespace(ctx, ns(i)); err != nil {
			r.t.Fatalf("namespace %s: %v", ns(i), err)
		}
		objs := []client.Object{
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns(i), Name: "docr-token"}, Data: map[string][]byte{"token": []byte(token(i))}},
			&v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns(i), Name: "default"}, Spec: v1alpha1.ProviderConfigSpec{
				Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceSecret,
					SecretRef: &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "docr-token"}, Key: "token"}},
				ClientSettings: settings,
			}},
		}
		if i == 0 {
			objs = append(objs, &v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "perf"}, Spec: v1alpha1.ClusterProviderConfigSpec{
				Credentials: v1alpha1.ClusterProviderCredentials{Source: v1alpha1.CredentialsSourceSecret,
					SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns(0), Name: "docr-token"}, Key: "token"}},
				ClientSettings: settings,
			}})
		}
		for _, o := range objs {
			if err := r.kube.Create(ctx, o); err != nil {
				r.t.Fatalf("create %T %s: %v", o, o.GetName(), err)
			}
		}
	}
}

func (r *rig) createRegistries(ctx context.Context, from, to int) {
	for i := from; i < to; i++ {
		for j := range perAccount {
			reg := &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Namespace: ns(i), Name: regName(i, j)}}
			reg.Spec.ForProvider.Region = "nyc3"
			ref := &xpv2.ProviderConfigReference{Kind: v1alpha1.ProviderConfigKind, Name: "default"}
			if i == 0 {
				ref = &xpv2.ProviderConfigReference{Kind: v1alpha1.ClusterProviderConfigKind, Name: "perf"}
			}
			reg.Spec.ProviderConfigReference = ref
			if err := r.kube.Create(ctx, reg); err != nil {
				r.t.Fatalf("create Registry %s/%s: %v", ns(i), reg.Name, err)
			}
		}
	}
}

// waitReady polls until n Registries are Ready (generous timeout: a loaded
// 2-core machine).
func (r *rig) waitReady(ctx context.Context, n int, timeout time.Duration) time.Duration {
	start := time.Now()
	last := ""
	for time.Since(start) < timeout {
		l := &v1alpha1.RegistryList{}
		if err := r.kube.List(ctx, l); err != nil {
			last = err.Error()
		} else {
			got := 0
			for _, reg := range l.Items {
				if reg.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
					got++
				}
			}
			if got >= n {
				return time.Since(start)
			}
			last = fmt.Sprintf("%d of %d Registries Ready", got, n)
		}
		time.Sleep(time.Second)
	}
	r.t.Fatalf("not within %s: %s", timeout, last)
	return 0
}

// TestProviderProcess builds cmd/provider, runs it with --poll=30s against the
// control plane and the simulator (rate limits off) and measures its memory
// idle, its CPU and DigitalOcean requests at steady state with 10 Registries,
// and its memory (and CPU) with 500 Registries across 50 accounts.
func TestProviderProcess(t *testing.T) {
	if testing.Short() || os.Getenv("DOCR_PERF") != "1" {
		t.Skip("performance measurement of the provider process: runs with DOCR_PERF=1 (make bench), takes ~10 minutes")
	}
	ctx := context.Background()
	cp := controlplane.Shared(t)
	if _, err := cp.InstallCRDs(ctx, filepath.Join(repoRoot(t), "package", "provider", "crds")); err != nil {
		t.Fatal(err)
	}
	s := kruntime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube, err := client.New(cp.RESTConfig(), client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	simOpts := docrsim.Options{RateLimit: docrsim.RateLimit{Disabled: true}}
	for i := range accounts {
		simOpts.Accounts = append(simOpts.Accounts, docrsim.Account{Name: fmt.Sprintf("acct-%02d", i), Tokens: []string{token(i)}, Tier: docrsim.TierProfessional})
	}
	r := &rig{t: t, cp: cp, kube: kube, sim: docrsim.NewTestServer(t, simOpts), res: Result{Notes: map[string]string{}}}
	r.setup(ctx)

	// The binary, built as `make build` builds it.
	dir := t.TempDir()
	bin := filepath.Join(dir, "provider")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/provider")
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/provider: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "provider.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() //nolint:errcheck // read-only use after the process exits
	cmd := exec.Command(bin, "--poll="+poll.String(), "--metrics-bind-address=0", "--health-probe-bind-address=0")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.Kubeconfig)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			t.Logf("provider killed: %v", <-exited)
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			lines := strings.Split(string(b), "\n")
			if len(lines) > 100 {
				lines = lines[len(lines)-100:]
			}
			t.Logf("provider log (last lines):\n%s", strings.Join(lines, "\n"))
		}
	})
	r.pid = cmd.Process.Pid

	// Idle: ProviderConfigs exist, no managed resources. 20 s is past start
	// up (caches synced, controllers started) on a loaded machine.
	time.Sleep(20 * time.Second)
	r.res.Notes["load idle"] = loadavg()
	r.rssSamples("RSS idle", 5, 2*time.Second, "VmRSS of /proc/<pid>/status, 5 samples 2 s apart, from 20 s after start; 50 ProviderConfigs + 1 ClusterProviderConfig, no managed resources")

	// Ten Registries, account 0, through the ClusterProviderConfig.
	r.sim.ResetStats()
	r.createRegistries(ctx, 0, 1)
	took := r.waitReady(ctx, perAccount, 3*time.Minute)
	r.res.Notes["10 Registries Ready after"] = took.Round(100 * time.Millisecond).String()
	r.res.Notes["requests to create 10"] = strconv.Itoa(r.sim.Stats().Total)
	// Past the reconciles that follow creation (one poll and a bit).
	time.Sleep(poll + 10*time.Second)
	r.res.Notes["load steady 10"] = loadavg()
	cores, reqs := r.steady(perAccount)
	r.add(Figure{Name: "CPU at steady state, 10 Registries, 30 s poll", Unit: "cores", Samples: cores,
		Method: fmt.Sprintf("(utime+stime of /proc/<pid>/stat) delta / wall time, over %d consecutive 30 s windows after the Registries had been Ready for 40 s; CPU-seconds per hour = cores x 3600 (linear extrapolation: the steady load is periodic with the poll). Resolution: one 10 ms clock tick per 30 s window = 0.00033 cores", steadyWindows)})
	r.add(Figure{Name: "CPU-seconds per hour at steady state, 10 Registries", Unit: "s/h", Samples: scale(cores, 3600),
		Method: "the cores samples above x 3600 s"})
	r.add(Figure{Name: "DigitalOcean requests per MR per poll, 10 Registries", Unit: "requests", Samples: reqs,
		Method: "the simulator's request count over each window / (10 x window/30 s)"})
	r.rssSamples("RSS at steady state, 10 Registries", 5, 2*time.Second, "VmRSS, 5 samples 2 s apart after the CPU windows")

	// 490 more: 500 Registries across 50 accounts, each namespace its own
	// ProviderConfig and token.
	r.sim.ResetStats()
	r.createRegistries(ctx, 1, accounts)
	took = r.waitReady(ctx, accounts*perAccount, 15*time.Minute)
	r.res.Notes["490 more Registries Ready after"] = took.Round(100 * time.Millisecond).String()
	r.res.Notes["requests to create 490"] = strconv.Itoa(r.sim.Stats().Total)
	// The peak of the creation burst: the process's high-water mark so far.
	r.res.Notes["VmHWM (peak RSS) after creating 500, MiB"] = strconv.FormatFloat(statusMiB(r.pid, "VmHWM:"), 'f', 1, 64)
	time.Sleep(poll + 10*time.Second)
	r.res.Notes["load steady 500"] = loadavg()
	cores, reqs = r.steady(accounts * perAccount)
	r.add(Figure{Name: "CPU at steady state, 500 Registries / 50 accounts, 30 s poll", Unit: "cores", Samples: cores,
		Method: fmt.Sprintf("as for 10 Registries, %d windows of 30 s, 40 s after all 500 were Ready", steadyWindows)})
	r.add(Figure{Name: "DigitalOcean requests per MR per poll, 500 Registries", Unit: "requests", Samples: reqs,
		Method: "the simulator's request count over each window / (500 x window/30 s)"})
	r.rssSamples("RSS with 500 Registries across 50 accounts", 5, 2*time.Second, "VmRSS, 5 samples 2 s apart at steady state (after the CPU windows), 50 namespaces each with its own token Secret and ProviderConfig, 10 Registries each")
	r.res.Notes["429 responses"] = strconv.Itoa(r.sim.Stats().Count("", "", 429))

	// A graceful stop, as a user's pod would get.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		r.res.Notes["exit after SIGTERM"] = fmt.Sprint(err)
	case <-time.After(60 * time.Second):
		t.Errorf("the provider did not stop within 60 s of SIGTERM")
	}

	if out := os.Getenv("DOCR_PERF_OUT"); out != "" {
		b, err := json.MarshalIndent(r.res, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func scale(xs []float64, k float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * k
	}
	return out
}

// statusMiB is a kB field of /proc/<pid>/status in MiB (-1 if unreadable).
func statusMiB(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == field {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}
