package invariants

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	token = "dop_v1_token_never_printed"
	cred  = "dop_sim_0123456789abcdef"
)

var auth = base64.StdEncoding.EncodeToString([]byte(cred + ":" + cred))

func req(d time.Duration, method, pattern, registry string, status int) docrsim.JournalEntry {
	return docrsim.JournalEntry{Time: at(d), Kind: docrsim.JournalRequest, Account: "acme", Method: method, Pattern: pattern, Registry: registry, Status: status}
}

func ev(d time.Duration, kind, registry string) docrsim.JournalEntry {
	return docrsim.JournalEntry{Time: at(d), Kind: kind, Account: "acme", Registry: registry, Region: map[string]string{"a-nyc3": "nyc3", "a-fra1": "fra1", "a-sgp1": "sgp1"}[registry]}
}

func gc(d time.Duration, kind, registry, uuid string) docrsim.JournalEntry {
	e := ev(d, kind, registry)
	e.GCUUID = uuid
	return e
}

const listing = "/v2/registries/{registry_name}/repositoriesV2"

// good is a run that keeps every promise: three registries of one XDOCR, fra1 removed
// with permission; GC slots every 10 minutes with staggered windows; a push seen
// 12 minutes before a run; credentials valid when sampled.
func good() Input {
	j := []docrsim.JournalEntry{
		req(0, "POST", "/v2/registries", "", 201), ev(0, docrsim.JournalRegistryCreated, "a-nyc3"),
		req(time.Second, "POST", "/v2/registries", "", 201), ev(time.Second, docrsim.JournalRegistryCreated, "a-fra1"),
		req(2*time.Second, "POST", "/v2/registries", "", 201), ev(2*time.Second, docrsim.JournalRegistryCreated, "a-sgp1"),
		req(3*time.Second, "GET", "/v2/registry/docker-credentials", "", 200),
		{Time: at(3 * time.Second), Kind: docrsim.JournalCredentialsIssued, Account: "acme", ExpiresAt: at(time.Hour), Credential: cred, Auth: auth},
		ev(8*time.Minute, docrsim.JournalPush, "a-nyc3"),
		// Slot 10:10, window 2 m, quiet 1 m: the listing saw the push; the start is
		// 2 minutes after it and inside the window.
		req(10*time.Minute, "GET", listing, "a-nyc3", 200),
		req(10*time.Minute+time.Second, "POST", "/v2/registries/{registry_name}/garbage-collection", "a-nyc3", 201),
		gc(10*time.Minute+time.Second, docrsim.JournalGCStarted, "a-nyc3", "gc1"),
		gc(10*time.Minute+5*time.Second, docrsim.JournalGCFinished, "a-nyc3", "gc1"),
		// sgp1's slot is staggered to 10:12.
		req(12*time.Minute, "GET", listing, "a-sgp1", 200),
		req(12*time.Minute+time.Second, "POST", "/v2/registries/{registry_name}/garbage-collection", "a-sgp1", 201),
		gc(12*time.Minute+time.Second, docrsim.JournalGCStarted, "a-sgp1", "gc2"),
		gc(12*time.Minute+9*time.Second, docrsim.JournalGCFinished, "a-sgp1", "gc2"),
		req(15*time.Minute, "DELETE", "/v2/registries/{registry_name}", "a-fra1", 204), ev(15*time.Minute, docrsim.JournalRegistryDeleted, "a-fra1"),
	}
	return Input{
		Journal:   j,
		RateLimit: docrsim.RateLimit{PerMinute: 250, PerHour: 5000},
		Registries: []Registry{
			{Name: "a-nyc3", Account: "acme", Group: "team/a", Region: "nyc3", Wanted: true},
			{Name: "a-fra1", Account: "acme", Group: "team/a", Region: "fra1", DeleteAllowedAt: at(14 * time.Minute)},
			{Name: "a-sgp1", Account: "acme", Group: "team/a", Region: "sgp1", Wanted: true},
		},
		FinalRegistries: []string{"a-nyc3", "a-sgp1"},
		GCPolicies: []GCPolicy{
			{Registry: "a-nyc3", Group: "team/a", Schedule: "*/10 * * * *", Window: 2 * time.Minute, QuietPeriod: time.Minute},
			{Registry: "a-fra1", Group: "team/a", Schedule: "2-59/10 * * * *", Window: 2 * time.Minute, QuietPeriod: time.Minute, Until: at(15 * time.Minute)},
			{Registry: "a-sgp1", Group: "team/a", Schedule: "2-59/10 * * * *", Window: 2 * time.Minute, QuietPeriod: time.Minute},
		},
		StartTolerance: 5 * time.Second,
		Objects:        []Object{{Ref: "XDOCR team/a", Ready: true, ConvergedAfter: 90 * time.Second}, {Ref: "Registry team/a-nyc3", Ready: true, ConvergedAfter: 20 * time.Second}},
		Bound:          6 * time.Minute,
		SecretSamples: []SecretSample{
			{Time: at(time.Second), Secret: "team/a-pull"}, // not written yet
			{Time: at(30 * time.Minute), Secret: "team/a-pull", DockerConfigJSON: dockercfg(auth)},
		},
		Logs:   map[string][]byte{"provider.log": []byte("reconciling Registry team/a-nyc3\nauthorization: [redacted]\n")},
		Events: []string{"Normal Started garbage collection gc1"},
		Tokens: []string{token},
	}
}

func dockercfg(a string) []byte {
	return fmt.Appendf(nil, `{"auths":{"registry.digitalocean.com":{"auth":%q}}}`, a)
}

func TestCheck(t *testing.T) {
	base := Check(good())
	for _, r := range base {
		if !r.Pass {
			t.Fatalf("the good run fails %q: %s", r.Name, r.Detail)
		}
		if r.Checked == 0 {
			t.Errorf("%q checked nothing in the good run", r.Name)
		}
	}
	names := make([]string, len(base))
	for i, r := range base {
		names[i] = r.Name
	}

	cases := map[string]struct {
		break_ func(*Input)
		fails  string // the one invariant that must fail (by Name prefix)
		detail string // a substring its Detail must carry
	}{
		"TwoRegistriesOneRegion": {
			break_: func(in *Input) {
				in.Journal = append(in.Journal, ev(16*time.Minute, docrsim.JournalRegistryCreated, "a-nyc3-2"))
				in.Journal[len(in.Journal)-1].Region = "nyc3"
				in.FinalRegistries = append(in.FinalRegistries, "a-nyc3-2")
				in.Registries = append(in.Registries, Registry{Name: "a-nyc3-2", Group: "team/a", Region: "nyc3", Wanted: true})
			},
			fails: "no registry created twice", detail: "team/a in nyc3 has 2 registries: a-nyc3, a-nyc3-2",
		},
		"UnintendedRegistry": {
			break_: func(in *Input) {
				in.Journal = append(in.Journal, ev(16*time.Minute, docrsim.JournalRegistryCreated, "stray"))
			},
			fails: "no registry created twice", detail: `registry "stray"`,
		},
		"LeftBehind": {
			break_: func(in *Input) { in.FinalRegistries = append(in.FinalRegistries, "a-fra1") },
			fails:  "no registry left behind", detail: `"a-fra1"`,
		},
		"DeletedWithoutPermission": {
			break_: func(in *Input) { in.Registries[1].DeleteAllowedAt = time.Time{} },
			fails:  "no protected or wanted registry deleted", detail: "never asked for",
		},
		"DeletedBeforePermission": {
			break_: func(in *Input) { in.Registries[1].DeleteAllowedAt = at(20 * time.Minute) },
			fails:  "no protected or wanted registry deleted", detail: "before its deletion was asked for",
		},
		"DeletedProtected": {
			break_: func(in *Input) { in.Registries[1].Protected = true },
			fails:  "no protected or wanted registry deleted", detail: "protected registry",
		},
		"NotReady": {
			break_: func(in *Input) { in.Objects[1].Ready = false },
			fails:  "every XR and managed resource Ready", detail: "Registry team/a-nyc3 is not Ready",
		},
		"TooSlow": {
			break_: func(in *Input) { in.Objects[0].ConvergedAfter = 7 * time.Minute },
			fails:  "every XR and managed resource Ready", detail: "XDOCR team/a took 7m0s",
		},
		"Overlap": {
			break_: func(in *Input) {
				// sgp1's run starts while nyc3's is active (both in their windows).
				in.GCPolicies[2].Schedule = "*/10 * * * *"
				in.Journal = append(in.Journal, gc(10*time.Minute+3*time.Second, docrsim.JournalGCStarted, "a-sgp1", "gc3"), gc(10*time.Minute+9*time.Second, docrsim.JournalGCFinished, "a-sgp1", "gc3"))
				sortJournal(in)
			},
			fails: "never two garbage collections", detail: "overlaps run gc3",
		},
		"UnfinishedRunOverlaps": {
			break_: func(in *Input) {
				// gc1 never finishes: it is active until the journal's end, over gc2.
				in.Journal = drop(in.Journal, func(e docrsim.JournalEntry) bool { return e.Kind == docrsim.JournalGCFinished && e.GCUUID == "gc1" })
			},
			fails: "never two garbage collections", detail: "run gc1 on a-nyc3",
		},
		"OutsideWindow": {
			break_: func(in *Input) {
				in.Journal = append(in.Journal, gc(15*time.Minute, docrsim.JournalGCStarted, "a-nyc3", "gc4"), gc(15*time.Minute+4*time.Second, docrsim.JournalGCFinished, "a-nyc3", "gc4"))
				sortJournal(in)
			},
			fails: "no garbage collection started outside its window", detail: "run gc4 on a-nyc3",
		},
		"InsideQuietPeriod": {
			break_: func(in *Input) {
				// A push at 10:09:30, seen by the listing at 10:10:00, then a start at 10:10:01.
				in.Journal = append(in.Journal, ev(9*time.Minute+30*time.Second, docrsim.JournalPush, "a-nyc3"))
				sortJournal(in)
			},
			fails: "no garbage collection started inside its quiet period", detail: "run gc1 on a-nyc3",
		},
		"ExpiredPullSecret": {
			break_: func(in *Input) { in.SecretSamples[1].Time = at(2 * time.Hour) },
			fails:  "pull Secrets never past expiry", detail: "expired at",
		},
		"ForgedPullSecret": {
			break_: func(in *Input) { in.SecretSamples[1].DockerConfigJSON = dockercfg("Zm9vOmJhcg==") },
			fails:  "pull Secrets never past expiry", detail: "never issued",
		},
		"TooManyPerMinute": {
			break_: func(in *Input) {
				in.RateLimit.PerMinute = 3 // the three creates and the credentials in 3 s
			},
			fails: "request rate per token", detail: "sent 4 requests in one minute (limit 3)",
		},
		"RateLimited": {
			break_: func(in *Input) {
				r := req(20*time.Minute, "GET", "/v2/registries", "", 429)
				r.Limited = true
				in.Journal = append(in.Journal, r)
			},
			fails: "request rate per token", detail: "answered 429 by the rate limiter 1 times",
		},
		"TokenInLog": {
			break_: func(in *Input) {
				in.Logs["provider.log"] = append(in.Logs["provider.log"], []byte("Authorization: Bearer "+token+"\n")...)
			},
			fails: "no token or credential", detail: "provider.log line 3 contains the API token #1",
		},
		"CredentialInEvent": {
			break_: func(in *Input) { in.Events = append(in.Events, "Warning CannotPull auth "+auth) },
			fails:  "no token or credential", detail: "Event #2 contains the docker credential",
		},
		"DecodedCredentialInLog": {
			break_: func(in *Input) { in.Logs["function.log"] = []byte("user:pass " + cred + ":" + cred) },
			fails:  "no token or credential", detail: "function.log line 1",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := good()
			tc.break_(&in)
			rs := Check(in)
			var failed []string
			for _, r := range rs {
				if !r.Pass {
					failed = append(failed, r.Name)
					if strings.HasPrefix(r.Name, tc.fails) && !strings.Contains(r.Detail, tc.detail) {
						t.Errorf("%q detail %q lacks %q", r.Name, r.Detail, tc.detail)
					}
					for _, s := range []string{token, cred, auth} {
						if strings.Contains(r.Detail, s) {
							t.Errorf("%q detail prints a secret: %s", r.Name, r.Detail)
						}
					}
				}
			}
			if len(failed) != 1 || !strings.HasPrefix(failed[0], tc.fails) {
				t.Errorf("failed invariants = %q, want exactly the one starting %q", failed, tc.fails)
			}
		})
	}
	if len(cases) < len(names) {
		t.Errorf("%d failure cases for %d invariants", len(cases), len(names))
	}
}

// TestScheduleChange: a start under the old schedule just after the change (the provider
// has not seen it yet) passes; one long after does not.
func TestScheduleChange(t *testing.T) {
	in := good()
	in.GCPolicies[0].Until = at(10 * time.Minute)
	in.GCPolicies = append(in.GCPolicies, GCPolicy{Registry: "a-nyc3", Group: "team/a", Schedule: "5 * * * *", Window: time.Minute, QuietPeriod: time.Minute, From: at(10 * time.Minute)})
	if r := GCStartsInWindow(in); !r.Pass {
		t.Errorf("start 1 s after the change under the old schedule: %s", r.Detail)
	}
	in.GCPolicies[0].Until = at(5 * time.Minute)
	in.GCPolicies[3].From = at(5 * time.Minute)
	if r := GCStartsInWindow(in); r.Pass {
		t.Errorf("start 5 minutes after the change under the old schedule passed: %s", r.Detail)
	}
}

func TestPeak(t *testing.T) {
	ts := []time.Time{at(0), at(10 * time.Second), at(59 * time.Second), at(60 * time.Second), at(61 * time.Second), at(200 * time.Second)}
	if diff := cmp.Diff([]int{4, 5, 6}, []int{peak(ts, time.Minute), peak(ts, 62*time.Second), peak(ts, time.Hour)}); diff != "" {
		t.Errorf("peak (-want +got):\n%s", diff)
	}
}

func TestMarkdown(t *testing.T) {
	got := Markdown([]Result{{Name: "a", Pass: true, Checked: 2, Detail: "x|y"}, {Name: "b", Checked: 1, Detail: "bad"}})
	want := "| invariant | result | checked | detail |\n|---|---|---|---|\n| a | pass | 2 | x\\|y |\n| b | **FAIL** | 1 | bad |\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Markdown (-want +got):\n%s", diff)
	}
}

func sortJournal(in *Input) {
	j := in.Journal
	for i := 1; i < len(j); i++ {
		for k := i; k > 0 && j[k].Time.Before(j[k-1].Time); k-- {
			j[k], j[k-1] = j[k-1], j[k]
		}
	}
}

func drop(j []docrsim.JournalEntry, f func(docrsim.JournalEntry) bool) []docrsim.JournalEntry {
	var out []docrsim.JournalEntry
	for _, e := range j {
		if !f(e) {
			out = append(out, e)
		}
	}
	return out
}
