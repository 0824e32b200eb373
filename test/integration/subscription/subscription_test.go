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

// Package subscription tests the Subscription managed resource through the
// Kubernetes API against the simulator.
package subscription

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }

const subscriptionPath = "/v2/registries/subscription"

func newSubscription(name, tier string, p v1alpha1.SubscriptionPolicy) *v1alpha1.Subscription {
	s := &v1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: name}}
	s.Spec.ForProvider = v1alpha1.SubscriptionParameters{Tier: tier, Policy: p}
	return s
}

// tierAtSim is the account's tier as DigitalOcean reports it.
func tierAtSim(t *testing.T, e *env.Env) string {
	t.Helper()
	s, _, err := e.DO(t).Registries.GetSubscription(context.Background())
	if err != nil || s.Tier == nil {
		return ""
	}
	return s.Tier.Slug
}

func waitTier(t *testing.T, e *env.Env, want string) {
	t.Helper()
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		got := tierAtSim(t, e)
		return got == want, "account tier " + got + ", want " + want
	})
}

func account(tier string, regs ...string) docrsim.Options {
	o := docrsim.Options{Accounts: []docrsim.Account{{Name: "acme", Tokens: []string{"dop_v1_sub0123456789abcdef0123456789abcdef0123456789abcdef0"}, Tier: tier}}}
	for _, r := range regs {
		o.Registries = append(o.Registries, docrsim.SeedRegistry{Name: r, Account: "acme", Region: "nyc3"})
	}
	return o
}

func TestSubscriptionLifecycle(t *testing.T) {
	e := env.Start(t, env.Options{Sim: account(docrsim.TierStarter)})

	// Create -> Ready: the account is upgraded to basic.
	s := newSubscription("team-tier", v1alpha1.TierBasic, "")
	e.Create(t, s)
	e.WaitForCondition(t, s, xpv2.TypeReady, corev1.ConditionTrue)
	waitTier(t, e, v1alpha1.TierBasic)
	at := s.Status.AtProvider
	if at.Tier != "basic" || at.IncludedRepositories != 5 || at.MonthlyPriceInCents != 500 || !at.AllowStorageOverage || at.IncludedStorageBytes != 5<<30 || at.UpdatedAt == nil {
		t.Errorf("atProvider: %+v", at)
	}
	if s.Spec.ForProvider.Policy != v1alpha1.SubscriptionPolicyAtLeast {
		t.Errorf("policy default: got %q, want AtLeast", s.Spec.ForProvider.Policy)
	}

	// Update: professional.
	e.Update(t, s, func() { s.Spec.ForProvider.Tier = v1alpha1.TierProfessional })
	waitTier(t, e, v1alpha1.TierProfessional)
	e.WaitFor(t, s, "professional in status", func() bool {
		return s.Status.AtProvider.Tier == "professional" && s.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
	})

	// Drift: moved down behind the provider's back; AtLeast moves it up again.
	if err := e.Sim.SetTier("acme", docrsim.TierBasic); err != nil {
		t.Fatal(err)
	}
	waitTier(t, e, v1alpha1.TierProfessional)

	// AtLeast never downgrades: a second, lower Subscription is satisfied as
	// it is and changes nothing.
	e.Sim.ResetStats()
	low := newSubscription("low-tier", v1alpha1.TierStarter, v1alpha1.SubscriptionPolicyAtLeast)
	e.Create(t, low)
	e.WaitForCondition(t, low, xpv2.TypeReady, corev1.ConditionTrue)
	time.Sleep(3 * time.Second) // several polls of both objects
	if n := e.Sim.Stats().Count("POST", subscriptionPath, 0); n != 0 {
		t.Errorf("%d tier changes with two AtLeast Subscriptions that agree", n)
	}
	if got := tierAtSim(t, e); got != "professional" {
		t.Errorf("tier: got %s, want professional", got)
	}

	// Delete: nothing changes at DigitalOcean, and an event says so.
	e.Delete(t, s)
	e.WaitGone(t, s)
	if got := tierAtSim(t, e); got != "professional" {
		t.Errorf("tier after delete: got %s, want professional", got)
	}
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		for _, ev := range e.Events(t) {
			if ev.InvolvedObject.Name == "team-tier" && ev.Reason == "NothingDeletedAtDigitalOcean" && strings.Contains(ev.Message, "changes nothing at DigitalOcean") {
				return true, ""
			}
		}
		return false, "an event saying deletion changed nothing"
	})
}

func TestExactDowngradeRefusedWithoutRetryStorm(t *testing.T) {
	// Two registries: only professional allows them, so basic is refused.
	e := env.Start(t, env.Options{Sim: account(docrsim.TierProfessional, "reg-one", "reg-two")})
	s := newSubscription("exact-basic", v1alpha1.TierBasic, v1alpha1.SubscriptionPolicyExact)
	e.Create(t, s)
	e.WaitFor(t, s, "refusal", func() bool {
		c := s.GetCondition(xpv2.TypeSynced)
		return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, `DigitalOcean refused tier "basic" (spec.forProvider.tier)`) &&
			strings.Contains(c.Message, "OverRegistryLimit")
	})
	time.Sleep(8 * time.Second) // many polls and error backoffs
	if n := e.Sim.Stats().Count("POST", subscriptionPath, 0); n != 1 {
		t.Errorf("tier change sent %d times, want 1", n)
	}
	if got := tierAtSim(t, e); got != "professional" {
		t.Errorf("tier: got %s, want professional", got)
	}
	// Exact with the account's tier is satisfied.
	e.Update(t, s, func() { s.Spec.ForProvider.Tier = v1alpha1.TierProfessional })
	e.WaitForCondition(t, s, xpv2.TypeReady, corev1.ConditionTrue)
}
