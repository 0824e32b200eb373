/*
Copyright 2026 The provider-docr Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package gcschedule

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/integration/gcschedule/gcenv"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// quickGC phases: a run takes 4 s of simulated time.
var quickGC = docrsim.GCPhases{Requested: time.Second, WaitingForJWTs: time.Second, ScanningManifests: time.Second, DeletingBlobs: time.Second}

// slowGC phases: a run takes 40 min of simulated time.
var slowGC = docrsim.GCPhases{Requested: 10 * time.Minute, WaitingForJWTs: 10 * time.Minute, ScanningManifests: 10 * time.Minute, DeletingBlobs: 10 * time.Minute}

// seeded is a registry "reg" with one image pushed long before the tests'
// slots, so the registry is quiet unless a test pushes.
func seeded(pushedAt time.Time) []docrsim.SeedRegistry {
	return []docrsim.SeedRegistry{{Name: "reg", Repositories: []docrsim.SeedRepository{{
		Name:   "app",
		Images: []docrsim.Image{{Tags: []string{"v1"}, Layers: []docrsim.Layer{{Size: 1000}}, PushedAt: pushedAt}},
	}}}}
}

func create(t *testing.T, e *gcenv.Env, name string, mut func(*v1alpha1.GarbageCollectionScheduleParameters)) {
	t.Helper()
	mg := &v1alpha1.GarbageCollectionSchedule{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.Namespace}}
	mg.Spec.ProviderConfigReference = gcenv.ProviderConfigRef()
	mg.Spec.ForProvider = v1alpha1.GarbageCollectionScheduleParameters{
		RegistryTarget: v1alpha1.RegistryTarget{RegistryName: "reg"},
		Schedule:       "0 3 * * *",
	}
	if mut != nil {
		mut(&mg.Spec.ForProvider)
	}
	if err := e.Kube.Create(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, e *gcenv.Env, name string) *v1alpha1.GarbageCollectionSchedule {
	t.Helper()
	mg := &v1alpha1.GarbageCollectionSchedule{}
	if err := e.Kube.Get(context.Background(), types.NamespacedName{Namespace: e.Namespace, Name: name}, mg); err != nil {
		t.Fatal(err)
	}
	return mg
}

// waitStatus waits until the schedule's status satisfies cond.
func waitStatus(t *testing.T, e *gcenv.Env, name, what string, cond func(v1alpha1.GarbageCollectionScheduleObservation) bool) v1alpha1.GarbageCollectionScheduleObservation {
	t.Helper()
	var st v1alpha1.GarbageCollectionScheduleObservation
	e.Eventually(what, func() (bool, error) {
		st = get(t, e, name).Status.AtProvider
		return cond(st), nil
	})
	return st
}

func isTime(m *metav1.Time, t time.Time) bool { return m != nil && m.Time.Equal(t) }

func created(e *gcenv.Env) []string {
	var out []string
	for _, r := range e.Runs("reg") {
		out = append(out, r.CreatedAt.UTC().Format(time.RFC3339))
	}
	return out
}

// TestWeeklyAcrossDST: Sundays 03:00 in New York are 08:00Z in winter and
// 07:00Z in summer. Runs must start at exactly those instants around both
// transitions, and a slot whose window passed while the clock jumped is
// skipped with a reason.
func TestWeeklyAcrossDST(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: at("2026-02-28T12:00:00Z"), Registries: seeded(at("2026-02-01T00:00:00Z")), GCPhases: quickGC})
	create(t, e, "weekly", func(p *v1alpha1.GarbageCollectionScheduleParameters) {
		p.Schedule = "0 3 * * 0"
		p.TimeZone = "America/New_York"
	})

	type step struct {
		name   string
		before time.Time // no new run at this instant
		slot   time.Time // a run starts at exactly this instant
	}
	steps := []step{
		{name: "winter", before: at("2026-03-01T07:59:59Z"), slot: at("2026-03-01T08:00:00Z")},
		// 2026-03-08: 02:00 EST jumps to 03:00 EDT; 03:00 EDT is 07:00Z.
		{name: "spring forward", before: at("2026-03-08T06:59:59Z"), slot: at("2026-03-08T07:00:00Z")},
		// 2026-11-01: 02:00 EDT falls back to 01:00 EST; 03:00 EST is 08:00Z.
		// 07:00Z (the summer instant) is 02:00 EST: too early.
		{name: "fall back", before: at("2026-11-01T07:59:59Z"), slot: at("2026-11-01T08:00:00Z")},
	}
	var want []string
	for _, s := range steps {
		e.Clock.SetTime(s.before)
		waitStatus(t, e, "weekly", s.name+": nextRunTime "+s.slot.String(), func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
			return isTime(st.NextRunTime, s.slot)
		})
		e.Settle(3)
		if diff := cmp.Diff(want, created(e)); diff != "" {
			t.Fatalf("%s: runs before the slot (-want +got):\n%s", s.name, diff)
		}
		e.Clock.SetTime(s.slot)
		want = append(want, s.slot.Format(time.RFC3339))
		e.Eventually(s.name+": run at "+s.slot.String(), func() (bool, error) { return len(e.Runs("reg")) == len(want), nil })
		if diff := cmp.Diff(want, created(e)); diff != "" {
			t.Fatalf("%s: run instants (-want +got):\n%s", s.name, diff)
		}
		e.Clock.Step(time.Minute)
		st := waitStatus(t, e, "weekly", s.name+": run succeeded", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
			return st.LastRun != nil && isTime(st.LastRun.Slot, s.slot) && st.LastRun.Status == "succeeded"
		})
		if st.LastRun.Type != string(godo.GCTypeUntaggedManifestsAndUnreferencedBlobs) || !st.LastRun.StartedBySchedule {
			t.Errorf("%s: lastRun %+v", s.name, st.LastRun)
		}
		if s.name == "spring forward" {
			// Jump to late October: the 2026-10-25 slot's window closed
			// while the clock jumped; it is skipped, with a reason.
			e.Clock.SetTime(at("2026-10-31T12:00:00Z"))
			st := waitStatus(t, e, "weekly", "skip of 2026-10-25", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
				return st.LastSkip != nil && isTime(st.LastSkip.Slot, at("2026-10-25T07:00:00Z")) && !st.LastSkip.WillRetry
			})
			if !strings.Contains(st.LastSkip.Reason, "window") {
				t.Errorf("skip reason %q", st.LastSkip.Reason)
			}
		}
	}
	st := get(t, e, "weekly").Status.AtProvider
	if st.TotalRuns != 3 || len(st.RecentRuns) != 3 {
		t.Errorf("totalRuns %d, recentRuns %d; want 3 and 3", st.TotalRuns, len(st.RecentRuns))
	}
	e.Eventually("Started, Succeeded and Skipped events", func() (bool, error) {
		return e.HasEvent("weekly", "Started") && e.HasEvent("weekly", "Succeeded") && e.HasEvent("weekly", "Skipped"), nil
	})
}

// TestQuietPeriod: a push shortly before the slot defers it, with the reason
// in status; the same slot runs later in its window once quiet. The next day
// pushes keep coming until the window closes: the slot is skipped.
func TestQuietPeriod(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: at("2026-05-10T02:50:00Z"), Registries: seeded(at("2026-05-01T00:00:00Z")), GCPhases: quickGC})
	if _, err := e.Sim.PushImage("reg", "app", "build-1", 500); err != nil {
		t.Fatal(err)
	}
	e.Clock.SetTime(at("2026-05-10T02:55:00Z"))
	if _, err := e.Sim.PushImage("reg", "app", "build-2", 600); err != nil {
		t.Fatal(err)
	}
	create(t, e, "daily", nil) // 03:00 UTC, quietPeriod 15m, window 1h
	slot := at("2026-05-10T03:00:00Z")
	waitStatus(t, e, "daily", "nextRunTime", func(st v1alpha1.GarbageCollectionScheduleObservation) bool { return isTime(st.NextRunTime, slot) })

	e.Clock.SetTime(slot)
	st := waitStatus(t, e, "daily", "deferral recorded", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastSkip != nil && isTime(st.LastSkip.Slot, slot) && st.LastSkip.WillRetry
	})
	// DigitalOcean's push times have whole seconds: 02:55:00 counts to 02:55:01.
	if !strings.Contains(st.LastSkip.Reason, "quietPeriod") || !isTime(st.LastSkip.RetryAt, at("2026-05-10T03:10:01Z")) {
		t.Errorf("lastSkip %+v", st.LastSkip)
	}
	e.Clock.SetTime(at("2026-05-10T03:10:00Z"))
	e.Settle(3)
	if n := len(e.Runs("reg")); n != 0 {
		t.Fatalf("%d runs within the quiet period", n)
	}
	e.Clock.SetTime(at("2026-05-10T03:10:01Z"))
	e.Eventually("run once quiet", func() (bool, error) { return len(e.Runs("reg")) == 1, nil })
	if diff := cmp.Diff([]string{"2026-05-10T03:10:01Z"}, created(e)); diff != "" {
		t.Errorf("run instants (-want +got):\n%s", diff)
	}
	e.Clock.Step(time.Minute)
	st = waitStatus(t, e, "daily", "run for the deferred slot", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastRun != nil && isTime(st.LastRun.Slot, slot) && st.LastRun.Status == "succeeded"
	})
	if st.LastSkip == nil || st.LastSkip.WillRetry || !isTime(st.LastSkip.Slot, slot) {
		t.Errorf("lastSkip after the run %+v", st.LastSkip)
	}

	// Next day: pushes every 10 minutes through the window.
	for _, ts := range []string{"02:58", "03:08", "03:18", "03:28", "03:38", "03:48", "03:58"} {
		e.Clock.SetTime(at("2026-05-11T" + ts + ":00Z"))
		if _, err := e.Sim.PushImage("reg", "app", "ci-"+strings.ReplaceAll(ts, ":", ""), 100); err != nil {
			t.Fatal(err)
		}
		e.Settle(1)
	}
	e.Clock.SetTime(at("2026-05-11T04:00:00Z"))
	st = waitStatus(t, e, "daily", "skip of a never-quiet slot", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastSkip != nil && isTime(st.LastSkip.Slot, at("2026-05-11T03:00:00Z")) && !st.LastSkip.WillRetry
	})
	if !strings.Contains(st.LastSkip.Reason, "not quiet") {
		t.Errorf("skip reason %q", st.LastSkip.Reason)
	}
	if n := len(e.Runs("reg")); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
	e.Eventually("Deferred and Skipped events", func() (bool, error) {
		return e.HasEvent("daily", "Deferred") && e.HasEvent("daily", "Skipped"), nil
	})
}

// TestForeignRunBlocksStart: a run started behind the provider's back (as
// doctl would) is active at the slot: no second start while it runs; the
// slot runs once it ended, within the window.
func TestForeignRunBlocksStart(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: at("2026-05-10T02:50:00Z"), Registries: seeded(at("2026-05-01T00:00:00Z")), GCPhases: slowGC})
	create(t, e, "daily", nil)
	e.Clock.SetTime(at("2026-05-10T02:55:00Z"))
	foreign, _, err := e.DO.Registries.StartGarbageCollection(context.Background(), "reg", &godo.StartGarbageCollectionRequest{Type: godo.GCTypeUnreferencedBlobsOnly})
	if err != nil {
		t.Fatal(err)
	}
	slot := at("2026-05-10T03:00:00Z")
	e.Clock.SetTime(slot)
	st := waitStatus(t, e, "daily", "deferred for the foreign run", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastSkip != nil && isTime(st.LastSkip.Slot, slot) && st.LastSkip.WillRetry
	})
	if !strings.Contains(st.LastSkip.Reason, foreign.UUID) {
		t.Errorf("deferral reason %q does not name the active run %s", st.LastSkip.Reason, foreign.UUID)
	}
	for _, ts := range []string{"03:10:00", "03:20:00", "03:34:59"} {
		e.Clock.SetTime(at("2026-05-10T" + ts + "Z"))
		e.Settle(3)
		if n := len(e.Runs("reg")); n != 1 {
			t.Fatalf("%s: %d runs while the foreign run is active", ts, n)
		}
	}
	// The foreign run ends at 03:35.
	e.Clock.SetTime(at("2026-05-10T03:36:00Z"))
	e.Eventually("own run after the foreign one", func() (bool, error) { return len(e.Runs("reg")) == 2, nil })
	if diff := cmp.Diff([]string{"2026-05-10T02:55:00Z", "2026-05-10T03:36:00Z"}, created(e)); diff != "" {
		t.Errorf("run instants (-want +got):\n%s", diff)
	}
}

// TestRestartMidRun: the provider stops while its run is active and the
// object's status is lost; restarted later in the same window it finds the
// run in DigitalOcean's history, starts nothing and catches up.
func TestRestartMidRun(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: at("2026-05-10T02:59:00Z"), Registries: seeded(at("2026-05-01T00:00:00Z")), GCPhases: slowGC})
	create(t, e, "daily", nil)
	slot := at("2026-05-10T03:00:00Z")
	waitStatus(t, e, "daily", "nextRunTime", func(st v1alpha1.GarbageCollectionScheduleObservation) bool { return isTime(st.NextRunTime, slot) })
	e.Clock.SetTime(slot)
	waitStatus(t, e, "daily", "run started", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastRun != nil && isTime(st.LastRun.Slot, slot)
	})

	e.StopProvider()
	// The status is lost (say, restored from a backup taken before).
	mg := get(t, e, "daily")
	mg.Status.AtProvider = v1alpha1.GarbageCollectionScheduleObservation{}
	if err := e.Kube.Status().Update(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
	// Mid-run, window still open.
	e.Clock.SetTime(at("2026-05-10T03:25:00Z"))
	e.StartProvider()
	st := waitStatus(t, e, "daily", "status caught up mid-run", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastRun != nil && isTime(st.LastRun.Slot, slot) && st.LastRun.Status == docrsim.GCStatusScanningManifests
	})
	e.Settle(3)
	if n := len(e.Runs("reg")); n != 1 {
		t.Fatalf("%d runs after the restart, want 1", n)
	}
	// Restart again after the run ended, still in the window.
	e.StopProvider()
	e.Clock.SetTime(at("2026-05-10T03:45:00Z"))
	e.StartProvider()
	st = waitStatus(t, e, "daily", "status caught up after the run", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastRun != nil && st.LastRun.Status == "succeeded"
	})
	e.Settle(3)
	if n := len(e.Runs("reg")); n != 1 {
		t.Fatalf("%d runs after the second restart, want 1", n)
	}
	if st.LastRun.UUID != e.Runs("reg")[0].UUID || len(st.RecentRuns) != 1 {
		t.Errorf("status %+v", st)
	}
}

// TestMaxDurationCancelsStuckRun: a run stuck in one phase is cancelled once
// it exceeds maxDuration, and the registry is writable again.
func TestMaxDurationCancelsStuckRun(t *testing.T) {
	stuck := docrsim.GCPhases{Requested: time.Second, WaitingForJWTs: 10 * time.Hour, ScanningManifests: time.Second, DeletingBlobs: time.Second, Cancelling: 5 * time.Second}
	e := gcenv.New(t, gcenv.Options{Start: at("2026-05-10T02:59:00Z"), Registries: seeded(at("2026-05-01T00:00:00Z")), GCPhases: stuck})
	create(t, e, "daily", func(p *v1alpha1.GarbageCollectionScheduleParameters) {
		p.MaxDuration = &metav1.Duration{Duration: 30 * time.Minute}
	})
	e.Clock.SetTime(at("2026-05-10T03:00:00Z"))
	e.Eventually("run started", func() (bool, error) { return len(e.Runs("reg")) == 1, nil })
	e.Clock.SetTime(at("2026-05-10T03:29:59Z"))
	e.Settle(3)
	if r := e.Runs("reg")[0]; r.Status != docrsim.GCStatusWaitingForJWTs {
		t.Fatalf("run %s before maxDuration", r.Status)
	}
	e.Clock.SetTime(at("2026-05-10T03:30:00Z"))
	e.Eventually("cancel requested", func() (bool, error) {
		return e.Runs("reg")[0].Status == docrsim.GCStatusCancelling, nil
	})
	e.Clock.Step(10 * time.Second)
	waitStatus(t, e, "daily", "cancelled in status", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastRun != nil && st.LastRun.Status == docrsim.GCStatusCancelled
	})
	if info, _ := e.Sim.Registry("reg"); info.ReadOnly {
		t.Error("registry still read-only after the cancel")
	}
	e.Eventually("Cancelling and Cancelled events", func() (bool, error) {
		return e.HasEvent("daily", "Cancelling") && e.HasEvent("daily", "Cancelled"), nil
	})
	if n := len(e.Runs("reg")); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
}

// TestInvalidCronCondition: an expression the CRD pattern lets through but
// cron refuses gives a condition naming the field.
func TestInvalidCronCondition(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: at("2026-05-10T02:59:00Z"), Registries: seeded(at("2026-05-01T00:00:00Z")), GCPhases: quickGC})
	create(t, e, "bad", func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.Schedule = "61 3 * * *" })
	e.Eventually("Synced=False naming forProvider.schedule", func() (bool, error) {
		c := get(t, e, "bad").GetCondition(xpv2.TypeSynced)
		return c.Status == "False" && strings.Contains(c.Message, "forProvider.schedule"), nil
	})
	if n := e.Sim.Stats().Count("", "/v2/registries/{registry_name}/garbage-collection", 0); n != 0 {
		t.Errorf("%d garbage collection requests for an invalid schedule", n)
	}
}

// TestDeleteLeavesRunUnlessCancelOnDelete: deleting a schedule leaves its
// active run alone; with cancelOnDelete it cancels it before going.
func TestDeleteLeavesRunUnlessCancelOnDelete(t *testing.T) {
	for name, cancel := range map[string]bool{"default": false, "cancelOnDelete": true} {
		t.Run(name, func(t *testing.T) {
			e := gcenv.New(t, gcenv.Options{Start: at("2026-05-10T02:59:00Z"), Registries: seeded(at("2026-05-01T00:00:00Z")), GCPhases: slowGC})
			create(t, e, "daily", func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.CancelOnDelete = cancel })
			e.Clock.SetTime(at("2026-05-10T03:00:00Z"))
			waitStatus(t, e, "daily", "run started", func(st v1alpha1.GarbageCollectionScheduleObservation) bool { return st.LastRun != nil })
			if err := e.Kube.Delete(context.Background(), get(t, e, "daily")); err != nil {
				t.Fatal(err)
			}
			e.Eventually("object gone", func() (bool, error) {
				err := e.Kube.Get(context.Background(), types.NamespacedName{Namespace: e.Namespace, Name: "daily"}, &v1alpha1.GarbageCollectionSchedule{})
				return err != nil && strings.Contains(err.Error(), "not found"), nil
			})
			want := docrsim.GCStatusRequested
			if cancel {
				want = docrsim.GCStatusCancelling
			}
			if got := e.Runs("reg")[0].Status; got != want {
				t.Errorf("run %s after deleting the schedule, want %s", got, want)
			}
		})
	}
}

// TestRegistryRef: the registry named through a Registry object.
func TestRegistryRef(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: at("2026-05-10T02:59:00Z"), Registries: seeded(at("2026-05-01T00:00:00Z")), GCPhases: quickGC})
	// No Registry controller runs here: the object is made Ready by hand,
	// as that controller would once the registry exists.
	r := &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: e.Namespace}}
	r.Spec.ForProvider.Region = "nyc3"
	r.Spec.ProviderConfigReference = gcenv.ProviderConfigRef()
	if err := e.Kube.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	r.Status.AtProvider.Name = "reg"
	r.SetConditions(xpv2.Available())
	if err := e.Kube.Status().Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	create(t, e, "daily", func(p *v1alpha1.GarbageCollectionScheduleParameters) {
		p.RegistryName = ""
		p.RegistryRef = &xpv2.Reference{Name: "main"}
	})
	e.Clock.SetTime(at("2026-05-10T03:00:00Z"))
	e.Eventually("run on the referenced registry", func() (bool, error) { return len(e.Runs("reg")) == 1, nil })
}

// TestSteadyStateOneRequestPerPoll: once a slot is settled, a reconcile asks
// DigitalOcean one thing, whether a run is active; the history and the
// repositories are read only around slots.
func TestSteadyStateOneRequestPerPoll(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: at("2026-05-10T02:59:00Z"), Registries: seeded(at("2026-05-01T00:00:00Z")), GCPhases: quickGC})
	create(t, e, "daily", nil)
	e.Clock.SetTime(at("2026-05-10T03:00:00Z"))
	e.Eventually("run started", func() (bool, error) { return len(e.Runs("reg")) == 1, nil })
	e.Clock.Step(time.Minute)
	waitStatus(t, e, "daily", "run succeeded", func(st v1alpha1.GarbageCollectionScheduleObservation) bool {
		return st.LastRun != nil && st.LastRun.Status == "succeeded"
	})
	e.Settle(2)
	before := e.Sim.Stats()
	e.Clock.Step(time.Hour)
	e.Settle(10)
	after := e.Sim.Stats()
	active := after.Count("GET", "/v2/registries/{registry_name}/garbage-collection", 0) - before.Count("GET", "/v2/registries/{registry_name}/garbage-collection", 0)
	if other := (after.Total - before.Total) - active; other != 0 {
		t.Errorf("%d reconciles made %d other requests; want only the active-run check", active, other)
	}
}

// TestRequeuedAtTheSlotNotThePoll runs on the real clock with a one-hour
// poll interval: runs at successive minute slots can only happen because the
// reconcile is requeued for the slot.
func TestRequeuedAtTheSlotNotThePoll(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{RealClock: true, Poll: time.Hour, Registries: seeded(time.Now().Add(-24 * time.Hour)), GCPhases: quickGC})
	create(t, e, "minutely", func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.Schedule = "* * * * *" })
	// The current minute's slot is in its window: it runs at once. The next
	// minute's slot runs when it comes.
	e.Eventually("two runs", func() (bool, error) { return len(e.Runs("reg")) >= 2, nil })
	rs := e.Runs("reg")
	first, second := rs[0].CreatedAt, rs[1].CreatedAt
	if next := first.Truncate(time.Minute).Add(time.Minute); second.Before(next) {
		t.Errorf("second run at %s, before the slot %s after the first run", second, next)
	}
}
