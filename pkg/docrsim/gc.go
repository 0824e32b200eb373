package docrsim

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// gcRun is a garbage collection. Its status is not stored: it is computed from the
// clock, the phase durations captured at start and the cancel time, so a fake clock
// drives it without timers. Its effect on storage is applied once, by settleLocked,
// as of the moment it succeeds.
type gcRun struct {
	UUID        string    `json:"uuid"`
	Registry    string    `json:"registry"`
	Type        string    `json:"type"`
	CreatedAt   time.Time `json:"createdAt"`
	Phases      GCPhases  `json:"phases"`
	CancelledAt time.Time `json:"cancelledAt,omitzero"`
	// FailedAt and Stuck are set through the test API: a run that fails, or one that
	// reports a status of DigitalOcean's that is not in the spec, until cancelled.
	FailedAt     time.Time `json:"failedAt,omitzero"`
	Stuck        string    `json:"stuck,omitempty"`
	StuckAt      time.Time `json:"stuckAt,omitzero"`
	Applied      bool      `json:"applied,omitempty"`
	BlobsDeleted int64     `json:"blobsDeleted"`
	FreedBytes   int64     `json:"freedBytes"`
}

func (p GCPhases) withDefaults() GCPhases {
	for _, d := range []*time.Duration{&p.Requested, &p.WaitingForJWTs, &p.ScanningManifests, &p.DeletingBlobs, &p.Cancelling} {
		if *d <= 0 {
			*d = time.Second
		}
	}
	return p
}

// statusAt is the run's status at now and when it entered it.
func (g *gcRun) statusAt(now time.Time) (string, time.Time) {
	if !g.FailedAt.IsZero() && !now.Before(g.FailedAt) {
		return GCStatusFailed, g.FailedAt
	}
	if !g.CancelledAt.IsZero() {
		done := g.CancelledAt.Add(g.Phases.Cancelling)
		if now.Before(done) {
			return GCStatusCancelling, g.CancelledAt
		}
		return GCStatusCancelled, done
	}
	if g.Stuck != "" {
		return g.Stuck, g.StuckAt
	}
	t := g.CreatedAt
	for _, ph := range []struct {
		status string
		d      time.Duration
	}{
		{GCStatusRequested, g.Phases.Requested},
		{GCStatusWaitingForJWTs, g.Phases.WaitingForJWTs},
		{GCStatusScanningManifests, g.Phases.ScanningManifests},
		{GCStatusDeletingBlobs, g.Phases.DeletingBlobs},
	} {
		if now.Before(t.Add(ph.d)) {
			return ph.status, t
		}
		t = t.Add(ph.d)
	}
	return GCStatusSucceeded, t
}

func (g *gcRun) status(now time.Time) string { s, _ := g.statusAt(now); return s }

func terminal(status string) bool {
	return status == GCStatusSucceeded || status == GCStatusCancelled || status == GCStatusFailed
}

func (s *Server) activeGCLocked(r *registry) *gcRun {
	if len(r.GCs) == 0 {
		return nil
	}
	g := r.GCs[len(r.GCs)-1]
	if terminal(g.status(s.clk.Now())) {
		return nil
	}
	return g
}

// settleLocked applies every run that has finished by now. Because a registry is
// read-only while its run is active, applying late gives the result it would have had
// at its end.
func (s *Server) settleLocked(now time.Time) {
	// Only registries with unapplied runs are visited, so a request costs the same
	// whatever the number of registries.
	for name := range s.pendingGC {
		r := s.w.Registries[name]
		if r == nil {
			delete(s.pendingGC, name)
			continue
		}
		// Unapplied runs sit at the end of the history (normally just the last one;
		// two when a run finished between this settle and a new start), oldest first.
		first := len(r.GCs)
		for first > 0 && !r.GCs[first-1].Applied {
			first--
		}
		for _, g := range r.GCs[first:] {
			st, at := g.statusAt(now)
			switch st {
			case GCStatusSucceeded:
				g.BlobsDeleted, g.FreedBytes = r.collect(g.Type)
				r.UsageUpdatedAt = at
				g.Applied = true
			case GCStatusCancelled, GCStatusFailed:
				// A cancelled run removes nothing (choice: DigitalOcean does not say).
				g.Applied = true
			}
		}
		if len(r.GCs) == 0 || r.GCs[len(r.GCs)-1].Applied {
			delete(s.pendingGC, name)
		}
	}
}

// collect removes what a run of this type removes and reports the count and bytes.
func (r *registry) collect(typ string) (blobs, freed int64) {
	if typ == GCTypeUntaggedManifestsOnly || typ == GCTypeUntaggedManifestsAndUnrefBlobs {
		for _, repo := range r.Repos {
			for d, m := range repo.Manifests {
				if len(repo.tagsOf(d)) == 0 {
					delete(repo.Manifests, d)
					blobs++
					freed += m.Size
				}
			}
		}
	}
	if typ == GCTypeUnreferencedBlobsOnly || typ == GCTypeUntaggedManifestsAndUnrefBlobs {
		live := map[string]bool{}
		for _, repo := range r.Repos {
			for d, m := range repo.Manifests {
				live[d] = true
				for _, l := range m.Layers {
					live[l.Digest] = true
				}
			}
		}
		for d, size := range r.Blobs {
			if !live[d] {
				delete(r.Blobs, d)
				blobs++
				freed += size
			}
		}
	}
	// Repositories left without manifests disappear, as in DigitalOcean's listing.
	for name, repo := range r.Repos {
		if len(repo.Manifests) == 0 && len(repo.Tags) == 0 {
			delete(r.Repos, name)
		}
	}
	return blobs, freed
}

type wireGC struct {
	UUID         string `json:"uuid"`
	RegistryName string `json:"registry_name"`
	Status       string `json:"status"`
	Type         string `json:"type"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
	BlobsDeleted int64  `json:"blobs_deleted"`
	FreedBytes   int64  `json:"freed_bytes"`
}

func (g *gcRun) info(now time.Time) GarbageCollectionInfo {
	st, at := g.statusAt(now)
	return GarbageCollectionInfo{UUID: g.UUID, RegistryName: g.Registry, Status: st, Type: g.Type, CreatedAt: g.CreatedAt, UpdatedAt: at,
		BlobsDeleted: g.BlobsDeleted, FreedBytes: g.FreedBytes}
}

func (g *gcRun) wire(now time.Time) *wireGC {
	i := g.info(now)
	return &wireGC{UUID: i.UUID, RegistryName: i.RegistryName, Status: i.Status, Type: i.Type, CreatedAt: rfc3339(i.CreatedAt),
		UpdatedAt: rfc3339(i.UpdatedAt), BlobsDeleted: i.BlobsDeleted, FreedBytes: i.FreedBytes}
}

type startGCRequest struct {
	Type string `json:"type"`
}

var gcTypes = []string{GCTypeUntaggedManifestsOnly, GCTypeUnreferencedBlobsOnly, GCTypeUntaggedManifestsAndUnrefBlobs}

// startGC serves POST .../garbage-collection. The spec declares no body; godo sends
// {"type": ...}; no body means "unreferenced blobs only", godo's default.
func (s *Server) startGC(c *call) reply {
	reg, rep, found := c.namedRegistry()
	if !found {
		return rep
	}
	var req startGCRequest
	if rep, bad := c.decode(&req, false); bad {
		return rep
	}
	if req.Type == "" {
		req.Type = GCTypeUnreferencedBlobsOnly
	}
	if !slices.Contains(gcTypes, req.Type) {
		return unprocessable(fmt.Sprintf("type %q is not one of %q, %q, %q", req.Type, gcTypes[0], gcTypes[1], gcTypes[2]))
	}
	if g := s.activeGCLocked(reg); g != nil {
		return conflict(fmt.Sprintf("garbage collection %s is already active on registry %q", g.UUID, reg.Name))
	}
	g := &gcRun{UUID: s.w.nextID(), Registry: reg.Name, Type: req.Type, CreatedAt: c.now, Phases: s.opts.GCPhases}
	reg.GCs = append(reg.GCs, g)
	s.pendingGC[reg.Name] = true
	s.journal.addRun(JournalEntry{Time: c.now, Kind: JournalGCStarted, Account: c.acct.Name, Registry: reg.Name, Region: reg.Region, GCUUID: g.UUID}, g)
	return created(map[string]any{"garbage_collection": g.wire(c.now)})
}

// getGC serves GET .../garbage-collection: the active run, 404 when none is active.
func (s *Server) getGC(c *call) reply {
	reg, rep, found := c.namedRegistry()
	if !found {
		return rep
	}
	g := s.activeGCLocked(reg)
	if g == nil {
		return notFound(fmt.Sprintf("no active garbage collection on registry %q", reg.Name))
	}
	return ok(map[string]any{"garbage_collection": g.wire(c.now)})
}

// listGCs serves GET .../garbage-collections, newest first.
func (s *Server) listGCs(c *call) reply {
	reg, rep, found := c.namedRegistry()
	if !found {
		return rep
	}
	p, rep, valid := c.pageParams()
	if !valid {
		return rep
	}
	n := len(reg.GCs)
	lo, hi := p.bounds(n)
	out := []*wireGC{}
	for i := lo; i < hi; i++ {
		out = append(out, reg.GCs[n-1-i].wire(c.now))
	}
	return ok(map[string]any{"garbage_collections": out, "links": c.links(p, n), "meta": wireMeta{Total: n}})
}

type updateGCRequest struct {
	Cancel *bool `json:"cancel"`
}

// updateGC serves PUT .../garbage-collection/{uuid} with {"cancel": true}.
func (s *Server) updateGC(c *call) reply {
	reg, rep, found := c.namedRegistry()
	if !found {
		return rep
	}
	id := c.r.PathValue("garbage_collection_uuid")
	i := slices.IndexFunc(reg.GCs, func(g *gcRun) bool { return g.UUID == id })
	if i < 0 {
		return notFound(fmt.Sprintf("garbage collection %q not found on registry %q", id, reg.Name))
	}
	var req updateGCRequest
	if rep, bad := c.decode(&req, true); bad {
		return rep
	}
	if req.Cancel == nil {
		return unprocessable(`cancel is required: {"cancel": true}`)
	}
	g := reg.GCs[i]
	if !*req.Cancel {
		return ok(map[string]any{"garbage_collection": g.wire(c.now)})
	}
	switch st := g.status(c.now); {
	case st == GCStatusCancelling:
	case terminal(st):
		return conflict(fmt.Sprintf("garbage collection %s is %s and cannot be cancelled", g.UUID, st))
	default:
		g.CancelledAt = c.now
	}
	return reply{status: http.StatusOK, body: map[string]any{"garbage_collection": g.wire(c.now)}, changed: true}
}

// GarbageCollections lists a registry's runs, newest first.
func (s *Server) GarbageCollections(registryName string) []GarbageCollectionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.settleLocked(now)
	r := s.w.Registries[registryName]
	if r == nil {
		return nil
	}
	out := make([]GarbageCollectionInfo, 0, len(r.GCs))
	for i := len(r.GCs) - 1; i >= 0; i-- {
		out = append(out, r.GCs[i].info(now))
	}
	return out
}

// FailGarbageCollection makes the registry's active run fail now: it removes nothing
// and the registry is writable again.
func (s *Server) FailGarbageCollection(registryName string) error {
	return s.alterActiveGC(registryName, func(g *gcRun, now time.Time) { g.FailedAt = now })
}

// StickGarbageCollection makes the registry's active run report status (e.g. "waiting
// for delete requests", seen in the wild and absent from the spec) until it is
// cancelled or failed; "" lets it continue through its phases.
func (s *Server) StickGarbageCollection(registryName, status string) error {
	return s.alterActiveGC(registryName, func(g *gcRun, now time.Time) { g.Stuck, g.StuckAt = status, now })
}

func (s *Server) alterActiveGC(registryName string, f func(*gcRun, time.Time)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	s.settleLocked(now)
	r := s.w.Registries[registryName]
	if r == nil {
		return fmt.Errorf("registry %q: %w", registryName, ErrNotFound)
	}
	g := s.activeGCLocked(r)
	if g == nil {
		return fmt.Errorf("no active garbage collection on registry %q: %w", registryName, ErrNotFound)
	}
	f(g, now)
	s.persistLocked()
	return nil
}
