package docrsim

import (
	"io"
	"net/http"
	"testing"
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
}
