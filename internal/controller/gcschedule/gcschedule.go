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

// Package gcschedule runs the GarbageCollectionSchedule controller: it starts
// DigitalOcean registry garbage collections on a cron schedule when the
// registry is quiet, never while another run is active and never twice for
// one slot, and cancels runs that exceed maxDuration. See
// docs/garbage-collection.md.
package gcschedule

import (
	"context"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
	"github.com/crossplane-contrib/provider-docr/internal/registryref"
	"github.com/crossplane-contrib/provider-docr/internal/schedule"
)

// Defaults of the schedule's durations (also CRD defaults).
const (
	DefaultWindow      = time.Hour
	DefaultQuietPeriod = 15 * time.Minute
	// ActivePoll is how often an active run is looked at.
	ActivePoll = 30 * time.Second
	// conflictRetry: a start answered 409 (a run became active meanwhile) is
	// looked at again this soon.
	conflictRetry = 5 * time.Second
)

// Event reasons.
const (
	ReasonStarted    event.Reason = "Started"
	ReasonSucceeded  event.Reason = "Succeeded"
	ReasonFailed     event.Reason = "Failed"
	ReasonSkipped    event.Reason = "Skipped"
	ReasonDeferred   event.Reason = "Deferred"
	ReasonCancelling event.Reason = "Cancelling"
	ReasonCancelled  event.Reason = "Cancelled"
)

// Setup adds the GarbageCollectionSchedule controller to mgr.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.GarbageCollectionScheduleKind)
	clk := o.GetClock()
	due := schedule.NewDue(clk)
	rec := event.NewAPIRecorder(mgr.GetEventRecorderFor(name))
	c := &Connector{
		Kube:     mgr.GetClient(),
		Clients:  clients.NewConnector(mgr.GetClient(), o.Clients),
		NewAPI:   NewAPI,
		Clock:    clk,
		Recorder: rec,
		Due:      due,
	}
	opts, err := o.ManagedReconcilerOptions(mgr, name, rec, &v1alpha1.GarbageCollectionScheduleList{})
	if err != nil {
		return err
	}
	opts = append(opts,
		managed.WithTypedExternalConnector[*v1alpha1.GarbageCollectionSchedule](c),
		managed.WithPollIntervalHook(due.Hook),
		// There is nothing to name at DigitalOcean: no external-name default.
		managed.WithInitializers(),
	)
	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.GarbageCollectionScheduleGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		WithEventFilter(resource.DesiredStateChanged()).
		For(&v1alpha1.GarbageCollectionSchedule{}).
		Complete(ratelimiter.NewReconciler(name, errors.WithSilentRequeueOnConflict(r), o.GlobalRateLimiter))
}

// A Connector makes the external client of one reconcile.
type Connector struct {
	Kube    client.Reader
	Clients interface {
		Connect(ctx context.Context, mg resource.ModernManaged) (*clients.Client, error)
	}
	NewAPI   func(*clients.Client) API
	Clock    clock.PassiveClock
	Recorder event.Recorder
	Due      *schedule.Due
}

// Connect reads the provider config and returns the external client.
func (c *Connector) Connect(ctx context.Context, mg *v1alpha1.GarbageCollectionSchedule) (managed.TypedExternalClient[*v1alpha1.GarbageCollectionSchedule], error) {
	cl, err := c.Clients.Connect(ctx, mg)
	if err != nil {
		return nil, err
	}
	return &external{kube: c.Kube, api: c.NewAPI(cl), clock: c.Clock, rec: c.Recorder, due: c.Due}, nil
}

type external struct {
	kube  client.Reader
	api   API
	clock clock.PassiveClock
	rec   event.Recorder
	due   *schedule.Due

	// Set by Observe for Update and Delete of the same reconcile.
	registry string
	decision schedule.Decision
	active   *schedule.Run
}

// policy reads and checks the spec. Errors name the field.
func policy(fp v1alpha1.GarbageCollectionScheduleParameters) (schedule.Policy, error) {
	s, err := schedule.Parse(fp.Schedule, fp.TimeZone)
	if err != nil {
		return schedule.Policy{}, errors.New("forProvider." + err.Error())
	}
	p := schedule.Policy{Schedule: s, Window: DefaultWindow, QuietPeriod: DefaultQuietPeriod, Suspend: fp.Suspend, ActivePoll: ActivePoll}
	if fp.Window != nil {
		p.Window = fp.Window.Duration
	}
	if fp.QuietPeriod != nil {
		p.QuietPeriod = fp.QuietPeriod.Duration
	}
	if fp.MaxDuration != nil {
		p.MaxDuration = fp.MaxDuration.Duration
	}
	switch {
	case p.Window <= 0:
		return p, errors.Errorf("forProvider.window must be positive, got %s", p.Window)
	case p.QuietPeriod < 0:
		return p, errors.Errorf("forProvider.quietPeriod must not be negative, got %s", p.QuietPeriod)
	case p.MaxDuration < 0 || fp.MaxDuration != nil && p.MaxDuration == 0:
		return p, errors.Errorf("forProvider.maxDuration must be positive, got %s", p.MaxDuration)
	}
	if _, err := DOType(fp.Type); err != nil {
		return p, err
	}
	return p, nil
}

// RegistryName resolves the one registry a schedule or policy targets.
func RegistryName(ctx context.Context, kube client.Reader, mg resource.Managed, t v1alpha1.RegistryTarget) (string, error) {
	ts := v1alpha1.RegistryTargets{RegistrySelector: t.RegistrySelector}
	if t.RegistryName != "" {
		ts.RegistryNames = []string{t.RegistryName}
	}
	if t.RegistryRef != nil {
		ts.RegistryRefs = []xpv2.Reference{*t.RegistryRef}
	}
	names, err := registryref.Names(ctx, kube, mg, ts)
	if err != nil {
		return "", err
	}
	if len(names) != 1 {
		return "", errors.Errorf("forProvider.registryName, registryRef and registrySelector resolve to %d registries %v; a schedule targets exactly one", len(names), names)
	}
	return names[0], nil
}

func (e *external) Observe(ctx context.Context, mg *v1alpha1.GarbageCollectionSchedule) (managed.ExternalObservation, error) {
	fp := mg.Spec.ForProvider
	st := &mg.Status.AtProvider
	if meta.WasDeleted(mg) {
		return e.observeDeleted(ctx, mg)
	}
	p, err := policy(fp)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if e.registry, err = RegistryName(ctx, e.kube, mg, fp.RegistryTarget); err != nil {
		return managed.ExternalObservation{}, err
	}
	if e.active, err = e.api.Active(ctx, e.registry); err != nil {
		return managed.ExternalObservation{}, err
	}

	now := e.clock.Now()
	slot := p.Schedule.Prev(now)
	in := schedule.Input{Now: now, Active: e.active, HandledSlot: handledSlot(st)}
	// The history decides whether the current slot has had its run. Once the
	// status settled the slot and no recorded run is pending, it is not read.
	if !in.HandledSlot.Equal(slot) || slot.IsZero() || pending(st, e.active) {
		if in.History, err = e.api.History(ctx, e.registry); err != nil {
			return managed.ExternalObservation{}, err
		}
	}
	d := schedule.Decide(p, in)
	// The latest push is read only when it matters: before a start, and to
	// explain a skip.
	if (d.Action == schedule.Start || d.Action == schedule.Skip) && p.QuietPeriod > 0 {
		if in.LatestPush, err = e.api.LatestPush(ctx, e.registry); err != nil {
			return managed.ExternalObservation{}, err
		}
		d = schedule.Decide(p, in)
	}
	e.decision = d

	e.record(mg, in, d)
	e.due.Set(mg.GetUID(), d.RequeueAt)
	mg.SetConditions(xpv2.Available())
	return managed.ExternalObservation{
		ResourceExists:   true,
		ResourceUpToDate: d.Action != schedule.Start && d.Action != schedule.Cancel,
	}, nil
}

// observeDeleted reports whether deleting the schedule must cancel a run
// first. Deleting leaves runs alone, unless cancelOnDelete asks to cancel the
// run the schedule started itself. Nothing blocks the deletion otherwise, not
// even a registry that is gone.
func (e *external) observeDeleted(ctx context.Context, mg *v1alpha1.GarbageCollectionSchedule) (managed.ExternalObservation, error) {
	e.due.Set(mg.GetUID(), time.Time{})
	gone := managed.ExternalObservation{ResourceExists: false}
	if !mg.Spec.ForProvider.CancelOnDelete {
		return gone, nil
	}
	var err error
	if e.registry, err = RegistryName(ctx, e.kube, mg, mg.Spec.ForProvider.RegistryTarget); err != nil {
		return gone, nil //nolint:nilerr // A registry that cannot be found has no run to cancel.
	}
	if e.active, err = e.api.Active(ctx, e.registry); err != nil {
		return managed.ExternalObservation{}, err
	}
	st := &mg.Status.AtProvider
	cancel := e.active != nil && e.active.Status != schedule.StatusCancelling && startedHere(st, e.active.UUID)
	return managed.ExternalObservation{ResourceExists: cancel, ResourceUpToDate: true}, nil
}

// record brings the status up to date with what DigitalOcean reported and
// what was decided, emitting events for changes.
func (e *external) record(mg *v1alpha1.GarbageCollectionSchedule, in schedule.Input, d schedule.Decision) {
	st := &mg.Status.AtProvider
	// The first look at a new schedule (or one whose status was lost) finds
	// the latest slot long past: that is no skip worth a warning.
	first := st.LastScheduledTime == nil
	st.NextRunTime = mtime(d.Next)
	if !d.Slot.IsZero() {
		st.LastScheduledTime = mtime(d.Slot)
	}
	e.refreshRuns(mg, in, d)

	switch d.Action {
	case schedule.Wait:
		retry := d.RequeueAt
		if s := st.LastSkip; s == nil || !sameTime(s.Slot, d.Slot) || !s.WillRetry {
			e.rec.Event(mg, event.Normal(ReasonDeferred, "Slot "+fmtTime(d.Slot)+" "+d.Reason))
		}
		st.LastSkip = &v1alpha1.GarbageCollectionSkip{Slot: mtime(d.Slot), Reason: d.Reason, WillRetry: true, RetryAt: mtime(retry)}
	case schedule.Skip:
		if first {
			st.LastSkip = &v1alpha1.GarbageCollectionSkip{Slot: mtime(d.Slot), Reason: "the slot's window had closed when the schedule was first observed"}
			return
		}
		if s := st.LastSkip; s == nil || !sameTime(s.Slot, d.Slot) || s.WillRetry {
			e.rec.Event(mg, event.Warning(ReasonSkipped, errors.New("Skipped slot "+fmtTime(d.Slot)+": "+d.Reason)))
		}
		st.LastSkip = &v1alpha1.GarbageCollectionSkip{Slot: mtime(d.Slot), Reason: d.Reason}
	}
}

// refreshRuns updates recorded runs from DigitalOcean, adopts the run that
// served the current slot if the status does not know it yet (a run started
// elsewhere, or a status update lost in a restart), and keeps the totals.
func (e *external) refreshRuns(mg *v1alpha1.GarbageCollectionSchedule, in schedule.Input, d schedule.Decision) {
	st := &mg.Status.AtProvider
	fresh := map[string]schedule.Run{}
	for _, r := range in.History {
		fresh[r.UUID] = r
	}
	if in.Active != nil {
		fresh[in.Active.UUID] = *in.Active
	}
	for i := range st.RecentRuns {
		rr := &st.RecentRuns[i]
		f, ok := fresh[rr.UUID]
		if !ok || f.Status == rr.Status && f.FreedBytes == uint64(rr.FreedBytes) {
			continue
		}
		wasTerminal := schedule.Terminal(rr.Status)
		fillRun(rr, f)
		if !wasTerminal && schedule.Terminal(f.Status) {
			if rr.StartedBySchedule {
				st.TotalFreedBytes += rr.FreedBytes
			}
			e.finished(mg, *rr)
		}
	}
	// A run that served the current slot and is not recorded yet is shown
	// as the slot's run: one started elsewhere, or ours after a status update
	// was lost. DigitalOcean cannot tell which, so it does not count in the
	// totals of runs this schedule started.
	if sr := d.SlotRun; sr != nil && !own(st, sr.UUID) {
		rr := v1alpha1.GarbageCollectionRun{Slot: mtime(d.Slot)}
		fillRun(&rr, *sr)
		addRun(st, rr)
	}
	if len(st.RecentRuns) > 0 {
		lr := st.RecentRuns[0]
		st.LastRun = &lr
	}
}

func (e *external) finished(mg *v1alpha1.GarbageCollectionSchedule, r v1alpha1.GarbageCollectionRun) {
	switch r.Status {
	case schedule.StatusSucceeded:
		e.rec.Event(mg, event.Normal(ReasonSucceeded, "Garbage collection "+r.UUID+" succeeded: deleted "+itoa(r.BlobsDeleted)+" blobs, freed "+itoa(r.FreedBytes)+" bytes"))
	case schedule.StatusCancelled:
		e.rec.Event(mg, event.Warning(ReasonCancelled, errors.New("Garbage collection "+r.UUID+" was cancelled")))
	default:
		e.rec.Event(mg, event.Warning(ReasonFailed, errors.New("Garbage collection "+r.UUID+" ended with status "+r.Status)))
	}
}

func (e *external) Create(_ context.Context, _ *v1alpha1.GarbageCollectionSchedule) (managed.ExternalCreation, error) {
	// Observe always reports the schedule as existing: there is nothing to
	// create at DigitalOcean.
	return managed.ExternalCreation{}, nil
}

// Update acts on Observe's decision: start a run for the slot, or cancel a
// run that exceeded maxDuration.
func (e *external) Update(ctx context.Context, mg *v1alpha1.GarbageCollectionSchedule) (managed.ExternalUpdate, error) {
	d := e.decision
	st := &mg.Status.AtProvider
	switch d.Action {
	case schedule.Start:
		t, err := DOType(mg.Spec.ForProvider.Type)
		if err != nil {
			return managed.ExternalUpdate{}, err
		}
		r, err := e.api.Start(ctx, e.registry, t)
		if clients.IsConflict(err) {
			// Someone started a run between our look and our start: the
			// next reconcile sees it and decides again.
			e.due.Set(mg.GetUID(), e.clock.Now().Add(conflictRetry))
			return managed.ExternalUpdate{}, nil
		}
		if err != nil {
			return managed.ExternalUpdate{}, err
		}
		rr := v1alpha1.GarbageCollectionRun{Slot: mtime(d.Slot), StartedBySchedule: true}
		fillRun(&rr, *r)
		addRun(st, rr)
		st.LastRun = &rr
		if s := st.LastSkip; s != nil && sameTime(s.Slot, d.Slot) {
			s.WillRetry, s.RetryAt = false, nil
		}
		e.rec.Event(mg, event.Normal(ReasonStarted, "Started garbage collection "+r.UUID+" ("+string(t)+") of registry "+e.registry+" for slot "+fmtTime(d.Slot)))
	case schedule.Cancel:
		if err := e.api.Cancel(ctx, e.registry, e.active.UUID); err != nil {
			return managed.ExternalUpdate{}, err
		}
		e.rec.Event(mg, event.Warning(ReasonCancelling, errors.New("Cancelling: "+d.Reason)))
	}
	return managed.ExternalUpdate{}, nil
}

// Delete cancels the schedule's own active run when cancelOnDelete is set;
// Observe reports nothing to delete otherwise.
func (e *external) Delete(ctx context.Context, mg *v1alpha1.GarbageCollectionSchedule) (managed.ExternalDelete, error) {
	if e.active == nil {
		return managed.ExternalDelete{}, nil
	}
	if err := e.api.Cancel(ctx, e.registry, e.active.UUID); err != nil {
		return managed.ExternalDelete{}, err
	}
	e.rec.Event(mg, event.Warning(ReasonCancelling, errors.New("Cancelling garbage collection "+e.active.UUID+": the schedule is deleted and cancelOnDelete is true")))
	return managed.ExternalDelete{}, nil
}

func (e *external) Disconnect(_ context.Context) error { return nil }
