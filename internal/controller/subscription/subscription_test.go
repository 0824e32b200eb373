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

package subscription

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var tierInfo = map[string]*godo.RegistrySubscriptionTier{
	"starter":      {Slug: "starter", IncludedRepositories: 1, IncludedStorageBytes: 500 << 20},
	"basic":        {Slug: "basic", IncludedRepositories: 5, IncludedStorageBytes: 5 << 30, AllowStorageOverage: true, MonthlyPriceInCents: 500},
	"professional": {Slug: "professional", IncludedStorageBytes: 100 << 30, AllowStorageOverage: true, MonthlyPriceInCents: 2000},
}

// fakeAPI is an account whose tier is tier ("" = no subscription).
type fakeAPI struct {
	tier   string
	refuse map[string][]string // tiers refused, with eligibility reasons
	getErr error
	calls  []string
}

func (f *fakeAPI) sub() *godo.RegistrySubscription {
	return &godo.RegistrySubscription{Tier: tierInfo[f.tier], CreatedAt: t0, UpdatedAt: t0}
}

func (f *fakeAPI) GetSubscription(context.Context) (*godo.RegistrySubscription, *godo.Response, error) {
	f.calls = append(f.calls, "GET subscription")
	if f.getErr != nil {
		return nil, nil, f.getErr
	}
	if f.tier == "" {
		return nil, nil, apiErr(404, "no subscription")
	}
	return f.sub(), nil, nil
}

func (f *fakeAPI) UpdateSubscription(_ context.Context, r *godo.RegistrySubscriptionUpdateRequest) (*godo.RegistrySubscription, *godo.Response, error) {
	f.calls = append(f.calls, "POST subscription "+r.TierSlug)
	if reasons, ok := f.refuse[r.TierSlug]; ok {
		return nil, nil, apiErr(412, "registry is not eligible for tier because: ["+strings.Join(reasons, " ")+"]")
	}
	f.tier = r.TierSlug
	return f.sub(), nil, nil
}

func (f *fakeAPI) GetOptions(context.Context) (*godo.RegistryOptions, *godo.Response, error) {
	f.calls = append(f.calls, "GET options")
	o := &godo.RegistryOptions{AvailableRegions: []string{"nyc3"}}
	for _, s := range tiers {
		t := *tierInfo[s]
		t.Eligible = f.refuse[s] == nil
		t.EligibilityReasons = f.refuse[s]
		o.SubscriptionTiers = append(o.SubscriptionTiers, &t)
	}
	return o, nil, nil
}

func apiErr(code int, msg string) error {
	return &godo.ErrorResponse{Response: &http.Response{StatusCode: code, Request: &http.Request{Method: "GET"}}, Message: msg}
}

type recorder struct{ events []string }

func (r *recorder) Event(_ runtime.Object, e event.Event) {
	r.events = append(r.events, string(e.Reason)+": "+e.Message)
}
func (r *recorder) WithAnnotations(...string) event.Recorder { return r }

func newSub(tier string, p v1alpha1.SubscriptionPolicy) *v1alpha1.Subscription {
	s := &v1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: "sub", Namespace: "ns", UID: "uid", Generation: 1}}
	s.Spec.ForProvider = v1alpha1.SubscriptionParameters{Tier: tier, Policy: p}
	return s
}

func newExternal(api *fakeAPI) (*external, *recorder) {
	r := &recorder{}
	fc := clocktesting.NewFakeClock(t0)
	return &external{api: api, memos: newMemos(), clock: fc, record: r, now: fc.Now}, r
}

func TestObserve(t *testing.T) {
	type want struct {
		obs   managed.ExternalObservation
		err   string
		tier  string
		ready xpv2.ConditionReason
		calls []string
	}
	cases := map[string]struct {
		reason string
		api    *fakeAPI
		cr     *v1alpha1.Subscription
		want   want
	}{
		"NoSubscription": {
			api:  &fakeAPI{},
			cr:   newSub("basic", ""),
			want: want{obs: managed.ExternalObservation{ResourceExists: false}, calls: []string{"GET subscription"}},
		},
		"AtLeastBelow": {
			reason: "AtLeast upgrades an account below the tier.",
			api:    &fakeAPI{tier: "starter"},
			cr:     newSub("basic", ""),
			want:   want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, tier: "starter", ready: ReasonBelowTier, calls: []string{"GET subscription"}},
		},
		"AtLeastAbove": {
			reason: "AtLeast never downgrades: a higher tier satisfies it.",
			api:    &fakeAPI{tier: "professional"},
			cr:     newSub("basic", v1alpha1.SubscriptionPolicyAtLeast),
			want:   want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, tier: "professional", ready: xpv2.ReasonAvailable, calls: []string{"GET subscription"}},
		},
		"ExactAbove": {
			reason: "Exact wants exactly its tier.",
			api:    &fakeAPI{tier: "professional"},
			cr:     newSub("basic", v1alpha1.SubscriptionPolicyExact),
			want:   want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, tier: "professional", ready: ReasonBelowTier, calls: []string{"GET subscription"}},
		},
		"ExactEqual": {
			api:  &fakeAPI{tier: "basic"},
			cr:   newSub("basic", v1alpha1.SubscriptionPolicyExact),
			want: want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, tier: "basic", ready: xpv2.ReasonAvailable, calls: []string{"GET subscription"}},
		},
		"GetFails": {
			api:  &fakeAPI{getErr: apiErr(500, "boom")},
			cr:   newSub("basic", ""),
			want: want{err: "cannot get the registry subscription: 500 Internal Server Error: boom", calls: []string{"GET subscription"}},
		},
		"BadTier": {
			reason: "CRD validation normally stops this; no request is made for it.",
			api:    &fakeAPI{},
			cr:     newSub("gold", ""),
			want:   want{err: `spec.forProvider.tier must be one of starter, basic, professional, not "gold"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, _ := newExternal(tc.api)
			obs, err := e.Observe(context.Background(), tc.cr)
			got := want{obs: obs, tier: tc.cr.Status.AtProvider.Tier, ready: tc.cr.GetCondition(xpv2.TypeReady).Reason, calls: tc.api.calls}
			if err != nil {
				got.err = err.Error()
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	api := &fakeAPI{tier: "starter", refuse: map[string][]string{}}
	e, rec := newExternal(api)
	ctx := context.Background()
	cr := newSub("basic", "")
	fc := e.clock.(*clocktesting.FakeClock)
	step := func(name string, fn func() error, wantCalls ...string) {
		t.Helper()
		if !strings.Contains(name, "re-observe") && !strings.Contains(name, "own write") {
			fc.Step(time.Second) // polls are more than freshFor apart
		}
		api.calls = nil
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(wantCalls, api.calls, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: requests -want +got:\n%s", name, diff)
		}
	}
	observe := func(upToDate bool) func() error {
		return func() error {
			o, err := e.Observe(ctx, cr)
			if err == nil && o.ResourceUpToDate != upToDate {
				t.Errorf("up to date: got %v, want %v", o.ResourceUpToDate, upToDate)
			}
			return err
		}
	}
	update := func() error { _, err := e.Update(ctx, cr); return err }

	step("observe below", observe(false), "GET subscription")
	step("upgrade", update, "POST subscription basic")
	step("re-observe from POST's answer", observe(true))
	step("reconcile caused by its own write", observe(true))
	want := v1alpha1.SubscriptionObservation{Tier: "basic", IncludedRepositories: 5, IncludedStorageBytes: 5 << 30, AllowStorageOverage: true,
		MonthlyPriceInCents: 500, CreatedAt: &metav1.Time{Time: t0}, UpdatedAt: &metav1.Time{Time: t0}}
	if diff := cmp.Diff(want, cr.Status.AtProvider); diff != "" {
		t.Errorf("atProvider: -want +got:\n%s", diff)
	}
	fc.Step(optionsEvery)
	step("options poll", observe(true), "GET options")
	if !cr.Status.AtProvider.Eligible {
		t.Error("eligible for basic: got false")
	}
	step("poll", observe(true), "GET subscription")

	// Drift: someone moved the account down behind our back; AtLeast repairs it.
	api.tier = "starter"
	step("drift seen", observe(false), "GET subscription")
	step("drift repaired", update, "POST subscription basic")

	// A refused upgrade: a clear error with DigitalOcean's reasons, then no
	// requests until the Subscription changes.
	cr.Spec.ForProvider.Tier = "professional"
	cr.SetGeneration(2)
	api.refuse["professional"] = []string{"OverStorageLimit"}
	step("observe the changed spec", observe(false), "GET subscription")
	api.calls = nil
	err := update()
	if err == nil || !strings.Contains(err.Error(), `DigitalOcean refused tier "professional" (spec.forProvider.tier): 412 Precondition Failed: registry is not eligible for tier because: [OverStorageLimit]`) {
		t.Errorf("refused update: %v", err)
	}
	if diff := cmp.Diff([]string{"OverStorageLimit"}, cr.Status.AtProvider.EligibilityReasons); diff != "" || cr.Status.AtProvider.Eligible {
		t.Errorf("eligibility after refusal: eligible=%v -want +got:\n%s", cr.Status.AtProvider.Eligible, diff)
	}
	api.calls = nil
	for range 3 {
		if _, err := e.Observe(ctx, cr); err == nil {
			t.Error("Observe after a refusal: want the refusal")
		}
	}
	if len(api.calls) != 0 {
		t.Errorf("requests after a refusal: %v", api.calls)
	}

	// Deleting changes nothing and says so.
	now := metav1.Now()
	cr.SetDeletionTimestamp(&now)
	step("observe deleted", observe(true))
	step("delete", func() error { _, err := e.Delete(ctx, cr); return err })
	o, _ := e.Observe(ctx, cr)
	if o.ResourceExists || api.tier != "basic" {
		t.Errorf("after delete: exists=%v tier=%s", o.ResourceExists, api.tier)
	}
	wantEvents := []string{
		"TierChanged: Changed the account's registry subscription from starter to basic",
		"TierChanged: Changed the account's registry subscription from starter to basic",
		"NothingDeletedAtDigitalOcean: Deleting this Subscription changes nothing at DigitalOcean: the account stays on basic. Change the tier in the DigitalOcean control panel if you mean to.",
	}
	if diff := cmp.Diff(wantEvents, rec.events); diff != "" {
		t.Errorf("events: -want +got:\n%s", diff)
	}
}

func TestCreate(t *testing.T) {
	api := &fakeAPI{}
	e, _ := newExternal(api)
	cr := newSub("professional", "")
	if _, err := e.Create(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	o, err := e.Observe(context.Background(), cr)
	if err != nil || !o.ResourceExists || !o.ResourceUpToDate {
		t.Errorf("after create: %+v %v", o, err)
	}
	if diff := cmp.Diff([]string{"POST subscription professional"}, api.calls); diff != "" {
		t.Errorf("requests: -want +got:\n%s", diff)
	}
}
