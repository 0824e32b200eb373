// Package chaos drives the provider, the function and Crossplane through a seeded chaos
// run on the end-to-end rig (see docs/chaos.md): XDOCRs are created, changed and deleted
// while the DigitalOcean simulator injects faults and the provider, Crossplane core and
// kube-apiserver are killed or restarted; then the faults stop, the estate must converge
// within a stated bound, and test/chaos/invariants checks what happened.
//
// This file is the schedule: a pure function of the seed, so a seed reproduces the same
// sequence of actions (the timing of the machine still varies between runs).
package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Kind is what an event of the schedule does.
type Kind string

// Event kinds.
const (
	KillProvider     Kind = "kill-provider"      // SIGKILL, restart after Pause
	RestartCore      Kind = "restart-core"       // Crossplane core: SIGKILL or SIGTERM (Graceful), start again
	RestartAPIServer Kind = "restart-apiserver"  // kube-apiserver: stop, start with the same flags
	LatencySpike     Kind = "latency-spike"      // every API request takes 2 s more, for Pause
	Burst429         Kind = "burst-429"          // half of all API requests get 429 + retry-after, for Pause
	AddRegion        Kind = "add-region"         // gamma gets a third region
	RemoveRegion     Kind = "remove-region"      // beta loses a region, allowRegistryRemoval set
	KeepRegion       Kind = "remove-region-kept" // alpha loses a region whose registry holds images: kept
	ChangeGCSchedule Kind = "change-gc-schedule" // gamma's base slot changes
	DeleteXR         Kind = "delete-xr"          // delta is deleted (no deletion protection)
)

// Event is one scheduled action, At after the chaos phase began.
type Event struct {
	At    time.Duration
	Kind  Kind
	Pause time.Duration // kill: time until restart; spike, burst: how long it lasts
	// Graceful restarts core with SIGTERM instead of SIGKILL.
	Graceful bool
}

func (e Event) String() string {
	s := fmt.Sprintf("%6.1fs %s", e.At.Seconds(), e.Kind)
	if e.Pause > 0 {
		s += fmt.Sprintf(" (%s)", e.Pause.Round(100*time.Millisecond))
	}
	if e.Graceful {
		s += " graceful"
	}
	return s
}

// Config sizes a run.
type Config struct {
	// Chaos is how long faults, kills and restarts go on.
	Chaos             time.Duration
	Kills             int
	CoreRestarts      int
	APIServerRestarts int
	Spikes, Bursts    int
}

// Short is the form that runs inside `make test`; Long is `make chaos`.
var (
	Short = Config{Chaos: 4 * time.Minute, Kills: 2, CoreRestarts: 1, APIServerRestarts: 1, Spikes: 1, Bursts: 1}
	Long  = Config{Chaos: 14 * time.Minute, Kills: 20, CoreRestarts: 2, APIServerRestarts: 2, Spikes: 4, Bursts: 4}
)

// workloadEvents happen once per run, between 10% and 90% of the chaos phase, so that
// their effects play out under faults and some are still under way when the faults stop.
var workloadEvents = []Kind{AddRegion, RemoveRegion, KeepRegion, ChangeGCSchedule, DeleteXR}

// NewPlan draws a schedule from rng: every event's time, a kill's downtime, a spike's
// length and whether a core restart is graceful. Events are sorted by time; disruptions
// are spread over 2%-97% of the chaos phase, workload changes over 10%-90% of it.
func NewPlan(rng *rand.Rand, c Config) []Event {
	var ev []Event
	at := func(from, to float64) time.Duration {
		return time.Duration((from + rng.Float64()*(to-from)) * float64(c.Chaos))
	}
	for range c.Kills {
		// Downtime 0-10 s: an immediate restart (a container restart) up to a short
		// outage during which the provider's objects keep changing.
		ev = append(ev, Event{At: at(0.02, 0.97), Kind: KillProvider, Pause: time.Duration(rng.IntN(10_000)) * time.Millisecond})
	}
	for range c.CoreRestarts {
		ev = append(ev, Event{At: at(0.05, 0.97), Kind: RestartCore, Graceful: rng.IntN(2) == 0})
	}
	for range c.APIServerRestarts {
		ev = append(ev, Event{At: at(0.05, 0.97), Kind: RestartAPIServer})
	}
	for range c.Spikes {
		ev = append(ev, Event{At: at(0.02, 0.97), Kind: LatencySpike, Pause: 5*time.Second + time.Duration(rng.IntN(10))*time.Second})
	}
	for range c.Bursts {
		ev = append(ev, Event{At: at(0.02, 0.97), Kind: Burst429, Pause: 5*time.Second + time.Duration(rng.IntN(10))*time.Second})
	}
	for _, k := range workloadEvents {
		ev = append(ev, Event{At: at(0.1, 0.9), Kind: k})
	}
	slices.SortStableFunc(ev, func(a, b Event) int { return int(a.At - b.At) })
	return ev
}

// Count returns how many events of kind k the plan holds.
func Count(plan []Event, k Kind) int {
	n := 0
	for _, e := range plan {
		if e.Kind == k {
			n++
		}
	}
	return n
}
