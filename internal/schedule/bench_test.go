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
	"testing"
	"time"
)

// BenchmarkDecide is one reconcile's decision for a weekly schedule with a
// year of weekly history, mid-week (the slot search looks back days).
func BenchmarkDecide(b *testing.B) {
	s, err := Parse("0 3 * * 0", "America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	p := Policy{Schedule: s, Window: time.Hour, QuietPeriod: 15 * time.Minute}
	now := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)
	var h []Run
	for c := now.Add(-365 * 24 * time.Hour); c.Before(now); c = s.Next(c) {
		h = append(h, Run{UUID: c.String(), Status: StatusSucceeded, CreatedAt: c.Add(time.Second)})
	}
	in := Input{Now: now, History: h}
	b.ReportAllocs()
	for b.Loop() {
		if d := Decide(p, in); d.Action != Nothing {
			b.Fatal(d.Action)
		}
	}
}

// BenchmarkPrevEveryMinute is the densest schedule's slot lookup.
func BenchmarkPrevEveryMinute(b *testing.B) {
	s, err := Parse("* * * * *", "Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 3, 29, 1, 30, 30, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		s.Prev(now)
	}
}
