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

package registry

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

// TestNoCredentialLeak runs successes and failures (a refused create, a
// revoked token, a refused delete) with every provider log line at debug
// level, and finds no token in the logs, events or objects.
func TestNoCredentialLeak(t *testing.T) {
	const revoked = "dop_v1_revoked0123456789abcdef0123456789abcdef0123456789abcd"
	e := env.Start(t, env.Options{Sim: docrsim.Options{
		Accounts: []docrsim.Account{
			{Name: "acme", Tokens: []string{"dop_v1_leak0123456789abcdef0123456789abcdef0123456789abcdef"}, Tier: docrsim.TierProfessional},
			{Name: "other", Tokens: []string{"dop_v1_othr0123456789abcdef0123456789abcdef0123456789abcdef"}},
		},
		Registries: []docrsim.SeedRegistry{{Name: "taken-elsewhere", Account: "other"}},
	}})
	ctx := context.Background()

	// A ProviderConfig whose token DigitalOcean does not know.
	e.Create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "revoked"}, Data: map[string][]byte{"token": []byte(revoked)}})
	e.Create(t, &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "revoked"}, Spec: v1alpha1.ProviderConfigSpec{
		Credentials:    v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceSecret, SecretRef: &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "revoked"}, Key: "token"}},
		ClientSettings: v1alpha1.ClientSettings{APIURL: e.Sim.URL()},
	}})

	ok := newRegistry("leak-ok", "nyc3")
	ok.Spec.ForProvider.DeletionProtection = true
	ok.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "leak-ok-conn"}
	clash := newRegistry("taken-elsewhere", "nyc3")
	unauth := newRegistry("leak-unauthorized", "nyc3")
	unauth.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "revoked"}
	viaCluster := newRegistry("leak-cluster-config", "ams3")
	viaCluster.Spec.ProviderConfigReference = e.ClusterProviderConfigRef()
	for _, r := range []*v1alpha1.Registry{ok, clash, unauth, viaCluster} {
		e.Create(t, r)
	}
	e.WaitForCondition(t, ok, xpv2.TypeReady, corev1.ConditionTrue)
	e.WaitForCondition(t, viaCluster, xpv2.TypeReady, corev1.ConditionTrue)
	e.WaitFor(t, clash, "name clash", func() bool { return clash.GetCondition(xpv2.TypeReady).Reason == "NameTaken" })
	e.WaitFor(t, unauth, "unauthorized", func() bool {
		c := clash.GetCondition(xpv2.TypeSynced)
		u := unauth.GetCondition(xpv2.TypeSynced)
		return c.Status == corev1.ConditionFalse && u.Status == corev1.ConditionFalse && strings.Contains(u.Message, "401")
	})
	e.Delete(t, ok)
	e.WaitFor(t, ok, "deletion refused", func() bool {
		return strings.Contains(ok.GetCondition(xpv2.TypeSynced).Message, "deletion protection")
	})

	// Gather everything a user or an operator could read.
	var all strings.Builder
	logs := e.Logs()
	all.WriteString(logs)
	for _, ev := range e.Events(t) {
		b, _ := json.Marshal(ev)
		all.Write(b)
	}
	regs := &v1alpha1.RegistryList{}
	if err := e.Kube.List(ctx, regs); err != nil {
		t.Fatal(err)
	}
	for _, r := range regs.Items {
		b, _ := json.Marshal(r)
		all.Write(b)
	}
	pcs := &v1alpha1.ProviderConfigList{}
	_ = e.Kube.List(ctx, pcs)
	b, _ := json.Marshal(pcs)
	all.Write(b)
	conn := &corev1.Secret{}
	if err := e.Kube.Get(ctx, clientKey(e.Namespace, "leak-ok-conn"), conn); err != nil {
		t.Fatalf("connection secret: %v", err)
	}
	b, _ = json.Marshal(conn.Data)
	all.Write(b)

	// The check must be able to fail: debug lines and the errors are there.
	for _, want := range []string{"DEBUG", "Reconciling", "taken by another DigitalOcean account", "401", "deletion protection"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("gathered output lacks %q: the scan would prove nothing", want)
		}
	}
	for name, secret := range map[string]string{"the token": e.Token, "the revoked token": revoked, "the other account's token": "dop_v1_othr0123456789abcdef0123456789abcdef0123456789abcdef"} {
		// Also a fragment, in case something truncates.
		for _, s := range []string{secret, secret[len(secret)-24:]} {
			if strings.Contains(all.String(), s) {
				t.Errorf("%s appears in the provider's logs, events or objects", name)
			}
		}
	}
	t.Logf("scanned %d bytes of logs and %d bytes in all", len(logs), all.Len())
	e.Update(t, ok, func() { ok.Spec.ForProvider.DeletionProtection = false })
	e.WaitGone(t, ok)
}
