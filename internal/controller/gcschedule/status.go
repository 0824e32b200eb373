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
	"sort"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/schedule"
)

// MaxRecentRuns is how many runs the status lists.
const MaxRecentRuns = 10

// handledSlot is the latest slot the status settled: a run recorded for it,
// or a final skip.
func handledSlot(st *v1alpha1.GarbageCollectionScheduleObservation) time.Time {
	var t time.Time
	if r := st.LastRun; r != nil && r.Slot != nil {
		t = r.Slot.Time
	}
	if s := st.LastSkip; s != nil && s.Slot != nil && !s.WillRetry && s.Slot.After(t) {
		t = s.Slot.Time
	}
	return t
}

// pending reports a recorded run that has not ended and is not the active
// run: its final status is only in the history.
func pending(st *v1alpha1.GarbageCollectionScheduleObservation, active *schedule.Run) bool {
	for _, r := range st.RecentRuns {
		if schedule.Terminal(r.Status) {
			continue
		}
		if active == nil || active.UUID != r.UUID {
			return true
		}
	}
	return false
}

// own reports whether the status records the run.
func own(st *v1alpha1.GarbageCollectionScheduleObservation, uuid string) bool {
	for _, r := range st.RecentRuns {
		if r.UUID == uuid {
			return true
		}
	}
	return false
}

// startedHere reports whether the status records the run as started by this
// schedule.
func startedHere(st *v1alpha1.GarbageCollectionScheduleObservation, uuid string) bool {
	for _, r := range st.RecentRuns {
		if r.UUID == uuid {
			return r.StartedBySchedule
		}
	}
	return false
}

// fillRun copies what DigitalOcean reports about a run into its status.
func fillRun(rr *v1alpha1.GarbageCollectionRun, r schedule.Run) {
	rr.UUID = r.UUID
	rr.Type = r.Type
	rr.Status = r.Status
	rr.StartedAt = mtime(r.CreatedAt)
	rr.BlobsDeleted = int64(r.BlobsDeleted) //nolint:gosec // counts fit.
	rr.FreedBytes = int64(r.FreedBytes)     //nolint:gosec // sizes fit.
	rr.FinishedAt = nil
	if schedule.Terminal(r.Status) {
		rr.FinishedAt = mtime(r.UpdatedAt)
	}
}

// addRun records a run newest first, keeping MaxRecentRuns, and counts it if
// this schedule started it.
func addRun(st *v1alpha1.GarbageCollectionScheduleObservation, rr v1alpha1.GarbageCollectionRun) {
	st.RecentRuns = append([]v1alpha1.GarbageCollectionRun{rr}, st.RecentRuns...)
	sort.SliceStable(st.RecentRuns, func(i, j int) bool {
		a, b := st.RecentRuns[i].StartedAt, st.RecentRuns[j].StartedAt
		return a != nil && (b == nil || a.After(b.Time))
	})
	if len(st.RecentRuns) > MaxRecentRuns {
		st.RecentRuns = st.RecentRuns[:MaxRecentRuns]
	}
	if rr.StartedBySchedule {
		st.TotalRuns++
	}
}

func mtime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	m := metav1.NewTime(t.UTC())
	return &m
}

func sameTime(m *metav1.Time, t time.Time) bool {
	return m != nil && m.Time.Equal(t)
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
