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

package clients

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/time/rate"
	clocktesting "k8s.io/utils/clock/testing"
)

const testToken = "dop_v1_0123456789abcdef-secret-token"

func newTestFactory(o ...Option) (*Factory, *Metrics) {
	m := NewMetrics(prometheus.NewRegistry())
	return NewFactory(append([]Option{WithMetrics(m)}, o...)...), m
}

func TestFactorySharesClients(t *testing.T) {
	f, _ := newTestFactory()
	a1, err := f.Client(Config{Token: testToken, APIURL: "http://127.0.0.1:1/", ProviderConfig: "a"})
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := f.Client(Config{Token: " " + testToken + "\n", APIURL: "http://127.0.0.1:1", ProviderConfig: "b"})
	other, _ := f.Client(Config{Token: testToken, APIURL: "http://127.0.0.1:2/", ProviderConfig: "c"})
	otherToken, _ := f.Client(Config{Token: "another", APIURL: "http://127.0.0.1:1/", ProviderConfig: "d"})

	cases := map[string]struct {
		got, want bool
	}{
		"SameTokenAndURLShareAClient": {got: a1 == a2, want: true},
		"OtherURLGetsItsOwnClient":    {got: a1 == other, want: false},
		"OtherTokenGetsItsOwnClient":  {got: a1 == otherToken, want: false},
		"OneLimiterPerToken":          {got: len(f.limiters) == 2, want: true},
		"ThreeClients":                {got: len(f.clients) == 3, want: true},
	}
	for name, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", name, tc.got, tc.want)
		}
	}
	for k := range f.clients {
		if strings.Contains(k, testToken) {
			t.Errorf("cache key contains the token")
		}
	}
}

func TestFactoryRejectsBadConfig(t *testing.T) {
	f, _ := newTestFactory()
	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"EmptyToken":       {cfg: Config{Token: "  "}, want: "token is empty"},
		"CredentialsInURL": {cfg: Config{Token: testToken, APIURL: "https://user:pw@example.com/"}, want: "must not contain credentials"},
		"NotHTTP":          {cfg: Config{Token: testToken, APIURL: "ftp://example.com/"}, want: "http:// or https://"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f.Client(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Client(): got %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestConfigNeverPrintsToken(t *testing.T) {
	c := Config{Token: testToken, APIURL: "http://x/", ProviderConfig: "ClusterProviderConfig/default"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		if strings.Contains(s, testToken) {
			t.Errorf("formatted config contains the token: %s", s)
		}
	}
}

func TestLimiterRate(t *testing.T) {
	l := newLimiter(clocktesting.NewFakeClock(time.Now()), NewMetrics(nil))
	type want struct {
		limit rate.Limit
		burst int
	}
	steps := []struct {
		pc   string
		rpm  int
		want want
	}{
		// Burst is what is left of DigitalOcean's 250 per minute.
		{pc: "a", rpm: 200, want: want{limit: rate.Limit(200.0 / 60), burst: 50}},
		// The lowest rate any config sharing the token asks for wins.
		{pc: "b", rpm: 100, want: want{limit: rate.Limit(100.0 / 60), burst: 100}},
		{pc: "a", rpm: 240, want: want{limit: rate.Limit(100.0 / 60), burst: 100}},
		{pc: "b", rpm: 240, want: want{limit: rate.Limit(240.0 / 60), burst: 10}},
		// Above DigitalOcean's limit (a compatible endpoint): burst of 1.
		{pc: "a", rpm: 1000, want: want{limit: rate.Limit(240.0 / 60), burst: 10}},
		{pc: "b", rpm: 1000, want: want{limit: rate.Limit(1000.0 / 60), burst: 1}},
	}
	for i, s := range steps {
		l.use(s.pc, s.rpm)
		got := want{limit: l.bucket.Limit(), burst: l.bucket.Burst()}
		if diff := cmp.Diff(s.want, got, cmp.AllowUnexported(want{})); diff != "" {
			t.Errorf("step %d: -want +got:\n%s", i, diff)
		}
	}
}

func TestOperation(t *testing.T) {
	cases := map[string]struct{ method, path, want string }{
		"List":         {"GET", "/v2/registries", "GET /v2/registries"},
		"Get":          {"GET", "/v2/registries/my-reg", "GET /v2/registries/{id}"},
		"Options":      {"GET", "/v2/registries/options", "GET /v2/registries/options"},
		"Tags":         {"GET", "/v2/registries/r/repositories/a%2Fb/tags", "GET /v2/registries/{id}/repositories/{id}/tags"},
		"GC":           {"PUT", "/v2/registries/r/garbage-collection/abc", "PUT /v2/registries/{id}/garbage-collection/{id}"},
		"Integrations": {"POST", "/v2/kubernetes/registries", "POST /v2/kubernetes/registries"},
	}
	for name, tc := range cases {
		if got := Operation(tc.method, tc.path); got != tc.want {
			t.Errorf("%s: Operation(%q, %q) = %q, want %q", name, tc.method, tc.path, got, tc.want)
		}
	}
}

// server answers with the handlers in turn and counts requests.
type server struct {
	*httptest.Server
	hits     atomic.Int32
	handlers []http.HandlerFunc
	auth     atomic.Value
}

func newServer(t *testing.T, h ...http.HandlerFunc) *server {
	s := &server{handlers: h}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(s.hits.Add(1)) - 1
		s.auth.Store(r.Header.Get("Authorization"))
		s.handlers[min(i, len(s.handlers)-1)](w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func answer(code int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

const registryJSON = `{"registry":{"name":"r1","region":"nyc3","created_at":"2026-01-01T00:00:00Z","storage_usage_bytes_updated_at":"2026-01-01T00:00:00Z"}}`

func TestErrorsNeverContainTheToken(t *testing.T) {
	// A server echoing the token in its error message.
	s := newServer(t, answer(404, `{"id":"not_found","message":"no registry for token `+testToken+`","request_id":"rq1"}`))
	f, _ := newTestFactory()
	c, err := f.Client(Config{Token: testToken, APIURL: s.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Registries.Get(context.Background(), "r1")
	if err == nil {
		t.Fatal("Get: want error")
	}
	for _, e := range []error{err, Describe(err), fmt.Errorf("wrapped: %w", Describe(err))} {
		if strings.Contains(e.Error(), testToken) {
			t.Errorf("error contains the token: %s", e)
		}
	}
	if !IsNotFound(err) || !IsNotFound(Describe(err)) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
	if got, want := Describe(err).Error(), "404 Not Found: no registry for token [REDACTED] (request rq1)"; got != want {
		t.Errorf("Describe: got %q, want %q", got, want)
	}
	if got, want := s.auth.Load(), "Bearer "+testToken; got != want {
		t.Errorf("Authorization header: got %q, want the bearer token", got)
	}
}

func TestStatusHelpers(t *testing.T) {
	codes := []int{400, 401, 404, 409, 412, 422, 429}
	for _, code := range codes {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			s := newServer(t, answer(code, `{"id":"x","message":"m"}`))
			f, _ := newTestFactory()
			c, _ := f.Client(Config{Token: testToken, APIURL: s.URL, MaxRetries: -1})
			_, _, err := c.Registries.Get(context.Background(), "r1")
			got := map[string]bool{
				"BadRequest": IsBadRequest(err), "Unauthorized": IsUnauthorized(err), "NotFound": IsNotFound(err),
				"Conflict": IsConflict(err), "PreconditionFailed": IsPreconditionFailed(err),
				"Unprocessable": IsUnprocessable(err), "TooManyRequests": IsTooManyRequests(err),
			}
			name := map[int]string{400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 409: "Conflict", 412: "PreconditionFailed", 422: "Unprocessable", 429: "TooManyRequests"}[code]
			want := map[string]bool{}
			for k := range got {
				want[k] = k == name
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
			if Message(err) != "m" || StatusCode(err) != code {
				t.Errorf("Message/StatusCode: got %q/%d", Message(err), StatusCode(err))
			}
		})
	}
	if StatusCode(errors.New("plain")) != 0 || IsNotFound(nil) {
		t.Error("a non-API error has no status code")
	}
}

func TestRetriesGoThroughTheLimiterAndAreCounted(t *testing.T) {
	s := newServer(t, answer(500, `{"id":"server_error","message":"boom"}`), answer(503, `{}`), answer(200, registryJSON))
	f, m := newTestFactory()
	c, err := f.Client(Config{Token: testToken, APIURL: s.URL, MaxRetries: 3, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := c.Registries.Get(context.Background(), "r1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if r.Name != "r1" {
		t.Errorf("Get: name %q", r.Name)
	}
	got := map[string]float64{}
	for _, code := range []string{"500", "503", "200"} {
		got[code] = value(m.Requests.WithLabelValues("GET /v2/registries/{id}", code))
	}
	if diff := cmp.Diff(map[string]float64{"500": 1, "503": 1, "200": 1}, got); diff != "" {
		t.Errorf("requests by code: -want +got:\n%s", diff)
	}
	if s.hits.Load() != 3 {
		t.Errorf("server saw %d requests, want 3", s.hits.Load())
	}
}

func TestRetryAfterIsObeyed(t *testing.T) {
	s := newServer(t, answer(429, `{"id":"too_many_requests","message":"slow down"}`, "Retry-After", "1"), answer(200, registryJSON))
	f, _ := newTestFactory()
	c, _ := f.Client(Config{Token: testToken, APIURL: s.URL, MaxRetries: 2, WaitMin: time.Millisecond, WaitMax: 2 * time.Second})
	start := time.Now()
	if _, _, err := c.Registries.Get(context.Background(), "r1"); err != nil {
		t.Fatalf("Get: %v", err)
	}
	// Not a timing assertion on speed: a retry sooner than Retry-After would
	// break DigitalOcean's rules.
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %s, before Retry-After (1s)", el)
	}
}

func TestRemainingZeroClosesTheGateUntilReset(t *testing.T) {
	fc := clocktesting.NewFakeClock(time.Unix(1_800_000_000, 0))
	reset := strconv.FormatInt(fc.Now().Add(time.Minute).Unix(), 10)
	s := newServer(t, answer(200, registryJSON, "ratelimit-limit", "5000", "ratelimit-remaining", "0", "ratelimit-reset", reset), answer(200, registryJSON, "ratelimit-remaining", "4999"))
	f, m := newTestFactory(WithClock(fc))
	c, _ := f.Client(Config{Token: testToken, APIURL: s.URL, MaxRetries: -1, ProviderConfig: "ClusterProviderConfig/default"})

	if _, _, err := c.Registries.Get(context.Background(), "r1"); err != nil {
		t.Fatalf("first Get: %v", err)
	}
	if got := value(m.RateLimitRemaining.WithLabelValues("ClusterProviderConfig/default")); got != 0 {
		t.Errorf("remaining gauge: got %v, want 0", got)
	}
	// The caller cannot wait until reset: refused without a request.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := c.Registries.Get(ctx, "r1")
	var rl *RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("second Get: got %v, want a RateLimitedError", err)
	}
	if s.hits.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", s.hits.Load())
	}
	// After the reset, requests flow again.
	fc.Step(61 * time.Second)
	if _, _, err := c.Registries.Get(context.Background(), "r1"); err != nil {
		t.Fatalf("third Get: %v", err)
	}
	if got := value(m.RateLimitRemaining.WithLabelValues("ClusterProviderConfig/default")); got != 4999 {
		t.Errorf("remaining gauge: got %v, want 4999", got)
	}
}

func TestSend(t *testing.T) {
	var gotBody atomic.Value
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(b)
		gotBody.Store(r.Method + " " + r.URL.Path + " " + strings.TrimSpace(string(b)))
		w.WriteHeader(http.StatusNoContent)
	})
	f, _ := newTestFactory()
	c, _ := f.Client(Config{Token: testToken, APIURL: s.URL})
	body := map[string][]string{"cluster_uuids": {"c1"}, "registries": {"r1"}}
	if _, err := c.Send(context.Background(), http.MethodPost, "v2/kubernetes/registries", body, nil); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := `POST /v2/kubernetes/registries {"cluster_uuids":["c1"],"registries":["r1"]}`
	if got := gotBody.Load(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	m := &dto.Metric{}
	if err := c.Write(m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
