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
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/schedule"
)

// fakeAPI is a registry's garbage collections in memory.
type fakeAPI struct {
	clock      *clocktesting.FakeClock
	active     *schedule.Run
	history    []schedule.Run
	latestPush time.Time
	startErr   error
	calls      map[string]int
	starts     []godo.GarbageCollectionType
	cancels    []string
}

func newFake(c *clocktesting.FakeClock) *fakeAPI {
	return &fakeAPI{clock: c, calls: map[string]int{}}
}

func (f *fakeAPI) Active(_ context.Context, _ string) (*schedule.Run, error) {
	f.calls["Active"]++
	if f.active == nil {
		return nil, nil
	}
	a := *f.active
	return &a, nil
}

func (f *fakeAPI) History(_ context.Context, _ string) ([]schedule.Run, error) {
	f.calls["History"]++
	return append([]schedule.Run(nil), f.history...), nil
}

func (f *fakeAPI) Start(_ context.Context, _ string, t godo.GarbageCollectionType) (*schedule.Run, error) {
	f.calls["Start"]++
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.starts = append(f.starts, t)
	r := schedule.Run{UUID: fmt.Sprintf("run-%d", len(f.starts)), Status: "requested", Type: string(t), CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	f.active = &r
	f.history = append(f.history, r)
	return &r, nil
}

func (f *fakeAPI) Cancel(_ context.Context, _, uuid string) error {
	f.calls["Cancel"]++
	f.cancels = append(f.cancels, uuid)
	if f.active != nil && f.active.UUID == uuid {
		f.active.Status = schedule.StatusCancelling
	}
	return nil
}

func (f *fakeAPI) LatestPush(_ context.Context, _ string) (time.Time, error) {
	f.calls["LatestPush"]++
	return f.latestPush, nil
}

// finish ends the active run.
func (f *fakeAPI) finish(status string, freed uint64) {
	a := *f.active
	a.Status, a.FreedBytes, a.BlobsDeleted, a.UpdatedAt = status, freed, 3, f.clock.Now()
	f.active = nil
	for i := range f.history {
		if f.history[i].UUID == a.UUID {
			f.history[i] = a
		}
	}
}

type recorder struct{ events []string }

func (r *recorder) Event(_ runtime.Object, e event.Event) {
	r.events = append(r.events, string(e.Reason))
}
func (r *recorder) WithAnnotations(...string) event.Recorder { return r }

// slot: Sunday 2026-03-08 03:00 America/New_York (spring forward) = 07:00Z.
var slot = time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)

func gcs(mut ...func(*v1alpha1.GarbageCollectionScheduleParameters)) *v1alpha1.GarbageCollectionSchedule {
	mg := &v1alpha1.GarbageCollectionSchedule{ObjectMeta: metav1.ObjectMeta{Name: "weekly", Namespace: "ns", UID: "uid-1",
		CreationTimestamp: metav1.NewTime(slot.Add(-48 * time.Hour))}}
	mg.Spec.ForProvider = v1alpha1.GarbageCollectionScheduleParameters{
		RegistryTarget: v1alpha1.RegistryTarget{RegistryName: "reg"},
		Schedule:       "0 3 * * 0",
		TimeZone:       "America/New_York",
	}
	for _, m := range mut {
		m(&mg.Spec.ForProvider)
	}
	return mg
}

type harness struct {
	clock *clocktesting.FakeClock
	api   *fakeAPI
	rec   *recorder
	due   *schedule.Due
}

func newHarness(now time.Time) *harness {
	c := clocktesting.NewFakeClock(now)
	return &harness{clock: c, api: newFake(c), rec: &recorder{}, due: schedule.NewDue(c)}
}

// reconcile runs Observe and, like the managed reconciler, Update when Observe
// reports the schedule out of date. It returns whether Update ran.
func (h *harness) reconcile(t *testing.T, mg *v1alpha1.GarbageCollectionSchedule) bool {
	t.Helper()
	e := &external{api: h.api, clock: h.clock, rec: h.rec, due: h.due}
	o, err := e.Observe(context.Background(), mg)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if !o.ResourceExists {
		t.Fatal("Observe: schedule reported as not existing")
	}
	if o.ResourceUpToDate {
		return false
	}
	if _, err := e.Update(context.Background(), mg); err != nil {
		t.Fatalf("Update: %v", err)
	}
	return true
}

func TestStartOncePerSlot(t *testing.T) {
	h := newHarness(slot.Add(-time.Minute))
	h.api.history = []schedule.Run{{UUID: "prev", Status: "succeeded", CreatedAt: time.Date(2026, 3, 1, 8, 0, 1, 0, time.UTC)}}
	mg := gcs()

	if h.reconcile(t, mg) {
		t.Fatal("started before the slot")
	}
	if got := mg.Status.AtProvider.NextRunTime.Time; !got.Equal(slot) {
		t.Errorf("nextRunTime = %s, want %s", got, slot)
	}
	if got := h.due.After(mg.UID, time.Hour); got != time.Minute {
		t.Errorf("requeue after %s, want 1m (the slot)", got)
	}

	h.clock.SetTime(slot)
	if !h.reconcile(t, mg) {
		t.Fatal("no start at the slot")
	}
	if diff := cmp.Diff([]godo.GarbageCollectionType{godo.GCTypeUntaggedManifestsAndUnreferencedBlobs}, h.api.starts); diff != "" {
		t.Errorf("starts (-want +got):\n%s", diff)
	}
	st := mg.Status.AtProvider
	if st.LastRun == nil || st.LastRun.UUID != "run-1" || !st.LastRun.StartedBySchedule || !st.LastRun.Slot.Time.Equal(slot) || st.TotalRuns != 1 {
		t.Fatalf("status after start: %+v", st)
	}

	// Minutes later, still running: no second start. The slot is settled,
	// so only the active run is read.
	h.clock.Step(5 * time.Minute)
	historyReads := h.api.calls["History"]
	if h.reconcile(t, mg) {
		t.Fatal("second start while the slot's run is active")
	}
	if h.api.calls["History"] != historyReads {
		t.Error("history read although the slot was settled and its run is active")
	}

	// The run ends: one Succeeded event, freed bytes counted once.
	h.api.finish(schedule.StatusSucceeded, 1000)
	h.clock.Step(time.Minute)
	h.reconcile(t, mg)
	h.clock.Step(time.Minute)
	h.reconcile(t, mg)
	st = mg.Status.AtProvider
	if st.LastRun.Status != schedule.StatusSucceeded || st.LastRun.FreedBytes != 1000 || st.LastRun.FinishedAt == nil {
		t.Errorf("lastRun after success: %+v", st.LastRun)
	}
	if st.TotalFreedBytes != 1000 || st.TotalRuns != 1 {
		t.Errorf("totals: runs %d freed %d, want 1 and 1000", st.TotalRuns, st.TotalFreedBytes)
	}
	if diff := cmp.Diff([]string{"Started", "Succeeded"}, h.rec.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(h.api.starts) != 1 {
		t.Errorf("%d starts, want 1", len(h.api.starts))
	}
}

// TestNoDoubleStartAfterLostStatus: a new process with an empty status (the
// status update after the start was lost) finds the run in DigitalOcean's
// history and adopts it instead of starting another.
func TestNoDoubleStartAfterLostStatus(t *testing.T) {
	h := newHarness(slot.Add(20 * time.Minute))
	h.api.history = []schedule.Run{{UUID: "mine", Status: "succeeded", CreatedAt: slot.Add(10 * time.Second), UpdatedAt: slot.Add(5 * time.Minute), FreedBytes: 77}}
	mg := gcs()
	if h.reconcile(t, mg) {
		t.Fatal("started although the history shows a run for the slot")
	}
	st := mg.Status.AtProvider
	// Which run was ours is lost with the status: it is shown, not counted.
	if st.LastRun == nil || st.LastRun.UUID != "mine" || st.LastRun.FreedBytes != 77 || st.LastRun.StartedBySchedule || st.TotalRuns != 0 || st.TotalFreedBytes != 0 {
		t.Errorf("status did not catch up: %+v", st)
	}
}

func TestQuietPeriodDefersThenStarts(t *testing.T) {
	h := newHarness(slot)
	h.api.history = []schedule.Run{{UUID: "prev", Status: "succeeded", CreatedAt: time.Date(2026, 3, 1, 8, 0, 1, 0, time.UTC)}}
	h.api.latestPush = slot.Add(-2 * time.Minute)
	mg := gcs()

	if h.reconcile(t, mg) {
		t.Fatal("started within the quiet period")
	}
	sk := mg.Status.AtProvider.LastSkip
	if sk == nil || !sk.WillRetry || !sk.Slot.Time.Equal(slot) || !strings.Contains(sk.Reason, "quietPeriod") || !sk.RetryAt.Time.Equal(slot.Add(13*time.Minute)) {
		t.Fatalf("lastSkip = %+v", sk)
	}
	if got := h.due.After(mg.UID, time.Hour); got != 13*time.Minute {
		t.Errorf("requeue after %s, want 13m (end of the quiet period)", got)
	}
	h.clock.Step(time.Minute)
	h.reconcile(t, mg) // still deferred: no second Deferred event
	h.clock.SetTime(slot.Add(13 * time.Minute))
	if !h.reconcile(t, mg) {
		t.Fatal("no start once quiet")
	}
	if sk := mg.Status.AtProvider.LastSkip; sk == nil || sk.WillRetry || !strings.Contains(sk.Reason, "quietPeriod") {
		t.Errorf("lastSkip after start = %+v, want the deferral kept, no longer retrying", sk)
	}
	if diff := cmp.Diff([]string{"Deferred", "Started"}, h.rec.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestWindowClosesSkipOnce(t *testing.T) {
	h := newHarness(slot.Add(50 * time.Minute))
	h.api.history = []schedule.Run{{UUID: "prev", Status: "succeeded", CreatedAt: time.Date(2026, 3, 1, 8, 0, 1, 0, time.UTC)}}
	h.api.latestPush = slot.Add(49 * time.Minute)
	mg := gcs()
	h.reconcile(t, mg)
	h.clock.SetTime(slot.Add(time.Hour))
	h.reconcile(t, mg)
	h.clock.Step(time.Hour)
	h.reconcile(t, mg)
	sk := mg.Status.AtProvider.LastSkip
	if sk == nil || sk.WillRetry || !strings.Contains(sk.Reason, "not quiet") {
		t.Fatalf("lastSkip = %+v", sk)
	}
	if diff := cmp.Diff([]string{"Deferred", "Skipped"}, h.rec.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if h.api.calls["Start"] != 0 {
		t.Error("started after the window closed")
	}
}

func TestForeignActiveRunBlocksStart(t *testing.T) {
	h := newHarness(slot.Add(time.Minute))
	h.api.active = &schedule.Run{UUID: "doctl", Status: "scanning manifests", CreatedAt: slot.Add(-5 * time.Minute)}
	h.api.history = []schedule.Run{*h.api.active}
	mg := gcs()
	if h.reconcile(t, mg) {
		t.Fatal("acted while a foreign run is active")
	}
	if h.api.calls["Start"] != 0 || h.api.calls["Cancel"] != 0 {
		t.Errorf("calls %v", h.api.calls)
	}
	// It ends; the window is still open: start.
	h.api.finish(schedule.StatusSucceeded, 5)
	h.clock.Step(time.Minute)
	if !h.reconcile(t, mg) || len(h.api.starts) != 1 {
		t.Fatal("no start after the foreign run ended")
	}
}

func TestMaxDurationCancels(t *testing.T) {
	h := newHarness(slot)
	h.api.history = []schedule.Run{{UUID: "prev", Status: "succeeded", CreatedAt: time.Date(2026, 3, 1, 8, 0, 1, 0, time.UTC)}}
	mg := gcs(func(p *v1alpha1.GarbageCollectionScheduleParameters) {
		p.MaxDuration = &metav1.Duration{Duration: 20 * time.Minute}
	})
	h.reconcile(t, mg)
	h.clock.Step(19*time.Minute + 50*time.Second)
	if h.reconcile(t, mg) {
		t.Fatal("acted before maxDuration")
	}
	if got := h.due.After(mg.UID, time.Hour); got != 10*time.Second {
		t.Errorf("requeue after %s, want 10s (the maxDuration deadline)", got)
	}
	h.clock.Step(10 * time.Second)
	if !h.reconcile(t, mg) {
		t.Fatal("no cancel at maxDuration")
	}
	if diff := cmp.Diff([]string{"run-1"}, h.api.cancels); diff != "" {
		t.Errorf("cancels (-want +got):\n%s", diff)
	}
	h.clock.Step(time.Minute)
	if h.reconcile(t, mg) {
		t.Fatal("cancelled twice")
	}
	h.api.finish(schedule.StatusCancelled, 0)
	h.clock.Step(time.Minute)
	h.reconcile(t, mg)
	if diff := cmp.Diff([]string{"Started", "Cancelling", "Cancelled"}, h.rec.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestStartConflictIsNotAnError(t *testing.T) {
	h := newHarness(slot)
	h.api.startErr = &godo.ErrorResponse{Response: &http.Response{StatusCode: http.StatusConflict}, Message: "a garbage collection is already active"}
	mg := gcs()
	if !h.reconcile(t, mg) {
		t.Fatal("no start attempt")
	}
	if mg.Status.AtProvider.TotalRuns != 0 || len(h.rec.events) != 0 {
		t.Errorf("a refused start was recorded: %+v %v", mg.Status.AtProvider, h.rec.events)
	}
	if got := h.due.After(mg.UID, time.Hour); got != conflictRetry {
		t.Errorf("requeue after %s, want %s", got, conflictRetry)
	}
}

func TestDelete(t *testing.T) {
	cases := map[string]struct {
		cancelOnDelete bool
		ownRun         bool
		adopted        bool
		wantExists     bool
		wantCalls      int
	}{
		"LeavesRunAloneByDefault":        {ownRun: true, wantExists: false, wantCalls: 0},
		"CancelOnDeleteCancelsOwnRun":    {cancelOnDelete: true, ownRun: true, wantExists: true, wantCalls: 1},
		"CancelOnDeleteLeavesOthersRun":  {cancelOnDelete: true, ownRun: false, wantExists: false, wantCalls: 1},
		"CancelOnDeleteLeavesAdoptedRun": {cancelOnDelete: true, ownRun: false, adopted: true, wantExists: false, wantCalls: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(slot.Add(time.Minute))
			h.api.active = &schedule.Run{UUID: "r1", Status: "scanning manifests", CreatedAt: slot}
			mg := gcs(func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.CancelOnDelete = tc.cancelOnDelete })
			if tc.ownRun || tc.adopted {
				mg.Status.AtProvider.RecentRuns = []v1alpha1.GarbageCollectionRun{{UUID: "r1", Status: "requested", StartedBySchedule: tc.ownRun}}
			}
			now := metav1.NewTime(h.clock.Now())
			mg.DeletionTimestamp = &now
			e := &external{api: h.api, clock: h.clock, rec: h.rec, due: h.due}
			o, err := e.Observe(context.Background(), mg)
			if err != nil {
				t.Fatal(err)
			}
			if o.ResourceExists != tc.wantExists || h.api.calls["Active"] != tc.wantCalls {
				t.Fatalf("exists %v after %d calls, want %v after %d", o.ResourceExists, h.api.calls["Active"], tc.wantExists, tc.wantCalls)
			}
			if !o.ResourceExists {
				return
			}
			if _, err := e.Delete(context.Background(), mg); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"r1"}, h.api.cancels); diff != "" {
				t.Errorf("cancels (-want +got):\n%s", diff)
			}
			// The run is cancelling: the next look lets the object go.
			if o, _ := (&external{api: h.api, clock: h.clock, rec: h.rec, due: h.due}).Observe(context.Background(), mg); o.ResourceExists {
				t.Error("still exists after the cancel request")
			}
		})
	}
}

func TestBadSpecNamesField(t *testing.T) {
	cases := map[string]struct {
		mut  func(*v1alpha1.GarbageCollectionScheduleParameters)
		want string
	}{
		"CronOutOfRange": {mut: func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.Schedule = "61 3 * * 0" }, want: "forProvider.schedule"},
		"UnknownZone":    {mut: func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.TimeZone = "Nowhere/Town" }, want: "forProvider.timeZone"},
		"ZeroWindow":     {mut: func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.Window = &metav1.Duration{} }, want: "forProvider.window"},
		"NegativeQuiet": {mut: func(p *v1alpha1.GarbageCollectionScheduleParameters) {
			p.QuietPeriod = &metav1.Duration{Duration: -time.Minute}
		}, want: "forProvider.quietPeriod"},
		"NegativeMax": {mut: func(p *v1alpha1.GarbageCollectionScheduleParameters) {
			p.MaxDuration = &metav1.Duration{Duration: -time.Minute}
		}, want: "forProvider.maxDuration"},
		"UnknownType":     {mut: func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.Type = "Everything" }, want: "forProvider.type"},
		"TwoRegistryWays": {mut: func(p *v1alpha1.GarbageCollectionScheduleParameters) { p.RegistryName = "" }, want: "registry"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(slot)
			e := &external{api: h.api, clock: h.clock, rec: h.rec, due: h.due}
			_, err := e.Observe(context.Background(), gcs(tc.mut))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Observe error %v, want one naming %s", err, tc.want)
			}
			if len(h.api.calls) != 0 {
				t.Errorf("called DigitalOcean with a bad spec: %v", h.api.calls)
			}
		})
	}
}

func TestDOType(t *testing.T) {
	for in, want := range map[v1alpha1.GarbageCollectionType]godo.GarbageCollectionType{
		"":                                      "untagged manifests and unreferenced blobs",
		"UntaggedManifestsAndUnreferencedBlobs": "untagged manifests and unreferenced blobs",
		"UntaggedManifestsOnly":                 "untagged manifests only",
		"UnreferencedBlobsOnly":                 "unreferenced blobs only",
	} {
		if got, err := DOType(in); err != nil || got != want {
			t.Errorf("DOType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestFailedRunEvent(t *testing.T) {
	h := newHarness(slot)
	h.api.history = []schedule.Run{{UUID: "prev", Status: "succeeded", CreatedAt: time.Date(2026, 3, 1, 8, 0, 1, 0, time.UTC)}}
	mg := gcs()
	h.reconcile(t, mg)
	h.api.finish(schedule.StatusFailed, 0)
	h.clock.Step(time.Minute)
	h.reconcile(t, mg)
	if diff := cmp.Diff([]string{"Started", "Failed"}, h.rec.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if st := mg.Status.AtProvider; st.LastRun.Status != schedule.StatusFailed || st.LastRun.FinishedAt == nil || h.api.calls["Start"] != 1 {
		t.Errorf("after a failed run: %+v, %d starts", st.LastRun, h.api.calls["Start"])
	}
}

// TestNewScheduleDoesNotWarnAboutPastSlot: a schedule created mid-week
// records last Sunday's slot as settled, without a Skipped warning, and runs
// at the next slot.
func TestNewScheduleDoesNotWarnAboutPastSlot(t *testing.T) {
	h := newHarness(slot.Add(3 * 24 * time.Hour))
	mg := gcs()
	h.reconcile(t, mg)
	h.clock.Step(time.Minute)
	h.reconcile(t, mg)
	if len(h.rec.events) != 0 || h.api.calls["Start"] != 0 {
		t.Errorf("events %v, %d starts", h.rec.events, h.api.calls["Start"])
	}
	if sk := mg.Status.AtProvider.LastSkip; sk == nil || !sk.Slot.Time.Equal(slot) || sk.WillRetry {
		t.Errorf("lastSkip %+v", sk)
	}
	h.clock.SetTime(slot.Add(7 * 24 * time.Hour))
	if !h.reconcile(t, mg) {
		t.Error("no start at the next slot")
	}
}
