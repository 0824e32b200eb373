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

package retention

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }

func tag(repo, name, digest string, age int) Tag {
	return Tag{Repository: repo, Tag: name, Digest: digest, UpdatedAt: daysAgo(age)}
}

func refs(ts []Tag) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Ref())
	}
	return out
}

func reasons(rs []Retained) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		out[r.Tag.Ref()] = r.Reason
	}
	return out
}

func TestCompile(t *testing.T) {
	cases := map[string]struct {
		repos, protect []string
		keepLast       int
		olderThan      time.Duration
		wantErr        string // prefix; empty means no error
	}{
		"Valid":          {repos: []string{"team/*", "api"}, protect: []string{`^v\d+\.\d+\.\d+$`, "^latest$"}, keepLast: 3},
		"BadGlob":        {repos: []string{"ok", "team/[a"}, wantErr: "repositories[1]:"},
		"EmptyGlob":      {repos: []string{""}, wantErr: "repositories[0]:"},
		"BadRegexp":      {protect: []string{"^v(", "x"}, wantErr: "protect[0]:"},
		"NegativeKeep":   {keepLast: -1, wantErr: "keepLast:"},
		"NegativeOlder":  {olderThan: -time.Hour, wantErr: "olderThan:"},
		"PerlLookahead":  {protect: []string{"^(?!dev)"}, wantErr: "protect[0]:"},
		"NothingIsValid": {},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Compile(tc.repos, tc.protect, tc.keepLast, tc.olderThan)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && !strings.HasPrefix(got, tc.wantErr) {
				t.Errorf("Compile: got %q, want prefix %q", got, tc.wantErr)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	p, err := Compile([]string{"team/*", "api"}, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for repo, want := range map[string]bool{"team/web": true, "team/web/v2": false, "api": true, "api2": false, "other": false} {
		if got := p.Matches(repo); got != want {
			t.Errorf("Matches(%q) = %v, want %v", repo, got, want)
		}
	}
	all, _ := Compile(nil, nil, 0, 0)
	if !all.Matches("anything/at/all") {
		t.Error("no patterns must match every repository")
	}
}

func TestSelect(t *testing.T) {
	semver := []string{`^v\d+\.\d+\.\d+$`}
	cases := map[string]struct {
		protect   []string
		keepLast  int
		olderThan time.Duration
		tags      []Tag
		want      []string
		retained  map[string]string
	}{
		"KeepLastOnly": {
			keepLast: 2,
			tags:     []Tag{tag("r", "a", "d1", 5), tag("r", "b", "d2", 4), tag("r", "c", "d3", 3), tag("r", "d", "d4", 2)},
			want:     []string{"r:a", "r:b"},
			retained: map[string]string{"r:c": ReasonKeepLast, "r:d": ReasonKeepLast},
		},
		"OlderThanOnly": {
			olderThan: 72 * time.Hour,
			tags:      []Tag{tag("r", "a", "d1", 5), tag("r", "b", "d2", 4), tag("r", "c", "d3", 3), tag("r", "d", "d4", 2)},
			// exactly 3 days old is not older than 72h
			want:     []string{"r:a", "r:b"},
			retained: map[string]string{"r:c": ReasonTooNew, "r:d": ReasonTooNew},
		},
		"BothMustHold": {
			keepLast: 1, olderThan: 96 * time.Hour,
			tags:     []Tag{tag("r", "a", "d1", 10), tag("r", "b", "d2", 9), tag("r", "c", "d3", 1), tag("r", "d", "d4", 0)},
			want:     []string{"r:a", "r:b"},
			retained: map[string]string{"r:c": ReasonTooNew, "r:d": ReasonKeepLast},
		},
		// Protected tags do not use up keepLast: the newest two builds stay
		// besides every release.
		"ProtectedDoNotCountTowardsKeepLast": {
			protect: semver, keepLast: 2,
			tags: []Tag{tag("r", "v1.0.0", "d1", 9), tag("r", "b1", "d2", 8), tag("r", "v1.1.0", "d3", 7),
				tag("r", "b2", "d4", 6), tag("r", "b3", "d5", 5), tag("r", "v1.2.0", "d6", 1)},
			want:     []string{"r:b1"},
			retained: map[string]string{"r:v1.0.0": ReasonProtected, "r:v1.1.0": ReasonProtected, "r:v1.2.0": ReasonProtected, "r:b3": ReasonKeepLast, "r:b2": ReasonKeepLast},
		},
		"ProtectAnchoringMatters": {
			protect: semver, keepLast: 0,
			tags:     []Tag{tag("r", "v1.0.0-rc1", "d1", 9), tag("r", "v1.0.0", "d2", 8)},
			want:     []string{"r:v1.0.0-rc1"},
			retained: map[string]string{"r:v1.0.0": ReasonProtected},
		},
		"SharedWithProtectedSurvives": {
			protect: []string{"^latest$"}, keepLast: 1,
			tags:     []Tag{tag("r", "build-1", "dA", 9), tag("r", "build-2", "dB", 8), tag("r", "latest", "dA", 7), tag("r", "build-3", "dC", 1)},
			want:     []string{"r:build-2"},
			retained: map[string]string{"r:build-1": ReasonShared, "r:latest": ReasonProtected, "r:build-3": ReasonKeepLast},
		},
		"SharedWithKeptSurvives": {
			keepLast: 1,
			tags:     []Tag{tag("r", "old-alias", "dNew", 9), tag("r", "old", "dOld", 8), tag("r", "new", "dNew", 1)},
			want:     []string{"r:old"},
			retained: map[string]string{"r:old-alias": ReasonShared, "r:new": ReasonKeepLast},
		},
		"SharedWithTooNewSurvives": {
			olderThan: 48 * time.Hour,
			tags:      []Tag{tag("r", "x", "d1", 9), tag("r", "y", "d1", 1)},
			retained:  map[string]string{"r:x": ReasonShared, "r:y": ReasonTooNew},
		},
		// Two candidates sharing a manifest are both deleted: nothing
		// retained carries it.
		"SharedAmongCandidatesDeleted": {
			keepLast: 1,
			tags:     []Tag{tag("r", "a", "d1", 9), tag("r", "b", "d1", 8), tag("r", "c", "d2", 1)},
			want:     []string{"r:a", "r:b"},
			retained: map[string]string{"r:c": ReasonKeepLast},
		},
		// A tag listed without its manifest digest might share a retained
		// tag's manifest: it is never a candidate.
		"UnknownDigestRetained": {
			keepLast: 1,
			tags:     []Tag{tag("r", "a", "", 9), tag("r", "b", "d1", 8), tag("r", "c", "d2", 1)},
			want:     []string{"r:b"},
			retained: map[string]string{"r:a": ReasonNoDigest, "r:c": ReasonKeepLast},
		},
		"KeepLastLargerThanTags": {
			keepLast: 10,
			tags:     []Tag{tag("r", "a", "d1", 9)},
			retained: map[string]string{"r:a": ReasonKeepLast},
		},
		"EqualTimesStableByName": {
			keepLast: 1,
			tags:     []Tag{tag("r", "b", "d2", 3), tag("r", "a", "d1", 3), tag("r", "c", "d3", 3)},
			// newest-first order is a, b, c: "a" is kept, c then b are oldest-first
			want:     []string{"r:c", "r:b"},
			retained: map[string]string{"r:a": ReasonKeepLast},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Compile(nil, tc.protect, tc.keepLast, tc.olderThan)
			if err != nil {
				t.Fatal(err)
			}
			c, k := p.Select(now, tc.tags)
			if diff := cmp.Diff(tc.want, refs(c)); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.retained, reasons(k)); diff != "" {
				t.Errorf("retained (-want +got):\n%s", diff)
			}
			if len(c)+len(k) != len(tc.tags) {
				t.Errorf("%d candidates + %d retained != %d tags", len(c), len(k), len(tc.tags))
			}
		})
	}
}

func TestReclaimable(t *testing.T) {
	b := func(d string, n uint64) Blob { return Blob{Digest: d, Size: n} }
	cases := map[string]struct {
		manifests []Manifest
		deleted   []Tag
		want      uint64
	}{
		"OnlyBlobsOfUntaggedManifest": {
			manifests: []Manifest{
				{Repository: "r", Digest: "m1", Tags: []string{"old"}, Blobs: []Blob{b("cfg1", 10), b("base", 1000), b("app1", 200)}},
				{Repository: "r", Digest: "m2", Tags: []string{"new"}, Blobs: []Blob{b("cfg2", 11), b("base", 1000), b("app2", 300)}},
			},
			deleted: []Tag{{Repository: "r", Tag: "old"}},
			want:    10 + 200,
		},
		"ManifestStillTaggedFreesNothing": {
			manifests: []Manifest{{Repository: "r", Digest: "m1", Tags: []string{"a", "b"}, Blobs: []Blob{b("x", 5)}}},
			deleted:   []Tag{{Repository: "r", Tag: "a"}},
			want:      0,
		},
		"AllTagsOfManifestDeleted": {
			manifests: []Manifest{{Repository: "r", Digest: "m1", Tags: []string{"a", "b"}, Blobs: []Blob{b("x", 5)}, OwnBytes: 7}},
			deleted:   []Tag{{Repository: "r", Tag: "a"}, {Repository: "r", Tag: "b"}},
			want:      5 + 7,
		},
		"BlobSharedAcrossRepositoriesNotFreed": {
			manifests: []Manifest{
				{Repository: "a", Digest: "m1", Tags: []string{"t"}, Blobs: []Blob{b("shared", 100), b("onlyA", 1)}},
				{Repository: "b", Digest: "m9", Tags: []string{"t"}, Blobs: []Blob{b("shared", 100)}},
			},
			deleted: []Tag{{Repository: "a", Tag: "t"}},
			want:    1,
		},
		// The same digest in two repositories is two manifests: deleting the
		// tag in one leaves the other, and the blobs stay.
		"SameDigestOtherRepository": {
			manifests: []Manifest{
				{Repository: "a", Digest: "m1", Tags: []string{"t"}, Blobs: []Blob{b("x", 100)}, OwnBytes: 3},
				{Repository: "b", Digest: "m1", Tags: []string{"t"}, Blobs: []Blob{b("x", 100)}, OwnBytes: 3},
			},
			deleted: []Tag{{Repository: "a", Tag: "t"}},
			want:    3,
		},
		"BlobSharedByTwoDeletedManifestsCountedOnce": {
			manifests: []Manifest{
				{Repository: "r", Digest: "m1", Tags: []string{"a"}, Blobs: []Blob{b("s", 50), b("x", 1)}},
				{Repository: "r", Digest: "m2", Tags: []string{"b"}, Blobs: []Blob{b("s", 50), b("y", 2)}},
			},
			deleted: []Tag{{Repository: "r", Tag: "a"}, {Repository: "r", Tag: "b"}},
			want:    50 + 1 + 2,
		},
		// Manifests untagged already (by an interrupted evaluation, a
		// re-pushed tag) go in the same garbage collection.
		"AlreadyUntaggedCounted": {
			manifests: []Manifest{
				{Repository: "r", Digest: "m0", Blobs: []Blob{b("g", 999), b("s", 50)}, OwnBytes: 4},
				{Repository: "r", Digest: "m1", Tags: []string{"a"}, Blobs: []Blob{b("s", 50)}},
			},
			deleted: []Tag{{Repository: "r", Tag: "a"}},
			want:    4 + 999 + 50,
		},
		"UntaggedSharingWithTaggedKeepsBlob": {
			manifests: []Manifest{
				{Repository: "r", Digest: "m0", Blobs: []Blob{b("g", 999), b("s", 50)}},
				{Repository: "r", Digest: "m1", Tags: []string{"a"}, Blobs: []Blob{b("s", 50)}},
			},
			want: 999,
		},
		"NothingDeleted": {
			manifests: []Manifest{{Repository: "r", Digest: "m1", Tags: []string{"a"}, Blobs: []Blob{b("s", 50)}}},
			want:      0,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Reclaimable(tc.manifests, tc.deleted); got != tc.want {
				t.Errorf("Reclaimable = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	p, err := Compile([]string{"apps/*"}, []string{`^v\d+\.\d+\.\d+$`}, 1, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tags := []Tag{
		tag("apps/web", "b1", "w1", 10), tag("apps/web", "b2", "w2", 9), tag("apps/web", "v1.0.0", "w3", 8), tag("apps/web", "b3", "w4", 2),
		tag("apps/api", "b1", "a1", 10), tag("apps/api", "b2", "a2", 5),
		tag("infra", "old", "i1", 100), // not matched
	}
	manifests := []Manifest{
		{Repository: "apps/web", Digest: "w1", Tags: []string{"b1"}, Blobs: []Blob{{"base", 1000}, {"web1", 10}}},
		{Repository: "apps/web", Digest: "w2", Tags: []string{"b2"}, Blobs: []Blob{{"base", 1000}, {"web2", 20}}},
		{Repository: "apps/web", Digest: "w3", Tags: []string{"v1.0.0"}, Blobs: []Blob{{"base", 1000}, {"web3", 30}}},
		{Repository: "apps/web", Digest: "w4", Tags: []string{"b3"}, Blobs: []Blob{{"base", 1000}, {"web4", 40}}},
		{Repository: "apps/api", Digest: "a1", Tags: []string{"b1"}, Blobs: []Blob{{"apibase", 500}, {"api1", 1}}},
		{Repository: "apps/api", Digest: "a2", Tags: []string{"b2"}, Blobs: []Blob{{"apibase", 500}, {"api2", 2}}},
		{Repository: "infra", Digest: "i1", Tags: []string{"old"}, Blobs: []Blob{{"web1", 10}}},
	}
	r := p.Evaluate(now, tags, manifests)
	if diff := cmp.Diff([]string{"apps/api:b1", "apps/web:b1", "apps/web:b2"}, refs(r.Candidates)); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
	// web1 stays: infra:old references it.
	if want := uint64(1 + 20); r.ReclaimableBytes != want {
		t.Errorf("ReclaimableBytes = %d, want %d", r.ReclaimableBytes, want)
	}
	if diff := cmp.Diff(refs(r.Candidates), r.Sample); diff != "" {
		t.Errorf("sample (-want +got):\n%s", diff)
	}
}

func TestSampleCapped(t *testing.T) {
	var c []Tag
	for i := 0; i < 45; i++ {
		c = append(c, Tag{Repository: "r", Tag: fmt.Sprintf("t%02d", i)})
	}
	s := Sample(c)
	if len(s) != SampleSize || s[0] != "r:t00" || s[SampleSize-1] != "r:t19" {
		t.Errorf("Sample = %v", s)
	}
}
