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

// Package retentionpolicy runs the RetentionPolicy controller: on its
// schedule it selects old tags of a registry's repositories, reports them,
// and unless dryRun deletes them through DigitalOcean's delete-tag endpoint.
// The next garbage collection frees the storage. See
// docs/garbage-collection.md.
package retentionpolicy

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	"github.com/crossplane-contrib/provider-docr/internal/controller/gcschedule"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
	"github.com/crossplane-contrib/provider-docr/internal/retention"
	"github.com/crossplane-contrib/provider-docr/internal/schedule"
)

// gcWait is how soon deletions waiting for a garbage collection to end are
// tried again.
const gcWait = 30 * time.Second

// Event reasons.
const (
	ReasonEvaluated   event.Reason = "Evaluated"
	ReasonDeletedTags event.Reason = "DeletedTags"
	ReasonWaitingGC   event.Reason = "WaitingForGarbageCollection"
)

// Setup adds the RetentionPolicy controller to mgr.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.RetentionPolicyKind)
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
	opts, err := o.ManagedReconcilerOptions(mgr, name, rec, &v1alpha1.RetentionPolicyList{})
	if err != nil {
		return err
	}
	opts = append(opts,
		managed.WithTypedExternalConnector[*v1alpha1.RetentionPolicy](c),
		managed.WithPollIntervalHook(due.Hook),
		managed.WithInitializers(),
	)
	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.RetentionPolicyGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		WithEventFilter(resource.DesiredStateChanged()).
		For(&v1alpha1.RetentionPolicy{}).
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
func (c *Connector) Connect(ctx context.Context, mg *v1alpha1.RetentionPolicy) (managed.TypedExternalClient[*v1alpha1.RetentionPolicy], error) {
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

	// Set by Observe for Update.
	registry   string
	policy     *retention.Policy
	candidates []retention.Tag
}

// compile reads and checks the spec. Errors name the field.
func compile(fp v1alpha1.RetentionPolicyParameters) (*retention.Policy, *schedule.Schedule, error) {
	s, err := schedule.Parse(fp.Schedule, fp.TimeZone)
	if err != nil {
		return nil, nil, errors.New("forProvider." + err.Error())
	}
	if fp.KeepLast == nil && fp.OlderThan == nil {
		return nil, nil, errors.New("forProvider: at least one of keepLast or olderThan is required")
	}
	keep := 0
	if fp.KeepLast != nil {
		keep = int(*fp.KeepLast)
	}
	var older time.Duration
	if fp.OlderThan != nil {
		older = fp.OlderThan.Duration
	}
	p, err := retention.Compile(fp.Repositories, fp.Protect, keep, older)
	if err != nil {
		return nil, nil, errors.New("forProvider." + err.Error())
	}
	return p, s, nil
}

func dryRun(fp v1alpha1.RetentionPolicyParameters) bool {
	// Deleting is opt-in: no dryRun field means a dry run.
	return fp.DryRun == nil || *fp.DryRun
}

// due reports whether the policy must be evaluated now: never evaluated, the
// spec changed since, a slot passed since, or the last evaluation stopped
// part-way.
func due(mg *v1alpha1.RetentionPolicy, s *schedule.Schedule, now time.Time) bool {
	st := mg.Status.AtProvider
	if st.LastEvaluationTime == nil || st.EvaluatedGeneration != mg.GetGeneration() || st.Pending > 0 {
		return true
	}
	slot := s.Prev(now)
	return !slot.IsZero() && slot.After(st.LastEvaluationTime.Time)
}

func (e *external) Observe(ctx context.Context, mg *v1alpha1.RetentionPolicy) (managed.ExternalObservation, error) {
	if meta.WasDeleted(mg) {
		// Deleting a policy deletes nothing at DigitalOcean.
		e.due.Set(mg.GetUID(), time.Time{})
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	fp := mg.Spec.ForProvider
	p, s, err := compile(fp)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	e.policy = p
	if e.registry, err = registryName(ctx, e.kube, mg, fp.RegistryTarget); err != nil {
		return managed.ExternalObservation{}, err
	}
	now := e.clock.Now()
	st := &mg.Status.AtProvider
	next := s.Next(now)
	st.NextEvaluationTime = mtime(next)
	e.due.Set(mg.GetUID(), next)
	mg.SetConditions(xpv2.Available())
	if !due(mg, s, now) {
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
	}

	// Deleting waits while a garbage collection makes the registry
	// read-only; evaluating now would only be repeated afterwards.
	if !dryRun(fp) {
		active, err := e.api.GCActive(ctx, e.registry)
		if err != nil {
			return managed.ExternalObservation{}, err
		}
		if active {
			e.due.Set(mg.GetUID(), now.Add(gcWait))
			return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
		}
	}

	// Evaluating only reads: it happens here, so a dry run also works with
	// an observe-only management policy. Deleting happens in Update.
	r, err := e.evaluate(ctx, p, now)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(err, "cannot evaluate the retention policy; nothing was deleted")
	}
	st.Candidates = int64(len(r.Candidates))
	st.ReclaimableBytes = int64(r.ReclaimableBytes) //nolint:gosec // sizes fit.
	st.SampleCandidates = r.Sample
	if dryRun(fp) || len(r.Candidates) == 0 {
		st.Deleted, st.Pending = 0, 0
		st.LastEvaluationTime = mtime(now)
		st.EvaluatedGeneration = mg.GetGeneration()
		e.rec.Event(mg, event.Normal(ReasonEvaluated, evaluated(r, dryRun(fp))))
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
	}
	e.candidates = r.Candidates
	st.Pending = int64(len(r.Candidates))
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, nil
}

func evaluated(r retention.Result, dry bool) string {
	s := fmt.Sprintf("%d tags are candidates for deletion; a garbage collection can then reclaim %d bytes", len(r.Candidates), r.ReclaimableBytes)
	if dry {
		s += " (dry run: nothing deleted)"
	}
	return s
}

// evaluate lists every repository's tags and manifests and applies the
// policy. Manifests of every repository are read, matched or not: blobs are
// shared across a registry's repositories.
func (e *external) evaluate(ctx context.Context, p *retention.Policy, now time.Time) (retention.Result, error) {
	repos, err := e.api.Repositories(ctx, e.registry)
	if err != nil {
		return retention.Result{}, err
	}
	var tags []retention.Tag
	var manifests []retention.Manifest
	for _, repo := range repos {
		if p.Matches(repo) {
			t, err := e.api.Tags(ctx, e.registry, repo)
			if err != nil {
				return retention.Result{}, err
			}
			tags = append(tags, t...)
		}
		m, err := e.api.Manifests(ctx, e.registry, repo)
		if err != nil {
			return retention.Result{}, err
		}
		manifests = append(manifests, m...)
	}
	return p.Evaluate(now, tags, manifests), nil
}

func (e *external) Create(_ context.Context, _ *v1alpha1.RetentionPolicy) (managed.ExternalCreation, error) {
	// Observe always reports the policy as existing.
	return managed.ExternalCreation{}, nil
}

// Update deletes the candidates Observe selected, repository by repository.
// Right before deleting a repository's candidates it lists that repository's
// tags again and deletes only tags the policy still selects with the same
// manifest: a tag pushed again meanwhile is not deleted. A failure part-way
// leaves every tag either deleted or untouched; Pending records how many
// remain and the next reconcile evaluates again and resumes.
func (e *external) Update(ctx context.Context, mg *v1alpha1.RetentionPolicy) (managed.ExternalUpdate, error) {
	st := &mg.Status.AtProvider
	now := e.clock.Now()
	active, err := e.api.GCActive(ctx, e.registry)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	if active {
		// The registry is read-only during a garbage collection.
		e.due.Set(mg.GetUID(), now.Add(gcWait))
		e.rec.Event(mg, event.Normal(ReasonWaitingGC, "A garbage collection is active on registry "+e.registry+"; deleting tags after it ends"))
		return managed.ExternalUpdate{}, nil
	}
	byRepo := map[string][]retention.Tag{}
	var order []string
	for _, c := range e.candidates {
		if _, ok := byRepo[c.Repository]; !ok {
			order = append(order, c.Repository)
		}
		byRepo[c.Repository] = append(byRepo[c.Repository], c)
	}
	deleted := 0
	total := len(e.candidates)
	fail := func(err error) (managed.ExternalUpdate, error) {
		st.Deleted = int64(deleted)
		st.Pending = int64(total - deleted)
		if deleted > 0 {
			e.rec.Event(mg, event.Normal(ReasonDeletedTags, fmt.Sprintf("Deleted %d of %d candidate tags before a failure", deleted, total)))
		}
		return managed.ExternalUpdate{}, errors.Wrapf(err, "deleted %d of %d candidate tags, then failed; every tag is either deleted or untouched and the next evaluation resumes", deleted, total)
	}
	for _, repo := range order {
		fresh, err := e.api.Tags(ctx, e.registry, repo)
		if err != nil {
			return fail(err)
		}
		still, _ := e.policy.Select(now, fresh)
		sel := map[string]string{}
		for _, t := range still {
			sel[t.Tag] = t.Digest
		}
		for _, c := range byRepo[repo] {
			if d, ok := sel[c.Tag]; !ok || d != c.Digest {
				total-- // changed since the evaluation: left alone
				continue
			}
			if err := e.api.DeleteTag(ctx, e.registry, repo, c.Tag); err != nil {
				return fail(err)
			}
			deleted++
		}
	}
	st.Deleted = int64(deleted)
	st.Pending = 0
	st.LastEvaluationTime = mtime(now)
	st.EvaluatedGeneration = mg.GetGeneration()
	e.rec.Event(mg, event.Normal(ReasonDeletedTags, fmt.Sprintf("Deleted %d tags; the next garbage collection can reclaim %d bytes", deleted, st.ReclaimableBytes)))
	return managed.ExternalUpdate{}, nil
}

func (e *external) Delete(_ context.Context, _ *v1alpha1.RetentionPolicy) (managed.ExternalDelete, error) {
	return managed.ExternalDelete{}, nil
}

func (e *external) Disconnect(_ context.Context) error { return nil }

// registryName resolves the one registry the policy targets.
var registryName = gcschedule.RegistryName

func mtime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	m := metav1.NewTime(t.UTC())
	return &m
}
