package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// report assembles docs/resilience.md from what the driver recorded.
func (d *driver) report() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	cmd := fmt.Sprintf("DOCR_CHAOS_SEED=%d make chaos", d.seed)
	if d.form != "long" {
		cmd = fmt.Sprintf("DOCR_CHAOS_SEED=%d go test -count=1 -v -timeout 60m -run TestChaos ./test/chaos/", d.seed)
	}
	rep := Report{
		Seed: d.seed, Form: d.form, Command: cmd, Generated: time.Now(), Machine: machine(), Versions: versions(),
		Duration: time.Since(d.testStart), Chaos: d.quiesced.Sub(d.start), Bound: Bound, Converged: d.converged, ConvergedErr: d.convErr,
		Invariants: d.results,
	}
	rep.Faults = d.faultCounts()
	for _, e := range d.done {
		line := fmt.Sprintf("%7.1fs %-22s took %6.1fs", e.Began.Seconds(), e.Event.Kind, e.Took.Seconds())
		if e.Pause > 0 {
			line += fmt.Sprintf("  (planned at %.1fs, pause/length %s)", e.At.Seconds(), e.Pause.Round(100*time.Millisecond))
		}
		if e.Graceful {
			line += "  graceful (SIGTERM)"
		}
		if e.Err != "" {
			line += "  ERROR: " + e.Err
		}
		rep.Events = append(rep.Events, line)
	}
	for _, k := range []Kind{KillProvider, RestartCore, RestartAPIServer, LatencySpike, Burst429, AddRegion, RemoveRegion, KeepRegion, ChangeGCSchedule, DeleteXR} {
		n := 0
		for _, e := range d.done {
			if e.Kind == k && e.Err == "" {
				n++
			}
		}
		rep.EventCounts = append(rep.EventCounts, [2]string{string(k), fmt.Sprint(n)})
	}
	var xr, mrCreate, mrQuiesce []time.Duration
	for _, v := range d.xrReady {
		xr = append(xr, v)
	}
	for _, m := range d.mrSeen {
		if m.Kind == "XDOCR" {
			continue
		}
		if !m.FirstReady.IsZero() {
			mrCreate = append(mrCreate, m.FirstReady.Sub(m.Created))
		}
		if !m.ReadyAfterQuiesce.IsZero() {
			mrQuiesce = append(mrQuiesce, max(0, m.ReadyAfterQuiesce.Sub(d.quiesced)))
		}
	}
	rep.Convergence = [][2]string{
		{"XR: first apply → Ready (under chaos)", Summarize(xr).String()},
		{"MR: created → first Ready (sampled every second)", Summarize(mrCreate).String()},
		{"MR: faults stopped → Ready and Synced", Summarize(mrQuiesce).String()},
		{"everything: faults stopped → converged (the bound's subject)", d.converged.Round(100 * time.Millisecond).String()},
		{"add a region: apply → new Registry Ready and at DigitalOcean", effect(d.effects, AddRegion)},
		{"remove a region (allowRegistryRemoval): apply → registry gone at DigitalOcean and in Kubernetes", effect(d.effects, RemoveRegion)},
		{"change the GC schedule: apply → new schedule composed, Ready and Synced", effect(d.effects, ChangeGCSchedule)},
		{"delete an XDOCR: delete → XR and its registries gone", effect(d.effects, DeleteXR)},
		{"provider SIGKILL → first successful DigitalOcean answer of the new process (includes the planned downtime of 0-10 s)", Summarize(d.recoveries).String()},
		{"provider restart → its first successful DigitalOcean answer", Summarize(d.startups).String()},
		{"kube-apiserver restart (stop → /readyz)", Summarize(d.apiDown).String()},
		{"Crossplane core restart (stop → /readyz)", Summarize(d.coreDown).String()},
	}
	outcomes := make([]string, 0, len(d.pushes))
	for o := range d.pushes {
		outcomes = append(outcomes, o)
	}
	slices.Sort(outcomes)
	for _, o := range outcomes {
		rep.Pushes = append(rep.Pushes, [2]string{o, fmt.Sprint(d.pushes[o])})
	}
	rep.Notes = append(rep.Notes,
		fmt.Sprintf("Workload: %d XDOCRs over two accounts (professional tier), GC slots `%s` (later `%s` for gamma), window %s, maxDuration %s, quietPeriod %s; pull credentials expire after %s, renewed %s before.",
			len(Workload()), GCSchedule, GCScheduleChanged, GCWindow, GCMaxDuration, GCQuietPeriod, PullExpiry, PullRenewBefore),
		"Faults throughout the chaos phase: 4% 500, 3% 502, 3% 503, 2% connection resets on every API request; spikes add 2 s to every request, bursts answer 50% with 429 and retry-after: 1. DigitalOcean's rate limits (250/min, 5000/h per token) are on.",
		"The provider runs with --poll=20s. XRs lag their composed resources by up to ~2 minutes because of Crossplane's XR watch circuit breaker (docs/e2e.md); the bound allows for it.")
	return rep.Markdown()
}

func versions() string {
	parts := []string{runtime.Version(), "Crossplane core v2.4.0", "crossplane-runtime v2.4.0"}
	if root, err := controlplane.RepoRoot(); err == nil {
		if out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output(); err == nil { //nolint:gosec // fixed command
			v := "provider-docr " + strings.TrimSpace(string(out))
			// The binaries are built from the working tree: say when it differs from HEAD.
			if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", "*.go").Output(); err == nil && len(st) > 0 { //nolint:gosec // fixed command
				v += " (plus uncommitted Go changes in the working tree)"
			}
			parts = append(parts, v)
		}
	}
	if out, err := exec.Command(kubeAPIServer(), "--version").Output(); err == nil { //nolint:gosec // our tool
		parts = append(parts, strings.TrimSpace(string(out)))
	}
	return strings.Join(parts, ", ")
}

func kubeAPIServer() string {
	p, err := controlplane.Tool(controlplane.KubeAPIServer)
	if err != nil {
		return os.DevNull
	}
	return p
}

func effect(m map[Kind]time.Duration, k Kind) string {
	if v, ok := m[k]; ok {
		return v.Round(100 * time.Millisecond).String()
	}
	return "not observed"
}
