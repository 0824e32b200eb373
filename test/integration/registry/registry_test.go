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

// Package registry tests the Registry managed resource through the Kubernetes
// API against the simulator.
package registry

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }

const getRegistry = "/v2/registries/{registry_name}"

func newRegistry(name, region string) *v1alpha1.Registry {
	r := &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Name: name}}
	r.Spec.ForProvider.Region = region
	return r
}

func ready(t *testing.T, e *env.Env, r *v1alpha1.Registry) {
	t.Helper()
	e.WaitForCondition(t, r, xpv2.TypeReady, corev1.ConditionTrue)
}

// atSim waits until the simulator has (or has not) the registry.
func atSim(t *testing.T, e *env.Env, name string, want bool) docrsim.RegistryInfo {
	t.Helper()
	var info docrsim.RegistryInfo
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		var ok bool
		info, ok = e.Sim.Registry(name)
		return ok == want, "registry " + name + " at the simulator: want present=" + map[bool]string{true: "true", false: "false"}[want]
	})
	return info
}

func TestRegistryLifecycle(t *testing.T) {
	e := env.Start(t, env.Options{})
	ctx := context.Background()

	// Create -> Ready, with status and connection details.
	r := newRegistry("lifecycle-reg", "fra1")
	r.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "lifecycle-reg-conn"}
	e.Create(t, r)
	ready(t, e, r)
	info := atSim(t, e, "lifecycle-reg", true)
	at := r.Status.AtProvider
	if at.UUID != info.UUID || at.Region != "fra1" || at.Endpoint != "registry.digitalocean.com/lifecycle-reg" || at.ServerURL != "registry.digitalocean.com" || at.CreatedAt == nil {
		t.Errorf("atProvider: %+v (simulator uuid %s)", at, info.UUID)
	}
	if got := meta.GetExternalName(r); got != "lifecycle-reg" {
		t.Errorf("external name: got %q, want metadata.name", got)
	}
	sec := &corev1.Secret{}
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		err := e.Kube.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: "lifecycle-reg-conn"}, sec)
		return err == nil, "connection secret"
	})
	if string(sec.Data["endpoint"]) != "registry.digitalocean.com/lifecycle-reg" || string(sec.Data["server"]) != "registry.digitalocean.com" {
		t.Errorf("connection details: %v", sec.Data)
	}

	// Update: the spec changes and the resource stays synced.
	e.Update(t, r, func() { r.Spec.ForProvider.DeletionProtection = true })
	e.WaitFor(t, r, "synced after update", func() bool {
		c := r.GetCondition(xpv2.TypeSynced)
		return c.Status == corev1.ConditionTrue && c.ObservedGeneration == r.Generation
	})
	e.Update(t, r, func() { r.Spec.ForProvider.DeletionProtection = false })

	// Drift: someone deletes the registry behind the provider's back; the
	// provider creates it again.
	if _, err := e.DO(t).Registries.Delete(ctx, "lifecycle-reg"); err != nil {
		t.Fatalf("deleting behind the provider's back: %v", err)
	}
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		i, ok := e.Sim.Registry("lifecycle-reg")
		return ok && i.UUID != info.UUID, "registry re-created with a new uuid"
	})
	e.WaitFor(t, r, "new uuid in status", func() bool {
		i, _ := e.Sim.Registry("lifecycle-reg")
		return r.Status.AtProvider.UUID == i.UUID && r.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
	})

	// Delete -> gone at the simulator and in Kubernetes.
	e.Delete(t, r)
	e.WaitGone(t, r)
	atSim(t, e, "lifecycle-reg", false)
}

func TestAdoptWithObserveOnly(t *testing.T) {
	e := env.Start(t, env.Options{Sim: docrsim.Options{
		Accounts:   []docrsim.Account{{Name: "acme", Tokens: []string{"dop_v1_adopt0123456789abcdef0123456789abcdef"}, Tier: docrsim.TierProfessional}},
		Registries: []docrsim.SeedRegistry{{Name: "legacy-registry", Account: "acme", Region: "sgp1"}},
	}})
	before, _ := e.Sim.Registry("legacy-registry")

	r := newRegistry("adopted", "sgp1")
	meta.SetExternalName(r, "legacy-registry")
	r.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
	e.Create(t, r)
	ready(t, e, r)
	if r.Status.AtProvider.UUID != before.UUID || r.Status.AtProvider.Name != "legacy-registry" {
		t.Errorf("adopted status: %+v, want uuid %s", r.Status.AtProvider, before.UUID)
	}
	if n := e.Sim.Stats().Count("POST", "/v2/registries", 0); n != 0 {
		t.Errorf("Observe-only sent %d creates", n)
	}
	// Deleting an Observe-only object leaves the registry alone.
	e.Delete(t, r)
	e.WaitGone(t, r)
	if _, ok := e.Sim.Registry("legacy-registry"); !ok {
		t.Error("deleting an Observe-only Registry deleted the registry")
	}
	if n := e.Sim.Stats().Count("DELETE", getRegistry, 0); n != 0 {
		t.Errorf("Observe-only sent %d deletes", n)
	}
}

func TestDeletionProtection(t *testing.T) {
	e := env.Start(t, env.Options{})
	r := newRegistry("protected-reg", "nyc3")
	r.Spec.ForProvider.DeletionProtection = true
	e.Create(t, r)
	ready(t, e, r)
	if _, err := e.Sim.PushImage("protected-reg", "app", "v1", 1000, 2000); err != nil {
		t.Fatal(err)
	}

	e.Delete(t, r)
	e.WaitFor(t, r, "deletion refused", func() bool {
		c := r.GetCondition(xpv2.TypeSynced)
		return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, "deletion protection is on")
	})
	// It holds: several polls later the registry and its image are there.
	polls := e.Sim.Stats().Count("", "", 0)
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		ev := e.Events(t)
		n := 0
		for _, x := range ev {
			if x.InvolvedObject.Name == "protected-reg" && strings.Contains(x.Message, "deletion protection is on") {
				n += int(max(x.Count, 1))
			}
		}
		return n >= 3, "three refused deletes"
	})
	info, ok := e.Sim.Registry("protected-reg")
	if !ok || len(info.Repositories) != 1 || len(info.Repositories[0].Tags) != 1 {
		t.Fatalf("protected registry or its image is gone: %+v", info)
	}
	if n := e.Sim.Stats().Count("DELETE", getRegistry, 0); n != 0 {
		t.Errorf("%d DELETE requests while protected", n)
	}
	t.Logf("requests while deletion was refused: %d", e.Sim.Stats().Count("", "", 0)-polls)

	// Switched off: deleted.
	e.Update(t, r, func() { r.Spec.ForProvider.DeletionProtection = false })
	e.WaitGone(t, r)
	atSim(t, e, "protected-reg", false)
}

func TestCRDValidation(t *testing.T) {
	e := env.Start(t, env.Options{})
	ctx := context.Background()
	for _, name := range []string{"bad.name", "ends-with-hyphen-", "9starts-with-digit", strings.Repeat("a", 64)} {
		r := newRegistry(name, "nyc3")
		r.Namespace = e.Namespace
		err := e.Kube.Create(ctx, r)
		if err == nil || (!strings.Contains(err.Error(), "valid DigitalOcean registry name") && !strings.Contains(err.Error(), "metadata.name")) {
			t.Errorf("name %q: got %v, want a rejection naming the registry name rules", name, err)
		}
	}
	r := newRegistry("region-fixed", "nyc3")
	r.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
	e.Create(t, r)
	r.Spec.ForProvider.Region = "sfo3"
	err := e.Kube.Update(ctx, r)
	if err == nil || !strings.Contains(err.Error(), "region is immutable") {
		t.Errorf("region change: got %v, want a rejection", err)
	}
	bad := newRegistry("bad-region-shape", "New York")
	bad.Namespace = e.Namespace
	if err := e.Kube.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "spec.forProvider.region") {
		t.Errorf("region %q: got %v, want a rejection naming spec.forProvider.region", "New York", err)
	}
}

func TestNameClashNoRetryStorm(t *testing.T) {
	e := env.Start(t, env.Options{Sim: docrsim.Options{
		Accounts: []docrsim.Account{
			{Name: "acme", Tokens: []string{"dop_v1_clash0123456789abcdef0123456789abcdef"}, Tier: docrsim.TierProfessional},
			{Name: "someone-else", Tokens: []string{"dop_v1_other0123456789abcdef0123456789abcdef"}, Tier: docrsim.TierBasic},
		},
		Registries: []docrsim.SeedRegistry{{Name: "popular-name", Account: "someone-else", Region: "nyc3"}},
	}})
	r := newRegistry("popular-name", "nyc3")
	e.Create(t, r)
	e.WaitFor(t, r, "name clash condition", func() bool {
		c := r.GetCondition(xpv2.TypeReady)
		return c.Status == corev1.ConditionFalse && c.Reason == "NameTaken" && strings.Contains(c.Message, "taken by another DigitalOcean account")
	})
	// Let many polls pass (poll 1s; the error backoff starts at 1s).
	time.Sleep(10 * time.Second)
	st := e.Sim.Stats()
	if n := st.Count("POST", "/v2/registries", 0); n != 1 {
		t.Errorf("POST /v2/registries sent %d times, want 1", n)
	}
	// One GET to observe, one after the 409 to tell our own registry (a
	// create of ours that completed late) from another account's.
	if n := st.Count("GET", getRegistry, 0); n != 2 {
		t.Errorf("GET %s sent %d times, want 2", getRegistry, n)
	}
	if info, _ := e.Sim.Registry("popular-name"); info.Account != "someone-else" {
		t.Errorf("the other account's registry changed: %+v", info)
	}
	// Choosing another name (external name) creates it.
	e.Update(t, r, func() { meta.SetExternalName(r, "popular-name-acme") })
	ready(t, e, r)
	atSim(t, e, "popular-name-acme", true)
}

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
