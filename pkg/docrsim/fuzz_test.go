package docrsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// FuzzRequestDecoding feeds arbitrary paths, queries and bodies to every route. Whatever
// the input, the simulator answers (no panic), never with a 5xx, and every error is in
// DigitalOcean's shape. Seeds live in testdata/fuzz/FuzzRequestDecoding.
func FuzzRequestDecoding(f *testing.F) {
	s, err := New(Options{Clock: newFakeClock(), RateLimit: RateLimit{Disabled: true}, MaxBodyBytes: 1 << 16,
		Accounts:   []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Registries: []SeedRegistry{{Name: "reg", Account: "acme", Repositories: []SeedRepository{{Name: "app", Images: []Image{{Tags: []string{"v1"}, Layers: []Layer{{Size: 1}}}}}}}},
		Clusters:   []Cluster{{ID: "0b1c2d3e-0000-4000-8000-00000000000a", Account: "acme", Region: "fra1"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, method uint8, target string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // net/http's server refuses such request lines before any handler runs
		}
		if strings.HasPrefix(u.Path, "/_sim/faults") || strings.HasPrefix(u.Path, "/_sim/ratelimit") {
			return // injecting faults or throttling is meant to produce 5xx, 429 and latency
		}
		req := &http.Request{Method: fuzzMethods[int(method)%len(fuzzMethods)], URL: u, RequestURI: target, Host: "sim",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Authorization": {"Bearer tok"}, "Content-Type": {"application/json"}},
			Body:   http.NoBody, ContentLength: int64(len(body))}
		if len(body) > 0 {
			req.Body = httpBody(body)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", req.Method, target, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.ID == "" || e.Message == "" || e.RequestID == "" {
				t.Fatalf("%s %q: status %d with a body that is not DigitalOcean's error: %s", req.Method, target, rec.Code, rec.Body)
			}
		}
	})
}

type bodyReader struct{ *bytes.Reader }

func (bodyReader) Close() error { return nil }

func httpBody(b []byte) bodyReader { return bodyReader{bytes.NewReader(b)} }
