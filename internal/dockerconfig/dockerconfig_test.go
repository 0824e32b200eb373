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

package dockerconfig

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func auth(u, p string) string { return base64.StdEncoding.EncodeToString([]byte(u + ":" + p)) }

func doc(host, u, p string) string {
	return `{"auths":{"` + host + `":{"auth":"` + auth(u, p) + `"}}}`
}

func TestParse(t *testing.T) {
	cases := map[string]struct {
		in      string
		hosts   []string
		wantErr string
	}{
		"Valid":         {in: doc("registry.digitalocean.com", "tok", "secretpass"), hosts: []string{"registry.digitalocean.com"}},
		"ExtraFields":   {in: `{"auths":{"h":{"auth":"` + auth("a", "b") + `","email":"x@y"}}}`, hosts: []string{"h"}},
		"NotJSON":       {in: `{"auths": SECRETSTUFF`, wantErr: errNotJSON},
		"WrongShape":    {in: `{"auths":["SECRETSTUFF"]}`, wantErr: errNotJSON},
		"NoAuths":       {in: `{"auths":{}}`, wantErr: errNoAuths},
		"EmptyHost":     {in: `{"auths":{"":{"auth":"` + auth("a", "b") + `"}}}`, wantErr: errEmptyHost},
		"NoAuthField":   {in: `{"auths":{"h":{"username":"SECRETSTUFF"}}}`, wantErr: errEntryNoAuth},
		"AuthNotB64":    {in: `{"auths":{"h":{"auth":"SECRETSTUFF!!"}}}`, wantErr: errAuthBase64},
		"AuthNoColon":   {in: `{"auths":{"h":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("SECRETSTUFF")) + `"}}}`, wantErr: errAuthFormat},
		"AuthNotString": {in: `{"auths":{"h":{"auth":12345}}}`, wantErr: errEntryNoAuth},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse() error = %v, want containing %q", err, tc.wantErr)
				}
				// No error may quote the input: it holds credentials.
				if strings.Contains(err.Error(), "SECRETSTUFF") || strings.Contains(err.Error(), "12345") {
					t.Fatalf("Parse() error quotes its input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if diff := cmp.Diff(tc.hosts, c.Hosts()); diff != "" {
				t.Errorf("Hosts() -want +got:\n%s", diff)
			}
		})
	}
}

func TestUserPassword(t *testing.T) {
	c, err := Parse([]byte(doc("h", "user1", "pa:ss")))
	if err != nil {
		t.Fatal(err)
	}
	u, p, err := c.Auths["h"].UserPassword()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"user1", "pa:ss"}, []string{u, p}); diff != "" {
		t.Errorf("UserPassword() -want +got:\n%s", diff)
	}
}

func TestCombine(t *testing.T) {
	parse := func(s string) Config {
		c, err := Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := map[string]struct {
		in      map[string]Config
		want    string
		wantErr bool
	}{
		"OneRegistryKeepsHost": {
			in:   map[string]Config{"a": parse(doc("registry.digitalocean.com", "ua", "pa"))},
			want: doc("registry.digitalocean.com", "ua", "pa"),
		},
		"SeveralRegistriesKeyedByPath": {
			in: map[string]Config{
				"a": parse(doc("registry.digitalocean.com", "ua", "pa")),
				"b": parse(doc("https://registry.digitalocean.com/", "ub", "pb")),
			},
			want: `{"auths":{"registry.digitalocean.com/a":{"auth":"` + auth("ua", "pa") + `"},"registry.digitalocean.com/b":{"auth":"` + auth("ub", "pb") + `"}}}`,
		},
		"None":       {in: map[string]Config{}, wantErr: true},
		"EmptyOne":   {in: map[string]Config{"a": {}}, wantErr: true},
		"EmptyOfTwo": {in: map[string]Config{"a": parse(doc("h", "u", "p")), "b": {}}, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Combine(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatal("Combine() succeeded, want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Combine() -want +got:\n%s", diff)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	multi := Config{Auths: map[string]Entry{"registry.digitalocean.com/a": {}, "registry.digitalocean.com/b": {}}}
	single := Config{Auths: map[string]Entry{"registry.digitalocean.com": {}}}
	cases := map[string]struct {
		c    Config
		regs []string
		want bool
	}{
		"SingleOne":       {c: single, regs: []string{"a"}, want: true},
		"MultiBoth":       {c: multi, regs: []string{"a", "b"}, want: true},
		"MultiMissingOne": {c: multi, regs: []string{"a", "c"}, want: false},
		"HostOnlyForTwo":  {c: single, regs: []string{"a", "b"}, want: false},
		"Empty":           {c: Config{}, regs: []string{"a"}, want: false},
		"NoRegistries":    {c: single, regs: nil, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.c.Covers(tc.regs); got != tc.want {
				t.Errorf("Covers(%v) = %v, want %v", tc.regs, got, tc.want)
			}
		})
	}
}
