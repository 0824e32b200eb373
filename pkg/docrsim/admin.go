package docrsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// PushImage pushes an image with one tag (empty: untagged) and layers of these sizes,
// stamped with the clock's now. It fails with ErrReadOnly while a garbage collection
// is active, ErrLimit beyond the account's tier and ErrNotFound for unknown registries.
func (s *Server) PushImage(registryName, repo, tag string, layers ...int64) (string, error) {
	img := Image{}
	if tag != "" {
		img.Tags = []string{tag}
	}
	for _, l := range layers {
		img.Layers = append(img.Layers, Layer{Size: l})
	}
	return s.PushManifest(registryName, repo, img)
}

// PushManifest pushes an image with any number of tags and explicit layers (a layer
// digest shared with another image shares the blob).
func (s *Server) PushManifest(registryName, repo string, img Image) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.settleLocked(now)
	reg := s.w.Registries[registryName]
	if reg == nil {
		return "", fmt.Errorf("registry %q: %w", registryName, ErrNotFound)
	}
	d, err := s.pushLocked(reg, repo, img, now)
	if err != nil {
		return "", err
	}
	s.journal.add(JournalEntry{Time: now, Kind: JournalPush, Account: reg.Account, Registry: reg.Name, Region: reg.Region, Repo: repo})
	s.persistLocked()
	return d, nil
}

// DeleteTag removes a tag as `doctl registry repository delete-tag` would; the
// manifest stays (untagged if it was its last tag).
func (s *Server) DeleteTag(registryName, repo, tag string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(s.clk.Now())
	reg, r, err := s.repoLocked(registryName, repo)
	if err != nil {
		return err
	}
	if _, ok := r.Tags[tag]; !ok {
		return fmt.Errorf("tag %s/%s:%s: %w", registryName, repo, tag, ErrNotFound)
	}
	if g := s.activeGCLocked(reg); g != nil {
		return fmt.Errorf("deleting tag %s/%s:%s: %w", registryName, repo, tag, ErrReadOnly)
	}
	delete(r.Tags, tag)
	s.persistLocked()
	return nil
}

// SetPushTime back-dates (or post-dates) a push: reference is a tag (its update time and
// its manifest's push time change) or a digest (the manifest and every tag on it).
func (s *Server) SetPushTime(registryName, repo, reference string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, err := s.repoLocked(registryName, repo)
	if err != nil {
		return err
	}
	digest := reference
	if ref, ok := r.Tags[reference]; ok {
		digest = ref.Digest
		ref.UpdatedAt = t
	} else {
		for _, ref := range r.Tags {
			if ref.Digest == digest {
				ref.UpdatedAt = t
			}
		}
	}
	m := r.Manifests[digest]
	if m == nil {
		return fmt.Errorf("%s/%s@%s: %w", registryName, repo, reference, ErrNotFound)
	}
	m.PushedAt = t
	s.persistLocked()
	return nil
}

func (s *Server) repoLocked(registryName, repo string) (*registry, *repository, error) {
	reg := s.w.Registries[registryName]
	if reg == nil {
		return nil, nil, fmt.Errorf("registry %q: %w", registryName, ErrNotFound)
	}
	r := reg.Repos[repo]
	if r == nil {
		return nil, nil, fmt.Errorf("repository %s/%s: %w", registryName, repo, ErrNotFound)
	}
	return reg, r, nil
}

// Registries describes the registries of an account ("" for all), sorted by name.
func (s *Server) Registries(accountName string) []RegistryInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.settleLocked(now)
	out := []RegistryInfo{}
	for _, r := range s.w.Registries {
		if accountName == "" || r.Account == accountName {
			out = append(out, s.registryInfoLocked(r, now))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Registry describes one registry.
func (s *Server) Registry(name string) (RegistryInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.settleLocked(now)
	r := s.w.Registries[name]
	if r == nil {
		return RegistryInfo{}, false
	}
	return s.registryInfoLocked(r, now), true
}

func (s *Server) registryInfoLocked(r *registry, now time.Time) RegistryInfo {
	ri := RegistryInfo{Account: r.Account, UUID: r.UUID, Name: r.Name, Region: r.Region, CreatedAt: r.CreatedAt,
		StorageUsageBytes: r.storageBytes(), Blobs: len(r.Blobs)}
	if g := s.activeGCLocked(r); g != nil {
		i := g.info(now)
		ri.ReadOnly, ri.ActiveGC = true, &i
	}
	for _, repo := range r.sortedRepos() {
		rpi := RepositoryInfo{Name: repo.Name}
		tags := make([]string, 0, len(repo.Tags))
		for t := range repo.Tags {
			tags = append(tags, t)
		}
		sort.Strings(tags)
		for _, t := range tags {
			rpi.Tags = append(rpi.Tags, TagInfo{Tag: t, Digest: repo.Tags[t].Digest, UpdatedAt: repo.Tags[t].UpdatedAt})
		}
		for _, m := range repo.sortedManifests() {
			rpi.Manifests = append(rpi.Manifests, ManifestInfo{Digest: m.Digest, Tags: repo.tagsOf(m.Digest),
				Layers: append([]Layer{}, m.Layers...), SizeBytes: m.Size, PushedAt: m.PushedAt})
		}
		ri.Repositories = append(ri.Repositories, rpi)
	}
	return ri
}

// Reset restores the seeded state (Options' accounts, registries and clusters; not the
// state file's) and clears stats, rate-limit windows and fault counters.
func (s *Server) Reset() error {
	w, err := buildWorld(s.opts, s.clk.Now())
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.setWorld(w)
	s.persistLocked()
	s.mu.Unlock()
	s.stats.reset()
	s.journal.reset()
	s.limiter.reset()
	s.faults.set(s.faults.get())
	return nil
}

// SetRateLimit changes the limits at run time (windows already counted are kept).
func (s *Server) SetRateLimit(r RateLimit) { s.limiter.set(r) }

// Advance steps the clock when it can be stepped (a FakeClock); the real clock cannot.
func (s *Server) Advance(d time.Duration) error {
	st, ok := s.clk.(interface{ Step(time.Duration) })
	if !ok {
		return errors.New("the simulator runs on the real clock; start it with a fake clock (docr-sim --clock=manual) to advance time")
	}
	st.Step(d)
	return nil
}

// routesAdmin registers the admin API; it mirrors the methods above.
func (s *Server) routesAdmin() {
	m := http.NewServeMux()
	h := func(pattern string, f func(r *http.Request) (any, error)) {
		m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			out, err := f(r)
			if err != nil {
				status := http.StatusBadRequest
				switch {
				case errors.Is(err, ErrNotFound):
					status = http.StatusNotFound
				case errors.Is(err, ErrReadOnly):
					status = http.StatusPreconditionFailed
				case errors.Is(err, ErrConflict):
					status = http.StatusConflict
				case errors.Is(err, ErrLimit), errors.Is(err, ErrInvalid):
					status = http.StatusUnprocessableEntity
				}
				s.writeReply(w, r, errReply(status, strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_")), err.Error()))
				return
			}
			if out == nil {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			s.writeReply(w, r, ok(out))
		})
	}
	decode := func(r *http.Request, v any) error {
		b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.opts.MaxBodyBytes))
		if err != nil {
			return fmt.Errorf("reading body: %w: %w", err, ErrInvalid)
		}
		if msg := decodeJSON(b, v); msg != "" {
			return fmt.Errorf("%s: %w", msg, ErrInvalid)
		}
		return nil
	}

	h("GET /_sim/registries", func(r *http.Request) (any, error) { return s.Registries(r.URL.Query().Get("account")), nil })
	h("GET /_sim/registries/{name}", func(r *http.Request) (any, error) {
		ri, found := s.Registry(r.PathValue("name"))
		if !found {
			return nil, fmt.Errorf("registry %q: %w", r.PathValue("name"), ErrNotFound)
		}
		return ri, nil
	})
	h("GET /_sim/registries/{name}/garbage-collections", func(r *http.Request) (any, error) {
		return s.GarbageCollections(r.PathValue("name")), nil
	})
	h("POST /_sim/registries/{name}/garbage-collection", func(r *http.Request) (any, error) {
		var req struct {
			Fail   bool    `json:"fail"`
			Status *string `json:"status"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		switch {
		case req.Fail:
			return nil, s.FailGarbageCollection(r.PathValue("name"))
		case req.Status != nil:
			return nil, s.StickGarbageCollection(r.PathValue("name"), *req.Status)
		}
		return nil, fmt.Errorf(`want {"fail": true} or {"status": "..."}: %w`, ErrInvalid)
	})
	h("POST /_sim/push", func(r *http.Request) (any, error) {
		var req adminPush
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		img := Image{Tags: req.Tags, PushedAt: req.PushedAt}
		if req.Tag != "" {
			img.Tags = append(img.Tags, req.Tag)
		}
		for i, raw := range req.Layers {
			var l Layer
			if err := json.Unmarshal(raw, &l.Size); err != nil {
				if msg := decodeJSON(raw, &l); msg != "" {
					return nil, fmt.Errorf("layers[%d] must be a size or {digest, size}: %w", i, ErrInvalid)
				}
			}
			img.Layers = append(img.Layers, l)
		}
		d, err := s.PushManifest(req.Registry, req.Repository, img)
		if err != nil {
			return nil, err
		}
		return map[string]string{"digest": d}, nil
	})
	h("POST /_sim/delete-tag", func(r *http.Request) (any, error) {
		var req struct{ Registry, Repository, Tag string }
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return nil, s.DeleteTag(req.Registry, req.Repository, req.Tag)
	})
	h("POST /_sim/push-time", func(r *http.Request) (any, error) {
		var req struct {
			Registry, Repository, Reference string
			Time                            time.Time
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return nil, s.SetPushTime(req.Registry, req.Repository, req.Reference, req.Time)
	})
	h("GET /_sim/stats", func(*http.Request) (any, error) { return s.Stats(), nil })
	h("DELETE /_sim/stats", func(*http.Request) (any, error) { s.ResetStats(); return nil, nil })
	h("GET /_sim/journal", func(*http.Request) (any, error) { return s.Journal(), nil })
	h("GET /_sim/faults", func(*http.Request) (any, error) { return s.Faults(), nil })
	h("PUT /_sim/faults", func(r *http.Request) (any, error) {
		var p FaultProfile
		if strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.opts.MaxBodyBytes))
			if err != nil {
				return nil, fmt.Errorf("reading body: %w: %w", err, ErrInvalid)
			}
			if p, err = ParseFaults(string(b)); err != nil {
				return nil, fmt.Errorf("%w: %w", err, ErrInvalid)
			}
		} else if err := decode(r, &p); err != nil {
			return nil, err
		}
		if err := s.SetFaults(p); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrInvalid)
		}
		return s.Faults(), nil
	})
	h("GET /_sim/ratelimit", func(*http.Request) (any, error) { return s.limiter.config(), nil })
	h("PUT /_sim/ratelimit", func(r *http.Request) (any, error) {
		var rl RateLimit
		if err := decode(r, &rl); err != nil {
			return nil, err
		}
		s.SetRateLimit(rl)
		return s.limiter.config(), nil
	})
	h("POST /_sim/reset", func(*http.Request) (any, error) { return nil, s.Reset() })
	h("GET /_sim/clusters", func(*http.Request) (any, error) { return s.Clusters(), nil })
	h("POST /_sim/clusters", func(r *http.Request) (any, error) {
		var cl Cluster
		if err := decode(r, &cl); err != nil {
			return nil, err
		}
		return nil, s.AddCluster(cl)
	})
	h("PUT /_sim/accounts/{name}/tier", func(r *http.Request) (any, error) {
		var req struct{ Tier string }
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return nil, s.SetTier(r.PathValue("name"), req.Tier)
	})
	h("GET /_sim/clock", func(*http.Request) (any, error) { return map[string]time.Time{"now": s.Now()}, nil })
	h("POST /_sim/clock", func(r *http.Request) (any, error) {
		var req struct {
			Advance string `json:"advance"`
		}
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("advance %q must be a non-negative Go duration such as 90s: %w", req.Advance, ErrInvalid)
		}
		if err := s.Advance(d); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrConflict)
		}
		return map[string]time.Time{"now": s.Now()}, nil
	})
	m.HandleFunc("/_sim/", func(w http.ResponseWriter, r *http.Request) {
		s.writeReply(w, r, notFound("no such admin endpoint; see docs/simulator.md"))
	})
	s.admin = m
}

type adminPush struct {
	Registry   string            `json:"registry"`
	Repository string            `json:"repository"`
	Tag        string            `json:"tag"`
	Tags       []string          `json:"tags"`
	Layers     []json.RawMessage `json:"layers"`
	PushedAt   time.Time         `json:"pushedAt"`
}
