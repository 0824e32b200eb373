package docrsim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// world is everything the simulator knows; it is what the state file holds. All
// access happens under Server.mu.
type world struct {
	Accounts   map[string]*account  `json:"accounts"`
	Registries map[string]*registry `json:"registries"`
	Clusters   map[string]*cluster  `json:"clusters"`
	// Seq numbers UUIDs and generated digests so that a run is reproducible.
	Seq int64 `json:"seq"`
}

type account struct {
	Name   string   `json:"name"`
	Tokens []string `json:"tokens"`
	Tier   string   `json:"tier,omitempty"`
	// SubscribedAt/SubUpdatedAt date the subscription.
	SubscribedAt time.Time `json:"subscribedAt,omitzero"`
	SubUpdatedAt time.Time `json:"subUpdatedAt,omitzero"`
}

type registry struct {
	UUID           string                 `json:"uuid"`
	Name           string                 `json:"name"`
	Account        string                 `json:"account"`
	Region         string                 `json:"region"`
	CreatedAt      time.Time              `json:"createdAt"`
	UsageUpdatedAt time.Time              `json:"usageUpdatedAt"`
	Repos          map[string]*repository `json:"repos"`
	// Blobs is the layer blob store, shared by the registry's repositories: digest → size.
	Blobs map[string]int64 `json:"blobs"`
	// GCs is the garbage collection history, oldest first.
	GCs []*gcRun `json:"gcs,omitempty"`
}

type repository struct {
	Name      string               `json:"name"`
	Manifests map[string]*manifest `json:"manifests"`
	Tags      map[string]*tagRef   `json:"tags"`
}

type manifest struct {
	Digest   string    `json:"digest"`
	Layers   []Layer   `json:"layers"`
	Size     int64     `json:"size"`
	PushedAt time.Time `json:"pushedAt"`
}

type tagRef struct {
	Digest    string    `json:"digest"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type cluster struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Region     string     `json:"region"`
	Account    string     `json:"account"`
	Version    string     `json:"version"`
	Kubeconfig string     `json:"kubeconfig,omitempty"`
	Registries []string   `json:"registries"`
	NodePools  []nodePool `json:"nodePools"`
	Tags       []string   `json:"tags,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
}

type nodePool struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Size  string `json:"size"`
	Count int    `json:"count"`
}

func newWorld() *world {
	return &world{Accounts: map[string]*account{}, Registries: map[string]*registry{}, Clusters: map[string]*cluster{}}
}

// nextID returns a UUID-shaped identifier that is unique and reproducible per world.
func (w *world) nextID() string {
	w.Seq++
	return fmt.Sprintf("5e1ec7ed-%04x-4%03x-8%03x-%012x", (w.Seq>>40)&0xffff, (w.Seq>>28)&0xfff, (w.Seq>>16)&0xfff, w.Seq)
}

func (r *registry) storageBytes() int64 {
	var n int64
	for _, b := range r.Blobs {
		n += b
	}
	for _, repo := range r.Repos {
		for _, m := range repo.Manifests {
			n += m.Size
		}
	}
	return n
}

// loadState reads a state file; a missing file is not an error (ok=false).
func loadState(path string) (*world, bool, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading state file %s: %w", path, err)
	}
	w := newWorld()
	if err := json.Unmarshal(b, w); err != nil {
		return nil, false, fmt.Errorf("decoding state file %s: %w", path, err)
	}
	for _, r := range w.Registries {
		if r.Repos == nil {
			r.Repos = map[string]*repository{}
		}
		if r.Blobs == nil {
			r.Blobs = map[string]int64{}
		}
	}
	return w, true, nil
}

// saveState writes the world atomically (temp file and rename).
func saveState(path string, w *world) error {
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".docr-sim-state-*")
	if err != nil {
		return fmt.Errorf("writing state file %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing state file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing state file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing state file %s: %w", path, err)
	}
	return nil
}
