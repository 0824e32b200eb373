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
	"github.com/robfig/cron/v3"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// slots lists n slots after from, in UTC RFC 3339.
func slots(t *testing.T, s *Schedule, from time.Time, n int) []string {
	t.Helper()
	var out []string
	c := from
	for i := 0; i < n; i++ {
		c = s.Next(c)
		if c.IsZero() {
			t.Fatalf("Next(%s) found no slot", from)
		}
		out = append(out, c.UTC().Format(time.RFC3339))
	}
	return out
}

// TestRobfigDST pins the robfig/cron/v3 behaviour that Schedule corrects: if
// a new version changes it, the mapping in Schedule.instant needs a look.
func TestRobfigDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	next := func(spec string, from time.Time, n int) []string {
		s, err := parser.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		s.(*cron.SpecSchedule).Location = ny
		var out []string
		for i := 0; i < n; i++ {
			from = s.Next(from)
			out = append(out, from.UTC().Format(time.RFC3339))
		}
		return out
	}
	// 02:30 does not exist on 2026-03-08: robfig skips that day.
	if diff := cmp.Diff([]string{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"}, next("30 2 * * *", utc("2026-03-07T00:00:00Z"), 2)); diff != "" {
		t.Errorf("robfig spring-forward (-want +got):\n%s", diff)
	}
	// 01:30 happens twice on 2026-11-01: robfig fires twice.
	if diff := cmp.Diff([]string{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"}, next("30 1 * * *", utc("2026-11-01T00:00:00Z"), 2)); diff != "" {
		t.Errorf("robfig fall-back (-want +got):\n%s", diff)
	}
}

func TestNext(t *testing.T) {
	cases := map[string]struct {
		spec string
		tz   string
		from string
		want []string
	}{
		// Sunday 03:00 New York: 08:00Z in winter, 07:00Z in summer, exact
		// on both transition Sundays (2026-03-08 and 2026-11-01).
		"WeeklyAcrossSpringForward": {
			spec: "0 3 * * 0", tz: "America/New_York", from: "2026-02-28T00:00:00Z",
			want: []string{"2026-03-01T08:00:00Z", "2026-03-08T07:00:00Z", "2026-03-15T07:00:00Z"},
		},
		"WeeklyAcrossFallBack": {
			spec: "0 3 * * 0", tz: "America/New_York", from: "2026-10-24T00:00:00Z",
			want: []string{"2026-10-25T07:00:00Z", "2026-11-01T08:00:00Z", "2026-11-08T08:00:00Z"},
		},
		// 02:30 on the spring-forward Sunday does not exist: it fires when
		// the gap ends, 03:00 EDT = 07:00Z, instead of being dropped.
		"WeeklyInSpringForwardGap": {
			spec: "30 2 * * 0", tz: "America/New_York", from: "2026-03-01T00:00:00Z",
			want: []string{"2026-03-01T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-15T06:30:00Z"},
		},
		// 01:30 on the fall-back Sunday happens twice: it fires once, at
		// 01:30 EDT = 05:30Z.
		"WeeklyInFallBackRepeat": {
			spec: "30 1 * * 0", tz: "America/New_York", from: "2026-10-25T00:00:00Z",
			want: []string{"2026-10-25T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-08T06:30:00Z"},
		},
		// Every 30 minutes through the repeated hour: no wall time twice.
		"HalfHourlyThroughFallBack": {
			spec: "*/30 1,2 1 11 *", tz: "America/New_York", from: "2026-11-01T04:00:00Z",
			want: []string{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z"},
		},
		// 02:00 and 02:30 both fall in the gap: one slot at 03:00 EDT, then 03:00 itself is the same instant.
		"GapSlotsMerge": {
			spec: "0,30 2,3 8 3 *", tz: "America/New_York", from: "2026-03-08T00:00:00Z",
			want: []string{"2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z", "2027-03-08T07:00:00Z"},
		},
		"UTCDefault": {
			spec: "15 4 * * *", tz: "", from: "2026-06-01T04:15:00Z",
			want: []string{"2026-06-02T04:15:00Z", "2026-06-03T04:15:00Z"},
		},
		// Lord Howe Island moves its clocks by 30 minutes.
		"HalfHourShift": {
			spec: "15 2 * * *", tz: "Australia/Lord_Howe", from: "2026-10-03T00:00:00Z",
			// 2026-10-04 02:00 local jumps to 02:30: 02:15 fires at 02:30 (+11) = 15:30Z on 10-03.
			want: []string{"2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(tc.spec, tc.tz)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, slots(t, s, utc(tc.from), len(tc.want))); diff != "" {
				t.Errorf("Next (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrev(t *testing.T) {
	cases := map[string]struct {
		spec string
		tz   string
		at   string
		want string
	}{
		"AtSlotIsThatSlot":    {spec: "0 3 * * 0", tz: "America/New_York", at: "2026-03-08T07:00:00Z", want: "2026-03-08T07:00:00Z"},
		"JustBeforeSlot":      {spec: "0 3 * * 0", tz: "America/New_York", at: "2026-03-08T06:59:59Z", want: "2026-03-01T08:00:00Z"},
		"GapSlot":             {spec: "30 2 * * 0", tz: "America/New_York", at: "2026-03-08T07:10:00Z", want: "2026-03-08T07:00:00Z"},
		"SecondOccurrence":    {spec: "30 1 * * 0", tz: "America/New_York", at: "2026-11-01T06:45:00Z", want: "2026-11-01T05:30:00Z"},
		"YearlyLooksFarBack":  {spec: "0 0 1 1 *", tz: "Europe/Berlin", at: "2026-12-31T00:00:00Z", want: "2025-12-31T23:00:00Z"},
		"LeapDayLooksFarBack": {spec: "0 12 29 2 *", tz: "UTC", at: "2027-06-01T00:00:00Z", want: "2024-02-29T12:00:00Z"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(tc.spec, tc.tz)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, s.Prev(utc(tc.at)).UTC().Format(time.RFC3339)); diff != "" {
				t.Errorf("Prev (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrevNextAgree checks on a dense schedule around both transitions that
// Prev and Next walk the same sequence of slots.
func TestPrevNextAgree(t *testing.T) {
	s, err := Parse("*/20 0-4 * * *", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []time.Time{utc("2026-03-08T03:00:00Z"), utc("2026-11-01T03:00:00Z")} {
		c := s.Next(from)
		for i := 0; i < 20; i++ {
			n := s.Next(c)
			if got := s.Prev(n.Add(-time.Second)); !got.Equal(c) {
				t.Fatalf("Prev(%s - 1s) = %s, want %s", n.UTC(), got.UTC(), c.UTC())
			}
			if got := s.Prev(n); !got.Equal(n) {
				t.Fatalf("Prev(%s) = %s, want itself", n.UTC(), got.UTC())
			}
			c = n
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]struct {
		spec, tz  string
		wantField string
	}{
		"SixFields":    {spec: "0 0 3 * * 0", wantField: "schedule:"},
		"Garbage":      {spec: "every sunday", wantField: "schedule:"},
		"Empty":        {spec: " ", wantField: "schedule:"},
		"Descriptor":   {spec: "@weekly", wantField: "schedule:"},
		"Every":        {spec: "@every 1h", wantField: "schedule:"},
		"TZPrefix":     {spec: "CRON_TZ=UTC 0 3 * * 0", wantField: "schedule:"},
		"OutOfRange":   {spec: "61 3 * * 0", wantField: "schedule:"},
		"NeverFires":   {spec: "0 0 30 2 *", wantField: "schedule:"},
		"UnknownZone":  {spec: "0 3 * * 0", tz: "Mars/Olympus_Mons", wantField: "timeZone:"},
		"LocalRefused": {spec: "0 3 * * 0", tz: "Local", wantField: "timeZone:"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.spec, tc.tz)
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantField) {
				t.Errorf("Parse(%q, %q) = %v, want an error starting %q", tc.spec, tc.tz, err, tc.wantField)
			}
		})
	}
}
