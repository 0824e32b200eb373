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

// Package subscription manages the account-wide DigitalOcean registry
// subscription tier as Subscription managed resources.
//
// Policy AtLeast (the default) upgrades an account below the desired tier and
// never downgrades, so several Subscriptions for one account converge on the
// highest tier; Exact sets exactly the tier. Deleting a Subscription changes
// nothing at DigitalOcean (an account cannot be left without a tier while it
// has registries) and says so in an event.
//
// Request budget: one request per poll (the subscription, or every few
// minutes the tier options for eligibility), two per create, none per delete.
package subscription

import (
	"context"
	"slices"
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

const (
	// optionsEvery is how often a poll asks for the tier options (limits,
	// price, eligibility) instead of the subscription.
	optionsEvery = 5 * time.Minute
	// refusedRetryAfter: a tier change DigitalOcean refused (not eligible) is
	// retried after this long or when the Subscription changes.
	refusedRetryAfter = 10 * time.Minute
	// freshFor is how long an answer from DigitalOcean stands for the
	// subscription (wall time, shorter than any sensible poll interval).
	freshFor = 900 * time.Millisecond
)

// Reasons of the Ready condition.
const (
	ReasonBelowTier   xpv2.ConditionReason = "BelowDesiredTier"
	ReasonNotEligible xpv2.ConditionReason = "NotEligible"
)

// Event reasons.
const (
	reasonNothingDeleted event.Reason = "NothingDeletedAtDigitalOcean"
	reasonTierChanged    event.Reason = "TierChanged"
)

// tiers in ascending order.
var tiers = []string{v1alpha1.TierStarter, v1alpha1.TierBasic, v1alpha1.TierProfessional}

func rank(tier string) int { return slices.Index(tiers, tier) }

// API is the part of godo's RegistriesService this controller uses.
type API interface {
	GetSubscription(ctx context.Context) (*godo.RegistrySubscription, *godo.Response, error)
	UpdateSubscription(ctx context.Context, req *godo.RegistrySubscriptionUpdateRequest) (*godo.RegistrySubscription, *godo.Response, error)
	GetOptions(ctx context.Context) (*godo.RegistryOptions, *godo.Response, error)
}

// Setup adds the Subscription controller to mgr.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.SubscriptionGroupVersionKind.GroupKind().String())
	rec := event.NewAPIRecorder(mgr.GetEventRecorderFor(name))
	conn := &connector{
		clients: clients.NewConnector(mgr.GetClient(), o.Clients),
		newAPI:  func(c *clients.Client) API { return c.Registries },
		memos:   newMemos(),
		clock:   o.GetClock(),
		record:  rec,
	}
	opts, err := o.ManagedReconcilerOptions(mgr, name, rec, &v1alpha1.SubscriptionList{})
	if err != nil {
		return err
	}
	opts = append(opts,
		managed.WithTypedExternalConnector[*v1alpha1.Subscription](conn),
		managed.WithDeterministicExternalName(true),
		managed.WithCreationGracePeriod(0),
	)
	opts = append(opts, o.PollJitterOptions()...)
	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.SubscriptionGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.Subscription{}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// memo is what the controller remembers about one Subscription between
// reconciles, to save requests.
type memo struct {
	// freshUntil: last (POST's answer or a GET's) stands for the
	// subscription without a request until then, sparing the reconciles
	// the provider's own writes trigger.
	freshUntil       time.Time
	freshGen         int64
	deleted          bool
	refused          *refusal
	lastWasSub       bool
	optionsCheckedAt time.Time
	// last is the subscription last observed. An options poll builds the
	// status from it rather than from the object's status, which may come
	// from a stale cache (or a status write that lost a conflict).
	last *godo.RegistrySubscription
}

type refusal struct {
	generation int64
	until      time.Time
	err        error
}

type memos struct {
	mu sync.Mutex
	m  map[types.UID]*memo
}

func newMemos() *memos { return &memos{m: map[types.UID]*memo{}} }

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
	record  event.Recorder
}

func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Subscription) (managed.TypedExternalClient[*v1alpha1.Subscription], error) {
	cl, err := c.clients.Connect(ctx, cr)
	if err != nil {
		return nil, err
	}
	return &external{api: c.newAPI(cl), memos: c.memos, clock: c.clock, record: c.record, noteAccountChange: cl.NoteAccountChange}, nil
}

type external struct {
	api    API
	memos  *memos
	clock  clock.PassiveClock
	record event.Recorder
	// now is the wall clock of freshFor (time.Now when nil).
	now func() time.Time
	// noteAccountChange tells other controllers using the token that the
	// tier changed (clients.Client.NoteAccountChange); may be nil.
	noteAccountChange func()
}

func (e *external) wall() time.Time {
	if e.now == nil {
		return time.Now()
	}
	return e.now()
}

func policyOf(cr *v1alpha1.Subscription) v1alpha1.SubscriptionPolicy {
	if cr.Spec.ForProvider.Policy == "" {
		return v1alpha1.SubscriptionPolicyAtLeast
	}
	return cr.Spec.ForProvider.Policy
}

// satisfied reports whether the account's tier meets the Subscription.
func satisfied(cr *v1alpha1.Subscription, current string) bool {
	want := cr.Spec.ForProvider.Tier
	if policyOf(cr) == v1alpha1.SubscriptionPolicyExact {
		return current == want
	}
	return rank(current) >= rank(want)
}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.Subscription) (managed.ExternalObservation, error) {
	if rank(cr.Spec.ForProvider.Tier) < 0 {
		return managed.ExternalObservation{}, errors.Errorf("spec.forProvider.tier must be one of %s, not %q", strings.Join(tiers, ", "), cr.Spec.ForProvider.Tier)
	}
	var (
		fresh      bool
		deleted    bool
		refused    *refusal
		askOptions bool
		last       *godo.RegistrySubscription
		now        = e.clock.Now()
	)
	e.memos.with(cr.GetUID(), func(m *memo) {
		fresh = m.last != nil && m.freshGen == cr.GetGeneration() && e.wall().Before(m.freshUntil)
		deleted, refused = m.deleted, m.refused
		askOptions = m.lastWasSub && m.last != nil && now.Sub(m.optionsCheckedAt) >= optionsEvery
		last = m.last
	})

	if meta.WasDeleted(cr) {
		// Deleting changes nothing at DigitalOcean: no request. Delete
		// explains that in an event; then the object goes.
		if deleted {
			e.memos.forget(cr.GetUID())
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
	}

	if refused != nil {
		if refused.generation == cr.GetGeneration() && now.Before(refused.until) {
			cr.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: "False", LastTransitionTime: metav1.Now(), Reason: ReasonNotEligible, Message: refused.err.Error()})
			return managed.ExternalObservation{}, refused.err
		}
		e.memos.with(cr.GetUID(), func(m *memo) { m.refused = nil })
	}

	if fresh {
		return e.observed(cr, last), nil
	}

	if askOptions {
		setSubscription(&cr.Status.AtProvider, last)
		return e.observeOptions(ctx, cr, now)
	}

	s, _, err := e.api.GetSubscription(ctx)
	if clients.IsNotFound(err) || (err == nil && (s == nil || s.Tier == nil)) {
		e.memos.with(cr.GetUID(), func(m *memo) { m.lastWasSub = false })
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(clients.Describe(err), "cannot get the registry subscription")
	}
	return e.observed(cr, s), nil
}

// observeOptions spends this poll's request on the tier options: limits and
// price of the current tier, eligibility for the desired tier.
func (e *external) observeOptions(ctx context.Context, cr *v1alpha1.Subscription, now time.Time) (managed.ExternalObservation, error) {
	o, _, err := e.api.GetOptions(ctx)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(clients.Describe(err), "cannot get the registry options")
	}
	applyOptions(cr, o)
	e.memos.with(cr.GetUID(), func(m *memo) { m.lastWasSub, m.optionsCheckedAt = false, now })
	return e.result(cr), nil
}

// applyOptions records the current tier's limits and the desired tier's
// eligibility from DigitalOcean's options.
func applyOptions(cr *v1alpha1.Subscription, o *godo.RegistryOptions) {
	at := &cr.Status.AtProvider
	for _, t := range o.SubscriptionTiers {
		if t == nil {
			continue
		}
		if t.Slug == at.Tier {
			setLimits(at, t)
		}
		if t.Slug == cr.Spec.ForProvider.Tier {
			at.Eligible = t.Eligible
			at.EligibilityReasons = t.EligibilityReasons
		}
	}
}

func setLimits(at *v1alpha1.SubscriptionObservation, t *godo.RegistrySubscriptionTier) {
	at.Tier = t.Slug
	at.IncludedRepositories = clamp(t.IncludedRepositories)
	at.IncludedStorageBytes = clamp(t.IncludedStorageBytes)
	at.AllowStorageOverage = t.AllowStorageOverage
	at.MonthlyPriceInCents = clamp(t.MonthlyPriceInCents)
}

func clamp(v uint64) int64 { return int64(min(v, uint64(1<<63-1))) }

func (e *external) observed(cr *v1alpha1.Subscription, s *godo.RegistrySubscription) managed.ExternalObservation {
	setSubscription(&cr.Status.AtProvider, s)
	e.memos.with(cr.GetUID(), func(m *memo) {
		if m.last != s {
			m.freshUntil, m.freshGen = e.wall().Add(freshFor), cr.GetGeneration()
		}
		m.lastWasSub, m.last = true, s
	})
	return e.result(cr)
}

func setSubscription(at *v1alpha1.SubscriptionObservation, s *godo.RegistrySubscription) {
	setLimits(at, s.Tier)
	at.CreatedAt = timeOrNil(s.CreatedAt)
	at.UpdatedAt = timeOrNil(s.UpdatedAt)
}

func (e *external) result(cr *v1alpha1.Subscription) managed.ExternalObservation {
	current := cr.Status.AtProvider.Tier
	ok := satisfied(cr, current)
	if ok {
		cr.SetConditions(xpv2.Available())
	} else {
		cr.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: "False", LastTransitionTime: metav1.Now(), Reason: ReasonBelowTier,
			Message: "the account is on tier " + current + "; changing it to " + cr.Spec.ForProvider.Tier + " (policy " + string(policyOf(cr)) + ")"})
	}
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: ok}
}

func timeOrNil(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t)
	return &mt
}

// Create subscribes an account that has no subscription yet.
func (e *external) Create(ctx context.Context, cr *v1alpha1.Subscription) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, e.set(ctx, cr)
}

// Update moves the account to the desired tier: up for AtLeast, either way
// for Exact.
func (e *external) Update(ctx context.Context, cr *v1alpha1.Subscription) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, e.set(ctx, cr)
}

func (e *external) set(ctx context.Context, cr *v1alpha1.Subscription) error {
	want := cr.Spec.ForProvider.Tier
	from := cr.Status.AtProvider.Tier
	s, _, err := e.api.UpdateSubscription(ctx, &godo.RegistrySubscriptionUpdateRequest{TierSlug: want})
	if err != nil {
		if !clients.IsPreconditionFailed(err) && !clients.IsUnprocessable(err) {
			return errors.Wrapf(clients.Describe(err), "cannot set the registry subscription tier to %q", want)
		}
		// Refused: say why (DigitalOcean's eligibility for the tier) and do
		// not ask again until the Subscription changes or some time passes.
		if o, _, oerr := e.api.GetOptions(ctx); oerr == nil {
			applyOptions(cr, o)
		}
		rerr := errors.Errorf("DigitalOcean refused tier %q (spec.forProvider.tier): %s; retrying in %s or when this Subscription changes", want, clients.Describe(err), refusedRetryAfter)
		ref := &refusal{generation: cr.GetGeneration(), until: e.clock.Now().Add(refusedRetryAfter), err: rerr}
		e.memos.with(cr.GetUID(), func(m *memo) { m.refused = ref })
		return rerr
	}
	if e.noteAccountChange != nil {
		// E.g. Registries refused for the account's registry limit retry now.
		e.noteAccountChange()
	}
	e.memos.with(cr.GetUID(), func(m *memo) {
		m.last, m.lastWasSub, m.refused = s, true, nil
		m.freshUntil, m.freshGen = e.wall().Add(freshFor), cr.GetGeneration()
	})
	if e.record != nil && from != "" && from != want {
		e.record.Event(cr, event.Normal(reasonTierChanged, "Changed the account's registry subscription from "+from+" to "+want))
	}
	return nil
}

// Delete changes nothing at DigitalOcean and says so.
func (e *external) Delete(_ context.Context, cr *v1alpha1.Subscription) (managed.ExternalDelete, error) {
	tier := cr.Status.AtProvider.Tier
	if tier == "" {
		tier = "its current tier"
	}
	if e.record != nil {
		e.record.Event(cr, event.Normal(reasonNothingDeleted,
			"Deleting this Subscription changes nothing at DigitalOcean: the account stays on "+tier+". Change the tier in the DigitalOcean control panel if you mean to."))
	}
	e.memos.with(cr.GetUID(), func(m *memo) { m.deleted = true })
	return managed.ExternalDelete{}, nil
}

func (e *external) Disconnect(context.Context) error { return nil }
