// Package invariants judges a chaos run: given what happened at "DigitalOcean" (the
// simulator's journal), what the run intended and what Kubernetes held, Check reports
// each promise the provider makes as passed or failed, naming the offenders.
//
// The checks are pure functions of Input, so each one is unit-tested with a run that
// keeps the promise and one that breaks it. Decisions worth knowing:
//   - "Registry created twice" is judged per (XDOCR, region): two registries for one
//     place, or a registry nobody intended, fail it. A name cannot be created twice at
//     DigitalOcean (409), so a retried create cannot show up as a second entry.
//   - A garbage collection's start is judged against the slot it served (the latest
//     slot at or before the start), with StartTolerance for the time the request spent
//     in flight: the provider decides on its own clock, the start is journaled on
//     arrival, and the chaos run adds seconds of latency on purpose.
//   - The quiet period is judged against what the provider could know: a push counts
//     against a start only if the provider's last repository listing of that registry
//     before the start (the observation the decision used) came after the push.
//     DigitalOcean has no conditional start, so a push racing the start request cannot
//     be prevented, only a push already seen can.
//   - The rate limit is judged on every request the provider sent with a token, answered
//     or not, in sliding windows of one minute and one hour; 429s answered by the
//     simulator's limiter are counted apart from injected ones and must be zero.
//   - Secrets and credentials are never printed: Detail names the account, the log file
//     and line, or the credential's registry and issue time.
package invariants

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-docr/internal/schedule"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
)

// Input is everything a chaos run recorded.
type Input struct {
	// Journal is docrsim.Server.Journal() read after the run.
	Journal []docrsim.JournalEntry
	// RateLimit is DigitalOcean's per-token limit the provider must stay under.
	RateLimit docrsim.RateLimit
	// Registries is the intent: every registry the run wanted at some point.
	Registries []Registry
	// FinalRegistries are the registry names the simulator holds at the end.
	FinalRegistries []string
	// GCPolicies are the garbage-collection schedules as composed, per registry.
	GCPolicies []GCPolicy
	// StartTolerance is how late after its window a start may arrive (request transit).
	StartTolerance time.Duration
	// Objects are the XRs and managed resources with their convergence; Bound is the
	// longest convergence allowed after the faults stopped.
	Objects []Object
	Bound   time.Duration
	// SecretSamples are pull Secrets read during the run.
	SecretSamples []SecretSample
	// Logs are log files by name; Events are the text of every Kubernetes Event.
	Logs   map[string][]byte
	Events []string
	// Tokens are API tokens that must appear nowhere (issued docker credentials are
	// taken from the journal).
	Tokens []string
}

// Registry is one registry the run intended.
type Registry struct {
	Name    string
	Account string
	// Group is the XDOCR (namespace/name) whose registry it is; Region its region.
	Group, Region string
	// Wanted: the registry should exist at the end.
	Wanted bool
	// Protected: it must never be deleted (deletion protection, or removal without
	// allowRegistryRemoval).
	Protected bool
	// DeleteAllowedAt is when the run asked for its deletion (zero: never).
	DeleteAllowedAt time.Time
}

// GCPolicy is one GarbageCollectionSchedule's timing.
type GCPolicy struct {
	Registry    string
	Group       string // XDOCR namespace/name
	Schedule    string // 5-field cron
	TimeZone    string // "" is UTC
	Window      time.Duration
	QuietPeriod time.Duration
	// From and Until bound when this schedule was in force (zero: unbounded), for
	// schedules the run changed. A start is judged by each schedule in force when it
	// arrived (Until extended by StartTolerance: the provider may not have seen the
	// change yet) and passes if one accepts it.
	From, Until time.Time
}

// Object is an XR or managed resource at the end of the run.
type Object struct {
	Ref   string // kind namespace/name
	Ready bool
	// ConvergedAfter is the time from the faults stopping to Ready.
	ConvergedAfter time.Duration
}

// SecretSample is a pull Secret read at Time while its object existed.
type SecretSample struct {
	Time   time.Time
	Secret string // namespace/name
	// DockerConfigJSON is the Secret's .dockerconfigjson (nil: not there yet).
	DockerConfigJSON []byte
}

// Result is one invariant's verdict.
type Result struct {
	Name    string
	Pass    bool
	Checked int    // how many things were checked
	Detail  string // the offenders, or what was checked
}

// Check runs every invariant, in a fixed order.
func Check(in Input) []Result {
	return []Result{
		RegistriesCreatedOnce(in),
		NoRegistryLeftBehind(in),
		NoWantedRegistryDeleted(in),
		Converged(in),
		GCNeverOverlaps(in),
		GCStartsInWindow(in),
		GCRespectsQuietPeriod(in),
		PullSecretsValid(in),
		RateWithinLimits(in),
		NoSecretInLogs(in),
	}
}

// Failed returns the failed results.
func Failed(rs []Result) []Result {
	var out []Result
	for _, r := range rs {
		if !r.Pass {
			out = append(out, r)
		}
	}
	return out
}

func result(name string, checked int, offenders []string, okDetail string) Result {
	if len(offenders) == 0 {
		return Result{Name: name, Pass: true, Checked: checked, Detail: okDetail}
	}
	const most = 10
	more := ""
	if len(offenders) > most {
		more = fmt.Sprintf("; and %d more", len(offenders)-most)
		offenders = offenders[:most]
	}
	return Result{Name: name, Checked: checked, Detail: strings.Join(offenders, "; ") + more}
}

func (in Input) intent() map[string]Registry {
	m := map[string]Registry{}
	for _, r := range in.Registries {
		m[r.Name] = r
	}
	return m
}

func entries(j []docrsim.JournalEntry, kind string) []docrsim.JournalEntry {
	var out []docrsim.JournalEntry
	for _, e := range j {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// RegistriesCreatedOnce: every registry created was intended, and no (XDOCR, region)
// got two.
func RegistriesCreatedOnce(in Input) Result {
	const name = "no registry created twice"
	intent := in.intent()
	var bad []string
	created := entries(in.Journal, docrsim.JournalRegistryCreated)
	place := map[string][]string{}
	perName := map[string]int{}
	for _, e := range created {
		perName[e.Registry]++
		r, ok := intent[e.Registry]
		if !ok {
			bad = append(bad, fmt.Sprintf("registry %q (account %s, %s) was created but no XDOCR wanted it", e.Registry, e.Account, e.Region))
			continue
		}
		k := r.Group + " in " + e.Region
		place[k] = append(place[k], e.Registry)
	}
	for k, names := range place {
		if uniq := unique(names); len(uniq) > 1 {
			bad = append(bad, fmt.Sprintf("%s has %d registries: %s", k, len(uniq), strings.Join(uniq, ", ")))
		}
	}
	for n, c := range perName {
		if c > 1 && !recreatedIntentionally(in.Journal, n) {
			bad = append(bad, fmt.Sprintf("registry %q was created %d times", n, c))
		}
	}
	sort.Strings(bad)
	return result(name, len(created), bad, fmt.Sprintf("%d registries created, each once, each intended", len(created)))
}

// recreatedIntentionally: a name created again after a deletion (a region removed and
// added back) is a new registry, not a duplicate.
func recreatedIntentionally(j []docrsim.JournalEntry, name string) bool {
	alive := false
	for _, e := range j {
		if e.Registry != name {
			continue
		}
		switch e.Kind {
		case docrsim.JournalRegistryCreated:
			if alive {
				return false
			}
			alive = true
		case docrsim.JournalRegistryDeleted:
			alive = false
		}
	}
	return true
}

func unique(s []string) []string {
	m := map[string]bool{}
	var out []string
	for _, x := range s {
		if !m[x] {
			m[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// NoRegistryLeftBehind: at the end the simulator holds exactly the wanted registries
// (of the accounts the run used), none more.
func NoRegistryLeftBehind(in Input) Result {
	const name = "no registry left behind after its object is gone"
	intent := in.intent()
	var bad []string
	for _, n := range in.FinalRegistries {
		r, ok := intent[n]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("registry %q exists at DigitalOcean but no XDOCR wants it", n))
		case !r.Wanted:
			bad = append(bad, fmt.Sprintf("registry %q of %s (%s) is still at DigitalOcean after its removal", n, r.Group, r.Region))
		}
	}
	final := map[string]bool{}
	for _, n := range in.FinalRegistries {
		final[n] = true
	}
	for _, r := range in.Registries {
		if r.Wanted && !final[r.Name] {
			bad = append(bad, fmt.Sprintf("registry %q of %s (%s) is wanted but missing at DigitalOcean", r.Name, r.Group, r.Region))
		}
	}
	sort.Strings(bad)
	return result(name, len(in.FinalRegistries), bad, fmt.Sprintf("%d registries at the end, exactly the wanted ones", len(in.FinalRegistries)))
}

// NoWantedRegistryDeleted: every deletion at DigitalOcean was asked for, of an
// unprotected registry, after it was asked for.
func NoWantedRegistryDeleted(in Input) Result {
	const name = "no protected or wanted registry deleted"
	intent := in.intent()
	deleted := entries(in.Journal, docrsim.JournalRegistryDeleted)
	var bad []string
	for _, e := range deleted {
		r, ok := intent[e.Registry]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("registry %q deleted at %s, not one the run managed", e.Registry, ts(e.Time)))
		case r.Protected:
			bad = append(bad, fmt.Sprintf("protected registry %q of %s deleted at %s", e.Registry, r.Group, ts(e.Time)))
		case r.DeleteAllowedAt.IsZero():
			bad = append(bad, fmt.Sprintf("registry %q of %s deleted at %s though its deletion was never asked for", e.Registry, r.Group, ts(e.Time)))
		case e.Time.Before(r.DeleteAllowedAt):
			bad = append(bad, fmt.Sprintf("registry %q of %s deleted at %s, before its deletion was asked for at %s", e.Registry, r.Group, ts(e.Time), ts(r.DeleteAllowedAt)))
		}
	}
	return result(name, len(deleted), bad, fmt.Sprintf("%d deletions, each asked for", len(deleted)))
}

// Converged: every object is Ready, within the bound.
func Converged(in Input) Result {
	name := fmt.Sprintf("every XR and managed resource Ready within %s", in.Bound)
	var bad []string
	var worst time.Duration
	for _, o := range in.Objects {
		switch {
		case !o.Ready:
			bad = append(bad, o.Ref+" is not Ready")
		case o.ConvergedAfter > in.Bound:
			bad = append(bad, fmt.Sprintf("%s took %s", o.Ref, o.ConvergedAfter.Round(time.Second)))
		}
		worst = max(worst, o.ConvergedAfter)
	}
	if len(in.Objects) == 0 {
		bad = append(bad, "no objects to check")
	}
	return result(name, len(in.Objects), bad, fmt.Sprintf("%d objects, slowest %s", len(in.Objects), worst.Round(time.Second)))
}

// run is one garbage collection, from start to end (or the end of the journal).
type run struct {
	registry, uuid string
	start, end     time.Time
	finished       bool
}

func runs(j []docrsim.JournalEntry) []run {
	var out []run
	idx := map[string]int{}
	var last time.Time
	for _, e := range j {
		last = maxTime(last, e.Time)
		switch e.Kind {
		case docrsim.JournalGCStarted:
			idx[e.GCUUID] = len(out)
			out = append(out, run{registry: e.Registry, uuid: e.GCUUID, start: e.Time})
		case docrsim.JournalGCFinished:
			if i, ok := idx[e.GCUUID]; ok {
				out[i].end, out[i].finished = e.Time, true
			}
		}
	}
	for i := range out {
		if !out[i].finished {
			out[i].end = last
		}
	}
	return out
}

// GCNeverOverlaps: no two runs on registries of one XDOCR are active at once.
func GCNeverOverlaps(in Input) Result {
	const name = "never two garbage collections of one XDOCR at once"
	group := map[string]string{}
	for _, p := range in.GCPolicies {
		group[p.Registry] = p.Group
	}
	for _, r := range in.Registries {
		if group[r.Name] == "" {
			group[r.Name] = r.Group
		}
	}
	byGroup := map[string][]run{}
	all := runs(in.Journal)
	for _, r := range all {
		g := group[r.registry]
		if g == "" {
			g = "registry " + r.registry
		}
		byGroup[g] = append(byGroup[g], r)
	}
	var bad []string
	for g, rs := range byGroup {
		sort.Slice(rs, func(a, b int) bool { return rs[a].start.Before(rs[b].start) })
		for i := range rs {
			for k := i + 1; k < len(rs) && rs[k].start.Before(rs[i].end); k++ {
				bad = append(bad, fmt.Sprintf("%s: run %s on %s (%s–%s) overlaps run %s on %s (from %s)",
					g, rs[i].uuid, rs[i].registry, ts(rs[i].start), ts(rs[i].end), rs[k].uuid, rs[k].registry, ts(rs[k].start)))
			}
		}
	}
	sort.Strings(bad)
	return result(name, len(all), bad, fmt.Sprintf("%d runs in %d XDOCRs, none overlapping", len(all), len(byGroup)))
}

// GCStartsInWindow: every start falls in [slot, slot+window+StartTolerance) of the
// slot it served, the latest slot at or before it.
func GCStartsInWindow(in Input) Result {
	const name = "no garbage collection started outside its window"
	pol, errs := policies(in.GCPolicies)
	bad := errs
	n := 0
	for _, e := range entries(in.Journal, docrsim.JournalGCStarted) {
		ps := inForce(pol[e.Registry], e.Time, in.StartTolerance)
		if len(ps) == 0 {
			bad = append(bad, fmt.Sprintf("run %s started on %s at %s, when no schedule was in force", e.GCUUID, e.Registry, ts(e.Time)))
			continue
		}
		n++
		var why []string
		for _, p := range ps {
			slot := p.sched.Prev(e.Time)
			if slot.IsZero() {
				why = append(why, fmt.Sprintf("it precedes every slot of %q", p.Schedule))
				continue
			}
			if end := slot.Add(p.Window + in.StartTolerance); !e.Time.Before(end) {
				why = append(why, fmt.Sprintf("the window of slot %s of %q closed at %s (window %s, tolerance %s)",
					ts(slot), p.Schedule, ts(slot.Add(p.Window)), p.Window, in.StartTolerance))
				continue
			}
			why = nil
			break
		}
		if len(why) > 0 {
			bad = append(bad, fmt.Sprintf("run %s on %s started at %s: %s", e.GCUUID, e.Registry, ts(e.Time), strings.Join(why, ", and ")))
		}
	}
	return result(name, n, bad, fmt.Sprintf("%d starts, each inside its slot's window", n))
}

// GCRespectsQuietPeriod: no start followed a push the provider had seen by less than
// the quiet period.
func GCRespectsQuietPeriod(in Input) Result {
	const name = "no garbage collection started inside its quiet period"
	pol, errs := policies(in.GCPolicies)
	bad := errs
	pushes := map[string][]time.Time{}
	n := 0
	var lastListing = map[string]time.Time{}
	for _, e := range in.Journal {
		switch {
		case e.Kind == docrsim.JournalPush:
			pushes[e.Registry] = append(pushes[e.Registry], e.Time)
		case e.Kind == docrsim.JournalRequest && e.Status == 200 && e.Method == "GET" && strings.Contains(e.Pattern, "/repositories"):
			lastListing[e.Registry] = e.Time
		case e.Kind == docrsim.JournalGCStarted:
			ps := inForce(pol[e.Registry], e.Time, in.StartTolerance)
			if len(ps) == 0 {
				continue
			}
			// The shortest quiet period in force: the provider may still act on it.
			p := ps[0]
			for _, q := range ps[1:] {
				if q.QuietPeriod < p.QuietPeriod {
					p = q
				}
			}
			n++
			seen := lastListing[e.Registry]
			for _, t := range pushes[e.Registry] {
				// Pushed within the quiet period before the start, and seen by the provider.
				if t.After(e.Time.Add(-p.QuietPeriod)) && !t.After(e.Time) && t.Before(seen) {
					bad = append(bad, fmt.Sprintf("run %s on %s started at %s, %s after a push at %s the provider had seen (listing at %s; quietPeriod %s)",
						e.GCUUID, e.Registry, ts(e.Time), e.Time.Sub(t).Round(time.Millisecond), ts(t), ts(seen), p.QuietPeriod))
				}
			}
		}
	}
	return result(name, n, bad, fmt.Sprintf("%d starts, none within a quiet period the provider could see", n))
}

type policy struct {
	GCPolicy
	sched *schedule.Schedule
}

func policies(ps []GCPolicy) (map[string][]policy, []string) {
	m := map[string][]policy{}
	var bad []string
	for _, p := range ps {
		s, err := schedule.Parse(p.Schedule, p.TimeZone)
		if err != nil {
			bad = append(bad, fmt.Sprintf("schedule of %s: %v", p.Registry, err))
			continue
		}
		m[p.Registry] = append(m[p.Registry], policy{GCPolicy: p, sched: s})
	}
	return m, bad
}

// inForce returns the schedules in force at t, Until extended by grace.
func inForce(ps []policy, t time.Time, grace time.Duration) []policy {
	var out []policy
	for _, p := range ps {
		if (p.From.IsZero() || !t.Before(p.From)) && (p.Until.IsZero() || t.Before(p.Until.Add(grace))) {
			out = append(out, p)
		}
	}
	return out
}

// PullSecretsValid: every sampled pull Secret holds credentials DigitalOcean issued
// and that had not expired when sampled.
func PullSecretsValid(in Input) Result {
	const name = "pull Secrets never past expiry"
	issued := map[string]docrsim.JournalEntry{}
	for _, e := range entries(in.Journal, docrsim.JournalCredentialsIssued) {
		issued[e.Auth] = e
	}
	var bad []string
	n := 0
	for _, s := range in.SecretSamples {
		if s.DockerConfigJSON == nil {
			continue
		}
		n++
		var cfg struct {
			Auths map[string]struct {
				Auth string `json:"auth"`
			} `json:"auths"`
		}
		if err := json.Unmarshal(s.DockerConfigJSON, &cfg); err != nil || len(cfg.Auths) == 0 {
			bad = append(bad, fmt.Sprintf("%s at %s: not a docker config with auths", s.Secret, ts(s.Time)))
			continue
		}
		for host, a := range cfg.Auths {
			e, ok := issued[a.Auth]
			switch {
			case !ok:
				bad = append(bad, fmt.Sprintf("%s at %s: credentials for %s that DigitalOcean never issued", s.Secret, ts(s.Time), host))
			case !e.ExpiresAt.IsZero() && !s.Time.Before(e.ExpiresAt):
				bad = append(bad, fmt.Sprintf("%s at %s: credentials issued %s expired at %s", s.Secret, ts(s.Time), ts(e.Time), ts(e.ExpiresAt)))
			}
		}
	}
	return result(name, n, bad, fmt.Sprintf("%d samples, all valid", n))
}

// RateWithinLimits: per account (one token each), requests in any sliding minute and
// hour stay within the limits, and the limiter answered no 429.
func RateWithinLimits(in Input) Result {
	const name = "request rate per token within DigitalOcean's limits"
	lim := in.RateLimit
	if lim.PerMinute == 0 {
		lim.PerMinute = 250
	}
	if lim.PerHour == 0 {
		lim.PerHour = 5000
	}
	per := map[string][]time.Time{}
	limited := map[string]int{}
	injected429 := 0
	n := 0
	for _, e := range entries(in.Journal, docrsim.JournalRequest) {
		if e.Account == "" {
			continue
		}
		n++
		per[e.Account] = append(per[e.Account], e.Time)
		if e.Limited {
			limited[e.Account]++
		}
		if e.Injected && e.Status == 429 {
			injected429++
		}
	}
	var bad []string
	var peaks []string
	for _, acct := range sortedKeys(per) {
		ts := per[acct]
		sort.Slice(ts, func(a, b int) bool { return ts[a].Before(ts[b]) })
		m, h := peak(ts, time.Minute), peak(ts, time.Hour)
		peaks = append(peaks, fmt.Sprintf("%s: peak %d/min, %d/h", acct, m, h))
		if m > lim.PerMinute {
			bad = append(bad, fmt.Sprintf("account %s sent %d requests in one minute (limit %d)", acct, m, lim.PerMinute))
		}
		if h > lim.PerHour {
			bad = append(bad, fmt.Sprintf("account %s sent %d requests in one hour (limit %d)", acct, h, lim.PerHour))
		}
		if limited[acct] > 0 {
			bad = append(bad, fmt.Sprintf("account %s was answered 429 by the rate limiter %d times", acct, limited[acct]))
		}
	}
	return result(name, n, bad, fmt.Sprintf("%d requests; %s; 0 rate-limited, %d injected 429s", n, strings.Join(peaks, "; "), injected429))
}

// peak is the most times in any window of length d (times sorted).
func peak(ts []time.Time, d time.Duration) int {
	best, lo := 0, 0
	for hi := range ts {
		for !ts[hi].Before(ts[lo].Add(d)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// NoSecretInLogs: no API token and no issued docker credential (the password, or the
// base64 auth) appears in any log or Event.
func NoSecretInLogs(in Input) Result {
	const name = "no token or credential in any log or Event"
	type secret struct{ value, what string }
	var secrets []secret
	for i, t := range in.Tokens {
		if t != "" {
			secrets = append(secrets, secret{t, fmt.Sprintf("API token #%d", i+1)})
		}
	}
	for _, e := range entries(in.Journal, docrsim.JournalCredentialsIssued) {
		what := fmt.Sprintf("docker credential issued to %s at %s", e.Account, ts(e.Time))
		if e.Credential != "" {
			secrets = append(secrets, secret{e.Credential, what})
		}
		if e.Auth != "" {
			secrets = append(secrets, secret{e.Auth, what + " (base64 auth)"})
			if raw, err := base64.StdEncoding.DecodeString(e.Auth); err == nil && len(raw) > 0 {
				secrets = append(secrets, secret{string(raw), what + " (user:password)"})
			}
		}
	}
	var bad []string
	scanned := 0
	for _, name := range sortedKeys(in.Logs) {
		for ln, line := range bytes.Split(in.Logs[name], []byte("\n")) {
			scanned++
			for _, s := range secrets {
				if bytes.Contains(line, []byte(s.value)) {
					bad = append(bad, fmt.Sprintf("%s line %d contains the %s", name, ln+1, s.what))
				}
			}
		}
	}
	for i, ev := range in.Events {
		scanned++
		for _, s := range secrets {
			if strings.Contains(ev, s.value) {
				bad = append(bad, fmt.Sprintf("Event #%d contains the %s", i+1, s.what))
			}
		}
	}
	return result(name, scanned, bad, fmt.Sprintf("%d log lines and Events searched for %d secrets", scanned, len(secrets)))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func ts(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// Markdown renders results as a table.
func Markdown(rs []Result) string {
	var b strings.Builder
	b.WriteString("| invariant | result | checked | detail |\n|---|---|---|---|\n")
	for _, r := range rs {
		v := "pass"
		if !r.Pass {
			v = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", r.Name, v, r.Checked, strings.ReplaceAll(r.Detail, "|", "\\|"))
	}
	return b.String()
}
