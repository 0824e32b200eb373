package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
)

func TestParseAccount(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    docrsim.Account
		wantErr bool
	}{
		"NameAndToken":    {in: "acme=t1", want: docrsim.Account{Name: "acme", Tokens: []string{"t1"}}},
		"TierAndTokens":   {in: "acme:basic=t1,t2", want: docrsim.Account{Name: "acme", Tier: "basic", Tokens: []string{"t1", "t2"}}},
		"NoToken":         {in: "acme", wantErr: true},
		"EmptyTokenValue": {in: "acme=", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseAccount(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "t1") {
				t.Errorf("error leaks a token: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePhases(t *testing.T) {
	var p docrsim.GCPhases
	if err := parsePhases("requested=1s,scanning=250ms", &p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(docrsim.GCPhases{Requested: time.Second, ScanningManifests: 250 * time.Millisecond}, p); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"requested", "nope=1s", "deleting=-1s", "waiting=soon"} {
		if err := parsePhases(bad, &p); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestRestartKeepsState runs the command twice on one state file: the registry and
// image created in the first run are there in the second.
func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seed, []byte(`
accounts:
- name: acme
  tier: professional
  tokens: [tok]
registries:
- name: seeded
  account: acme
  region: ams3
  repositories:
  - name: app
    images:
    - tags: [v1]
      layers: [{size: 100}, {size: 200}]
clusters:
- id: 0b1c2d3e-0000-4000-8000-00000000000a
  name: k8s
  region: ams3
  account: acme
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--addr", "127.0.0.1:0", "--url-file", filepath.Join(dir, "url"), "--seed-file", seed,
		"--state-file", filepath.Join(dir, "state.json"), "--clock", "manual", "--faults", "GET /v2/registries/options: latency=1ms"}
	serve := func(f func(url string)) {
		t.Helper()
		os.Remove(filepath.Join(dir, "url"))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, args) }()
		var url string
		for deadline := time.Now().Add(60 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if b, err := os.ReadFile(filepath.Join(dir, "url")); err == nil {
				url = strings.TrimSpace(string(b))
			}
		}
		if url == "" {
			cancel()
			t.Fatalf("docr-sim did not start: %v", <-done)
		}
		f(url)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	do := func(method, url string, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	serve(func(url string) {
		if resp := do("POST", url+"/v2/registries", `{"name":"made-at-runtime","region":"fra1"}`); resp.StatusCode != 201 {
			t.Fatalf("create: %d", resp.StatusCode)
		}
		if resp := do("POST", url+"/_sim/push", `{"registry":"made-at-runtime","repository":"web","tag":"v9","layers":[5]}`); resp.StatusCode != 200 {
			t.Fatalf("admin push: %d", resp.StatusCode)
		}
		if resp := do("POST", url+"/_sim/clock", `{"advance":"1h"}`); resp.StatusCode != 200 {
			t.Fatalf("advance manual clock: %d", resp.StatusCode)
		}
	})
	serve(func(url string) {
		resp := do("GET", url+"/_sim/registries", "")
		var regs []docrsim.RegistryInfo
		if err := json.NewDecoder(resp.Body).Decode(&regs); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range regs {
			for _, repo := range r.Repositories {
				for _, tag := range repo.Tags {
					got = append(got, r.Name+"/"+repo.Name+":"+tag.Tag)
				}
			}
		}
		if diff := cmp.Diff([]string{"made-at-runtime/web:v9", "seeded/app:v1"}, got); diff != "" {
			t.Errorf("state after restart (-want +got):\n%s", diff)
		}
	})
}
