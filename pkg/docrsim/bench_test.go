package docrsim

import (
	"io"
	"net/http"
	"net/http/httptest"
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
