package docrsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	testingclock "k8s.io/utils/clock/testing"
)

// specPath is a copy of DigitalOcean's published spec, reduced to the registry and DOKS
// paths (see testdata/openapi/NOTICE.md).
const specPath = "testdata/openapi/do-registry-subset.openapi.json"

// contract drives requests at a simulator and validates each request and response
// against the spec, recording which operations answered successfully and with an error.
type contract struct {
	t      *testing.T
	s      *Server
	router routers.Router
	doc    *openapi3.T
	// covered[operationID] = {success, error}
	covered map[string]*[2]bool
}

func newContract(t *testing.T, s *Server) *contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("loading spec: %v", err)
	}
	// Route against the simulator instead of api.digitalocean.com.
	doc.Servers = openapi3.Servers{{URL: s.URL()}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("building router: %v", err)
	}
	return &contract{t: t, s: s, router: router, doc: doc, covered: map[string]*[2]bool{}}
}

// call sends a request, validates both sides against the spec and checks the status.
// specRejectsRequest marks requests the spec itself forbids (garbage input): their
// request validation must fail, and the response must still validate.
func (c *contract) call(token, method, path string, body any, wantStatus int, specRejectsRequest ...bool) []byte {
	c.t.Helper()
	var rd io.Reader
	var raw []byte
	if body != nil {
		switch b := body.(type) {
		case string:
			raw = []byte(b)
		default:
			var err error
			if raw, err = json.Marshal(b); err != nil {
				c.t.Fatal(err)
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.s.URL()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Fatalf("%s %s: no route in the spec: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	rejects := len(specRejectsRequest) > 0 && specRejectsRequest[0]
	switch {
	case rejects && reqErr == nil:
		c.t.Errorf("%s %s: expected the spec to reject this request", method, path)
	case !rejects && reqErr != nil:
		c.t.Errorf("%s %s: request does not match the spec: %v", method, path, reqErr)
	}
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(raw))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		c.t.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, respBody)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: &openapi3filter.Options{IncludeResponseStatus: false}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s %s: response %d does not match the spec: %v\n%s", method, path, resp.StatusCode, err, respBody)
	}
	if resp.StatusCode >= 400 {
		var e apiError
		if err := json.Unmarshal(respBody, &e); err != nil || e.ID == "" || e.Message == "" || e.RequestID == "" {
			c.t.Errorf("%s %s: error body is not DigitalOcean's {id, message, request_id}: %s", method, path, respBody)
		}
	}
	for _, h := range []string{"Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset"} {
		if resp.Header.Get(h) == "" {
			c.t.Errorf("%s %s: no %s header", method, path, h)
		}
	}
	id := route.Operation.OperationID
	if c.covered[id] == nil {
		c.covered[id] = &[2]bool{}
	}
	if resp.StatusCode == wantStatus {
		c.covered[id][map[bool]int{true: 1, false: 0}[resp.StatusCode >= 400]] = true
	}
	return respBody
}

// uncovered lists operations without a successful and an error call.
func (c *contract) uncovered() []string {
	var missing []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			cov := c.covered[op.OperationID]
			switch {
			case cov == nil:
				missing = append(missing, fmt.Sprintf("%s %s (%s): not called", method, path, op.OperationID))
			case !cov[0]:
				missing = append(missing, fmt.Sprintf("%s %s (%s): no success", method, path, op.OperationID))
			case !cov[1]:
				missing = append(missing, fmt.Sprintf("%s %s (%s): no error", method, path, op.OperationID))
			}
		}
	}
	sort.Strings(missing)
	return missing
}

func contractOptions(clk *testingclock.FakeClock) Options {
	return Options{
		Clock: clk,
		Accounts: []Account{
			{Name: "acme", Tokens: []string{"tok-acme"}, Tier: TierProfessional},
			{Name: "solo", Tokens: []string{"tok-solo"}, Tier: TierBasic},
			{Name: "multi", Tokens: []string{"tok-multi"}, Tier: TierProfessional},
			{Name: "fresh", Tokens: []string{"tok-fresh"}},
		},
		Registries: []SeedRegistry{
			{Name: "acme-reg", Account: "acme", Region: "fra1", Repositories: []SeedRepository{
				{Name: "app/web", Images: []Image{{Tags: []string{"v1"}, Layers: []Layer{{Size: 1000}}}, {Tags: []string{"v2", "latest"}, Layers: []Layer{{Size: 2000}}}}},
				{Name: "junk", Images: []Image{{Tags: []string{"old"}, Layers: []Layer{{Size: 10}}}}},
			}},
			{Name: "solo-reg", Account: "solo", Region: "nyc3", Repositories: []SeedRepository{
				{Name: "api", Images: []Image{{Tags: []string{"a", "b"}, Layers: []Layer{{Size: 500}}}, {Layers: []Layer{{Size: 7}}}}},
			}},
			{Name: "multi-a", Account: "multi", Region: "ams3"},
			{Name: "multi-b", Account: "multi", Region: "sgp1"},
		},
		Clusters: []Cluster{
			{ID: "0b1c2d3e-0000-4000-8000-00000000000a", Name: "acme-k8s", Region: "fra1", Account: "acme"},
			{ID: "0b1c2d3e-0000-4000-8000-00000000000b", Name: "solo-k8s", Region: "nyc1", Account: "solo"},
			{ID: "0b1c2d3e-0000-4000-8000-00000000000c", Name: "multi-k8s", Region: "ams3", Account: "multi"},
		},
		GCPhases: GCPhases{Requested: time.Second, WaitingForJWTs: time.Second, ScanningManifests: time.Second, DeletingBlobs: time.Second, Cancelling: time.Second},
	}
}

// TestContract checks every operation of the spec subset, a success and an error each,
// requests and responses validated by kin-openapi.
//
// Spec/godo differences the simulator serves as a union (documented exceptions):
//   - registry objects carry "uuid" (godo) although the spec's registry has none;
//   - garbage collections carry "type" (godo) although the spec's object has none;
//   - tiers carry "storage_overage_price_in_cents" (spec) which godo ignores;
//   - POST .../garbage-collection accepts godo's {"type": ...} body though the spec
//     declares none (kin-openapi ignores undeclared bodies, so both validate);
//   - GET /v2/registries?uuid= (godo's ListByUUID) is not in the spec; undeclared query
//     parameters are accepted by the validator.
//
// Those extra fields are checked below so the union cannot silently shrink.
func TestContract(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := NewTestServer(t, contractOptions(clk))
	c := newContract(t, s)
	const (
		acme, solo, multi, fresh = "tok-acme", "tok-solo", "tok-multi", "tok-fresh"
		r                        = "/v2/registries"
		l                        = "/v2/registry"
		k                        = "/v2/kubernetes"
		acmeCluster              = "0b1c2d3e-0000-4000-8000-00000000000a"
		soloCluster              = "0b1c2d3e-0000-4000-8000-00000000000b"
		missingCluster           = "0b1c2d3e-0000-4000-8000-0000000000ff"
	)

	// Multi-registry family.
	list := c.call(acme, "GET", r, nil, 200)
	if !strings.Contains(string(list), `"uuid":"`) {
		t.Errorf("registries carry no uuid (godo field): %s", list)
	}
	c.call("", "GET", r, nil, 401)
	c.call(acme, "POST", r, map[string]string{"name": "acme-two", "region": "ams3"}, 201)
	c.call(solo, "POST", r, map[string]string{"name": "acme-reg"}, 409)
	c.call(acme, "POST", r, `{"name": 12}`, 400, true)
	opts := c.call(acme, "GET", r+"/options", nil, 200)
	if !strings.Contains(string(opts), "storage_overage_price_in_cents") {
		t.Errorf("tiers lack storage_overage_price_in_cents (spec field): %s", opts)
	}
	c.call("", "GET", r+"/options", nil, 401)
	c.call(acme, "GET", r+"/subscription", nil, 200)
	c.call(fresh, "GET", r+"/subscription", nil, 404)
	c.call(acme, "POST", r+"/subscription", map[string]string{"tier_slug": "professional"}, 200)
	c.call(multi, "POST", r+"/subscription", map[string]string{"tier_slug": "basic"}, 412)
	c.call(acme, "POST", r+"/validate-name", map[string]string{"name": "free-name"}, 204)
	c.call(solo, "POST", r+"/validate-name", map[string]string{"name": "acme-reg"}, 409)
	c.call(acme, "GET", r+"/acme-reg", nil, 200)
	c.call(acme, "GET", r+"/solo-reg", nil, 404) // another account's registry is invisible
	c.call(acme, "DELETE", r+"/acme-two", nil, 204)
	c.call(acme, "DELETE", r+"/acme-two", nil, 404)
	c.call(acme, "GET", r+"/acme-reg/docker-credentials?read_write=true&expiry_seconds=3600", nil, 200)
	c.call(acme, "GET", r+"/nope/docker-credentials?read_write=false", nil, 404)
	c.call(acme, "GET", r+"/acme-reg/repositoriesV2?per_page=1", nil, 200)
	c.call(acme, "GET", r+"/acme-reg/repositoriesV2?page_token=%25%25", nil, 400)
	c.call(acme, "GET", r+"/acme-reg/repositories/app%2Fweb/tags", nil, 200)
	c.call(acme, "GET", r+"/acme-reg/repositories/nope/tags", nil, 404)
	c.call(acme, "DELETE", r+"/acme-reg/repositories/app%2Fweb/tags/v1", nil, 204)
	c.call(acme, "DELETE", r+"/acme-reg/repositories/app%2Fweb/tags/v1", nil, 404)
	var manifests struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	if err := json.Unmarshal(c.call(acme, "GET", r+"/acme-reg/repositories/app%2Fweb/digests", nil, 200), &manifests); err != nil || len(manifests.Manifests) != 2 {
		t.Fatalf("want 2 manifests in app/web: %v %+v", err, manifests)
	}
	c.call(acme, "GET", r+"/acme-reg/repositories/nope/digests", nil, 404)
	c.call(acme, "DELETE", r+"/acme-reg/repositories/app%2Fweb/digests/"+manifests.Manifests[1].Digest, nil, 204)
	c.call(acme, "DELETE", r+"/acme-reg/repositories/app%2Fweb/digests/"+manifests.Manifests[1].Digest, nil, 404)
	c.call(acme, "DELETE", r+"/acme-reg/repositories/junk", nil, 204)
	c.call(acme, "DELETE", r+"/acme-reg/repositories/junk", nil, 404)

	var gc struct {
		GC struct{ UUID, Type, Status string } `json:"garbage_collection"`
	}
	if err := json.Unmarshal(c.call(acme, "POST", r+"/acme-reg/garbage-collection", map[string]string{"type": GCTypeUntaggedManifestsAndUnrefBlobs}, 201), &gc); err != nil || gc.GC.Type != GCTypeUntaggedManifestsAndUnrefBlobs {
		t.Fatalf("start GC: %v %+v (type is a godo field)", err, gc)
	}
	c.call(acme, "POST", r+"/acme-reg/garbage-collection", nil, 409)
	c.call(acme, "GET", r+"/acme-reg/garbage-collection", nil, 200)
	c.call(acme, "PUT", r+"/acme-reg/garbage-collection/"+gc.GC.UUID, map[string]bool{"cancel": true}, 200)
	c.call(acme, "PUT", r+"/acme-reg/garbage-collection/nope", map[string]bool{"cancel": true}, 404)
	clk.Step(2 * time.Second) // cancelling → cancelled
	c.call(acme, "GET", r+"/acme-reg/garbage-collection", nil, 404)
	c.call(acme, "GET", r+"/acme-reg/garbage-collections", nil, 200)
	c.call(acme, "GET", r+"/nope/garbage-collections", nil, 404)

	// Legacy family.
	c.call(solo, "GET", l, nil, 200)
	c.call(multi, "GET", l, nil, 412)
	c.call(fresh, "POST", l, map[string]string{"name": "fresh-one", "region": "fra1", "subscription_tier_slug": "basic"}, 201)
	c.call(solo, "POST", l, map[string]string{"name": "solo-two", "region": "fra1", "subscription_tier_slug": "basic"}, 422)
	c.call(fresh, "DELETE", l, nil, 204)
	c.call(multi, "DELETE", l, nil, 412)
	c.call(solo, "GET", l+"/docker-credentials?read_write=false", nil, 200)
	c.call("", "GET", l+"/docker-credentials", nil, 401)
	c.call(solo, "GET", l+"/options", nil, 200)
	c.call("bogus", "GET", l+"/options", nil, 401)
	c.call(solo, "GET", l+"/subscription", nil, 200)
	c.call("", "GET", l+"/subscription", nil, 401)
	c.call(solo, "POST", l+"/subscription", map[string]string{"tier_slug": "basic"}, 200)
	c.call(multi, "POST", l+"/subscription", map[string]string{"tier_slug": "starter"}, 412)
	c.call(solo, "POST", l+"/validate-name", map[string]string{"name": "another-free"}, 204)
	c.call(solo, "POST", l+"/validate-name", map[string]string{"name": "multi-a"}, 409)
	c.call(solo, "GET", l+"/solo-reg/repositories", nil, 200)
	c.call(solo, "GET", l+"/nope/repositories", nil, 404)
	c.call(solo, "GET", l+"/solo-reg/repositoriesV2", nil, 200)
	c.call(solo, "GET", l+"/solo-reg/repositoriesV2?page=0", nil, 400, true)
	c.call(solo, "GET", l+"/solo-reg/repositories/api/tags", nil, 200)
	c.call(solo, "GET", l+"/solo-reg/repositories/zzz/tags", nil, 404)
	c.call(solo, "DELETE", l+"/solo-reg/repositories/api/tags/b", nil, 204)
	c.call(solo, "DELETE", l+"/solo-reg/repositories/api/tags/b", nil, 404)
	if err := json.Unmarshal(c.call(solo, "GET", l+"/solo-reg/repositories/api/digests", nil, 200), &manifests); err != nil || len(manifests.Manifests) != 2 {
		t.Fatalf("want 2 manifests in api: %v %+v", err, manifests)
	}
	c.call(solo, "GET", l+"/solo-reg/repositories/zzz/digests", nil, 404)
	c.call(solo, "DELETE", l+"/solo-reg/repositories/api/digests/"+manifests.Manifests[0].Digest, nil, 204)
	c.call(solo, "DELETE", l+"/solo-reg/repositories/api/digests/sha256:0000", nil, 404)
	if err := json.Unmarshal(c.call(solo, "POST", l+"/solo-reg/garbage-collection", nil, 201), &gc); err != nil || gc.GC.Type != GCTypeUnreferencedBlobsOnly {
		t.Fatalf("start GC without body: %v %+v, want godo's default type", err, gc)
	}
	c.call(solo, "POST", l+"/nope/garbage-collection", nil, 404)
	c.call(solo, "GET", l+"/solo-reg/garbage-collection", nil, 200)
	c.call(solo, "PUT", l+"/solo-reg/garbage-collection/"+gc.GC.UUID, map[string]bool{"cancel": true}, 200)
	c.call(solo, "PUT", l+"/solo-reg/garbage-collection/"+gc.GC.UUID+"x", map[string]bool{"cancel": true}, 404)
	clk.Step(2 * time.Second)
	c.call(solo, "GET", l+"/solo-reg/garbage-collection", nil, 404)
	c.call(solo, "GET", l+"/solo-reg/garbage-collections", nil, 200)
	c.call(solo, "GET", l+"/nope/garbage-collections", nil, 404)

	// DOKS.
	c.call(acme, "GET", k+"/clusters", nil, 200)
	c.call("", "GET", k+"/clusters", nil, 401)
	var cl struct {
		Cluster struct{ ID string } `json:"kubernetes_cluster"`
	}
	newCluster := map[string]any{"name": "new-k8s", "region": "fra1", "version": "1.33.1-do.0",
		"node_pools": []map[string]any{{"name": "p1", "size": "s-2vcpu-4gb", "count": 1}}}
	if err := json.Unmarshal(c.call(acme, "POST", k+"/clusters", newCluster, 201), &cl); err != nil || cl.Cluster.ID == "" {
		t.Fatalf("create cluster: %v", err)
	}
	newCluster["region"] = "mars1"
	c.call(acme, "POST", k+"/clusters", newCluster, 422)
	c.call(acme, "GET", k+"/clusters/"+acmeCluster, nil, 200)
	c.call(acme, "GET", k+"/clusters/"+soloCluster, nil, 404)
	c.call(acme, "PUT", k+"/clusters/"+cl.Cluster.ID, map[string]any{"name": "renamed"}, 202)
	c.call(acme, "PUT", k+"/clusters/"+missingCluster, map[string]any{"name": "renamed"}, 404)
	c.call(acme, "DELETE", k+"/clusters/"+cl.Cluster.ID, nil, 204)
	c.call(acme, "DELETE", k+"/clusters/"+cl.Cluster.ID, nil, 404)
	c.call(acme, "GET", k+"/clusters/"+acmeCluster+"/kubeconfig", nil, 200)
	c.call(acme, "GET", k+"/clusters/"+missingCluster+"/kubeconfig", nil, 404)
	c.call(solo, "POST", k+"/registry", map[string]any{"cluster_uuids": []string{soloCluster}}, 204)
	c.call(multi, "POST", k+"/registry", map[string]any{"cluster_uuids": []string{"0b1c2d3e-0000-4000-8000-00000000000c"}}, 412)
	c.call(solo, "DELETE", k+"/registry", map[string]any{"cluster_uuids": []string{soloCluster}}, 204)
	c.call(solo, "DELETE", k+"/registry", map[string]any{"cluster_uuids": []string{missingCluster}}, 404)
	c.call(acme, "POST", k+"/registries", map[string]any{"cluster_uuids": []string{acmeCluster}, "registries": []string{"acme-reg"}}, 204)
	c.call(acme, "POST", k+"/registries", map[string]any{"cluster_uuids": []string{acmeCluster}, "registries": []string{"solo-reg"}}, 404)
	var got struct {
		Cluster struct {
			RegistryEnabled bool     `json:"registry_enabled"`
			Registries      []string `json:"registries"`
		} `json:"kubernetes_cluster"`
	}
	if err := json.Unmarshal(c.call(acme, "GET", k+"/clusters/"+acmeCluster, nil, 200), &got); err != nil || !got.Cluster.RegistryEnabled {
		t.Errorf("registry_enabled is false after integration: %v %+v", err, got)
	}
	c.call(acme, "DELETE", k+"/registries", map[string]any{"cluster_uuids": []string{acmeCluster}, "registries": []string{"acme-reg"}}, 204)
	c.call(acme, "DELETE", k+"/registries", `{"cluster_uuids": "not-a-list"}`, 400, true)

	if missing := c.uncovered(); len(missing) > 0 {
		t.Errorf("operations of the spec subset not covered:\n%s", strings.Join(missing, "\n"))
	}
}

// TestContractValidatorIsLive proves the validation above can fail: responses a godo
// client would choke on are rejected by the spec.
func TestContractValidatorIsLive(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://sim.invalid"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://sim.invalid/v2/registries/abc", nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	cases := map[string]struct {
		body  string
		valid bool
	}{
		"GoodRegistry":      {body: `{"registry":{"name":"abc","created_at":"2026-01-01T00:00:00Z","storage_usage_bytes":1}}`, valid: true},
		"EmptyTime":         {body: `{"registry":{"created_at":""}}`},
		"NotATime":          {body: `{"registry":{"storage_usage_bytes_updated_at":"yesterday"}}`},
		"StringForInteger":  {body: `{"registry":{"storage_usage_bytes":"12"}}`},
		"NameBreaksPattern": {body: `{"registry":{"name":"UPPER"}}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
				Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(tc.body))})
			if got := err == nil; got != tc.valid {
				t.Errorf("valid = %v, want %v (err %v)", got, tc.valid, err)
			}
		})
	}
}
