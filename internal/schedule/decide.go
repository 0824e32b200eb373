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
	"fmt"
	"time"
)

// Garbage collection statuses DigitalOcean reports. Any other status, such as
// the "waiting for delete requests" seen stuck in the wild, counts as active.
const (
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusCancelled  = "cancelled"
	StatusCancelling = "cancelling"
)

// Terminal reports whether a garbage collection status is final.
func Terminal(status string) bool {
	switch status {
	case StatusSucceeded, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// A Run is one garbage collection as DigitalOcean reports it.
type Run struct {
	UUID         string
	Status       string
	Type         string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	BlobsDeleted uint64
	FreedBytes   uint64
}

// Policy is the schedule of one GarbageCollectionSchedule.
type Policy struct {
	Schedule *Schedule
	// Window after a slot during which a run may still start.
	Window time.Duration
	// QuietPeriod without manifest pushes required before a start.
	QuietPeriod time.Duration
	// MaxDuration after which an active run is cancelled; 0 means never.
	MaxDuration time.Duration
	// Suspend stops new starts; a run exceeding MaxDuration is still
	// cancelled, because a stuck read-only registry is what it guards against.
	Suspend bool
	// ActivePoll is how often an active run is looked at again.
	ActivePoll time.Duration
}

// Input is what DigitalOcean and the object's status say at Now.
type Input struct {
	Now time.Time
	// Active is the registry's active run, whoever started it, or nil.
	Active *Run
	// History of runs on the registry, in any order. It is the memory that
	// survives restarts and is shared by replicas.
	History []Run
	// LatestPush is the newest manifest push to the registry; zero if none.
	LatestPush time.Time
	// HandledSlot is the latest slot the object's status records as handled:
	// a run started or found for it, or a final skip. This memory can only
	// prevent a start, never cause one: it guards against a DigitalOcean clock
	// running behind ours (a run we started seeming to predate its slot) and
	// lets a reconcile skip reading the history once a slot is settled.
	HandledSlot time.Time
}

// Action is what the controller should do now.
type Action string

// Actions.
const (
	// Nothing to do until RequeueAt.
	Nothing Action = "Nothing"
	// Start a run for Slot.
	Start Action = "Start"
	// Wait until RequeueAt: Slot is due but cannot start yet.
	Wait Action = "Wait"
	// Skip Slot: its window closed without a start. Reported every time
	// the closed slot is looked at; the controller records it once.
	Skip Action = "Skip"
	// Cancel the active run: it exceeded MaxDuration.
	Cancel Action = "Cancel"
)

// A Decision says what to do about the current slot.
type Decision struct {
	Action Action
	// Slot is the latest slot at or before Now, zero if there is none.
	Slot time.Time
	// SlotRun is the run that served Slot, if any: the earliest run created
	// at or after the slot.
	SlotRun *Run
	// Next is the first slot after Now, zero when suspended or none.
	Next time.Time
	// Reason explains Wait, Skip and Cancel.
	Reason string
	// RequeueAt is when to look again.
	RequeueAt time.Time
}

// Decide what to do at in.Now. It is a pure function of its inputs, so any
// replica, before or after a restart, reaches the same decision.
func Decide(p Policy, in Input) Decision {
	now := in.Now
	d := Decision{Action: Nothing, Slot: p.Schedule.Prev(now)}
	if !p.Suspend {
		d.Next = p.Schedule.Next(now)
	}
	poll := p.ActivePoll
	if poll <= 0 {
		poll = 30 * time.Second
	}
	if !d.Slot.IsZero() {
		d.SlotRun = slotRun(d.Slot, in)
	}

	if a := in.Active; a != nil {
		d.RequeueAt = now.Add(poll)
		if p.MaxDuration > 0 {
			deadline := a.CreatedAt.Add(p.MaxDuration)
			if !now.Before(deadline) && a.Status != StatusCancelling {
				d.Action = Cancel
				d.Reason = fmt.Sprintf("garbage collection %s has been active since %s, longer than maxDuration %s", a.UUID, fmtTime(a.CreatedAt), p.MaxDuration)
				return d
			}
			if deadline.After(now) && deadline.Before(d.RequeueAt) {
				d.RequeueAt = deadline
			}
		}
		if p.Suspend || d.Slot.IsZero() || d.SlotRun != nil || in.HandledSlot.Equal(d.Slot) {
			d.Action = Nothing
			return d
		}
		end := d.Slot.Add(p.Window)
		if !now.Before(end) {
			d.Action = Skip
			d.Reason = fmt.Sprintf("window of %s after %s closed while garbage collection %s (%s) was active", p.Window, fmtTime(d.Slot), a.UUID, a.Status)
			return d
		}
		d.Action = Wait
		d.Reason = fmt.Sprintf("garbage collection %s (%s) is active; a registry runs one at a time", a.UUID, a.Status)
		if end.Before(d.RequeueAt) {
			d.RequeueAt = end
		}
		return d
	}

	d.RequeueAt = d.Next
	if p.Suspend || d.Slot.IsZero() || d.SlotRun != nil || in.HandledSlot.Equal(d.Slot) {
		return d
	}
	end := d.Slot.Add(p.Window)
	var quietAt time.Time
	if !in.LatestPush.IsZero() {
		quietAt = in.LatestPush.Add(p.QuietPeriod)
	}
	if !now.Before(end) {
		d.Action = Skip
		d.Reason = fmt.Sprintf("window of %s after %s closed before a run could start", p.Window, fmtTime(d.Slot))
		// A push in the window's last quietPeriod kept it from being quiet
		// when the window closed.
		if !in.LatestPush.IsZero() && in.LatestPush.After(end.Add(-p.QuietPeriod)) && !in.LatestPush.After(end) {
			d.Reason += fmt.Sprintf(": the registry was not quiet (last manifest push %s, quietPeriod %s)", fmtTime(in.LatestPush), p.QuietPeriod)
		}
		return d
	}
	if !quietAt.IsZero() && now.Before(quietAt) {
		d.Action = Wait
		d.RequeueAt = quietAt
		if !end.After(quietAt) {
			d.RequeueAt = end
		}
		d.Reason = fmt.Sprintf("deferred: a manifest was pushed at %s, within quietPeriod %s; next check %s, window closes %s",
			fmtTime(in.LatestPush), p.QuietPeriod, fmtTime(d.RequeueAt), fmtTime(end))
		return d
	}
	d.Action = Start
	d.RequeueAt = now.Add(poll)
	return d
}

// slotRun returns the earliest run created at or after slot.
func slotRun(slot time.Time, in Input) *Run {
	var r *Run
	for i := range in.History {
		h := &in.History[i]
		if h.CreatedAt.Before(slot) {
			continue
		}
		if r == nil || h.CreatedAt.Before(r.CreatedAt) {
			r = h
		}
	}
	if r == nil && in.Active != nil && !in.Active.CreatedAt.Before(slot) {
		r = in.Active
	}
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
