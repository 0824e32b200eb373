package docrsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"time"
)

var (
	repoNameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	digestRE   = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

type wireBlob struct {
	Digest              string `json:"digest"`
	CompressedSizeBytes int64  `json:"compressed_size_bytes"`
}

type wireManifest struct {
	RegistryName        string     `json:"registry_name"`
	Repository          string     `json:"repository"`
	Digest              string     `json:"digest"`
	CompressedSizeBytes int64      `json:"compressed_size_bytes"`
	SizeBytes           int64      `json:"size_bytes"`
	UpdatedAt           string     `json:"updated_at"`
	Tags                []string   `json:"tags"`
	Blobs               []wireBlob `json:"blobs"`
}

type wireTag struct {
	RegistryName        string `json:"registry_name"`
	Repository          string `json:"repository"`
	Tag                 string `json:"tag"`
	ManifestDigest      string `json:"manifest_digest"`
	CompressedSizeBytes int64  `json:"compressed_size_bytes"`
	SizeBytes           int64  `json:"size_bytes"`
	UpdatedAt           string `json:"updated_at"`
}

type wireRepository struct {
	RegistryName string   `json:"registry_name"`
	Name         string   `json:"name"`
	TagCount     int      `json:"tag_count"`
	LatestTag    *wireTag `json:"latest_tag,omitempty"`
}

type wireRepositoryV2 struct {
	RegistryName   string        `json:"registry_name"`
	Name           string        `json:"name"`
	TagCount       int           `json:"tag_count"`
	ManifestCount  int           `json:"manifest_count"`
	LatestManifest *wireManifest `json:"latest_manifest,omitempty"`
}

func (m *manifest) imageBytes() int64 {
	n := m.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

func (repo *repository) tagsOf(digest string) []string {
	out := []string{}
	for t, ref := range repo.Tags {
		if ref.Digest == digest {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

func manifestWire(reg *registry, repo *repository, m *manifest) *wireManifest {
	wm := &wireManifest{RegistryName: reg.Name, Repository: repo.Name, Digest: m.Digest, CompressedSizeBytes: m.imageBytes(),
		SizeBytes: m.imageBytes(), UpdatedAt: rfc3339(m.PushedAt), Tags: repo.tagsOf(m.Digest), Blobs: []wireBlob{}}
	for _, l := range m.Layers {
		wm.Blobs = append(wm.Blobs, wireBlob{Digest: l.Digest, CompressedSizeBytes: l.Size})
	}
	return wm
}

// sortedManifests is newest first, then by digest.
func (repo *repository) sortedManifests() []*manifest {
	out := make([]*manifest, 0, len(repo.Manifests))
	for _, m := range repo.Manifests {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].PushedAt.Equal(out[j].PushedAt) {
			return out[i].PushedAt.After(out[j].PushedAt)
		}
		return out[i].Digest < out[j].Digest
	})
	return out
}

// sortedTags is most recently updated first, then by name.
func (repo *repository) sortedTags() []string {
	out := make([]string, 0, len(repo.Tags))
	for t := range repo.Tags {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := repo.Tags[out[i]], repo.Tags[out[j]]
		if !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.After(b.UpdatedAt)
		}
		return out[i] < out[j]
	})
	return out
}

func tagWire(reg *registry, repo *repository, name string) *wireTag {
	ref := repo.Tags[name]
	wt := &wireTag{RegistryName: reg.Name, Repository: repo.Name, Tag: name, ManifestDigest: ref.Digest, UpdatedAt: rfc3339(ref.UpdatedAt)}
	if m := repo.Manifests[ref.Digest]; m != nil {
		wt.CompressedSizeBytes, wt.SizeBytes = m.imageBytes(), m.imageBytes()
	}
	return wt
}

func (reg *registry) sortedRepos() []*repository {
	out := make([]*repository, 0, len(reg.Repos))
	for _, r := range reg.Repos {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// namedRepo finds the path's registry and repository, or the 404 to answer.
func (c *call) namedRepo() (*registry, *repository, reply, bool) {
	reg, rep, found := c.namedRegistry()
	if !found {
		return nil, nil, rep, false
	}
	name := c.r.PathValue("repository_name")
	repo := reg.Repos[name]
	if repo == nil {
		return nil, nil, notFound(fmt.Sprintf("repository %q not found in registry %q", name, reg.Name)), false
	}
	return reg, repo, reply{}, true
}

// listRepositoriesV1 serves the legacy GET /v2/registry/{registry_name}/repositories.
func (s *Server) listRepositoriesV1(c *call) reply {
	reg, rep, found := c.namedRegistry()
	if !found {
		return rep
	}
	p, rep, valid := c.pageParams()
	if !valid {
		return rep
	}
	all := reg.sortedRepos()
	lo, hi := p.bounds(len(all))
	out := []*wireRepository{}
	for _, repo := range all[lo:hi] {
		wr := &wireRepository{RegistryName: reg.Name, Name: repo.Name, TagCount: len(repo.Tags)}
		if tags := repo.sortedTags(); len(tags) > 0 {
			wr.LatestTag = tagWire(reg, repo, tags[0])
		}
		out = append(out, wr)
	}
	return ok(map[string]any{"repositories": out, "links": c.links(p, len(all)), "meta": wireMeta{Total: len(all)}})
}

// listRepositoriesV2 serves .../repositoriesV2 with token pagination: page_token is
// opaque (the last name of the previous page); page/per_page also work.
func (s *Server) listRepositoriesV2(c *call) reply {
	reg, rep, found := c.namedRegistry()
	if !found {
		return rep
	}
	p, rep, valid := c.pageParams()
	if !valid {
		return rep
	}
	all := reg.sortedRepos()
	lo, _ := p.bounds(len(all))
	if tok := c.r.URL.Query().Get("page_token"); tok != "" {
		after, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(after) == 0 {
			return badRequest(fmt.Sprintf("page_token %q is not a token this API issued", tok))
		}
		lo = sort.Search(len(all), func(i int) bool { return all[i].Name > string(after) })
	}
	if lo > len(all) {
		lo = len(all)
	}
	hi := min(lo+p.perPage, len(all))
	out := []*wireRepositoryV2{}
	for _, repo := range all[lo:hi] {
		wr := &wireRepositoryV2{RegistryName: reg.Name, Name: repo.Name, TagCount: len(repo.Tags), ManifestCount: len(repo.Manifests)}
		if ms := repo.sortedManifests(); len(ms) > 0 {
			wr.LatestManifest = manifestWire(reg, repo, ms[0])
		}
		out = append(out, wr)
	}
	links := &wireLinks{}
	if hi < len(all) {
		tok := base64.RawURLEncoding.EncodeToString([]byte(all[hi-1].Name))
		links.Pages = &wirePages{Next: c.pageURL(map[string][]string{"page_token": {tok}, "per_page": {fmt.Sprint(p.perPage)}})}
	}
	return ok(map[string]any{"repositories": out, "links": links, "meta": wireMeta{Total: len(all)}})
}

func (s *Server) listTags(c *call) reply {
	reg, repo, rep, found := c.namedRepo()
	if !found {
		return rep
	}
	p, rep, valid := c.pageParams()
	if !valid {
		return rep
	}
	all := repo.sortedTags()
	lo, hi := p.bounds(len(all))
	out := []*wireTag{}
	for _, t := range all[lo:hi] {
		out = append(out, tagWire(reg, repo, t))
	}
	return ok(map[string]any{"tags": out, "links": c.links(p, len(all)), "meta": wireMeta{Total: len(all)}})
}

func (s *Server) listManifests(c *call) reply {
	reg, repo, rep, found := c.namedRepo()
	if !found {
		return rep
	}
	p, rep, valid := c.pageParams()
	if !valid {
		return rep
	}
	all := repo.sortedManifests()
	lo, hi := p.bounds(len(all))
	out := []*wireManifest{}
	for _, m := range all[lo:hi] {
		out = append(out, manifestWire(reg, repo, m))
	}
	return ok(map[string]any{"manifests": out, "links": c.links(p, len(all)), "meta": wireMeta{Total: len(all)}})
}

// writable refuses changes while a garbage collection is active.
func (s *Server) writable(reg *registry) (reply, bool) {
	if g := s.activeGCLocked(reg); g != nil {
		return precondition(fmt.Sprintf("registry %q is read-only while garbage collection %s is active", reg.Name, g.UUID)), false
	}
	return reply{}, true
}

// deleteTag serves DELETE .../tags/{repository_tag}: the manifest stays, maybe untagged.
func (s *Server) deleteTag(c *call) reply {
	reg, repo, rep, found := c.namedRepo()
	if !found {
		return rep
	}
	t := c.r.PathValue("repository_tag")
	if _, has := repo.Tags[t]; !has {
		return notFound(fmt.Sprintf("tag %q not found in repository %q", t, repo.Name))
	}
	if rep, w := s.writable(reg); !w {
		return rep
	}
	delete(repo.Tags, t)
	return noContent(true)
}

// deleteManifest serves DELETE .../digests/{manifest_digest}: the manifest and its tags
// go; its bytes stay in storage, unreferenced, until a garbage collection.
func (s *Server) deleteManifest(c *call) reply {
	reg, repo, rep, found := c.namedRepo()
	if !found {
		return rep
	}
	d := c.r.PathValue("manifest_digest")
	m := repo.Manifests[d]
	if m == nil {
		return notFound(fmt.Sprintf("manifest %q not found in repository %q", d, repo.Name))
	}
	if rep, w := s.writable(reg); !w {
		return rep
	}
	reg.orphanManifest(repo, m)
	return noContent(true)
}

// deleteRepository serves DELETE .../repositories/{repository_name}.
func (s *Server) deleteRepository(c *call) reply {
	reg, repo, rep, found := c.namedRepo()
	if !found {
		return rep
	}
	if rep, w := s.writable(reg); !w {
		return rep
	}
	for _, m := range repo.Manifests {
		reg.orphanManifest(repo, m)
	}
	delete(reg.Repos, repo.Name)
	return noContent(true)
}

// orphanManifest removes a manifest and its tags, keeping its bytes as an unreferenced blob.
func (reg *registry) orphanManifest(repo *repository, m *manifest) {
	for t, ref := range repo.Tags {
		if ref.Digest == m.Digest {
			delete(repo.Tags, t)
		}
	}
	delete(repo.Manifests, m.Digest)
	reg.Blobs[m.Digest] += m.Size
}

// pushLocked stores an image as a registry would after a docker push.
func (s *Server) pushLocked(reg *registry, repoName string, img Image, now time.Time) (string, error) {
	if !repoNameRE.MatchString(repoName) || len(repoName) > 255 {
		return "", fmt.Errorf("repository name %q must be lowercase path components of letters and digits separated by '.', '_', '__' or '-': %w", repoName, ErrInvalid)
	}
	for _, t := range img.Tags {
		if !tagRE.MatchString(t) {
			return "", fmt.Errorf("tag %q must be up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-': %w", t, ErrInvalid)
		}
	}
	if g := s.activeGCLocked(reg); g != nil {
		return "", fmt.Errorf("push to %s/%s refused: garbage collection %s is %s: %w", reg.Name, repoName, g.UUID, g.status(now), ErrReadOnly)
	}
	if img.PushedAt.IsZero() {
		img.PushedAt = now
	}
	s.w.Seq++
	layers := make([]Layer, len(img.Layers))
	for i, l := range img.Layers {
		if l.Size < 0 {
			return "", fmt.Errorf("layer %d size %d is negative: %w", i, l.Size, ErrInvalid)
		}
		if l.Digest == "" {
			sum := sha256.Sum256(fmt.Appendf(nil, "layer|%s|%s|%d|%d|%d", reg.Name, repoName, s.w.Seq, i, l.Size))
			l.Digest = "sha256:" + hex.EncodeToString(sum[:])
		} else if !digestRE.MatchString(l.Digest) {
			return "", fmt.Errorf("layer %d digest %q must be sha256:<64 hex>: %w", i, l.Digest, ErrInvalid)
		}
		if have, ok := reg.Blobs[l.Digest]; ok && have != l.Size {
			return "", fmt.Errorf("layer %s is stored with size %d, not %d: %w", l.Digest, have, l.Size, ErrInvalid)
		}
		layers[i] = l
	}
	body, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": layers})
	sum := sha256.Sum256(body)
	digest := "sha256:" + hex.EncodeToString(sum[:])

	// Tier limits: a new repository beyond the included count, or storage beyond the
	// included bytes on a tier without overage, are refused.
	acct := s.w.Accounts[reg.Account]
	t, _ := tierBySlug(acct.Tier)
	repo := reg.Repos[repoName]
	if repo == nil && t.IncludedRepositories > 0 {
		if u := s.usageLocked(acct.Name); u.repositories >= t.IncludedRepositories {
			return "", fmt.Errorf("the %s tier includes %d repositor%s and account %q has %d: %w", t.Slug, t.IncludedRepositories,
				map[bool]string{true: "y", false: "ies"}[t.IncludedRepositories == 1], acct.Name, u.repositories, ErrLimit)
		}
	}
	if !t.AllowStorageOverage {
		var added int64
		for _, l := range layers {
			if _, ok := reg.Blobs[l.Digest]; !ok {
				added += l.Size
			}
		}
		if repo == nil || repo.Manifests[digest] == nil {
			added += int64(len(body))
		}
		if u := s.usageLocked(acct.Name); u.storage+added > t.IncludedStorageBytes {
			return "", fmt.Errorf("the %s tier includes %d bytes of storage; this push would use %d: %w", t.Slug, t.IncludedStorageBytes, u.storage+added, ErrLimit)
		}
	}

	if repo == nil {
		repo = &repository{Name: repoName, Manifests: map[string]*manifest{}, Tags: map[string]*tagRef{}}
		reg.Repos[repoName] = repo
	}
	for _, l := range layers {
		reg.Blobs[l.Digest] = l.Size
	}
	if m := repo.Manifests[digest]; m != nil {
		m.PushedAt = img.PushedAt
	} else {
		if orphan, ok := reg.Blobs[digest]; ok && orphan == int64(len(body)) {
			delete(reg.Blobs, digest) // the same manifest, pushed again, is live again
		}
		repo.Manifests[digest] = &manifest{Digest: digest, Layers: layers, Size: int64(len(body)), PushedAt: img.PushedAt}
	}
	// Re-pointing a tag leaves the previous manifest untagged, as a registry does.
	for _, tg := range img.Tags {
		repo.Tags[tg] = &tagRef{Digest: digest, UpdatedAt: img.PushedAt}
	}
	reg.UsageUpdatedAt = now
	return digest, nil
}
