package chaos

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPlanIsSeeded: a seed determines the whole schedule, another seed gives another one.
func TestPlanIsSeeded(t *testing.T) {
	mk := func(seed uint64) []Event { return NewPlan(rand.New(rand.NewPCG(seed, 1)), Long) } //nolint:gosec // test
	if diff := cmp.Diff(mk(7), mk(7)); diff != "" {
		t.Errorf("same seed, different plans (-first +second):\n%s", diff)
	}
	if cmp.Equal(mk(7), mk(8)) {
		t.Error("seeds 7 and 8 gave the same plan")
	}
}

// TestPlanShape: each form has the disruptions it promises, in order, inside the chaos
// phase, and every workload change once.
func TestPlanShape(t *testing.T) {
	for name, c := range map[string]Config{"short": Short, "long": Long} {
		t.Run(name, func(t *testing.T) {
			plan := NewPlan(rand.New(rand.NewPCG(42, 1)), c) //nolint:gosec // test
			got := map[Kind]int{}
			for i, e := range plan {
				got[e.Kind]++
				if i > 0 && e.At < plan[i-1].At {
					t.Errorf("event %d (%s) comes before event %d (%s)", i, e, i-1, plan[i-1])
				}
				if e.At < 0 || e.At > c.Chaos*97/100 {
					t.Errorf("%s is outside the first 97%% of the %s chaos phase", e, c.Chaos)
				}
				if e.Kind == KillProvider && e.Pause >= 10*time.Second {
					t.Errorf("%s: a kill's downtime is under 10 s", e)
				}
			}
			want := map[Kind]int{KillProvider: c.Kills, RestartCore: c.CoreRestarts, RestartAPIServer: c.APIServerRestarts,
				LatencySpike: c.Spikes, Burst429: c.Bursts}
			for _, k := range workloadEvents {
				want[k] = 1
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events by kind (-want +got):\n%s", diff)
			}
		})
	}
	if Long.Kills != 20 {
		t.Errorf("the long form kills the provider %d times, the issue asks for 20", Long.Kills)
	}
}

func TestSummarize(t *testing.T) {
	s := time.Second
	cases := map[string]struct {
		in   []time.Duration
		want Summary
	}{
		"none": {},
		"one":  {in: []time.Duration{3 * s}, want: Summary{N: 1, Min: 3 * s, Median: 3 * s, Max: 3 * s}},
		"odd":  {in: []time.Duration{9 * s, 1 * s, 5 * s}, want: Summary{N: 3, Min: s, Median: 5 * s, Max: 9 * s}},
		"even": {in: []time.Duration{4 * s, 1 * s, 2 * s, 8 * s}, want: Summary{N: 4, Min: s, Median: 2 * s, Max: 8 * s}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Summarize(tc.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestReportMarkdown: the generated file says it is generated, names the seed and the
// command that reproduces it, and marks a failed invariant.
func TestReportMarkdown(t *testing.T) {
	md := Report{Seed: 99, Form: "long", Command: "DOCR_CHAOS_SEED=99 make chaos", Bound: Bound,
		Invariants: []InvariantRow{{Name: "no registry created twice", Pass: true, Checked: 9}, {Name: "converged", Pass: false, Checked: 3, Detail: "XDOCR a|b"}}}.Markdown()
	for _, want := range []string{"GENERATED", "seed **99**", "DOCR_CHAOS_SEED=99 make chaos", "| no registry created twice | PASS (9 checked) |", "**FAIL** (3 checked): XDOCR a\\|b"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
