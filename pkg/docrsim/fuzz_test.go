package docrsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// FuzzRequestDecoding feeds arbitrary paths, queries and bodies to every route. Whatever
// the input, the simulator answers (no panic), never with a 5xx, every error is in
// DigitalOcean's shape, and whenever the request is one the official spec allows, the
// answer is one the spec allows too. Seeds live in testdata/fuzz/FuzzRequestDecoding.
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
	router := specRouter(f)
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
		checkAgainstSpec(t, router, req, body, rec)
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

// checkAgainstSpec validates the answer against the spec when the spec has the route and
// accepts the request (an answer to a request the spec refuses may be any DigitalOcean
// error, which the caller checks).
func checkAgainstSpec(t *testing.T, router routers.Router, req *http.Request, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(r)
	if err != nil {
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if openapi3filter.ValidateRequest(context.Background(), in) != nil {
		return
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes()))}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Fatalf("%s %s: a request the spec allows got an answer it does not: %d %s: %v", req.Method, req.URL, rec.Code, rec.Body, err)
	}
}
