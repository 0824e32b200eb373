package cronslot

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestShift(t *testing.T) {
	cases := map[string]struct {
		expr    string
		by      time.Duration
		want    string
		wantErr string // substring
	}{
		"Zero":                        {expr: "0 3 * * 0", by: 0, want: "0 3 * * 0"},
		"TwoHours":                    {expr: "0 3 * * 0", by: 2 * time.Hour, want: "0 5 * * 0"},
		"MinutesCarryIntoHour":        {expr: "45 3 * * 0", by: 30 * time.Minute, want: "15 4 * * 0"},
		"HoursCarryIntoNextWeekday":   {expr: "30 23 * * 6", by: time.Hour, want: "30 0 * * 0"},
		"MoreThanADay":                {expr: "0 3 * * 0", by: 27 * time.Hour, want: "0 6 * * 1"},
		"WholeWeekIsSameSlot":         {expr: "0 3 * * 0", by: 7 * 24 * time.Hour, want: "0 3 * * 0"},
		"DailyWrapsPastMidnight":      {expr: "0 23 * * *", by: 2 * time.Hour, want: "0 1 * * *"},
		"DailyMixedHoursEveryDay":     {expr: "0 11,23 * * *", by: 2 * time.Hour, want: "0 1,13 * * *"},
		"RoundsUpToWholeMinute":       {expr: "0 3 * * 0", by: time.Hour + 30*time.Second, want: "1 4 * * 0"},
		"WeekdayListShifts":           {expr: "0 22 * * 1-5", by: 3 * time.Hour, want: "0 1 * * 2-6"},
		"WeekdayNamesAccepted":        {expr: "0 3 * * sun", by: time.Hour, want: "0 4 * * 0"},
		"DescriptorWeekly":            {expr: "@weekly", by: 2 * time.Hour, want: "0 2 * * 0"},
		"DayOfMonthShifts":            {expr: "0 23 1,15 * *", by: 2 * time.Hour, want: "0 1 2,16 * *"},
		"MonthsKeptWhenDayStaysIn":    {expr: "0 3 1 1,7 *", by: 2 * time.Hour, want: "0 5 1 1,7 *"},
		"EveryQuarterHourEveryDay":    {expr: "*/15 * * * *", by: 20 * time.Minute, want: "5,20,35,50 * * * *"},
		"StarMinutesEveryDayStayStar": {expr: "* * * * *", by: 20 * time.Minute, want: "* * * * *"},
		"MixedMinuteCarry":            {expr: "10,50 3 * * 0", by: 20 * time.Minute, wantErr: "some minutes into the next hour"},
		"HourlyOnSundayOnly":          {expr: "0 * * * 0", by: time.Hour, wantErr: "some hours into the next day"},
		"DayOfMonthPastThe28th":       {expr: "0 23 28 * *", by: 2 * time.Hour, wantErr: "not every month has"},
		"DailyInJanuaryOnly":          {expr: "0 23 * 1 *", by: 2 * time.Hour, wantErr: "out of the selected months"},
		"WeekdayInSelectedMonths":     {expr: "0 23 * 1 1", by: 2 * time.Hour, wantErr: "out of the selected months"},
		"NegativeShift":               {expr: "0 3 * * 0", by: -time.Hour, wantErr: "negative"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.expr, err)
			}
			got, err := s.Shift(tc.by)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Shift(%s) error = %v, want containing %q", tc.by, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Shift(%s): %v", tc.by, err)
			}
			if diff := cmp.Diff(tc.want, got.String()); diff != "" {
				t.Errorf("Shift(%s): -want +got:\n%s", tc.by, diff)
			}
			assertShifted(t, s, got, tc.by)
		})
	}
}

// assertShifted proves a shift by brute force: over two years the shifted schedule fires
// exactly at the base schedule's slots plus the (minute-rounded) shift.
func assertShifted(t *testing.T, base, shifted *Schedule, by time.Duration) {
	t.Helper()
	by = (by + time.Minute - 1).Truncate(time.Minute)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(2, 0, 0)
	want := map[time.Time]bool{}
	for ts := base.Next(start.Add(-time.Second), time.UTC); !ts.IsZero() && ts.Before(end) && len(want) < 20000; ts = base.Next(ts, time.UTC) {
		want[ts.Add(by)] = true
	}
	n := 0
	for ts := shifted.Next(start.Add(by-time.Second), time.UTC); !ts.IsZero() && ts.Before(end.Add(by)) && n < 20000; ts = shifted.Next(ts, time.UTC) {
		n++
		if !want[ts] {
			t.Fatalf("shifted schedule %q fires at %s, base %q +%s does not", shifted, ts, base, by)
		}
		delete(want, ts)
	}
	if n < 20000 && len(want) > 0 {
		for ts := range want {
			t.Fatalf("base %q +%s fires at %s, shifted %q does not", base, by, ts, shifted)
		}
	}
}

func TestParse(t *testing.T) {
	cases := map[string]struct {
		expr    string
		wantErr string
	}{
		"FiveFields":     {expr: "0 3 * * 0"},
		"Descriptor":     {expr: "@daily"},
		"Empty":          {expr: " ", wantErr: "empty schedule"},
		"SixFields":      {expr: "0 0 3 * * 0", wantErr: "not a 5-field cron"},
		"OutOfRange":     {expr: "0 25 * * 0", wantErr: "not a 5-field cron"},
		"Interval":       {expr: "@every 1h", wantErr: "interval"},
		"TimeZoneInline": {expr: "CRON_TZ=UTC 0 3 * * 0", wantErr: "set timeZone"},
		"Garbage":        {expr: "tuesday", wantErr: "not a 5-field cron"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.expr)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Parse(%q): %v", tc.expr, err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Parse(%q) error = %v, want containing %q", tc.expr, err, tc.wantErr)
			}
		})
	}
}

func TestMinGap(t *testing.T) {
	cases := map[string]struct {
		expr    string
		want    time.Duration
		wantErr string
	}{
		"Weekly":               {expr: "0 3 * * 0", want: 7 * 24 * time.Hour},
		"Daily":                {expr: "0 3 * * *", want: 24 * time.Hour},
		"TwiceADay":            {expr: "0 3,9 * * *", want: 6 * time.Hour},
		"TwiceADayWrapCloser":  {expr: "0 1,22 * * *", want: 3 * time.Hour},
		"Weekdays":             {expr: "0 3 * * 1-5", want: 24 * time.Hour},
		"MonAndThu":            {expr: "0 3 * * 1,4", want: 3 * 24 * time.Hour},
		"Monthly":              {expr: "0 3 1 * *", want: 28 * 24 * time.Hour},
		"LateEveningThenEarly": {expr: "0 0,23 * * 0,1", want: time.Hour},
		"Hourly":               {expr: "0 * * * *", want: time.Hour},
		"NeverFires":           {expr: "0 3 30 2 *", wantErr: "never fires"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.MinGap()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("MinGap() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("MinGap(%q) = %s, want %s", tc.expr, got, tc.want)
			}
			// Cross-check against consecutive Next() over a year.
			var brute time.Duration
			prev := s.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC)
			for i := 0; i < 3000; i++ {
				n := s.Next(prev, time.UTC)
				if d := n.Sub(prev); brute == 0 || d < brute {
					brute = d
				}
				prev = n
			}
			if brute != got {
				t.Errorf("MinGap(%q) = %s, consecutive slots show %s", tc.expr, got, brute)
			}
		})
	}
}

// FuzzShift checks that Parse and Shift never panic and that every shift they accept is
// exact (checked against the base schedule slot by slot).
func FuzzShift(f *testing.F) {
	for _, s := range []string{"0 3 * * 0", "30 23 * * 6", "*/15 * * * *", "0 23 28 * *", "0 0 1 1 *", "@weekly", "5-10/2 1,13 * 2-11 mon-fri", "0 3 30 2 *"} {
		f.Add(s, uint32(120))
		f.Add(s, uint32(25*60+7))
	}
	f.Fuzz(func(t *testing.T, expr string, minutes uint32) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		_, _ = s.MinGap()
		by := time.Duration(minutes%(14*24*60)) * time.Minute
		shifted, err := s.Shift(by)
		if err != nil {
			return
		}
		if _, err := Parse(shifted.String()); err != nil {
			t.Fatalf("Shift(%q, %s) = %q, which does not parse: %v", expr, by, shifted, err)
		}
		// Slot by slot over a stretch of time: each base slot plus the shift is a shifted slot.
		start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		ts := s.Next(start, time.UTC)
		for i := 0; i < 200 && !ts.IsZero(); i++ {
			want := ts.Add(by)
			if got := shifted.Next(want.Add(-time.Second), time.UTC); !got.Equal(want) {
				t.Fatalf("Shift(%q, %s) = %q: base slot %s should move to %s, next shifted slot is %s", expr, by, shifted, ts, want, got)
			}
			ts = s.Next(ts, time.UTC)
		}
	})
}
