package docrsim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
)

func TestGodoMultiRegistryLifecycle(t *testing.T) {
	ctx := context.Background()
	s := NewTestServer(t, Options{Clock: newFakeClock(), Accounts: []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}}})
	c := specCheckedClient(t, s, "tok")

	var created []*godo.Registry
	for _, req := range []*godo.RegistryCreateRequest{{Name: "one", Region: "fra1"}, {Name: "two", Region: "sgp1"}, {Name: "three"}} {
		r, _, err := c.Registries.Create(ctx, req)
		if err != nil {
			t.Fatalf("create %s: %v", req.Name, err)
		}
		created = append(created, r)
	}
	if diff := cmp.Diff([]string{"fra1", "sgp1", "nyc3"}, []string{created[0].Region, created[1].Region, created[2].Region}); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	list, _, err := c.Registries.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range list {
		names = append(names, r.Name)
		if r.CreatedAt.IsZero() || r.StorageUsageBytesUpdatedAt.IsZero() || r.UUID == "" {
			t.Errorf("registry %s lacks uuid or times: %+v", r.Name, r)
		}
	}
	if diff := cmp.Diff([]string{"one", "three", "two"}, names); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	byUUID, _, err := c.Registries.Get(ctx, created[1].UUID)
	if err != nil || byUUID.Name != "two" {
		t.Errorf("get by uuid: %v %+v", err, byUUID)
	}
	filtered, _, err := c.Registries.ListByUUID(ctx, created[0].UUID)
	if err != nil || len(filtered) != 1 || filtered[0].Name != "one" {
		t.Errorf("list by uuid: %v %+v", err, filtered)
	}

	// Images, then token pagination over five repositories, two per page.
	for _, repo := range []string{"a", "b/c", "d", "e", "f"} {
		if _, err := s.PushImage("one", repo, "v1", 100, 50); err != nil {
			t.Fatal(err)
		}
	}
	var repos []string
	opts := &godo.TokenListOptions{PerPage: 2}
	for pages := 0; ; pages++ {
		page, resp, err := c.Registries.ListRepositoriesV2(ctx, "one", opts)
		if err != nil || pages > 5 {
			t.Fatalf("list repositories: %v (pages %d)", err, pages)
		}
		for _, r := range page {
			repos = append(repos, r.Name)
		}
		if resp.Links == nil || resp.Links.IsLastPage() {
			break
		}
		if opts.Token, err = resp.Links.NextPageToken(); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"a", "b/c", "d", "e", "f"}, repos); diff != "" {
		t.Errorf("paginated repositories (-want +got):\n%s", diff)
	}

	// Re-pushing v1 leaves the first manifest untagged; tags and manifests follow.
	if _, err := s.PushImage("one", "b/c", "v1", 70); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PushImage("one", "b/c", "v2", 80); err != nil {
		t.Fatal(err)
	}
	tags, _, err := c.Registries.ListRepositoryTags(ctx, "one", "b/c", nil)
	if err != nil || len(tags) != 2 {
		t.Fatalf("tags: %v %+v", err, tags)
	}
	if _, err := c.Registries.DeleteTag(ctx, "one", "b/c", "v2"); err != nil {
		t.Fatal(err)
	}
	mans, _, err := c.Registries.ListRepositoryManifests(ctx, "one", "b/c", nil)
	if err != nil {
		t.Fatal(err)
	}
	untagged := 0
	for _, m := range mans {
		if len(m.Tags) == 0 {
			untagged++
			if _, err := c.Registries.DeleteManifest(ctx, "one", "b/c", m.Digest); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(mans) != 3 || untagged != 2 {
		t.Errorf("manifests: %d (want 3), untagged %d (want 2)", len(mans), untagged)
	}

	creds, _, err := c.Registries.DockerCredentials(ctx, "one", &godo.RegistryDockerCredentialsRequest{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(creds.DockerConfigJSON, &cfg); err != nil {
		t.Fatal(err)
	}
	auth, err := base64.StdEncoding.DecodeString(cfg.Auths[RegistryHost].Auth)
	if err != nil || !strings.Contains(string(auth), ":") || strings.HasPrefix(string(auth), "tok:") {
		t.Errorf("docker credentials: %v %q (must be user:password and never the API token)", err, auth)
	}

	if _, err := c.Registries.Delete(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	_, resp, err := c.Registries.Get(ctx, "one")
	if got := statusOf(resp, err); got != http.StatusNotFound {
		t.Errorf("get deleted registry: status %d, want 404", got)
	}
	if _, found := s.Registry("one"); found {
		t.Error("deleted registry is still in the simulator")
	}
}

func TestGodoLegacyWithTwoRegistries(t *testing.T) {
	ctx := context.Background()
	s := NewTestServer(t, Options{Clock: newFakeClock(), Accounts: []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}}})
	c := specCheckedClient(t, s, "tok")
	if _, _, err := c.Registry.Create(ctx, &godo.RegistryCreateRequest{Name: "first", SubscriptionTierSlug: TierProfessional, Region: "fra1"}); err != nil {
		t.Fatal(err)
	}
	if r, _, err := c.Registry.Get(ctx); err != nil || r.Name != "first" {
		t.Fatalf("legacy get with one registry: %v %+v", err, r)
	}
	_, resp, err := c.Registry.Create(ctx, &godo.RegistryCreateRequest{Name: "second-legacy", SubscriptionTierSlug: TierProfessional, Region: "fra1"})
	if got := statusOf(resp, err); got != http.StatusUnprocessableEntity {
		t.Errorf("legacy create of a second registry: %d, want 422", got)
	}
	if _, _, err := c.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "second", Region: "ams3"}); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func() (*godo.Response, error){
		"Get":    func() (*godo.Response, error) { _, r, err := c.Registry.Get(ctx); return r, err },
		"Delete": func() (*godo.Response, error) { return c.Registry.Delete(ctx) },
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := call()
			if got := statusOf(resp, err); got != http.StatusPreconditionFailed {
				t.Errorf("status %d, want 412", got)
			}
			if err == nil || !strings.Contains(err.Error(), "/v2/registries/{registry_name}") {
				t.Errorf("error %v does not point at the multi-registry API", err)
			}
		})
	}
	if got := len(s.Registries("acme")); got != 2 {
		t.Errorf("legacy delete removed a registry: %d left, want 2", got)
	}
}

func TestGodoNameClashAcrossAccounts(t *testing.T) {
	ctx := context.Background()
	s := NewTestServer(t, Options{Clock: newFakeClock(), Accounts: []Account{
		{Name: "a", Tokens: []string{"tok-a"}, Tier: TierBasic}, {Name: "b", Tokens: []string{"tok-b"}, Tier: TierBasic}}})
	a, b := specCheckedClient(t, s, "tok-a"), specCheckedClient(t, s, "tok-b")
	if _, _, err := a.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "shared", Region: "fra1"}); err != nil {
		t.Fatal(err)
	}
	_, resp, err := b.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "shared", Region: "fra1"})
	if got := statusOf(resp, err); got != http.StatusConflict {
		t.Errorf("create clash: %d, want 409", got)
	}
	resp, err = b.Registries.ValidateName(ctx, &godo.RegistryValidateNameRequest{Name: "shared"})
	if got := statusOf(resp, err); got != http.StatusConflict {
		t.Errorf("validate taken name: %d, want 409", got)
	}
	if _, err := b.Registries.ValidateName(ctx, &godo.RegistryValidateNameRequest{Name: "free"}); err != nil {
		t.Errorf("validate free name: %v", err)
	}
	_, resp, err = b.Registries.Get(ctx, "shared")
	if got := statusOf(resp, err); got != http.StatusNotFound {
		t.Errorf("another account's registry: %d, want 404", got)
	}
}

func TestGodoTierLimits(t *testing.T) {
	ctx := context.Background()
	type step struct {
		tier       string
		registries int // registries created before the checked call
		wantStatus int
	}
	cases := map[string]step{
		"StarterAllowsOne":        {tier: TierStarter, registries: 0, wantStatus: 201},
		"StarterRefusesSecond":    {tier: TierStarter, registries: 1, wantStatus: 422},
		"BasicRefusesSecond":      {tier: TierBasic, registries: 1, wantStatus: 422},
		"ProfessionalAllowsTenth": {tier: TierProfessional, registries: 9, wantStatus: 201},
		"ProfessionalRefusesElev": {tier: TierProfessional, registries: 10, wantStatus: 422},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewTestServer(t, Options{Clock: newFakeClock(), RateLimit: RateLimit{Disabled: true},
				Accounts: []Account{{Name: "acct", Tokens: []string{"tok"}, Tier: tc.tier}}})
			c := godoClient(t, s, "tok")
			for i := 0; i < tc.registries; i++ {
				if _, _, err := c.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "reg-" + string(rune('a'+i)), Region: "fra1"}); err != nil {
					t.Fatal(err)
				}
			}
			_, resp, err := c.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "checked", Region: "fra1"})
			if got := statusOf(resp, err); got != tc.wantStatus {
				t.Errorf("status %d, want %d (%v)", got, tc.wantStatus, err)
			}
		})
	}

	t.Run("DowngradeBelowUse", func(t *testing.T) {
		s := NewTestServer(t, Options{Clock: newFakeClock(), Accounts: []Account{{Name: "acct", Tokens: []string{"tok"}, Tier: TierProfessional}},
			Registries: []SeedRegistry{{Name: "r1", Account: "acct"}, {Name: "r2", Account: "acct"}}})
		c := godoClient(t, s, "tok")
		_, resp, err := c.Registries.UpdateSubscription(ctx, &godo.RegistrySubscriptionUpdateRequest{TierSlug: TierBasic})
		if got := statusOf(resp, err); got != http.StatusPreconditionFailed || !strings.Contains(err.Error(), "registry is not eligible for tier because: [OverRegistryLimit]") {
			t.Errorf("downgrade: %d %v, want 412 with DigitalOcean's message", got, err)
		}
		sub, _, err := c.Registries.GetSubscription(ctx)
		if err != nil || sub.Tier.Slug != TierProfessional {
			t.Errorf("subscription changed by a refused downgrade: %v %+v", err, sub)
		}
	})

	t.Run("EligibilityFollowsUsage", func(t *testing.T) {
		s := NewTestServer(t, Options{Clock: newFakeClock(), Accounts: []Account{{Name: "acct", Tokens: []string{"tok"}, Tier: TierProfessional}},
			Registries: []SeedRegistry{{Name: "r1", Account: "acct"}}})
		for _, repo := range []string{"a", "b", "c", "d", "e", "f"} {
			if _, err := s.PushImage("r1", repo, "v1", 100*mib); err != nil {
				t.Fatal(err)
			}
		}
		opts, _, err := godoClient(t, s, "tok").Registries.GetOptions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, tier := range opts.SubscriptionTiers {
			got[tier.Slug] = append([]string{map[bool]string{true: "eligible", false: "not eligible"}[tier.Eligible]}, tier.EligibilityReasons...)
		}
		want := map[string][]string{
			TierStarter:      {"not eligible", "OverRepositoryLimit", "OverStorageLimit"},
			TierBasic:        {"not eligible", "OverRepositoryLimit"},
			TierProfessional: {"eligible"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("eligibility (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"ams3", "blr1", "fra1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1"}, opts.AvailableRegions); diff != "" {
			t.Errorf("available regions (-want +got):\n%s", diff)
		}
	})

	t.Run("PushesWithinTier", func(t *testing.T) {
		s := NewTestServer(t, Options{Clock: newFakeClock(), Accounts: []Account{{Name: "acct", Tokens: []string{"tok"}, Tier: TierStarter}},
			Registries: []SeedRegistry{{Name: "r1", Account: "acct"}}})
		if _, err := s.PushImage("r1", "only", "v1", 400*mib); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PushImage("r1", "second", "v1", 1); !errors.Is(err, ErrLimit) {
			t.Errorf("second repository on starter: %v, want ErrLimit", err)
		}
		if _, err := s.PushImage("r1", "only", "v2", 200*mib); !errors.Is(err, ErrLimit) {
			t.Errorf("storage beyond starter's 500 MiB: %v, want ErrLimit", err)
		}
	})
}

func TestGodoGarbageCollection(t *testing.T) {
	ctx := context.Background()
	phase := 10 * time.Second
	// The registry holds, by construction:
	//   app:v1 re-pushed  → manifest M1 (layers 100, 200) untagged
	//   app:v2 tag deleted → manifest M3 (layer 400) untagged
	//   other:x manifest deleted → M4's bytes and its layer 50 unreferenced
	// so each GC type removes a known set.
	setup := func(t *testing.T) (*Server, map[string]int64) {
		s := NewTestServer(t, Options{Clock: newFakeClock(), GCPhases: GCPhases{Requested: phase, WaitingForJWTs: phase, ScanningManifests: phase, DeletingBlobs: phase, Cancelling: phase},
			Accounts: []Account{{Name: "acct", Tokens: []string{"tok"}, Tier: TierProfessional}}, Registries: []SeedRegistry{{Name: "reg", Account: "acct"}}})
		sizes := map[string]int64{}
		push := func(name, repo, tag string, layers ...int64) {
			d, err := s.PushImage("reg", repo, tag, layers...)
			if err != nil {
				t.Fatal(err)
			}
			ri, _ := s.Registry("reg")
			for _, r := range ri.Repositories {
				for _, m := range r.Manifests {
					if m.Digest == d {
						sizes[name] = m.SizeBytes
					}
				}
			}
		}
		push("M1", "app", "v1", 100, 200)
		push("M2", "app", "v1", 300)
		push("M3", "app", "v2", 400)
		push("M4", "other", "x", 50)
		if err := s.DeleteTag("reg", "app", "v2"); err != nil {
			t.Fatal(err)
		}
		c := specCheckedClient(t, s, "tok")
		mans, _, err := c.Registries.ListRepositoryManifests(ctx, "reg", "other", nil)
		if err != nil || len(mans) != 1 {
			t.Fatalf("manifests of other: %v %d", err, len(mans))
		}
		if _, err := c.Registries.DeleteManifest(ctx, "reg", "other", mans[0].Digest); err != nil {
			t.Fatal(err)
		}
		return s, sizes
	}
	cases := map[string]struct {
		typ          string
		blobsDeleted int64
		freed        func(m map[string]int64) int64
	}{
		"UntaggedManifestsOnly": {typ: GCTypeUntaggedManifestsOnly, blobsDeleted: 2, freed: func(m map[string]int64) int64 { return m["M1"] + m["M3"] }},
		"UnreferencedBlobsOnly": {typ: GCTypeUnreferencedBlobsOnly, blobsDeleted: 2, freed: func(m map[string]int64) int64 { return 50 + m["M4"] }},
		"Both": {typ: GCTypeUntaggedManifestsAndUnrefBlobs, blobsDeleted: 7,
			freed: func(m map[string]int64) int64 { return m["M1"] + m["M3"] + m["M4"] + 100 + 200 + 400 + 50 }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, sizes := setup(t)
			clk := s.clk.(interface{ Step(time.Duration) })
			c := specCheckedClient(t, s, "tok")
			before, _ := s.Registry("reg")
			gc, _, err := c.Registries.StartGarbageCollection(ctx, "reg", &godo.StartGarbageCollectionRequest{Type: godo.GarbageCollectionType(tc.typ)})
			if err != nil {
				t.Fatal(err)
			}
			var statuses []string
			for i := 0; i < 6; i++ {
				cur, resp, err := c.Registries.GetGarbageCollection(ctx, "reg")
				switch {
				case err == nil:
					statuses = append(statuses, cur.Status)
				case statusOf(resp, err) == http.StatusNotFound:
					statuses = append(statuses, "none active")
				default:
					t.Fatal(err)
				}
				clk.Step(phase)
			}
			wantStatuses := []string{GCStatusRequested, GCStatusWaitingForJWTs, GCStatusScanningManifests, GCStatusDeletingBlobs, "none active", "none active"}
			if diff := cmp.Diff(wantStatuses, statuses); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			runs, _, err := c.Registries.ListGarbageCollections(ctx, "reg", nil)
			if err != nil || len(runs) != 1 || runs[0].UUID != gc.UUID {
				t.Fatalf("list: %v %+v", err, runs)
			}
			after, _ := s.Registry("reg")
			got := []int64{int64(runs[0].BlobsDeleted), int64(runs[0].FreedBytes), before.StorageUsageBytes - after.StorageUsageBytes}
			wantFreed := tc.freed(sizes)
			if diff := cmp.Diff([]int64{tc.blobsDeleted, wantFreed, wantFreed}, got); diff != "" {
				t.Errorf("[blobs_deleted freed_bytes storage drop] (-want +got):\n%s", diff)
			}
			if runs[0].Status != GCStatusSucceeded {
				t.Errorf("final status %q", runs[0].Status)
			}
			reg, _, err := c.Registries.Get(ctx, "reg")
			if err != nil || int64(reg.StorageUsageBytes) != after.StorageUsageBytes {
				t.Errorf("API storage usage %v disagrees with the simulator's %d (%v)", reg, after.StorageUsageBytes, err)
			}
		})
	}

	t.Run("Cancel", func(t *testing.T) {
		s, _ := setup(t)
		clk := s.clk.(interface{ Step(time.Duration) })
		c := specCheckedClient(t, s, "tok")
		before, _ := s.Registry("reg")
		gc, _, err := c.Registries.StartGarbageCollection(ctx, "reg", &godo.StartGarbageCollectionRequest{Type: godo.GCTypeUntaggedManifestsAndUnreferencedBlobs})
		if err != nil {
			t.Fatal(err)
		}
		clk.Step(phase)
		upd, _, err := c.Registries.UpdateGarbageCollection(ctx, "reg", gc.UUID, &godo.UpdateGarbageCollectionRequest{Cancel: true})
		if err != nil || upd.Status != GCStatusCancelling {
			t.Fatalf("cancel: %v %+v", err, upd)
		}
		clk.Step(phase)
		runs, _, err := c.Registries.ListGarbageCollections(ctx, "reg", nil)
		if err != nil || runs[0].Status != GCStatusCancelled || runs[0].FreedBytes != 0 {
			t.Errorf("after cancel: %v %+v", err, runs[0])
		}
		after, _ := s.Registry("reg")
		if after.StorageUsageBytes != before.StorageUsageBytes {
			t.Errorf("a cancelled run freed %d bytes", before.StorageUsageBytes-after.StorageUsageBytes)
		}
	})
}

func TestGodoPushRefusedDuringGC(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock()
	s := NewTestServer(t, Options{Clock: clk, GCPhases: GCPhases{Requested: time.Minute, WaitingForJWTs: time.Minute, ScanningManifests: time.Minute, DeletingBlobs: time.Minute},
		Accounts: []Account{{Name: "acct", Tokens: []string{"tok"}, Tier: TierProfessional}}, Registries: []SeedRegistry{{Name: "reg", Account: "acct"}}})
	if _, err := s.PushImage("reg", "app", "v1", 10); err != nil {
		t.Fatal(err)
	}
	c := specCheckedClient(t, s, "tok")
	if _, _, err := c.Registries.StartGarbageCollection(ctx, "reg"); err != nil {
		t.Fatal(err)
	}
	clk.Step(90 * time.Second)
	if _, err := s.PushImage("reg", "app", "v2", 10); !errors.Is(err, ErrReadOnly) {
		t.Errorf("push during GC: %v, want ErrReadOnly", err)
	}
	if info, _ := s.Registry("reg"); !info.ReadOnly || info.ActiveGC == nil {
		t.Errorf("registry not reported read-only: %+v", info)
	}
	_, resp, err := c.Registries.DockerCredentials(ctx, "reg", &godo.RegistryDockerCredentialsRequest{ReadWrite: true})
	if got := statusOf(resp, err); got != http.StatusPreconditionFailed {
		t.Errorf("read-write credentials during GC: %d, want 412", got)
	}
	if _, _, err := c.Registries.DockerCredentials(ctx, "reg", &godo.RegistryDockerCredentialsRequest{ReadWrite: false}); err != nil {
		t.Errorf("read-only credentials during GC: %v", err)
	}
	if tags, _, err := c.Registries.ListRepositoryTags(ctx, "reg", "app", nil); err != nil || len(tags) != 1 {
		t.Errorf("pulls (reads) during GC: %v %d", err, len(tags))
	}
	clk.Step(3 * time.Minute)
	if _, err := s.PushImage("reg", "app", "v2", 10); err != nil {
		t.Errorf("push after GC: %v", err)
	}
}

func TestGodoRateLimit(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock()
	s := NewTestServer(t, Options{Clock: clk, Accounts: []Account{{Name: "acct", Tokens: []string{"tok", "other"}, Tier: TierBasic}}})
	c := godoClient(t, s, "tok")
	for i := 1; i <= 250; i++ {
		_, resp, err := c.Registries.List(ctx)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if resp.Rate.Limit != 5000 || resp.Rate.Remaining != 5000-i || resp.Rate.Reset.Unix() != epoch.Add(time.Hour).Unix() {
			t.Fatalf("request %d: rate %+v, want limit 5000, remaining %d, reset %v", i, resp.Rate, 5000-i, epoch.Add(time.Hour))
		}
		clk.Step(100 * time.Millisecond)
	}
	_, resp, err := c.Registries.List(ctx)
	if got := statusOf(resp, err); got != http.StatusTooManyRequests {
		t.Fatalf("request 251: status %d, want 429", got)
	}
	// The first request leaves the minute window at epoch+60s; now is epoch+25s.
	if ra := resp.Header.Get("Retry-After"); ra != "35" {
		t.Errorf("retry-after %q, want 35", ra)
	}
	if er, ok := err.(*godo.ErrorResponse); !ok || !strings.Contains(er.Message, "rate limit") {
		t.Errorf("429 error: %v", err)
	}
	// Another token has its own window.
	if _, _, err := godoClient(t, s, "other").Registries.List(ctx); err != nil {
		t.Errorf("second token throttled by the first: %v", err)
	}
	clk.Step(35 * time.Second)
	if _, resp, err := c.Registries.List(ctx); err != nil || resp.Rate.Remaining != 5000-251 {
		t.Errorf("after the window slid: %v %+v", err, resp)
	}

	t.Run("Hourly", func(t *testing.T) {
		clk := newFakeClock()
		s := NewTestServer(t, Options{Clock: clk, RateLimit: RateLimit{PerMinute: 100, PerHour: 3}, Accounts: []Account{{Name: "a", Tokens: []string{"tok"}}}})
		c := godoClient(t, s, "tok")
		var got []int
		for i := 0; i < 4; i++ {
			_, resp, err := c.Registries.GetOptions(ctx)
			got = append(got, statusOf(resp, err))
			clk.Step(10 * time.Minute)
		}
		if diff := cmp.Diff([]int{200, 200, 200, 429}, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	})
}

func TestGodoFaultsAreReproducible(t *testing.T) {
	ctx := context.Background()
	profile, err := ParseFaults("GET /v2/registries/*: 500=0.2,503=0.2,429=0.1; POST /v2/registries #3=503")
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed int64) []int {
		s := NewTestServer(t, Options{Clock: newFakeClock(), Seed: seed, Faults: profile, RateLimit: RateLimit{Disabled: true},
			Accounts: []Account{{Name: "a", Tokens: []string{"tok"}, Tier: TierProfessional}}})
		c := godoClient(t, s, "tok")
		var statuses []int
		for i := 0; i < 5; i++ {
			_, resp, err := c.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "r" + string(rune('a'+i)), Region: "fra1"})
			statuses = append(statuses, statusOf(resp, err))
		}
		for i := 0; i < 40; i++ {
			_, resp, err := c.Registries.Get(ctx, "ra")
			statuses = append(statuses, statusOf(resp, err))
		}
		if st := s.Stats(); st.Count("GET", "/v2/registries/{registry_name}", 0) != 40 {
			t.Errorf("stats count %d GETs, want 40", st.Count("GET", "/v2/registries/{registry_name}", 0))
		}
		return statuses
	}
	first, second, other := run(42), run(42), run(7)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("same seed, different failures (-first +second):\n%s", diff)
	}
	if cmp.Equal(first, other) {
		t.Error("a different seed gave the same failures")
	}
	if diff := cmp.Diff([]int{201, 201, 503, 201, 201}, first[:5]); diff != "" {
		t.Errorf("scripted fault: creates (-want +got):\n%s", diff)
	}
	count := map[int]int{}
	for _, st := range first[5:] {
		count[st]++
	}
	if count[200] == 0 || count[500] == 0 || count[503] == 0 {
		t.Errorf("40 GETs at 50%% fault rate gave %v", count)
	}

	t.Run("ConnectionReset", func(t *testing.T) {
		// A POST: Go's transport silently retries idempotent requests on a reset.
		p, err := ParseFaults("POST /v2/registries/validate-name #2=reset")
		if err != nil {
			t.Fatal(err)
		}
		s := NewTestServer(t, Options{Clock: newFakeClock(), Faults: p, Accounts: []Account{{Name: "a", Tokens: []string{"tok"}}}})
		c := godoClient(t, s, "tok")
		var got []int
		for i := 0; i < 3; i++ {
			resp, err := c.Registries.ValidateName(ctx, &godo.RegistryValidateNameRequest{Name: "free"})
			got = append(got, statusOf(resp, err))
		}
		if diff := cmp.Diff([]int{204, 0, 204}, got); diff != "" {
			t.Errorf("statuses (0 = no response) (-want +got):\n%s", diff)
		}
	})
}

func TestGodoGarbageCollectionFailsAndSticks(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock()
	s := NewTestServer(t, Options{Clock: clk, Accounts: []Account{{Name: "acct", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Registries: []SeedRegistry{{Name: "reg", Account: "acct"}}})
	c := godoClient(t, s, "tok")
	if _, err := s.PushImage("reg", "app", "v1", 10); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTag("reg", "app", "v1"); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Registry("reg")

	if _, _, err := c.Registries.StartGarbageCollection(ctx, "reg", &godo.StartGarbageCollectionRequest{Type: godo.GCTypeUntaggedManifestsAndUnreferencedBlobs}); err != nil {
		t.Fatal(err)
	}
	const odd = "waiting for delete requests"
	if err := s.StickGarbageCollection("reg", odd); err != nil {
		t.Fatal(err)
	}
	clk.Step(time.Hour)
	gc, _, err := c.Registries.GetGarbageCollection(ctx, "reg")
	if err != nil || gc.Status != odd {
		t.Fatalf("stuck run: %v %+v", err, gc)
	}
	if _, err := s.PushImage("reg", "app", "v2", 10); !errors.Is(err, ErrReadOnly) {
		t.Errorf("push during a stuck run: %v, want ErrReadOnly", err)
	}
	if err := s.FailGarbageCollection("reg"); err != nil {
		t.Fatal(err)
	}
	_, resp, err := c.Registries.GetGarbageCollection(ctx, "reg")
	if got := statusOf(resp, err); got != http.StatusNotFound {
		t.Errorf("active run after failure: status %d, want 404", got)
	}
	runs, _, err := c.Registries.ListGarbageCollections(ctx, "reg", nil)
	if err != nil || len(runs) != 1 || runs[0].Status != GCStatusFailed || runs[0].FreedBytes != 0 {
		t.Fatalf("after failure: %v %+v", err, runs)
	}
	if after, _ := s.Registry("reg"); after.StorageUsageBytes != before.StorageUsageBytes || after.ReadOnly {
		t.Errorf("a failed run changed storage (%d → %d) or left the registry read-only", before.StorageUsageBytes, after.StorageUsageBytes)
	}
	if err := s.FailGarbageCollection("reg"); !errors.Is(err, ErrNotFound) {
		t.Errorf("failing with no active run: %v, want ErrNotFound", err)
	}
}
