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

package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTerminal(t *testing.T) {
	for status, want := range map[string]bool{
		"succeeded": true, "failed": true, "cancelled": true,
		"requested": false, "waiting for write JWTs to expire": false, "scanning manifests": false,
		"deleting unreferenced blobs": false, "cancelling": false, "waiting for delete requests": false,
	} {
		if got := Terminal(status); got != want {
			t.Errorf("Terminal(%q) = %v, want %v", status, got, want)
		}
	}
}

func TestDecide(t *testing.T) {
	// Sunday 03:00 in New York. The slot on 2026-03-08 (spring forward) is
	// at 07:00Z, the one before at 2026-03-01T08:00Z, the next 2026-03-15T07:00Z.
	weekly, err := Parse("0 3 * * 0", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	pol := Policy{Schedule: weekly, Window: time.Hour, QuietPeriod: 15 * time.Minute, ActivePoll: 30 * time.Second}
	withMax := pol
	withMax.MaxDuration = 20 * time.Minute
	suspended := pol
	suspended.Suspend = true
	suspended.MaxDuration = 20 * time.Minute

	slot := utc("2026-03-08T07:00:00Z")
	next := utc("2026-03-15T07:00:00Z")
	old := Run{UUID: "old", Status: StatusSucceeded, CreatedAt: utc("2026-03-01T08:00:05Z")}
	mine := Run{UUID: "mine", Status: StatusSucceeded, CreatedAt: slot.Add(3 * time.Minute)}
	active := func(uuid string, created time.Time, status string) *Run {
		return &Run{UUID: uuid, Status: status, CreatedAt: created}
	}

	type want struct {
		action    Action
		slot      time.Time
		slotRun   string
		next      time.Time
		requeueAt time.Time
		reason    string // substring
	}
	cases := map[string]struct {
		p    Policy
		in   Input
		want want
	}{
		"BeforeFirstSlotOfDayNothing": {
			p:    pol,
			in:   Input{Now: slot.Add(-time.Minute), History: []Run{old}},
			want: want{action: Nothing, slot: utc("2026-03-01T08:00:00Z"), slotRun: "old", next: slot, requeueAt: slot},
		},
		"AtSlotStart": {
			p:    pol,
			in:   Input{Now: slot, History: []Run{old}, LatestPush: slot.Add(-time.Hour)},
			want: want{action: Start, slot: slot, next: next, requeueAt: slot.Add(30 * time.Second)},
		},
		"NoPushEverStart": {
			p:    pol,
			in:   Input{Now: slot.Add(time.Minute)},
			want: want{action: Start, slot: slot, next: next, requeueAt: slot.Add(time.Minute + 30*time.Second)},
		},
		"RecentPushWaitsForQuiet": {
			p:    pol,
			in:   Input{Now: slot, History: []Run{old}, LatestPush: slot.Add(-5 * time.Minute)},
			want: want{action: Wait, slot: slot, next: next, requeueAt: slot.Add(10 * time.Minute), reason: "within quietPeriod 15m0s"},
		},
		"QuietLaterInWindowStarts": {
			p:    pol,
			in:   Input{Now: slot.Add(10 * time.Minute), History: []Run{old}, LatestPush: slot.Add(-5 * time.Minute)},
			want: want{action: Start, slot: slot, next: next, requeueAt: slot.Add(10*time.Minute + 30*time.Second)},
		},
		"PushNearWindowEndRequeuesAtWindowEnd": {
			p:    pol,
			in:   Input{Now: slot.Add(50 * time.Minute), LatestPush: slot.Add(49 * time.Minute)},
			want: want{action: Wait, slot: slot, next: next, requeueAt: slot.Add(time.Hour), reason: "deferred"},
		},
		"WindowClosedNotQuietSkip": {
			p:    pol,
			in:   Input{Now: slot.Add(time.Hour), History: []Run{old}, LatestPush: slot.Add(55 * time.Minute)},
			want: want{action: Skip, slot: slot, next: next, requeueAt: next, reason: "was not quiet"},
		},
		"MissedWhileDownWindowOpenStarts": {
			p:    pol,
			in:   Input{Now: slot.Add(59 * time.Minute), History: []Run{old}},
			want: want{action: Start, slot: slot, next: next, requeueAt: slot.Add(59*time.Minute + 30*time.Second)},
		},
		"MissedWhileDownWindowClosedSkip": {
			p:    pol,
			in:   Input{Now: slot.Add(3 * time.Hour), History: []Run{old}},
			want: want{action: Skip, slot: slot, next: next, requeueAt: next, reason: "closed before a run could start"},
		},
		"HistoryHasRunForSlotNothing": {
			p:    pol,
			in:   Input{Now: slot.Add(10 * time.Minute), History: []Run{old, mine}},
			want: want{action: Nothing, slot: slot, slotRun: "mine", next: next, requeueAt: next},
		},
		"RunCreatedExactlyAtSlotCounts": {
			p:    pol,
			in:   Input{Now: slot.Add(10 * time.Minute), History: []Run{{UUID: "exact", Status: StatusFailed, CreatedAt: slot}}},
			want: want{action: Nothing, slot: slot, slotRun: "exact", next: next, requeueAt: next},
		},
		"EarliestRunAfterSlotServesIt": {
			p: pol,
			in: Input{Now: slot.Add(50 * time.Minute), History: []Run{
				{UUID: "second", Status: StatusSucceeded, CreatedAt: slot.Add(30 * time.Minute)}, mine, old}},
			want: want{action: Nothing, slot: slot, slotRun: "mine", next: next, requeueAt: next},
		},
		"StatusRecordsSlotHandledNothing": {
			p:    pol,
			in:   Input{Now: slot.Add(10 * time.Minute), History: []Run{old}, HandledSlot: slot},
			want: want{action: Nothing, slot: slot, next: next, requeueAt: next},
		},
		"StatusRecordsOlderSlotDoesNotBlock": {
			p:    pol,
			in:   Input{Now: slot.Add(10 * time.Minute), History: []Run{old}, HandledSlot: utc("2026-03-01T08:00:00Z")},
			want: want{action: Start, slot: slot, next: next, requeueAt: slot.Add(10*time.Minute + 30*time.Second)},
		},
		"ForeignActiveRunBlocksStart": {
			p:    pol,
			in:   Input{Now: slot.Add(time.Minute), History: []Run{old}, Active: active("foreign", slot.Add(-10*time.Minute), "scanning manifests")},
			want: want{action: Wait, slot: slot, next: next, requeueAt: slot.Add(time.Minute + 30*time.Second), reason: "foreign"},
		},
		"HandledSlotNoSkipWhileActive": {
			p:    pol,
			in:   Input{Now: slot.Add(2 * time.Hour), Active: active("foreign", slot.Add(-10*time.Minute), "scanning manifests"), HandledSlot: slot},
			want: want{action: Nothing, slot: slot, next: next, requeueAt: slot.Add(2*time.Hour + 30*time.Second)},
		},
		"ForeignActiveUntilWindowCloseSkip": {
			p:    pol,
			in:   Input{Now: slot.Add(time.Hour), History: []Run{old}, Active: active("foreign", slot.Add(-10*time.Minute), "waiting for delete requests")},
			want: want{action: Skip, slot: slot, next: next, requeueAt: slot.Add(time.Hour + 30*time.Second), reason: "while garbage collection foreign"},
		},
		"ActiveRunCreatedAfterSlotServesSlot": {
			p:    pol,
			in:   Input{Now: slot.Add(5 * time.Minute), History: []Run{old}, Active: active("started", slot.Add(time.Minute), "requested")},
			want: want{action: Nothing, slot: slot, slotRun: "started", next: next, requeueAt: slot.Add(5*time.Minute + 30*time.Second)},
		},
		"MaxDurationExceededCancel": {
			p:    withMax,
			in:   Input{Now: slot.Add(21 * time.Minute), History: []Run{old}, Active: active("stuck", slot, "waiting for delete requests")},
			want: want{action: Cancel, slot: slot, slotRun: "stuck", next: next, requeueAt: slot.Add(21*time.Minute + 30*time.Second), reason: "longer than maxDuration 20m0s"},
		},
		"MaxDurationExactlyReachedCancel": {
			p:    withMax,
			in:   Input{Now: slot.Add(20 * time.Minute), Active: active("stuck", slot, "scanning manifests")},
			want: want{action: Cancel, slot: slot, slotRun: "stuck", next: next, requeueAt: slot.Add(20*time.Minute + 30*time.Second), reason: "maxDuration"},
		},
		"MaxDurationRequeuesAtDeadline": {
			p:    withMax,
			in:   Input{Now: slot.Add(19*time.Minute + 50*time.Second), Active: active("slow", slot, "scanning manifests")},
			want: want{action: Nothing, slot: slot, slotRun: "slow", next: next, requeueAt: slot.Add(20 * time.Minute)},
		},
		"CancellingNotCancelledAgain": {
			p:    withMax,
			in:   Input{Now: slot.Add(40 * time.Minute), Active: active("stuck", slot, StatusCancelling)},
			want: want{action: Nothing, slot: slot, slotRun: "stuck", next: next, requeueAt: slot.Add(40*time.Minute + 30*time.Second)},
		},
		"MaxDurationAppliesToForeignRuns": {
			p:    withMax,
			in:   Input{Now: slot.Add(-time.Hour), History: []Run{old}, Active: active("foreign", slot.Add(-2*time.Hour), "scanning manifests")},
			want: want{action: Cancel, slot: utc("2026-03-01T08:00:00Z"), slotRun: "old", next: slot, requeueAt: slot.Add(-time.Hour + 30*time.Second), reason: "foreign"},
		},
		"SuspendedNoStart": {
			p:    suspended,
			in:   Input{Now: slot.Add(time.Minute), History: []Run{old}},
			want: want{action: Nothing, slot: slot},
		},
		"SuspendedStillCancelsStuckRun": {
			p:    suspended,
			in:   Input{Now: slot.Add(time.Hour), Active: active("stuck", slot.Add(-time.Hour), "scanning manifests")},
			want: want{action: Cancel, slot: slot, requeueAt: slot.Add(time.Hour + 30*time.Second), reason: "maxDuration"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := Decide(tc.p, tc.in)
			got := want{action: d.Action, slot: d.Slot, next: d.Next, requeueAt: d.RequeueAt}
			if d.SlotRun != nil {
				got.slotRun = d.SlotRun.UUID
			}
			if tc.want.reason != "" && strings.Contains(d.Reason, tc.want.reason) {
				got.reason = tc.want.reason
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("Decide (-want +got):\n%s\nreason: %s", diff, d.Reason)
			}
		})
	}
}

// TestDecideWalk drives one weekly schedule through the spring-forward
// Sunday minute by minute, feeding each start back as DigitalOcean history,
// and checks there is exactly one start, at the right instant.
func TestDecideWalk(t *testing.T) {
	weekly, err := Parse("0 3 * * 0", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{Schedule: weekly, Window: time.Hour, QuietPeriod: 15 * time.Minute}
	history := []Run{{UUID: "previous", Status: StatusSucceeded, CreatedAt: utc("2026-03-01T08:00:00Z")}}
	var starts []string
	for now := utc("2026-03-07T00:00:00Z"); now.Before(utc("2026-03-16T00:00:00Z")); now = now.Add(time.Minute) {
		d := Decide(p, Input{Now: now, History: history})
		if d.Action == Start {
			starts = append(starts, now.Format(time.RFC3339))
			history = append(history, Run{UUID: now.String(), Status: StatusSucceeded, CreatedAt: now})
		}
		if d.Action != Start && d.Action != Nothing {
			t.Fatalf("%s: unexpected %s: %s", now, d.Action, d.Reason)
		}
	}
	if diff := cmp.Diff([]string{"2026-03-08T07:00:00Z", "2026-03-15T07:00:00Z"}, starts); diff != "" {
		t.Errorf("starts (-want +got):\n%s", diff)
	}
}
