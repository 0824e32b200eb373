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

package registry

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

// procStat reads a process's resident memory (bytes) and CPU time.
func procStat(b *testing.B, pid int) (rss int64, cpu time.Duration) {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			rss = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which may hold spaces): utime and
	// stime are fields 14 and 15, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return rss, time.Duration(ut+st) * 10 * time.Millisecond
}

// buildProvider builds the cmd/provider binary.
func buildProvider(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "provider")
	build := exec.Command("go", "build", "-o", bin, "./cmd/provider")
	build.Dir = env.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// countReady counts Ready registries in the env's namespace.
func countReady(b *testing.B, e *env.Env) int {
	b.Helper()
	l := &v1alpha1.RegistryList{}
	if err := e.Kube.List(context.Background(), l, client.InNamespace(e.Namespace)); err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, r := range l.Items {
		if r.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
			n++
		}
	}
	return n
}

// BenchmarkProviderProcess runs the cmd/provider binary (30s poll) against the
// control plane and the simulator and measures its resident memory idle, its
// CPU use keeping ten registries in sync, and its memory with 500 registries
// across 50 accounts; then it checks a graceful shutdown on SIGTERM.
func BenchmarkProviderProcess(b *testing.B) {
	const accounts, perAccount = 50, 10
	sim := docrsim.Options{}
	for i := range accounts {
		sim.Accounts = append(sim.Accounts, docrsim.Account{Name: fmt.Sprintf("acct-%d", i), Tokens: []string{fmt.Sprintf("dop_v1_bench%02d%s", i, strings.Repeat("0", 52))}, Tier: docrsim.TierProfessional})
	}
	e := env.Start(b, env.Options{NoProvider: true, Sim: sim})
	ctx := context.Background()
	for i := 1; i < accounts; i++ {
		name := fmt.Sprintf("acct-%d", i)
		e.Create(b, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string][]byte{"token": []byte(sim.Accounts[i].Tokens[0])}})
		e.Create(b, &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.ProviderConfigSpec{
			Credentials:    v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceSecret, SecretRef: &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: name}, Key: "token"}},
			ClientSettings: v1alpha1.ClientSettings{APIURL: e.Sim.URL()},
		}})
	}

	bin := buildProvider(b)
	logf, _ := os.Create(filepath.Join(b.TempDir(), "provider.log"))
	cmd := exec.Command(bin, "--poll=30s", "--metrics-bind-address=0", "--health-probe-bind-address=0", "--kubeconfig="+e.CP.Kubeconfig)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()
	pid := cmd.Process.Pid

	time.Sleep(15 * time.Second)
	idleRSS, _ := procStat(b, pid)

	create := func(acct, from, to int) {
		for j := from; j < to; j++ {
			r := newRegistry(fmt.Sprintf("p-%d-%d", acct, j), "nyc3")
			if acct > 0 {
				r.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: fmt.Sprintf("acct-%d", acct)}
			}
			e.Create(b, r)
		}
	}
	waitReady := func(n int, timeout time.Duration) {
		env.Eventually(b, timeout, func() (bool, string) {
			got := countReady(b, e)
			return got >= n, fmt.Sprintf("%d of %d registries Ready", got, n)
		})
	}
	create(0, 0, 10)
	waitReady(10, 2*time.Minute)
	time.Sleep(40 * time.Second) // past the first poll after creation
	e.Sim.ResetStats()
	_, cpu0 := procStat(b, pid)
	const window = 90 * time.Second
	time.Sleep(window)
	_, cpu1 := procStat(b, pid)
	steady := e.Sim.Stats()
	cores := float64(cpu1-cpu0) / float64(window)

	for acct := 1; acct < accounts; acct++ {
		create(acct, 0, perAccount)
	}
	waitReady(accounts*perAccount, 10*time.Minute)
	time.Sleep(40 * time.Second)
	rss500, _ := procStat(b, pid)
	total := e.Sim.Stats()

	// Graceful shutdown.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			b.Errorf("provider exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		b.Errorf("provider did not stop within 60s of SIGTERM")
	}

	b.ReportMetric(float64(idleRSS)/(1<<20), "MiB-RSS-idle")
	b.ReportMetric(cores, "cores-10-registries-30s-poll")
	b.ReportMetric(float64(steady.Total)/(10*float64(window)/float64(30*time.Second)), "requests/MR/poll")
	b.ReportMetric(float64(rss500)/(1<<20), "MiB-RSS-500-MRs-50-accounts")
	b.ReportMetric(float64(total.Count("", "", 429)), "429s")
	_ = ctx
}
