package docrsim

import (
	"sort"
	"sync"
	"time"
)

// Journal entry kinds.
const (
	// JournalRequest is one API request (admin requests are not journaled).
	JournalRequest = "request"
	// JournalRegistryCreated and JournalRegistryDeleted record registries coming and
	// going through the API (seeded registries have no created entry).
	JournalRegistryCreated = "registry.created"
	JournalRegistryDeleted = "registry.deleted"
	// JournalGCStarted is a garbage collection created through the API;
	// JournalGCFinished is derived when the journal is read: a run's status is a
	// function of the clock, so its end is known only then.
	JournalGCStarted  = "gc.started"
	JournalGCFinished = "gc.finished"
	// JournalCredentialsIssued is a docker credential handed out.
	JournalCredentialsIssued = "credentials.issued"
	// JournalPush is a manifest push (through the admin side: DigitalOcean's API has none).
	JournalPush = "push"
)

// JournalEntry is one thing that happened at "DigitalOcean". It names accounts, never
// their API tokens. Credential and Auth are the docker credentials the simulator issued,
// kept so that a checker can search logs for them; they are test data, not secrets of
// anyone real.
type JournalEntry struct {
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"` // simulator clock; for requests, when the request arrived
	Kind string    `json:"kind"`
	// Account is the account name ("" for requests without a known token).
	Account string `json:"account,omitempty"`

	// Request entries. Status 0 means the connection was reset without an answer.
	Method   string `json:"method,omitempty"`
	Pattern  string `json:"pattern,omitempty"`
	Status   int    `json:"status,omitempty"`
	Injected bool   `json:"injected,omitempty"` // answered by the fault injector
	Limited  bool   `json:"limited,omitempty"`  // answered 429 by the rate limiter

	// Object entries; requests carry Registry when their path names one.
	Registry string `json:"registry,omitempty"`
	Region   string `json:"region,omitempty"`
	GCUUID   string `json:"gcUUID,omitempty"`
	GCStatus string `json:"gcStatus,omitempty"` // gc.finished: succeeded, failed or cancelled
	Repo     string `json:"repository,omitempty"`

	// credentials.issued: ExpiresAt is zero for credentials that do not expire.
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
	ReadWrite  bool      `json:"readWrite,omitempty"`
	Credential string    `json:"credential,omitempty"`
	Auth       string    `json:"auth,omitempty"` // the docker config "auth" value
}

// journal is append-only; runs keeps the garbage collections started through the API
// so that Journal can derive when each finished.
type journal struct {
	mu      sync.Mutex
	seq     int64
	entries []JournalEntry
	runs    []journalRun
}

type journalRun struct {
	g       *gcRun
	account string
}

func (j *journal) add(e JournalEntry) {
	j.mu.Lock()
	j.seq++
	e.Seq = j.seq
	j.entries = append(j.entries, e)
	j.mu.Unlock()
}

// begin journals a request as it arrives, so that what it causes follows it; end
// fills in how it was answered.
func (j *journal) begin(e JournalEntry) (idx int, seq int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	j.entries = append(j.entries, e)
	return len(j.entries) - 1, e.Seq
}

func (j *journal) end(idx int, seq int64, status int, injected, limited bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if idx < len(j.entries) && j.entries[idx].Seq == seq { // not reset meanwhile
		e := &j.entries[idx]
		e.Status, e.Injected, e.Limited = status, injected, limited
	}
}

func (j *journal) addRun(e JournalEntry, g *gcRun) {
	j.mu.Lock()
	j.runs = append(j.runs, journalRun{g: g, account: e.Account})
	j.mu.Unlock()
	j.add(e)
}

func (j *journal) reset() {
	j.mu.Lock()
	j.seq, j.entries, j.runs = 0, nil, nil
	j.mu.Unlock()
}

// Journal returns what happened since start or the last Reset, ordered by time (ties
// by Seq): every API request, registry created and deleted, garbage collection started
// and, for runs that have ended by now, finished, credential issued and push. A
// gc.finished entry has Seq 0.
func (s *Server) Journal() []JournalEntry {
	// s.mu first: gcRun fields change under it (cancel, fail).
	s.mu.Lock()
	now := s.clk.Now()
	s.journal.mu.Lock()
	out := make([]JournalEntry, len(s.journal.entries), len(s.journal.entries)+len(s.journal.runs))
	copy(out, s.journal.entries)
	for _, run := range s.journal.runs {
		g := run.g
		st, at := g.statusAt(now)
		if !terminal(st) {
			continue
		}
		out = append(out, JournalEntry{Time: at, Kind: JournalGCFinished, Account: run.account, Registry: g.Registry, GCUUID: g.UUID, GCStatus: st})
	}
	s.journal.mu.Unlock()
	s.mu.Unlock()
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Time.Equal(out[b].Time) {
			return out[a].Time.Before(out[b].Time)
		}
		return out[a].Seq != 0 && (out[b].Seq == 0 || out[a].Seq < out[b].Seq)
	})
	return out
}
