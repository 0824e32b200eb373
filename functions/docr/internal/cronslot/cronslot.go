// Package cronslot parses 5-field cron schedules and shifts them by a duration, so that
// one base garbage-collection slot can be staggered across several registries.
//
// Cron cannot express every shift: "23:30 on Sundays" shifted by one hour is "00:30 on
// Mondays" (expressible), but "every hour at :50" shifted by 20 minutes on Sundays only is
// not (the 23:50 run would move to Monday while the others stay on Sunday). Shift computes
// the exact shifted set of wall-clock instants and refuses, with a reason, when no cron
// expression denotes it. Wall-clock means the schedule's time zone: across a daylight
// saving change a slot may move by the change's size, as any cron slot does.
package cronslot

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// starBit is robfig/cron's marker for a field written as "*" (it changes how
// day-of-month and day-of-week combine).
const starBit = 1 << 63

type field struct {
	min, max uint
}

var (
	minutes = field{0, 59}
	hours   = field{0, 23}
	doms    = field{1, 31}
	months  = field{1, 12}
	dows    = field{0, 6}
)

func (f field) full() uint64 { return (1<<(f.max+1) - 1) &^ (1<<f.min - 1) }

// A Schedule is a parsed cron schedule with minute resolution.
type Schedule struct {
	expr string
	spec cron.SpecSchedule
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse accepts five cron fields (minute hour day-of-month month day-of-week, names like
// "sun" and "jan" allowed) or a descriptor (@yearly, @monthly, @weekly, @daily, @hourly).
// Time zones are not part of the expression: they are a separate field.
func Parse(expr string) (*Schedule, error) {
	e := strings.TrimSpace(expr)
	switch {
	case e == "":
		return nil, fmt.Errorf("empty schedule; write five cron fields such as \"0 3 * * 0\"")
	case strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ="):
		return nil, fmt.Errorf("%q carries a time zone; remove the prefix and set timeZone instead", expr)
	case strings.HasPrefix(e, "@every"):
		return nil, fmt.Errorf("%q is an interval, not a slot; write five cron fields such as \"0 3 * * 0\"", expr)
	}
	s, err := parser.Parse(e)
	if err != nil {
		return nil, fmt.Errorf("%q is not a 5-field cron schedule: %v", expr, err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%q is not a 5-field cron schedule", expr)
	}
	for _, f := range []struct {
		name string
		set  uint64
		f    field
	}{{"minute", spec.Minute, minutes}, {"hour", spec.Hour, hours}, {"day-of-month", spec.Dom, doms}, {"month", spec.Month, months}, {"day-of-week", spec.Dow, dows}} {
		if f.set&f.f.full() == 0 {
			return nil, fmt.Errorf("%q is not a 5-field cron schedule: its %s field selects nothing", expr, f.name)
		}
	}
	out := &Schedule{expr: e, spec: *spec}
	out.spec.Location = time.UTC
	if strings.HasPrefix(e, "@") {
		out.expr = out.render()
	}
	return out, nil
}

// String is the schedule as five cron fields: the expression as written for a parsed
// schedule, a normalised one for a shifted schedule or a descriptor.
func (s *Schedule) String() string { return s.expr }

// Next is the first slot strictly after t, in loc; zero if none within five years.
func (s *Schedule) Next(t time.Time, loc *time.Location) time.Time {
	spec := s.spec
	spec.Location = loc
	return spec.Next(t)
}

// Shift returns the schedule whose slots are this schedule's slots plus d (rounded up
// to whole minutes, cron's resolution), or an error saying why cron cannot express it.
func (s *Schedule) Shift(d time.Duration) (*Schedule, error) {
	if d < 0 {
		return nil, fmt.Errorf("cannot shift by a negative duration %s", d)
	}
	total := int((d + time.Minute - 1) / time.Minute)
	if total == 0 {
		return s, nil
	}
	out := *s
	sp := &out.spec
	everyDay := s.everyDay()

	// Minutes, carrying into hours.
	var carry carryKind
	sp.Minute, carry = rotate(s.spec.Minute, total%60, minutes)
	hourShift := (total / 60) % 24
	dayShift := total / (60 * 24)
	switch carry {
	case carryAll:
		hourShift++
	case carryMixed:
		if s.spec.Hour&hours.full() != hours.full() || !everyDay {
			return nil, fmt.Errorf("shifting %q by %s moves some minutes into the next hour but not others; "+
				"use a single minute value or a shorter shift", s.expr, d)
		}
		// Every minute-of-hour pattern repeats each hour of each day: no carry needed.
		hourShift, dayShift = 0, 0
	}

	// Hours, carrying into days.
	if hourShift >= 24 {
		hourShift -= 24
		dayShift++
	}
	sp.Hour, carry = rotate(s.spec.Hour, hourShift, hours)
	switch carry {
	case carryAll:
		dayShift++
	case carryMixed:
		if !everyDay {
			return nil, fmt.Errorf("shifting %q by %s moves some hours into the next day but not others; "+
				"use a single hour value or run every day", s.expr, d)
		}
		dayShift = 0
	}

	if dayShift > 0 && !everyDay {
		if err := s.shiftDays(sp, dayShift); err != nil {
			return nil, fmt.Errorf("shifting %q by %s: %w", s.expr, d, err)
		}
	}
	out.expr = out.render()
	return &out, nil
}

func (s *Schedule) shiftDays(sp *cron.SpecSchedule, days int) error {
	domStar, dowStar := s.spec.Dom&starBit != 0, s.spec.Dow&starBit != 0
	allMonths := s.spec.Month&months.full() == months.full()
	switch {
	case dowStar && domStar:
		// Every day of the selected months: a shift past midnight leaves the month.
		return fmt.Errorf("the slot moves past midnight out of the selected months; run in every month or shift less")
	case domStar && !dowStar:
		if !allMonths {
			return fmt.Errorf("the slot moves past midnight out of the selected months; run in every month or shift less")
		}
		sp.Dow, _ = rotate(s.spec.Dow, days%7, dows)
		return nil
	}
	if !domStar && !dowStar && !allMonths {
		// Either day-of-month or weekday selects a day; a weekday at the end of a
		// selected month would move into a month that is not selected.
		return fmt.Errorf("the slot moves past midnight out of the selected months; run in every month or shift less")
	}
	// Day-of-month is restricted: shift it within the month, which is exact only when no
	// selected day (plus the shift) passes the 28th, the last day every month has.
	if hi := 63 - bits.LeadingZeros64(s.spec.Dom&doms.full()); hi+days > 28 {
		return fmt.Errorf("day-of-month %d moves to %d, which not every month has; use days 1-%d", hi, hi+days, 28-days)
	}
	sp.Dom = (s.spec.Dom & doms.full()) << days
	if !dowStar {
		sp.Dow, _ = rotate(s.spec.Dow, days%7, dows)
	} else {
		sp.Dow = s.spec.Dow
	}
	return nil
}

// everyDay reports whether the schedule fires on every day of the year.
func (s *Schedule) everyDay() bool {
	if s.spec.Month&months.full() != months.full() {
		return false
	}
	domFull := s.spec.Dom&doms.full() == doms.full()
	dowFull := s.spec.Dow&dows.full() == dows.full()
	if s.spec.Dom&starBit != 0 || s.spec.Dow&starBit != 0 {
		return domFull && dowFull
	}
	return domFull || dowFull
}

type carryKind int

const (
	carryNone carryKind = iota
	carryAll
	carryMixed
)

// rotate adds by to every value of a cyclic field, reporting whether values wrapped.
func rotate(set uint64, by int, f field) (uint64, carryKind) {
	star := set & starBit
	set &= f.full()
	if by == 0 {
		return set | star, carryNone
	}
	n := int(f.max - f.min + 1)
	var out uint64
	wrapped, stayed := false, false
	for v := int(f.min); v <= int(f.max); v++ {
		if set&(1<<uint(v)) == 0 {
			continue
		}
		nv := v - int(f.min) + by
		if nv >= n {
			wrapped = true
		} else {
			stayed = true
		}
		out |= 1 << uint(nv%n+int(f.min))
	}
	if out == f.full() {
		// A full field stays full (and keeps being "*").
		out |= star
	}
	switch {
	case wrapped && stayed:
		return out, carryMixed
	case wrapped:
		return out, carryAll
	}
	return out, carryNone
}

// MinGap is the shortest time between two consecutive slots (wall clock), or an error
// when the schedule never fires.
func (s *Schedule) MinGap() (time.Duration, error) {
	var first, last, prev, intra = -1, -1, -1, -1
	for h := 0; h < 24; h++ {
		if s.spec.Hour&(1<<uint(h)) == 0 {
			continue
		}
		for m := 0; m < 60; m++ {
			if s.spec.Minute&(1<<uint(m)) == 0 {
				continue
			}
			t := h*60 + m
			if first < 0 {
				first = t
			}
			if prev >= 0 && (intra < 0 || t-prev < intra) {
				intra = t - prev
			}
			prev, last = t, t
		}
	}
	if first < 0 {
		return 0, fmt.Errorf("%q never fires", s.expr)
	}
	days, err := s.minDayGap()
	if err != nil {
		return 0, err
	}
	gap := days*24*60 - (last - first)
	if intra > 0 && intra < gap {
		gap = intra
	}
	return time.Duration(gap) * time.Minute, nil
}

// minDayGap is the fewest days between two consecutive days the schedule fires on.
func (s *Schedule) minDayGap() (int, error) {
	if s.everyDay() {
		return 1, nil
	}
	if s.spec.Dom&starBit != 0 && s.spec.Month&months.full() == months.full() {
		// Weekly pattern: the smallest circular distance between selected weekdays.
		return circularGap(s.spec.Dow&dows.full(), 7), nil
	}
	// Calendar pattern: walk eight years from a leap year (Feb 29 fires every four years;
	// a schedule that fires less often than that never overlaps itself anyway).
	best, prev, i := -1, -1, 0
	weekday := int(time.Saturday) // 2000-01-01
	for y := 2000; y < 2008; y++ {
		for m := 1; m <= 12; m++ {
			n := daysIn(y, m)
			for d := 1; d <= n; d, i, weekday = d+1, i+1, (weekday+1)%7 {
				if s.spec.Month&(1<<uint(m)) == 0 || !s.dayMatches(d, weekday) {
					continue
				}
				if prev >= 0 && (best < 0 || i-prev < best) {
					best = i - prev
				}
				prev = i
			}
		}
	}
	switch {
	case prev < 0:
		return 0, fmt.Errorf("%q never fires (no such day)", s.expr)
	case best < 0:
		return 8 * 366, nil
	}
	return best, nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func circularGap(set uint64, n int) int {
	best, first, prev := n, -1, -1
	for v := 0; v < n; v++ {
		if set&(1<<uint(v)) == 0 {
			continue
		}
		if first < 0 {
			first = v
		}
		if prev >= 0 && v-prev < best {
			best = v - prev
		}
		prev = v
	}
	if first >= 0 && first+n-prev < best {
		best = first + n - prev
	}
	return best
}

// dayMatches mirrors robfig/cron: "*" in either day field means both must match.
func (s *Schedule) dayMatches(dom, weekday int) bool {
	domOK := s.spec.Dom&(1<<uint(dom)) != 0
	dowOK := s.spec.Dow&(1<<uint(weekday)) != 0
	if s.spec.Dom&starBit != 0 || s.spec.Dow&starBit != 0 {
		return domOK && dowOK
	}
	return domOK || dowOK
}

func (s *Schedule) render() string {
	var b strings.Builder
	for i, f := range []struct {
		set uint64
		f   field
	}{{s.spec.Minute, minutes}, {s.spec.Hour, hours}, {s.spec.Dom, doms}, {s.spec.Month, months}, {s.spec.Dow, dows}} {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeField(&b, f.set, f.f)
	}
	return b.String()
}

// writeField writes "*" for a star field, else values and runs of three or more as ranges.
func writeField(b *strings.Builder, set uint64, f field) {
	if set&starBit != 0 {
		b.WriteByte('*')
		return
	}
	sep := false
	for v := f.min; v <= f.max; v++ {
		if set&(1<<v) == 0 {
			continue
		}
		end := v
		for end+1 <= f.max && set&(1<<(end+1)) != 0 {
			end++
		}
		if sep {
			b.WriteByte(',')
		}
		sep = true
		b.WriteString(strconv.Itoa(int(v)))
		if end-v >= 2 { // two adjacent values read better as a list
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(end)))
			v = end
		}
	}
}
