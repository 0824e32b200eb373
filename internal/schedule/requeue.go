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
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// MinRequeue keeps a moment already due from becoming a hot loop.
const MinRequeue = time.Second

// Due remembers, per object, the next moment a controller must look at it
// again (a slot, the end of a quiet period, a maxDuration deadline), so that
// the reconcile is requeued for that moment rather than left to the poll
// interval. It is only a hint for timing: every decision is recomputed from
// DigitalOcean and the object on the next reconcile.
type Due struct {
	clock clock.PassiveClock
	mu    sync.Mutex
	at    map[types.UID]time.Time
}

// NewDue makes a Due reading time from c.
func NewDue(c clock.PassiveClock) *Due {
	return &Due{clock: c, at: map[types.UID]time.Time{}}
}

// Set the next due moment of an object; the zero time forgets it.
func (d *Due) Set(uid types.UID, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at.IsZero() {
		delete(d.at, uid)
		return
	}
	d.at[uid] = at
}

// After returns how long to wait before reconciling the object again: until
// its due moment, but never longer than poll and never shorter than
// MinRequeue.
func (d *Due) After(uid types.UID, poll time.Duration) time.Duration {
	d.mu.Lock()
	at, ok := d.at[uid]
	d.mu.Unlock()
	if !ok {
		return poll
	}
	wait := at.Sub(d.clock.Now())
	if wait < MinRequeue {
		wait = MinRequeue
	}
	if poll > 0 && wait > poll {
		wait = poll
	}
	return wait
}

// Hook is a managed.PollIntervalHook requeueing each object at its due moment.
func (d *Due) Hook(mg resource.Managed, poll time.Duration) time.Duration {
	return d.After(mg.GetUID(), poll)
}
