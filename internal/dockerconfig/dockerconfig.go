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

// Package dockerconfig reads and writes the docker config JSON format
// ({"auths": {"<host or host/path>": {"auth": "<base64 user:password>"}}}) that
// kubelet reads from kubernetes.io/dockerconfigjson Secrets.
//
// The documents hold credentials: no error of this package quotes any part of
// its input (encoding/json errors can quote values, so they are never wrapped).
package dockerconfig

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Key is the data key of a kubernetes.io/dockerconfigjson Secret.
const Key = ".dockerconfigjson"

// Entry is one auths entry. Only auth is interpreted; other fields DigitalOcean
// may return (username, password, email, ...) are kept as they are.
type Entry map[string]json.RawMessage

// Config is a docker config JSON document.
type Config struct {
	Auths map[string]Entry `json:"auths"`
}

// Errors. Fixed strings: never a fragment of the credentials.
const (
	errNotJSON     = "docker config is not a valid JSON object with an auths map"
	errNoAuths     = "docker config has no auths entries"
	errEntryNoAuth = "docker config entry has no auth field"
	errAuthBase64  = "docker config auth is not valid base64"
	errAuthFormat  = "docker config auth is not of the form user:password"
	errNoRegistry  = "no registry credentials to combine"
	errEmptyHost   = "docker config has an empty registry host"
)

// Parse reads a docker config JSON document and checks that it has at least
// one entry and that every entry has a decodable auth.
func Parse(b []byte) (Config, error) {
	var c Config
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&c); err != nil {
		return Config{}, errors.New(errNotJSON)
	}
	if len(c.Auths) == 0 {
		return Config{}, errors.New(errNoAuths)
	}
	for host, e := range c.Auths {
		if strings.TrimSpace(host) == "" {
			return Config{}, errors.New(errEmptyHost)
		}
		if _, _, err := e.UserPassword(); err != nil {
			return Config{}, errors.Wrapf(err, "entry %q", host)
		}
	}
	return c, nil
}

// UserPassword decodes the entry's auth.
func (e Entry) UserPassword() (user, password string, err error) {
	raw, ok := e["auth"]
	if !ok {
		return "", "", errors.New(errEntryNoAuth)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || s == "" {
		return "", "", errors.New(errEntryNoAuth)
	}
	dec, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", "", errors.New(errAuthBase64)
	}
	u, p, ok := strings.Cut(string(dec), ":")
	if !ok || u == "" || p == "" {
		return "", "", errors.New(errAuthFormat)
	}
	return u, p, nil
}

// Hosts returns the auths keys, sorted.
func (c Config) Hosts() []string {
	h := make([]string, 0, len(c.Auths))
	for k := range c.Auths {
		h = append(h, k)
	}
	sort.Strings(h)
	return h
}

// Marshal writes the document. encoding/json sorts map keys, so equal
// configs give equal bytes.
func (c Config) Marshal() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, errors.New("cannot encode docker config")
	}
	return b, nil
}

// Combine merges the configs DigitalOcean returned per registry (keyed by
// registry name) into one document.
//
// One registry: its document as DigitalOcean returned it, keyed by host
// (registry.digitalocean.com), which both docker and kubelet match.
//
// Several registries: DigitalOcean returns each registry's credentials under
// the same host, so they would overwrite each other. Each entry is keyed by
// host/<registry name> instead; kubelet picks the entry whose key is the
// longest prefix of the image reference, so
// registry.digitalocean.com/a/app:1 uses registry a's credentials. The docker
// CLI matches hosts only and ignores such entries.
func Combine(perRegistry map[string]Config) (Config, error) {
	if len(perRegistry) == 0 {
		return Config{}, errors.New(errNoRegistry)
	}
	if len(perRegistry) == 1 {
		for name, c := range perRegistry {
			if len(c.Auths) == 0 {
				return Config{}, errors.Errorf("registry %q: %s", name, errNoAuths)
			}
			return c, nil
		}
	}
	out := Config{Auths: map[string]Entry{}}
	for name, c := range perRegistry {
		if len(c.Auths) == 0 {
			return Config{}, errors.Errorf("registry %q: %s", name, errNoAuths)
		}
		for host, e := range c.Auths {
			out.Auths[PathKey(host, name)] = e
		}
	}
	return out, nil
}

// PathKey is the auths key of one registry in a multi-registry document:
// host/<registry>, without a scheme or trailing slash.
func PathKey(host, registry string) string {
	host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
	return strings.TrimRight(host, "/") + "/" + registry
}

// Covers reports whether c has credentials for every registry: the single
// registry's document has any entry; a multi-registry document has an entry
// keyed host/<registry> for each.
func (c Config) Covers(registries []string) bool {
	if len(c.Auths) == 0 || len(registries) == 0 {
		return false
	}
	if len(registries) == 1 {
		return true
	}
	for _, r := range registries {
		found := false
		for k := range c.Auths {
			if strings.HasSuffix(k, "/"+r) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
