package docrsim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"golang.org/x/oauth2"
)

var spec struct {
	once   sync.Once
	router routers.Router
	err    error
}

// specRouter loads the spec once per test binary; routes ignore the server URL.
func specRouter(t testing.TB) routers.Router {
	spec.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromFile(specPath)
		if err != nil {
			spec.err = err
			return
		}
		doc.Servers = nil // match any host
		spec.router, spec.err = gorillamux.NewRouter(doc)
	})
	if spec.err != nil {
		t.Fatalf("loading spec: %v", spec.err)
	}
	return spec.router
}

// specCheckedClient is a godo client whose every exchange with the simulator passes
// through a proxy validating godo's request and the simulator's answer against the
// spec: the scenario tests double as contract tests for what godo really sends.
func specCheckedClient(t *testing.T, s *Server, token string) *godo.Client {
	t.Helper()
	router := specRouter(t)
	h := s.Handler()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := router.FindRoute(r)
		if err != nil {
			t.Errorf("godo called %s %s, which is not in the spec: %v", r.Method, r.URL.Path, err)
			h.ServeHTTP(w, r)
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("godo's %s %s does not match the spec: %v", r.Method, r.URL.Path, err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
			Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes()))}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("answer %d to %s %s does not match the spec: %v\n%s", rec.Code, r.Method, r.URL.Path, err, rec.Body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes()) //nolint:errcheck // test proxy.
	}))
	t.Cleanup(proxy.Close)
	hc := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
	c, err := godo.New(hc, godo.SetBaseURL(proxy.URL))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(proxy.URL, "http://127.0.0.1:") {
		t.Fatalf("proxy not on loopback: %s", proxy.URL)
	}
	return c
}
