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

	clocktesting "k8s.io/utils/clock/testing"
)

func TestDueAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clocktesting.NewFakeClock(now)
	d := NewDue(c)
	cases := map[string]struct {
		at   time.Time
		poll time.Duration
		want time.Duration
	}{
		"Unknown":       {poll: time.Minute, want: time.Minute},
		"BeforePoll":    {at: now.Add(10 * time.Second), poll: time.Minute, want: 10 * time.Second},
		"AfterPoll":     {at: now.Add(time.Hour), poll: time.Minute, want: time.Minute},
		"AlreadyDue":    {at: now.Add(-time.Hour), poll: time.Minute, want: MinRequeue},
		"NoPollCeiling": {at: now.Add(time.Hour), poll: 0, want: time.Hour},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d.Set("uid", tc.at)
			if got := d.After("uid", tc.poll); got != tc.want {
				t.Errorf("After = %s, want %s", got, tc.want)
			}
		})
	}
}
