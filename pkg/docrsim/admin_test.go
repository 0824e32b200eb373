package docrsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func adminCall(t *testing.T, s *Server, method, path, ctype, body string, wantStatus int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func TestAdminAPI(t *testing.T) {
	clk := newFakeClock()
	s := NewTestServer(t, Options{Clock: clk,
		Accounts:   []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Registries: []SeedRegistry{{Name: "reg", Account: "acme"}},
		Clusters:   []Cluster{{ID: "0b1c2d3e-0000-4000-8000-00000000000a", Account: "acme", Region: "fra1", Registries: []string{"reg"}}},
	})
	const json = "application/json"
	var pushed struct{ Digest string }
	adminCall(t, s, "POST", "/_sim/push", json, `{"registry":"reg","repository":"app","tags":["v1","stable"],"layers":[10,{"size":20}]}`, 200, &pushed)
	adminCall(t, s, "POST", "/_sim/push", json, `{"registry":"reg","repository":"app","tag":"v1","layers":[30]}`, 200, nil)
	old := epoch.Add(-30 * 24 * time.Hour)
	adminCall(t, s, "POST", "/_sim/push-time", json, `{"registry":"reg","repository":"app","reference":"stable","time":"`+old.Format(time.RFC3339)+`"}`, 204, nil)
	adminCall(t, s, "POST", "/_sim/delete-tag", json, `{"registry":"reg","repository":"app","tag":"nope"}`, 404, nil)

	var info RegistryInfo
	adminCall(t, s, "GET", "/_sim/registries/reg", "", "", 200, &info)
	var tags []TagInfo
	for _, r := range info.Repositories {
		tags = append(tags, r.Tags...)
	}
	wantTags := []TagInfo{{Tag: "stable", Digest: pushed.Digest, UpdatedAt: old}, {Tag: "v1", Digest: info.Repositories[0].Tags[1].Digest, UpdatedAt: epoch}}
	if diff := cmp.Diff(wantTags, tags); diff != "" || wantTags[1].Digest == pushed.Digest {
		t.Errorf("tags after re-push and re-dating (-want +got):\n%s", diff)
	}
	if info.StorageUsageBytes <= 60 || info.Blobs != 3 {
		t.Errorf("storage %d (want layers 60 + manifests), blobs %d (want 3)", info.StorageUsageBytes, info.Blobs)
	}

	// Faults in the flag syntax, then stats see them.
	adminCall(t, s, "PUT", "/_sim/faults", "text/plain", "GET /v2/registries #1=502", 200, nil)
	adminCall(t, s, "PUT", "/_sim/faults", "text/plain", "GET /v2/registries: 500=3", 422, nil)
	for _, want := range []int{502, 200} {
		req, _ := http.NewRequest("GET", s.URL()+"/v2/registries", nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /v2/registries: %d, want %d", resp.StatusCode, want)
		}
	}
	var st Stats
	adminCall(t, s, "GET", "/_sim/stats", "", "", 200, &st)
	if diff := cmp.Diff([]RequestStat{{Method: "GET", Pattern: "/v2/registries", Status: 200, Count: 1}, {Method: "GET", Pattern: "/v2/registries", Status: 502, Count: 1}}, st.Requests); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	adminCall(t, s, "DELETE", "/_sim/stats", "", "", 204, nil)
	if got := s.Stats().Total; got != 0 {
		t.Errorf("stats after reset: %d", got)
	}

	var rl RateLimit
	adminCall(t, s, "PUT", "/_sim/ratelimit", json, `{"perMinute":10}`, 200, &rl)
	if diff := cmp.Diff(RateLimit{PerMinute: 10, PerHour: 5000}, rl); diff != "" {
		t.Errorf("rate limit (-want +got):\n%s", diff)
	}
	var now struct{ Now time.Time }
	adminCall(t, s, "POST", "/_sim/clock", json, `{"advance":"90s"}`, 200, &now)
	if !now.Now.Equal(epoch.Add(90*time.Second)) || !clk.Now().Equal(now.Now) {
		t.Errorf("clock after advance: %v", now.Now)
	}
	adminCall(t, s, "PUT", "/_sim/accounts/acme/tier", json, `{"tier":"gold"}`, 422, nil)
	adminCall(t, s, "PUT", "/_sim/accounts/acme/tier", json, `{"tier":"basic"}`, 204, nil)
	var clusters []ClusterInfo
	adminCall(t, s, "POST", "/_sim/clusters", json, `{"id":"0b1c2d3e-0000-4000-8000-00000000000b","account":"acme","region":"ams3"}`, 204, nil)
	adminCall(t, s, "POST", "/_sim/clusters", json, `{"account":"nobody"}`, 404, nil)
	adminCall(t, s, "GET", "/_sim/clusters", "", "", 200, &clusters)
	if len(clusters) != 2 || !clusters[0].RegistryEnabled || clusters[1].RegistryEnabled {
		t.Errorf("clusters: %+v", clusters)
	}

	adminCall(t, s, "POST", "/_sim/reset", "", "", 204, nil)
	var afterReset RegistryInfo
	adminCall(t, s, "GET", "/_sim/registries/reg", "", "", 200, &afterReset)
	if len(afterReset.Repositories) != 0 || len(s.Clusters()) != 1 {
		t.Errorf("after reset: %d repositories, %d clusters; want the seed (0, 1)", len(afterReset.Repositories), len(s.Clusters()))
	}
}

func TestParseFaults(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    FaultProfile
		wantErr bool
	}{
		"Rule": {in: "GET /v2/registries/*: 500=0.1,503=0.2,reset=0.05,latency=20ms,jitter=5ms",
			want: FaultProfile{Rules: []FaultRule{{Method: "GET", Path: "/v2/registries/*", Error500: 0.1, Error503: 0.2, Reset: 0.05, Latency: 20 * time.Millisecond, LatencyJitter: 5 * time.Millisecond}}}},
		"AnyMethod": {in: "/v2/registry*: 429=1", want: FaultProfile{Rules: []FaultRule{{Method: "*", Path: "/v2/registry*", Error429: 1}}}},
		"Scripted":  {in: "post /v2/registries #3=503", want: FaultProfile{Scripted: []ScriptedFault{{Method: "POST", Path: "/v2/registries", Nth: 3, Times: 1, Status: 503}}}},
		"ScriptedResetTimes": {in: "DELETE /v2/registries/{registry_name} #2x4=reset; GET /x: 502=0.5",
			want: FaultProfile{Rules: []FaultRule{{Method: "GET", Path: "/x", Error502: 0.5}},
				Scripted: []ScriptedFault{{Method: "DELETE", Path: "/v2/registries/{registry_name}", Nth: 2, Times: 4, Reset: true}}}},
		"Empty":           {in: " ; ", want: FaultProfile{}},
		"OverOne":         {in: "GET /x: 500=0.6,503=0.6", wantErr: true},
		"UnknownKey":      {in: "GET /x: 418=0.1", wantErr: true},
		"BadProbability":  {in: "GET /x: 500=lots", wantErr: true},
		"BadLatency":      {in: "GET /x: latency=forever", wantErr: true},
		"HugeLatency":     {in: "GET /x: latency=1h", wantErr: true},
		"ZerothRequest":   {in: "GET /x #0=500", wantErr: true},
		"NotAStatus":      {in: "GET /x #1=200", wantErr: true},
		"NoValue":         {in: "GET /x: 500", wantErr: true},
		"TooManyFields":   {in: "GET /x /y: 500=1", wantErr: true},
		"ScriptedNoEqual": {in: "GET /x #1", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseFaults(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestFaultRatesFollowProbabilities checks the seeded draws are spread as configured
// (deterministic: fixed seed, fixed request count).
func TestFaultRatesFollowProbabilities(t *testing.T) {
	f := newFaultInjector(99, FaultProfile{Rules: []FaultRule{{Path: "/v2/registries", Error500: 0.1, Error503: 0.3}}})
	count := map[int]int{}
	for i := 0; i < 10000; i++ {
		rep, _ := f.decide("GET", "/v2/registries", "/v2/registries")
		count[rep.status]++
	}
	if count[500] < 900 || count[500] > 1100 || count[503] < 2800 || count[503] > 3200 {
		t.Errorf("10000 draws at 10%% 500 and 30%% 503 gave %v", count)
	}
	// Another endpoint's traffic does not shift this endpoint's decisions.
	a := newFaultInjector(5, FaultProfile{Rules: []FaultRule{{Error500: 0.5}}})
	b := newFaultInjector(5, FaultProfile{Rules: []FaultRule{{Error500: 0.5}}})
	var seqA, seqB []int
	for i := 0; i < 50; i++ {
		ra, _ := a.decide("GET", "/p", "/p")
		seqA = append(seqA, ra.status)
		b.decide("POST", "/other", "/other")
		rb, _ := b.decide("GET", "/p", "/p")
		seqB = append(seqB, rb.status)
	}
	if diff := cmp.Diff(seqA, seqB); diff != "" {
		t.Errorf("interleaving changed decisions (-alone +interleaved):\n%s", diff)
	}
}
