package docrsim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func garbageServer(t testing.TB) *Server {
	return NewTestServer(t, Options{Clock: newFakeClock(), MaxBodyBytes: 4096, RateLimit: RateLimit{Disabled: true},
		Accounts:   []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Registries: []SeedRegistry{{Name: "reg", Account: "acme", Repositories: []SeedRepository{{Name: "app", Images: []Image{{Tags: []string{"v1"}, Layers: []Layer{{Size: 1}}}}}}}},
		Clusters:   []Cluster{{ID: "0b1c2d3e-0000-4000-8000-00000000000a", Account: "acme", Region: "fra1"}},
	})
}

// TestGarbageInput sends malformed, mistyped, oversized and tricky requests: each gets
// the right 4xx in DigitalOcean's error shape, never a 5xx or a dropped connection.
func TestGarbageInput(t *testing.T) {
	s := garbageServer(t)
	type want struct {
		Status int
		ID     string
	}
	cases := map[string]struct {
		method, path, body string
		noAuth             bool
		want               want
	}{
		"MalformedJSON":       {method: "POST", path: "/v2/registries", body: `{"name": "x"`, want: want{400, "bad_request"}},
		"NotJSON":             {method: "POST", path: "/v2/registries", body: `name=x`, want: want{400, "bad_request"}},
		"ArrayBody":           {method: "POST", path: "/v2/registries", body: `["x"]`, want: want{400, "bad_request"}},
		"WrongType":           {method: "POST", path: "/v2/registries", body: `{"name": ["x"]}`, want: want{400, "bad_request"}},
		"TrailingData":        {method: "POST", path: "/v2/registries", body: `{"name": "x"} {}`, want: want{400, "bad_request"}},
		"MissingBody":         {method: "POST", path: "/v2/registries", want: want{400, "bad_request"}},
		"HugeBody":            {method: "POST", path: "/v2/registries", body: `{"name": "` + strings.Repeat("a", 10000) + `"}`, want: want{413, "request_entity_too_large"}},
		"BadName":             {method: "POST", path: "/v2/registries", body: `{"name": "Bad_Name"}`, want: want{422, "unprocessable_entity"}},
		"NameTooLong":         {method: "POST", path: "/v2/registries", body: `{"name": "` + strings.Repeat("a", 64) + `"}`, want: want{422, "unprocessable_entity"}},
		"NameEndsWithHyphen":  {method: "POST", path: "/v2/registries", body: `{"name": "abc-"}`, want: want{422, "unprocessable_entity"}},
		"NameStartsWithDigit": {method: "POST", path: "/v2/registries", body: `{"name": "1abc"}`, want: want{422, "unprocessable_entity"}},
		"UnknownRegion":       {method: "POST", path: "/v2/registries", body: `{"name": "ok-name", "region": "lon1"}`, want: want{422, "unprocessable_entity"}},
		"UnknownTier":         {method: "POST", path: "/v2/registries/subscription", body: `{"tier_slug": "gold"}`, want: want{422, "unprocessable_entity"}},
		"UnknownGCType":       {method: "POST", path: "/v2/registries/reg/garbage-collection", body: `{"type": "everything"}`, want: want{422, "unprocessable_entity"}},
		"CancelUnknownRun":    {method: "PUT", path: "/v2/registries/reg/garbage-collection/x", body: `{"cancel": "yes"}`, want: want{404, "not_found"}},
		"BadPage":             {method: "GET", path: "/v2/registries/reg/repositories/app/tags?page=-1", want: want{400, "bad_request"}},
		"HugePage":            {method: "GET", path: "/v2/registries/reg/repositories/app/tags?page=4611686018427387904&per_page=3", want: want{200, ""}},
		"HugePageV2":          {method: "GET", path: "/v2/registries/reg/repositoriesV2?page=4611686018427387904&per_page=200", want: want{200, ""}},
		"BadPerPage":          {method: "GET", path: "/v2/registries/reg/repositories/app/tags?per_page=abc", want: want{400, "bad_request"}},
		"BadReadWrite":        {method: "GET", path: "/v2/registries/reg/docker-credentials?read_write=maybe", want: want{400, "bad_request"}},
		"BadExpiry":           {method: "GET", path: "/v2/registries/reg/docker-credentials?expiry_seconds=-5", want: want{400, "bad_request"}},
		"BadPageToken":        {method: "GET", path: "/v2/registries/reg/repositoriesV2?page_token=!!", want: want{400, "bad_request"}},
		"ClusterUUIDsNotList": {method: "POST", path: "/v2/kubernetes/registries", body: `{"cluster_uuids": "x"}`, want: want{400, "bad_request"}},
		"NoClusters":          {method: "POST", path: "/v2/kubernetes/registries", body: `{"registries": ["reg"]}`, want: want{422, "unprocessable_entity"}},
		"DotDot":              {method: "GET", path: "/v2/registries/reg/../../registry", want: want{400, "bad_request"}},
		"EncodedDotDot":       {method: "GET", path: "/v2/registries/%2e%2e/registry", want: want{400, "bad_request"}},
		"DoubleSlash":         {method: "GET", path: "/v2//registries", want: want{400, "bad_request"}},
		"Backslash":           {method: "GET", path: "/v2/registries/reg%5c..", want: want{400, "bad_request"}},
		"EncodedNUL":          {method: "GET", path: "/v2/registries/reg%00", want: want{400, "bad_request"}},
		"EncodedSlashInName":  {method: "GET", path: "/v2/registries/reg%2Fx", want: want{404, "not_found"}},
		"UnknownPath":         {method: "GET", path: "/v2/droplets", want: want{404, "not_found"}},
		"WrongMethod":         {method: "PATCH", path: "/v2/registries/reg", want: want{405, "method_not_allowed"}},
		"NoToken":             {method: "GET", path: "/v2/registries", noAuth: true, want: want{401, "unauthorized"}},
		"UnknownAdmin":        {method: "GET", path: "/_sim/nothing", want: want{404, "not_found"}},
		"AdminBadPush":        {method: "POST", path: "/_sim/push", body: `{"registry": "reg", "repository": "UPPER", "layers": [1]}`, want: want{422, "unprocessable_entity"}},
		"AdminPushBadLayer":   {method: "POST", path: "/_sim/push", body: `{"registry": "reg", "repository": "app", "layers": ["x"]}`, want: want{422, "unprocessable_entity"}},
		"AdminBadDuration":    {method: "POST", path: "/_sim/clock", body: `{"advance": "soon"}`, want: want{422, "unprocessable_entity"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := rawRequest(t, s, tc.method, tc.path, tc.body, !tc.noAuth)
			if diff := cmp.Diff(tc.want, want{got.status, got.id}); diff != "" {
				t.Errorf("(-want +got):\n%s\nbody: %s", diff, got.body)
			}
		})
	}
	// Nothing above changed the world.
	if got := len(s.Registries("acme")); got != 1 {
		t.Errorf("registries after garbage: %d, want 1", got)
	}
}

type rawResult struct {
	status int
	id     string
	body   string
}

// rawRequest writes the request line by hand so that paths reach the server unchanged.
func rawRequest(t testing.TB, s *Server, method, path, body string, auth bool) rawResult {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL(), "http://"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: sim\r\nConnection: close\r\nContent-Type: application/json\r\n")
	if auth {
		b.WriteString("Authorization: Bearer tok\r\n")
	}
	b.WriteString("Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(newBufReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: no response: %v", method, path, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	var e apiError
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(rb, &e); err != nil || e.Message == "" || e.RequestID == "" {
			t.Errorf("%s %s: error body is not DigitalOcean's: %s", method, path, rb)
		}
	}
	return rawResult{status: resp.StatusCode, id: e.ID, body: string(rb)}
}

// TestHandlerPanicIsContained proves a bug in a handler answers 500 in DigitalOcean's
// shape and releases the state lock, so the next request is served.
func TestHandlerPanicIsContained(t *testing.T) {
	s := garbageServer(t)
	s.handle("GET", "/v2/test-panic", func(*call) reply { panic("boom") })
	s.handle("GET", "/v2/test-panic-unlocked", func(*call) reply { panic("boom") }, selfLocking)
	client := &http.Client{Timeout: 60 * time.Second}
	for _, path := range []string{"/v2/test-panic", "/v2/test-panic-unlocked", "/v2/registries/reg"} {
		req, _ := http.NewRequest("GET", s.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v (a panic left the lock held?)", path, err)
		}
		var e apiError
		json.NewDecoder(resp.Body).Decode(&e) //nolint:errcheck // checked through e below.
		resp.Body.Close()
		want := want500(path)
		if resp.StatusCode != want || (want == 500 && e.ID != "server_error") {
			t.Errorf("%s: %d %+v, want %d", path, resp.StatusCode, e, want)
		}
	}
}

func want500(path string) int {
	if strings.HasPrefix(path, "/v2/test-panic") {
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

func TestStartListensOnLoopbackOnly(t *testing.T) {
	cases := map[string]struct {
		addr    string
		wantErr bool
	}{
		"Loopback":      {addr: "127.0.0.1:0"},
		"Localhost":     {addr: "localhost:0"},
		"Default":       {addr: ""},
		"AllInterfaces": {addr: "0.0.0.0:0", wantErr: true},
		"EmptyHost":     {addr: ":0", wantErr: true},
		"OtherAddress":  {addr: "10.1.2.3:0", wantErr: true},
		"NoPort":        {addr: "127.0.0.1", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			url, err := s.Start(tc.addr)
			defer s.Close()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Start(%q) = %q, %v; wantErr %v", tc.addr, url, err, tc.wantErr)
			}
			if err == nil && !strings.HasPrefix(url, "http://127.0.0.1:") && !strings.HasPrefix(url, "http://[::1]:") {
				t.Errorf("listening on %s", url)
			}
		})
	}
}
