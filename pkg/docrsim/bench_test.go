package docrsim

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkGetRegistry measures GET throughput on loopback with rate limiting off: the
// simulator must never be the bottleneck of a provider benchmark (target > 20,000 req/s).
func BenchmarkGetRegistry(b *testing.B) {
	s := NewTestServer(b, Options{RateLimit: RateLimit{Disabled: true},
		Accounts:   []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Registries: []SeedRegistry{{Name: "reg", Account: "acme"}, {Name: "reg-2", Account: "acme"}},
	})
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := s.URL() + "/v2/registries/reg"
	b.SetParallelism(8)
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer tok")
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body) //nolint:errcheck // draining for keep-alive.
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	// On a shared machine wall-clock throughput says more about the neighbours than about
	// the simulator; requests per CPU-second (server and client together, this process)
	// is the load-independent figure: N cores serve about N times that.
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "req/cpu-s")
	}
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHandlerGetRegistry is the simulator's own cost per GET (routing, auth, rate
// limiter, state, JSON) without sockets; the loopback benchmark adds net/http and the kernel.
func BenchmarkHandlerGetRegistry(b *testing.B) {
	s, err := New(Options{Accounts: []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Registries: []SeedRegistry{{Name: "reg", Account: "acme"}, {Name: "reg-2", Account: "acme"}}})
	if err != nil {
		b.Fatal(err)
	}
	s.SetRateLimit(RateLimit{PerMinute: 1 << 30, PerHour: 1 << 30}) // limiter on, never limiting
	h := s.Handler()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "/v2/registries/reg", nil)
		req.Header.Set("Authorization", "Bearer tok")
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// TestHelperSimulatorProcess is not a test: BenchmarkGetRegistryServerCPU re-runs the
// test binary with DOCRSIM_BENCH_CHILD=1 to serve from its own process, so that the
// server's CPU can be measured apart from the client's.
func TestHelperSimulatorProcess(t *testing.T) {
	if os.Getenv("DOCRSIM_BENCH_CHILD") != "1" {
		t.Skip("helper process for BenchmarkGetRegistryServerCPU")
	}
	s, err := New(Options{RateLimit: RateLimit{Disabled: true},
		Accounts:   []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Registries: []SeedRegistry{{Name: "reg", Account: "acme"}}})
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("URL " + url)
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // serve until the parent closes stdin.
	s.Close()
}

// BenchmarkGetRegistryServerCPU serves from a child process and reports requests per
// CPU-second of the server alone (from /proc): the simulator's capacity per core.
func BenchmarkGetRegistryServerCPU(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("needs /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSimulatorProcess$")
	cmd.Env = append(os.Environ(), "DOCRSIM_BENCH_CHILD=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }() //nolint:errcheck // the child exits on EOF.
	sc := bufio.NewScanner(stdout)
	var url string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "URL "); ok {
			url = u + "/v2/registries/reg"
			break
		}
	}
	if url == "" {
		b.Fatal("child did not start")
	}
	go io.Copy(io.Discard, stdout) //nolint:errcheck // drain.
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	cpu0 := childCPU(b, cmd.Process.Pid)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer tok")
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body) //nolint:errcheck // draining for keep-alive.
			resp.Body.Close()
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if cpu := childCPU(b, cmd.Process.Pid) - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "req/server-cpu-s")
	}
}

// childCPU reads utime+stime of a process from /proc (clock ticks of 10 ms).
func childCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which is in parentheses and may hold spaces).
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
