package docrsim

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestJournal drives the simulator through godo and checks the journal records what
// happened, in order, with the simulator's clock, naming accounts and never tokens.
func TestJournal(t *testing.T) {
	ctx := context.Background()
	clk := newFakeClock()
	s := NewTestServer(t, Options{Clock: clk, Accounts: []Account{{Name: "acme", Tokens: []string{"secret-token"}, Tier: TierProfessional}},
		RateLimit: RateLimit{PerMinute: 3, PerHour: 1000}})
	c := godoClient(t, s, "secret-token")

	if _, _, err := c.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "one", Region: "nyc3"}); err != nil {
		t.Fatal(err)
	}
	clk.Step(time.Second)
	if _, err := s.PushImage("one", "app", "v1", 10); err != nil {
		t.Fatal(err)
	}
	clk.Step(time.Second)
	creds, _, err := c.Registry.DockerCredentials(ctx, &godo.RegistryDockerCredentialsRequest{ExpirySeconds: godo.PtrTo(60)})
	if err != nil {
		t.Fatal(err)
	}
	clk.Step(time.Second)
	gc, _, err := c.Registries.StartGarbageCollection(ctx, "one", &godo.StartGarbageCollectionRequest{Type: godo.GCTypeUnreferencedBlobsOnly})
	if err != nil {
		t.Fatal(err)
	}
	// The fourth API request in this minute is refused by the rate limiter.
	if _, resp, err := c.Registries.Get(ctx, "one"); statusOf(resp, err) != http.StatusTooManyRequests {
		t.Fatalf("fourth request: status %d, want 429", statusOf(resp, err))
	}
	// An injected fault is told apart from the limiter's 429.
	s.SetRateLimit(RateLimit{})
	if err := s.SetFaults(FaultProfile{Scripted: []ScriptedFault{{Method: "GET", Path: "/v2/registries/{registry_name}", Nth: 1, Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := c.Registries.Get(ctx, "one"); statusOf(resp, err) != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want the injected 503", statusOf(resp, err))
	}
	clk.Step(time.Minute) // the run (four 1 s phases by default) has finished
	if _, err := c.Registries.Delete(ctx, "one"); err != nil {
		t.Fatal(err)
	}

	var auth struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(creds.DockerConfigJSON, &auth); err != nil {
		t.Fatal(err)
	}
	issuedAuth := auth.Auths[RegistryHost].Auth

	got := s.Journal()
	for _, e := range got {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), "secret-token") {
			t.Fatalf("journal entry carries the API token: %+v", e)
		}
	}
	t0 := epoch
	want := []JournalEntry{
		{Time: t0, Kind: JournalRequest, Account: "acme", Method: "POST", Pattern: "/v2/registries", Status: 201},
		{Time: t0, Kind: JournalRegistryCreated, Account: "acme", Registry: "one", Region: "nyc3"},
		{Time: t0.Add(time.Second), Kind: JournalPush, Account: "acme", Registry: "one", Region: "nyc3", Repo: "app"},
		{Time: t0.Add(2 * time.Second), Kind: JournalRequest, Account: "acme", Method: "GET", Pattern: "/v2/registry/docker-credentials", Status: 200},
		{Time: t0.Add(2 * time.Second), Kind: JournalCredentialsIssued, Account: "acme", ExpiresAt: t0.Add(62 * time.Second), Auth: issuedAuth},
		{Time: t0.Add(3 * time.Second), Kind: JournalRequest, Account: "acme", Method: "POST", Pattern: "/v2/registries/{registry_name}/garbage-collection", Registry: "one", Status: 201},
		{Time: t0.Add(3 * time.Second), Kind: JournalGCStarted, Account: "acme", Registry: "one", Region: "nyc3", GCUUID: gc.UUID},
		{Time: t0.Add(3 * time.Second), Kind: JournalRequest, Account: "acme", Method: "GET", Pattern: "/v2/registries/{registry_name}", Registry: "one", Status: 429, Limited: true},
		{Time: t0.Add(3 * time.Second), Kind: JournalRequest, Account: "acme", Method: "GET", Pattern: "/v2/registries/{registry_name}", Registry: "one", Status: 503, Injected: true},
		{Time: t0.Add(7 * time.Second), Kind: JournalGCFinished, Account: "acme", Registry: "one", GCUUID: gc.UUID, GCStatus: GCStatusSucceeded},
		{Time: t0.Add(63 * time.Second), Kind: JournalRequest, Account: "acme", Method: "DELETE", Pattern: "/v2/registries/{registry_name}", Registry: "one", Status: 204},
		{Time: t0.Add(63 * time.Second), Kind: JournalRegistryDeleted, Account: "acme", Registry: "one", Region: "nyc3"},
	}
	// Seq orders entries with equal times; the credential is random.
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(JournalEntry{}, "Seq", "Credential")); diff != "" {
		t.Errorf("Journal() (-want +got):\n%s", diff)
	}
	for _, e := range got {
		if e.Kind == JournalCredentialsIssued && (e.Credential == "" || !strings.HasPrefix(e.Credential, "dop_sim_")) {
			t.Errorf("credentials entry lacks the issued credential: %+v", e)
		}
	}

	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if j := s.Journal(); len(j) != 0 {
		t.Errorf("after Reset the journal has %d entries, want 0", len(j))
	}
}

// TestJournalResetConnection: a reset connection is journaled with status 0 as injected.
func TestJournalResetConnection(t *testing.T) {
	s := NewTestServer(t, Options{Clock: newFakeClock(), Accounts: []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Faults: FaultProfile{Scripted: []ScriptedFault{{Method: "GET", Path: "/v2/registries", Nth: 1, Reset: true}}}})
	c := godoClient(t, s, "tok")
	if _, _, err := c.Registries.List(context.Background()); err == nil {
		t.Fatal("want an error from a reset connection")
	}
	j := s.Journal()
	if len(j) != 1 || j[0].Status != 0 || !j[0].Injected || j[0].Account != "acme" {
		t.Errorf("journal = %+v, want one injected request with status 0", j)
	}
}
