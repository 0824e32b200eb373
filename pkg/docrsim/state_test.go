package docrsim

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
)

// TestStateFileKeepsEverything restarts a simulator on its state file in the middle of
// a garbage collection: registries, images, clusters and the run survive, and the run
// completes after the restart.
func TestStateFileKeepsEverything(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock()
	opts := Options{Clock: clk, StateFile: filepath.Join(t.TempDir(), "state.json"),
		GCPhases: GCPhases{Requested: time.Minute, WaitingForJWTs: time.Minute, ScanningManifests: time.Minute, DeletingBlobs: time.Minute},
		Accounts: []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Clusters: []Cluster{{ID: "0b1c2d3e-0000-4000-8000-00000000000a", Account: "acme", Region: "fra1"}}}
	first, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	c := godoClient(t, first, "tok")
	if _, _, err := c.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "kept", Region: "fra1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := first.PushImage("kept", "app", "v1", 100); err != nil {
		t.Fatal(err)
	}
	if _, err := first.PushImage("kept", "app", "v1", 200); err != nil { // leaves 100 + a manifest untagged
		t.Fatal(err)
	}
	if _, err := c.Kubernetes.AddRegistry(ctx, &godo.KubernetesClusterRegistryRequest{ClusterUUIDs: []string{"0b1c2d3e-0000-4000-8000-00000000000a"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Registries.StartGarbageCollection(ctx, "kept", &godo.StartGarbageCollectionRequest{Type: godo.GCTypeUntaggedManifestsAndUnreferencedBlobs}); err != nil {
		t.Fatal(err)
	}
	before, _ := first.Registry("kept")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	opts.Clusters = nil // the state file wins over seed data
	second := NewTestServer(t, opts)
	after, found := second.Registry("kept")
	if !found {
		t.Fatal("registry lost across the restart")
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("registry across the restart (-before +after):\n%s", diff)
	}
	if cl := second.Clusters(); len(cl) != 1 || !cl[0].RegistryEnabled {
		t.Errorf("clusters across the restart: %+v", cl)
	}
	clk.Step(5 * time.Minute)
	runs := second.GarbageCollections("kept")
	done, _ := second.Registry("kept")
	if len(runs) != 1 || runs[0].Status != GCStatusSucceeded || runs[0].BlobsDeleted != 2 ||
		runs[0].FreedBytes != before.StorageUsageBytes-done.StorageUsageBytes || done.ReadOnly {
		t.Errorf("run after the restart: %+v, storage %d → %d", runs, before.StorageUsageBytes, done.StorageUsageBytes)
	}
	// New UUIDs do not collide with the ones issued before the restart.
	r, _, err := godoClient(t, second, "tok").Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "later", Region: "fra1"})
	if err != nil || r.UUID == before.UUID {
		t.Errorf("create after restart: %v, uuid %s (first registry %s)", err, r.UUID, before.UUID)
	}
}
