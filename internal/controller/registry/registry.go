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

// Package registry manages DigitalOcean container registries (multi-registry
// API only) as Registry managed resources.
//
// Request budget (see docs/provider.md): one DigitalOcean request per poll,
// two per create, two per delete. Each Observe makes exactly one request: the
// registry (GET /v2/registries/{name}) or, at most every other poll and when
// due, its active garbage collection (readOnly). The registry returned by
// POST stands in for the re-observation right after create, and a successful
// DELETE stands in for the observation that confirms the registry is gone.
package registry

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

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
)

// ServerURL is the host of every DigitalOcean registry.
const ServerURL = "registry.digitalocean.com"

// Connection detail keys.
const (
	ConnectionEndpoint = "endpoint"
	ConnectionServer   = "server"
)

const (
	// gcEvery is how often a poll asks for the active garbage collection
	// instead of the registry while none is active. While one is active it is
	// asked for every other poll, to see it end.
	gcEvery = 5 * time.Minute
	// terminalRetryAfter: a create refused for a reason only the user can fix
	// is not retried until the Registry changes, or this much time passes
	// (the name may free up; the account may be upgraded).
	terminalRetryAfter = time.Hour
	// limitRetryAfter is shorter: a tier change can lift a registry limit.
	// A Subscription changed by this process lifts it at once.
	limitRetryAfter = 2 * time.Minute
	// freshFor is how long an answer from DigitalOcean stands for the
	// registry. It is wall time, shorter than any sensible poll interval:
	// it only spares requests to reconciles that the provider's own writes
	// trigger right after an observation or a create.
	freshFor = 900 * time.Millisecond
)

// Reasons of the Ready condition for refused creates.
const (
	ReasonNameTaken         xpv2.ConditionReason = "NameTaken"
	ReasonRegionUnavailable xpv2.ConditionReason = "RegionUnavailable"
	ReasonRegistryLimit     xpv2.ConditionReason = "RegistryLimit"
	ReasonInvalid           xpv2.ConditionReason = "InvalidRequest"
)

var nameRE = regexp.MustCompile(v1alpha1.RegistryNamePattern)

// API is the part of godo's RegistriesService this controller uses.
type API interface {
	Get(ctx context.Context, name string) (*godo.Registry, *godo.Response, error)
	Create(ctx context.Context, req *godo.RegistryCreateRequest) (*godo.Registry, *godo.Response, error)
	Delete(ctx context.Context, name string) (*godo.Response, error)
	GetGarbageCollection(ctx context.Context, name string) (*godo.GarbageCollection, *godo.Response, error)
}

// Setup adds the Registry controller to mgr.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.RegistryGroupVersionKind.GroupKind().String())
	conn := &connector{
		clients: clients.NewConnector(mgr.GetClient(), o.Clients),
		newAPI:  func(c *clients.Client) API { return c.Registries },
		memos:   newMemos(),
		clock:   o.GetClock(),
	}
	rec := event.NewAPIRecorder(mgr.GetEventRecorderFor(name))
	opts, err := o.ManagedReconcilerOptions(mgr, name, rec, &v1alpha1.RegistryList{})
	if err != nil {
		return err
	}
	opts = append(opts,
		managed.WithTypedExternalConnector[*v1alpha1.Registry](conn),
		// The external name is the registry name, known before creation: a
		// create interrupted mid-way is safe to retry (Observe finds it).
		managed.WithDeterministicExternalName(true),
		// DigitalOcean answers a GET right after a POST consistently, and the
		// POST's answer is observed anyway: no grace period in which a
		// missing registry is not believed (it would delay drift repair and
		// deletion of young registries by 30s).
		managed.WithCreationGracePeriod(0),
	)
	opts = append(opts, o.PollJitterOptions()...)
	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.RegistryGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.Registry{}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// memo is what the controller remembers about one Registry between
// reconciles, to save requests. Losing it (a restart) costs a request or two.
type memo struct {
	// fresh: last (POST's answer, or a GET's) is younger than
	// freshFor and stands for the registry without a request. Reconciles
	// triggered by the provider's own writes (status, annotations) do not
	// each ask DigitalOcean again.
	freshUntil time.Time
	freshGen   int64
	freshName  string
	// deleted: DELETE succeeded, the registry is gone.
	deleted bool
	// refused is a create refused for a reason only the user can fix.
	refused *refusal
	// lastWasRegistry: the previous Observe asked for the registry and found it.
	lastWasRegistry bool
	// last is the registry last observed; a garbage collection poll builds
	// the status from it, not from a possibly stale object.
	last        *godo.Registry
	gcCheckedAt time.Time
	gcActive    bool
}

type refusal struct {
	// changes is the account's change count when refused; a registry limit
	// refusal ends when it moves (a Subscription changed the tier).
	changes    uint64
	generation int64
	name       string
	region     string
	until      time.Time
	reason     xpv2.ConditionReason
	err        error
}

type memos struct {
	mu sync.Mutex
	m  map[types.UID]*memo
}

func newMemos() *memos { return &memos{m: map[types.UID]*memo{}} }

// with runs fn with the memo of uid, under the lock.
func (m *memos) with(uid types.UID, fn func(*memo)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[uid]
	if !ok {
		e = &memo{}
		m.m[uid] = e
	}
	fn(e)
}

func (m *memos) forget(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, uid)
}

type connector struct {
	clients *clients.Connector
	newAPI  func(*clients.Client) API
	memos   *memos
	clock   clock.PassiveClock
}

func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Registry) (managed.TypedExternalClient[*v1alpha1.Registry], error) {
	cl, err := c.clients.Connect(ctx, cr)
	if err != nil {
		return nil, err
	}
	return &external{api: c.newAPI(cl), memos: c.memos, clock: c.clock, accountChanges: cl.AccountChanges}, nil
}

type external struct {
	api   API
	memos *memos
	clock clock.PassiveClock
	// now is the wall clock of freshFor (time.Now when nil).
	now func() time.Time
	// accountChanges counts account-wide changes made by this process
	// (clients.Client.AccountChanges); nil counts none.
	accountChanges func() uint64
}

func (e *external) changes() uint64 {
	if e.accountChanges == nil {
		return 0
	}
	return e.accountChanges()
}

func (e *external) wall() time.Time {
	if e.now == nil {
		return time.Now()
	}
	return e.now()
}

// registryName is the external name, checked against DigitalOcean's rules.
func registryName(cr *v1alpha1.Registry) (string, error) {
	n := meta.GetExternalName(cr)
	if n == "" {
		n = cr.GetName()
	}
	if !nameRE.MatchString(n) {
		return "", errors.Errorf("external name %q (annotation %s) is not a valid DigitalOcean registry name: 1-63 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit", n, meta.AnnotationKeyExternalName)
	}
	return n, nil
}

func connectionDetails(name string) managed.ConnectionDetails {
	return managed.ConnectionDetails{
		ConnectionEndpoint: []byte(ServerURL + "/" + name),
		ConnectionServer:   []byte(ServerURL),
	}
}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.Registry) (managed.ExternalObservation, error) {
	name, err := registryName(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	var (
		fresh         bool
		deleted       bool
		refused       *refusal
		askGC         bool
		now           = e.clock.Now()
		lastWasExists bool
		last          *godo.Registry
	)
	e.memos.with(cr.GetUID(), func(m *memo) {
		fresh = m.last != nil && m.freshName == name && m.freshGen == cr.GetGeneration() && e.wall().Before(m.freshUntil)
		deleted, refused = m.deleted, m.refused
		lastWasExists, last = m.lastWasRegistry, m.last
		askGC = m.lastWasRegistry && m.last != nil && (m.gcActive || now.Sub(m.gcCheckedAt) >= gcEvery)
	})

	if meta.WasDeleted(cr) {
		if deleted || refused != nil {
			// Deleted, or never created (its create was refused).
			e.memos.forget(cr.GetUID())
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		if cr.Spec.ForProvider.DeletionProtection && lastWasExists {
			// Delete will refuse; no need to ask DigitalOcean again.
			return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
		}
	}

	if refused != nil {
		lifted := refused.reason == ReasonRegistryLimit && e.changes() != refused.changes
		if refused.generation == cr.GetGeneration() && refused.name == name && now.Before(refused.until) && !lifted {
			cr.SetConditions(refusedCondition(refused.reason, refused.err))
			return managed.ExternalObservation{}, refused.err
		}
		e.memos.with(cr.GetUID(), func(m *memo) { m.refused = nil })
	}

	if fresh && !meta.WasDeleted(cr) {
		return e.observed(cr, name, last), nil
	}

	if askGC && !meta.WasDeleted(cr) {
		setRegistry(cr, name, last)
		return e.observeGC(ctx, cr, name, now)
	}

	r, _, err := e.api.Get(ctx, name)
	if clients.IsNotFound(err) {
		e.memos.with(cr.GetUID(), func(m *memo) { m.lastWasRegistry = false })
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(clients.Describe(err), "cannot get registry %q", name)
	}
	return e.observed(cr, name, r), nil
}

// observeGC spends this poll's request on the active garbage collection.
func (e *external) observeGC(ctx context.Context, cr *v1alpha1.Registry, name string, now time.Time) (managed.ExternalObservation, error) {
	gc, _, err := e.api.GetGarbageCollection(ctx, name)
	switch {
	case clients.IsNotFound(err):
		// No active run (or no registry: the next poll asks for the registry).
		cr.SetConditions(xpv2.Available())
		cr.Status.AtProvider.ReadOnly = false
		cr.Status.AtProvider.ActiveGarbageCollection = nil
	case err != nil:
		return managed.ExternalObservation{}, errors.Wrapf(clients.Describe(err), "cannot get the active garbage collection of registry %q", name)
	default:
		cr.SetConditions(xpv2.Available())
		cr.Status.AtProvider.ReadOnly = true
		cr.Status.AtProvider.ActiveGarbageCollection = &v1alpha1.ActiveGarbageCollection{UUID: gc.UUID, Status: gc.Status, Type: string(gc.Type)}
	}
	active := cr.Status.AtProvider.ReadOnly
	e.memos.with(cr.GetUID(), func(m *memo) {
		m.lastWasRegistry, m.gcCheckedAt, m.gcActive = false, now, active
	})
	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  cr.Status.AtProvider.Region == cr.Spec.ForProvider.Region,
		ConnectionDetails: connectionDetails(name),
	}, nil
}

// observed records a registry DigitalOcean returned.
func (e *external) observed(cr *v1alpha1.Registry, name string, r *godo.Registry) managed.ExternalObservation {
	setRegistry(cr, name, r)
	e.memos.with(cr.GetUID(), func(m *memo) {
		if m.last != r {
			// A new answer from DigitalOcean: fresh for a moment.
			m.freshUntil, m.freshGen, m.freshName = e.wall().Add(freshFor), cr.GetGeneration(), name
		}
		m.lastWasRegistry, m.last = true, r
	})
	cr.SetConditions(xpv2.Available())
	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  r.Region == cr.Spec.ForProvider.Region,
		ConnectionDetails: connectionDetails(name),
	}
}

func setRegistry(cr *v1alpha1.Registry, name string, r *godo.Registry) {
	at := &cr.Status.AtProvider
	at.UUID, at.Name, at.Region = r.UUID, r.Name, r.Region
	at.CreatedAt = timeOrNil(r.CreatedAt)
	at.StorageUsageBytes = int64(min(r.StorageUsageBytes, uint64(1<<63-1)))
	at.StorageUsageUpdatedAt = timeOrNil(r.StorageUsageBytesUpdatedAt)
	at.ServerURL = ServerURL
	at.Endpoint = ServerURL + "/" + name
}

func timeOrNil(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t)
	return &mt
}

func (e *external) Create(ctx context.Context, cr *v1alpha1.Registry) (managed.ExternalCreation, error) {
	name, err := registryName(cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	region := cr.Spec.ForProvider.Region
	changes := e.changes()
	r, _, err := e.api.Create(ctx, &godo.RegistryCreateRequest{Name: name, Region: region})
	if clients.IsConflict(err) {
		// The name is taken, maybe by our own account: a create of ours that
		// completed after we last looked (a restart mid-create, or another
		// tool). GET answers for our account's registries only.
		if own, _, gerr := e.api.Get(ctx, name); gerr == nil && own != nil {
			r, err = own, nil
		}
	}
	if err != nil {
		reason, retryAfter, cerr := classify(err, name, region)
		if reason != "" {
			ref := &refusal{changes: changes, generation: cr.GetGeneration(), name: name, region: region, until: e.clock.Now().Add(retryAfter), reason: reason, err: cerr}
			e.memos.with(cr.GetUID(), func(m *memo) { m.refused = ref })
		}
		return managed.ExternalCreation{}, cerr
	}
	now := e.clock.Now()
	// A new registry has no garbage collection running.
	e.memos.with(cr.GetUID(), func(m *memo) {
		m.last, m.lastWasRegistry, m.refused, m.deleted, m.gcCheckedAt, m.gcActive = r, true, nil, false, now, false
		m.freshUntil, m.freshGen, m.freshName = e.wall().Add(freshFor), cr.GetGeneration(), name
	})
	return managed.ExternalCreation{ConnectionDetails: connectionDetails(name)}, nil
}

// classify says whether a refused create is worth retrying, and describes it.
func classify(err error, name, region string) (xpv2.ConditionReason, time.Duration, error) {
	msg := clients.Message(err)
	lower := strings.ToLower(msg)
	d := clients.Describe(err)
	switch {
	case clients.IsConflict(err):
		return ReasonNameTaken, terminalRetryAfter, errors.Errorf("registry name %q is taken by another DigitalOcean account (names are unique across DigitalOcean): choose another name; not retrying until this Registry changes (%s)", name, d)
	case clients.IsUnprocessable(err) && strings.Contains(lower, "region"):
		return ReasonRegionUnavailable, terminalRetryAfter, errors.Errorf("DigitalOcean does not offer registries in region %q (spec.forProvider.region); not retrying until this Registry changes (%s)", region, d)
	case (clients.IsUnprocessable(err) || clients.IsPreconditionFailed(err)) && strings.Contains(lower, "limit"):
		return ReasonRegistryLimit, limitRetryAfter, errors.Errorf("the DigitalOcean account is at its registry limit: upgrade the subscription (Subscription tier professional allows 10) or delete a registry; retrying in %s (%s)", limitRetryAfter, d)
	case clients.IsUnprocessable(err) || clients.IsBadRequest(err):
		return ReasonInvalid, terminalRetryAfter, errors.Errorf("DigitalOcean refused to create registry %q: not retrying until this Registry changes (%s)", name, d)
	}
	return "", 0, errors.Wrapf(d, "cannot create registry %q", name)
}

func refusedCondition(reason xpv2.ConditionReason, err error) xpv2.Condition {
	return xpv2.Condition{
		Type:               xpv2.TypeReady,
		Status:             "False",
		LastTransitionTime: metav1.Now(),
		Reason:             reason,
		Message:            err.Error(),
	}
}

// Update has nothing to change: a registry's only setting, its region, is
// fixed. It reports a registry found in another region than the spec says
// (e.g. one adopted with the wrong region).
func (e *external) Update(_ context.Context, cr *v1alpha1.Registry) (managed.ExternalUpdate, error) {
	if at := cr.Status.AtProvider.Region; at != "" && at != cr.Spec.ForProvider.Region {
		return managed.ExternalUpdate{}, errors.Errorf("registry %q is in region %q at DigitalOcean but spec.forProvider.region is %q: a registry cannot move; set spec.forProvider.region to %q", cr.Status.AtProvider.Name, at, cr.Spec.ForProvider.Region, at)
	}
	return managed.ExternalUpdate{}, nil
}

// ErrDeletionProtected is returned by Delete while deletion protection is on.
var ErrDeletionProtected = errors.New("deletion protection is on (spec.forProvider.deletionProtection): the registry and its images stay at DigitalOcean; set it to false to delete")

func (e *external) Delete(ctx context.Context, cr *v1alpha1.Registry) (managed.ExternalDelete, error) {
	if cr.Spec.ForProvider.DeletionProtection {
		return managed.ExternalDelete{}, ErrDeletionProtected
	}
	name, err := registryName(cr)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	if _, err := e.api.Delete(ctx, name); err != nil && !clients.IsNotFound(err) {
		return managed.ExternalDelete{}, errors.Wrapf(clients.Describe(err), "cannot delete registry %q", name)
	}
	e.memos.with(cr.GetUID(), func(m *memo) { m.deleted = true })
	return managed.ExternalDelete{}, nil
}

func (e *external) Disconnect(context.Context) error { return nil }
