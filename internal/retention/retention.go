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

// Package retention selects the tags a RetentionPolicy deletes and computes
// the storage a garbage collection can reclaim afterwards. It is pure: the
// controller lists tags and manifests and feeds them in.
package retention

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"time"
)

// SampleSize is how many candidates are reported as repository:tag.
const SampleSize = 20

// A Tag of a repository, as DigitalOcean's tag listing reports it.
type Tag struct {
	Repository string
	Tag        string
	Digest     string
	UpdatedAt  time.Time
}

// Ref is the tag as repository:tag.
func (t Tag) Ref() string { return t.Repository + ":" + t.Tag }

// A Blob is a layer or config blob, identified by digest within a registry.
type Blob struct {
	Digest string
	Size   uint64
}

// A Manifest of a repository with the tags that carry it and the blobs it
// references, as DigitalOcean's manifest listing reports it.
type Manifest struct {
	Repository string
	Digest     string
	Tags       []string
	Blobs      []Blob
	// OwnBytes the manifest itself occupies, if the registry counts them.
	OwnBytes uint64
}

// Policy is a compiled RetentionPolicy.
type Policy struct {
	repositories []string
	protect      []*regexp.Regexp
	// KeepLast newest unprotected tags of each repository are kept.
	KeepLast int
	// OlderThan: only tags updated longer ago are candidates; 0 means any age.
	OlderThan time.Duration
}

// Compile checks glob patterns of repositories and regular expressions of
// protected tags. Errors name the field and index.
func Compile(repositories, protect []string, keepLast int, olderThan time.Duration) (*Policy, error) {
	if keepLast < 0 {
		return nil, fmt.Errorf("keepLast: must not be negative, got %d", keepLast)
	}
	if olderThan < 0 {
		return nil, fmt.Errorf("olderThan: must not be negative, got %s", olderThan)
	}
	p := &Policy{KeepLast: keepLast, OlderThan: olderThan}
	for i, g := range repositories {
		if g == "" {
			return nil, fmt.Errorf("repositories[%d]: must not be empty", i)
		}
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("repositories[%d]: %q is not a valid glob pattern: %w", i, g, err)
		}
		p.repositories = append(p.repositories, g)
	}
	for i, r := range protect {
		re, err := regexp.Compile(r)
		if err != nil {
			return nil, fmt.Errorf("protect[%d]: %q is not a valid regular expression: %w", i, r, err)
		}
		p.protect = append(p.protect, re)
	}
	return p, nil
}

// Matches reports whether the policy applies to a repository. Patterns follow
// path.Match: '*' does not cross '/', so "team/*" matches "team/api" but not
// "team/api/v2". No pattern means every repository.
func (p *Policy) Matches(repository string) bool {
	if len(p.repositories) == 0 {
		return true
	}
	for _, g := range p.repositories {
		if ok, _ := path.Match(g, repository); ok {
			return true
		}
	}
	return false
}

// Protected reports whether a tag matches a protect expression.
func (p *Policy) Protected(tag string) bool {
	for _, re := range p.protect {
		if re.MatchString(tag) {
			return true
		}
	}
	return false
}

// Why a tag is retained.
const (
	ReasonProtected = "protected"
	ReasonKeepLast  = "keepLast"
	ReasonTooNew    = "newer than olderThan"
	ReasonShared    = "shares its manifest with a retained tag"
	ReasonNoDigest  = "manifest digest unknown"
)

// Retained is a tag that stays, and why.
type Retained struct {
	Tag    Tag
	Reason string
}

// Select the candidates of one repository's tags at now. Candidates come
// oldest first. A tag whose manifest is also carried by a retained tag is
// retained too: deleting it frees nothing and loses a name someone may pull.
func (p *Policy) Select(now time.Time, tags []Tag) (candidates []Tag, retained []Retained) {
	sorted := append([]Tag(nil), tags...)
	// Newest first; equal times by name so results are stable.
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].UpdatedAt.Equal(sorted[j].UpdatedAt) {
			return sorted[i].UpdatedAt.After(sorted[j].UpdatedAt)
		}
		return sorted[i].Tag < sorted[j].Tag
	})
	kept := 0
	keepDigests := map[string]bool{}
	retained = make([]Retained, 0, len(sorted))
	tentative := make([]Tag, 0, len(sorted))
	for _, t := range sorted {
		switch {
		case p.Protected(t.Tag):
			retained = append(retained, Retained{Tag: t, Reason: ReasonProtected})
		case kept < p.KeepLast:
			kept++
			retained = append(retained, Retained{Tag: t, Reason: ReasonKeepLast})
		case p.OlderThan > 0 && now.Sub(t.UpdatedAt) <= p.OlderThan:
			retained = append(retained, Retained{Tag: t, Reason: ReasonTooNew})
		default:
			tentative = append(tentative, t)
			continue
		}
		keepDigests[t.Digest] = true
	}
	candidates = make([]Tag, 0, len(tentative))
	for _, t := range tentative {
		// Without its digest a tag cannot be shown not to share a retained
		// tag's manifest: it stays.
		if t.Digest == "" {
			retained = append(retained, Retained{Tag: t, Reason: ReasonNoDigest})
			continue
		}
		if keepDigests[t.Digest] {
			retained = append(retained, Retained{Tag: t, Reason: ReasonShared})
			continue
		}
		candidates = append(candidates, t)
	}
	// Oldest first, the order deletions happen in.
	for i, j := 0, len(candidates)-1; i < j; i, j = i+1, j-1 {
		candidates[i], candidates[j] = candidates[j], candidates[i]
	}
	return candidates, retained
}

// Result of evaluating a policy over a registry.
type Result struct {
	// Candidates, by repository then oldest first.
	Candidates []Tag
	Retained   []Retained
	// ReclaimableBytes a garbage collection of untagged manifests and
	// unreferenced blobs frees after the candidates are deleted.
	ReclaimableBytes uint64
	// Sample of up to SampleSize candidates as repository:tag.
	Sample []string
}

// Evaluate the policy over every repository's tags at now. manifests are all
// of the registry's manifests, in every repository, matched or not: blobs are
// shared across repositories and a blob is only freed when no remaining
// manifest references it.
func (p *Policy) Evaluate(now time.Time, tags []Tag, manifests []Manifest) Result {
	byRepo := map[string][]Tag{}
	var repos []string
	for _, t := range tags {
		if !p.Matches(t.Repository) {
			continue
		}
		if _, ok := byRepo[t.Repository]; !ok {
			repos = append(repos, t.Repository)
		}
		byRepo[t.Repository] = append(byRepo[t.Repository], t)
	}
	sort.Strings(repos)
	r := Result{Candidates: make([]Tag, 0, len(tags)), Retained: make([]Retained, 0, len(tags))}
	for _, repo := range repos {
		c, k := p.Select(now, byRepo[repo])
		r.Candidates = append(r.Candidates, c...)
		r.Retained = append(r.Retained, k...)
	}
	r.ReclaimableBytes = Reclaimable(manifests, r.Candidates)
	r.Sample = Sample(r.Candidates)
	return r
}

// Sample returns up to SampleSize candidates as repository:tag.
func Sample(candidates []Tag) []string {
	var s []string
	for i := 0; i < len(candidates) && i < SampleSize; i++ {
		s = append(s, candidates[i].Ref())
	}
	return s
}

// Reclaimable returns the bytes a garbage collection of untagged manifests
// and unreferenced blobs frees once the deleted tags are gone: every manifest
// left without a tag (including those untagged already, say by an earlier,
// interrupted evaluation or a re-pushed tag) and every blob that no manifest
// still tagged references. A blob is counted once however many manifests or
// repositories reference it.
func Reclaimable(manifests []Manifest, deleted []Tag) uint64 {
	gone := map[string]bool{}
	for _, t := range deleted {
		gone[t.Ref()] = true
	}
	type key struct{ repo, digest string }
	// A repository lists a digest once; guard against duplicates anyway.
	seen := map[key]bool{}
	kept := map[string]bool{} // blobs of manifests still tagged afterwards
	size := map[string]uint64{}
	var total uint64
	for _, m := range manifests {
		k := key{m.Repository, m.Digest}
		if seen[k] {
			continue
		}
		seen[k] = true
		remaining := 0
		for _, tag := range m.Tags {
			if !gone[m.Repository+":"+tag] {
				remaining++
			}
		}
		if remaining == 0 {
			total += m.OwnBytes
		}
		for _, b := range m.Blobs {
			size[b.Digest] = b.Size
			if remaining > 0 {
				kept[b.Digest] = true
			}
		}
	}
	for d, n := range size {
		if !kept[d] {
			total += n
		}
	}
	return total
}
