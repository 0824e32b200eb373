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

// Package schedule evaluates cron schedules in IANA time zones with explicit
// daylight saving time rules, and decides when a scheduled garbage collection
// starts, waits, is skipped or is cancelled.
package schedule

import (
	"fmt"
	"strings"
	"time"

	// Embed the time zone database so that time zones resolve in minimal
	// container images that ship no /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// parser accepts the standard five cron fields (minute hour day-of-month month
// day-of-week) and nothing else: no seconds, no descriptors such as @every,
// whose meaning is not a wall-clock schedule.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// A Schedule is a five-field cron schedule evaluated in a time zone.
//
// robfig/cron/v3 evaluated directly in a time zone with daylight saving time
// (its SpecSchedule.Location) silently drops a wall time that falls into the
// spring-forward gap (02:30 on the day clocks jump from 02:00 to 03:00) and
// fires twice for a wall time in the repeated fall-back hour (01:30 EDT and
// 01:30 EST). US transitions happen on Sundays at 02:00, exactly when weekly
// maintenance jobs like to run, so both matter. Schedule therefore lets
// robfig/cron match wall-clock fields only (it runs on a "naive" wall clock
// expressed in UTC, which has no transitions) and maps each matching wall time
// to an instant itself:
//   - a wall time that occurs once maps to that instant;
//   - a wall time that occurs twice (fall-back) fires once, at its first
//     occurrence;
//   - a wall time that does not exist (spring-forward gap) fires at the end of
//     the gap, the first instant the clock shows a later time (03:00 for 02:30
//     in America/New_York), as Vixie cron does.
//
// Several wall times mapping to the same instant form one slot.
type Schedule struct {
	spec string
	loc  *time.Location
	wall cron.Schedule
}

// Parse a five-field cron expression evaluated in the named IANA time zone
// (empty means UTC). Errors name the offending field: schedule or timeZone.
func Parse(spec, timeZone string) (*Schedule, error) {
	loc, err := LoadLocation(timeZone)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, fmt.Errorf("schedule: must not be empty")
	}
	// robfig/cron accepts a TZ= or CRON_TZ= prefix; the time zone has its own
	// field, so a second way to say it would only confuse.
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return nil, fmt.Errorf("schedule: %q: set the time zone in timeZone, not in the schedule", spec)
	}
	if strings.HasPrefix(s, "@") {
		return nil, fmt.Errorf("schedule: %q: descriptors are not supported, use five cron fields (minute hour day-of-month month day-of-week)", spec)
	}
	w, err := parser.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("schedule: %q is not a five-field cron expression: %w", spec, err)
	}
	sch := &Schedule{spec: s, loc: loc, wall: w}
	// robfig/cron gives up after five years; an expression such as
	// "0 0 30 2 *" never matches at all.
	if sch.wall.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("schedule: %q never fires", spec)
	}
	return sch, nil
}

// LoadLocation resolves an IANA time zone name; empty means UTC. "Local" is
// refused: the provider's own time zone is an accident of where it runs.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("timeZone: %q is not allowed, use an IANA name such as America/New_York", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("timeZone: unknown IANA time zone %q", name)
	}
	return loc, nil
}

// String returns the cron expression.
func (s *Schedule) String() string { return s.spec }

// Location returns the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// naive expresses the wall clock of t in s's zone as a UTC time.
func (s *Schedule) naive(t time.Time) time.Time {
	l := t.In(s.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// instant maps a wall time (expressed as naive UTC) to the instant the slot
// fires, following the rules documented on Schedule.
func (s *Schedule) instant(w time.Time) time.Time {
	// Offsets in force around w: real zones change at most once within a day
	// either side, so these cover every candidate.
	seen := map[int]bool{}
	var first time.Time
	for _, probe := range []time.Duration{-26 * time.Hour, 0, 26 * time.Hour} {
		_, off := w.Add(probe).In(s.loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		c := w.Add(-time.Duration(off) * time.Second).In(s.loc)
		if s.naive(c).Equal(w) && (first.IsZero() || c.Before(first)) {
			first = c
		}
	}
	if !first.IsZero() {
		return first
	}
	// The wall time does not exist. Interpreted with the offset in force
	// before the gap it lands after the transition; the zone period it lands
	// in starts exactly when the gap ends.
	_, before := w.Add(-26 * time.Hour).In(s.loc).Zone()
	after := w.Add(-time.Duration(before) * time.Second).In(s.loc)
	start, _ := after.ZoneBounds()
	if start.IsZero() {
		return after
	}
	return start.In(s.loc)
}

// Next returns the first slot strictly after t, in the schedule's zone, or
// the zero time when there is none within five years.
func (s *Schedule) Next(t time.Time) time.Time {
	var next time.Time
	s.scan(t, func(c time.Time) bool {
		if c.After(t) {
			next = c
			return false
		}
		return true
	})
	return next
}

// Prev returns the latest slot at or before t, or the zero time when there is
// none within about five years.
func (s *Schedule) Prev(t time.Time) time.Time {
	// robfig/cron only searches forward: look back over growing spans and
	// take the last slot not after t.
	for back := time.Hour; back <= 6*366*24*time.Hour; back *= 2 {
		var last time.Time
		s.scan(t.Add(-back), func(c time.Time) bool {
			if c.After(t) {
				return false
			}
			last = c
			return true
		})
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}

// scan calls fn with the slots from about t onwards, in order and without
// repeats, until fn returns false or no slot is left within five years.
func (s *Schedule) scan(t time.Time, fn func(time.Time) bool) {
	// Start a few hours early on the wall clock: a slot whose wall time is in
	// a spring-forward gap fires at a later wall time than its own.
	w := s.naive(t).Add(-3 * time.Hour)
	var prev time.Time
	for {
		w = s.wall.Next(w)
		if w.IsZero() {
			return
		}
		c := s.instant(w)
		if !c.After(prev) {
			continue // a repeated wall time, or a gap slot already reported
		}
		prev = c
		if !fn(c) {
			return
		}
	}
}
