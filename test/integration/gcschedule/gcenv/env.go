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

// Package gcenv adapts the shared integration environment (test/env) to the
// garbage collection and retention tests: the GarbageCollectionSchedule and
// RetentionPolicy controllers only, and one fake clock driving both them and
// the simulator, stepped by the test.
package gcenv

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/controller/gcschedule"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
	"github.com/crossplane-contrib/provider-docr/internal/controller/retentionpolicy"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

// Poll is the controllers' poll interval in real time. Scheduled moments
// are on the fake clock: a step of the clock is noticed within a poll.
const Poll = 300 * time.Millisecond

// Timeout of every wait: generous for a loaded 2-core machine.
const Timeout = 120 * time.Second

// Env is one test's environment.
type Env struct {
	*env.Env
	T     *testing.T
	Clock *clocktesting.FakeClock
	// DO is a godo client acting behind the provider's back, like doctl.
	DO *godo.Client
}

// Options of an environment.
type Options struct {
	// Start is the fake clock's initial time.
	Start time.Time
	// Registries seeded in the simulator, in the environment's account.
	Registries []docrsim.SeedRegistry
	// GCPhases of the simulator's garbage collections.
	GCPhases docrsim.GCPhases
	// RealClock runs controllers and simulator on the real clock (Start
	// and Env.Clock are unused then).
	RealClock bool
	// Poll overrides the poll interval.
	Poll time.Duration
}

// New starts a simulator and the two controllers on the shared control
// plane (see test/env), in a fresh namespace with a ProviderConfig
// "default" pointing at the simulator. Everything stops when the test ends.
func New(t *testing.T, o Options) *Env {
	t.Helper()
	clk := clocktesting.NewFakeClock(o.Start)
	var c clock.Clock = clk
	if o.RealClock {
		clk, c = nil, nil
	}
	poll := Poll
	if o.Poll > 0 {
		poll = o.Poll
	}
	regs := append([]docrsim.SeedRegistry(nil), o.Registries...)
	for i := range regs {
		regs[i].Account = env.Account
		if regs[i].Region == "" {
			regs[i].Region = "nyc3"
		}
	}
	e := env.Start(t, env.Options{
		// The simulator's rate-limit windows run on its clock: a fake clock
		// held still for seconds of real time would fill them. Rate limits
		// are not what these tests are about.
		Sim:    docrsim.Options{Registries: regs, GCPhases: o.GCPhases, RateLimit: docrsim.RateLimit{Disabled: true}},
		Setups: []func(ctrl.Manager, options.Options) error{gcschedule.Setup, retentionpolicy.Setup},
		Poll:   poll,
		Clock:  c,
	})
	return &Env{Env: e, T: t, Clock: clk, DO: e.DO(t)}
}

// StartProvider starts the controllers again after StopProvider, as a
// restarted provider process would.
func (e *Env) StartProvider() {
	e.T.Helper()
	e.Env.StartProvider(e.T)
}

// StopProvider stops the controllers and waits until they are gone.
func (e *Env) StopProvider() {
	e.T.Helper()
	e.Env.StopProvider(e.T)
}

// Eventually polls cond until it holds or Timeout passes.
func (e *Env) Eventually(what string, cond func() (bool, error)) {
	e.T.Helper()
	deadline := time.Now().Add(Timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	e.T.Fatalf("timed out after %s waiting for %s (last error: %v)\nprovider logs (last lines):\n%s", Timeout, what, last, tailLines(e.Logs(), 60))
}

// GCRequests counts the GET active garbage collection requests the simulator
// served: each reconcile of a schedule makes one.
func (e *Env) GCRequests() int {
	return e.Sim.Stats().Count("GET", "/v2/registries/{registry_name}/garbage-collection", 0)
}

// Settle waits until the controllers have looked at DigitalOcean at least n
// more times (counted by GET active garbage collection requests), so a test
// can assert that something did not happen after a clock step.
func (e *Env) Settle(n int) {
	e.T.Helper()
	start := e.GCRequests()
	e.Eventually(fmt.Sprintf("%d more reconciles", n), func() (bool, error) {
		return e.GCRequests() >= start+n, nil
	})
}

// Runs returns the registry's garbage collections, oldest first.
func (e *Env) Runs(registry string) []docrsim.GarbageCollectionInfo {
	rs := e.Sim.GarbageCollections(registry)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].CreatedAt.Before(rs[j].CreatedAt) })
	return rs
}

// EventReasons returns the reasons of the events about an object, oldest first.
func (e *Env) EventReasons(name string) []string {
	l := &corev1.EventList{}
	if err := e.Kube.List(context.Background(), l, client.InNamespace(e.Namespace)); err != nil {
		return nil
	}
	sort.SliceStable(l.Items, func(i, j int) bool { return l.Items[i].FirstTimestamp.Before(&l.Items[j].FirstTimestamp) })
	var out []string
	for _, ev := range l.Items {
		if ev.InvolvedObject.Name == name {
			out = append(out, ev.Reason)
		}
	}
	return out
}

// HasEvent reports whether an event with the reason was recorded about an
// object.
func (e *Env) HasEvent(name, reason string) bool {
	for _, r := range e.EventReasons(name) {
		if r == reason {
			return true
		}
	}
	return false
}

// ProviderConfigRef is the reference to the environment's ProviderConfig.
func ProviderConfigRef() *xpv2.ProviderConfigReference {
	return &xpv2.ProviderConfigReference{Kind: v1alpha1.ProviderConfigKind, Name: "default"}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
