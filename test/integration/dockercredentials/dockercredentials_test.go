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

// Package dockercredentials tests DockerCredentials through the Kubernetes API
// against the simulator, with one fake clock driving the controllers and the
// simulator.
package dockercredentials

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }

// pullSecret is the connection Secret read as kubelet reads an
// imagePullSecret: type, key, JSON, and base64 user:password per auths entry.
type pullSecret struct {
	UID   types.UID
	Auths map[string]string // key -> "user:password"
	Raw   map[string]string // key -> auth as stored
}

func readPullSecret(t *testing.T, e *env.Env, name string) (pullSecret, bool) {
	t.Helper()
	s := &corev1.Secret{}
	err := e.Kube.Get(context.Background(), types.NamespacedName{Namespace: e.Namespace, Name: name}, s)
	if kerrors.IsNotFound(err) {
		return pullSecret{}, false
	}
	if err != nil {
		t.Fatalf("get Secret %s: %v", name, err)
	}
	if s.Type != corev1.SecretTypeDockerConfigJson {
		return pullSecret{}, false
	}
	var doc struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &doc); err != nil {
		t.Fatalf("Secret %s: %s is not JSON", name, corev1.DockerConfigJsonKey)
	}
	ps := pullSecret{UID: s.UID, Auths: map[string]string{}, Raw: map[string]string{}}
	for k, v := range doc.Auths {
		b, err := base64.StdEncoding.DecodeString(v.Auth)
		if err != nil {
			t.Fatalf("Secret %s: auth of %s is not base64", name, k)
		}
		u, p, ok := strings.Cut(string(b), ":")
		if !ok || u == "" || p == "" {
			t.Fatalf("Secret %s: auth of %s is not user:password", name, k)
		}
		ps.Auths[k] = string(b)
		ps.Raw[k] = v.Auth
	}
	return ps, true
}

// secrets returns what must never leave the Secret: each entry's auth as
// stored, user:password, and the password alone.
func (ps pullSecret) secrets() []string {
	var out []string
	for k, up := range ps.Auths {
		_, p, _ := strings.Cut(up, ":")
		out = append(out, ps.Raw[k], up, p)
	}
	return out
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDockerCredentialsLifecycle(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	e := env.Start(t, env.Options{Clock: clk, Logs: os.Stderr})
	ctx := context.Background()
	suffix := strings.TrimPrefix(e.Namespace, "t-")
	regA, regB := "dc-a-"+suffix, "dc-b-"+suffix
	for _, r := range []string{regA, regB} {
		if _, _, err := e.DO(t).Registries.Create(ctx, &godo.RegistryCreateRequest{Name: r, Region: "fra1"}); err != nil {
			t.Fatalf("create registry %s at the simulator: %v", r, err)
		}
	}
	var seen []string // every credential issued, to look for in logs and events

	// Create -> Ready: an imagePullSecret for one registry, keyed by host.
	dc := &v1alpha1.DockerCredentials{ObjectMeta: metav1.ObjectMeta{Name: "pull"}}
	dc.Spec.ForProvider.RegistryNames = []string{regA}
	dc.Spec.ForProvider.Expiry = &metav1.Duration{Duration: time.Hour}
	dc.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "pull-secret"}
	e.Create(t, dc)
	e.WaitForCondition(t, dc, xpv2.TypeReady, corev1.ConditionTrue)
	ps, ok := readPullSecret(t, e, "pull-secret")
	if !ok {
		t.Fatal("no kubernetes.io/dockerconfigjson Secret pull-secret")
	}
	if diff := cmp.Diff([]string{"registry.digitalocean.com"}, keys(ps.Auths)); diff != "" {
		t.Errorf("auths keys -want +got:\n%s", diff)
	}
	seen = append(seen, ps.secrets()...)
	at := dc.Status.AtProvider
	if at.IssuedAt == nil || at.ExpiresAt == nil || at.RenewAt == nil ||
		at.ExpiresAt.Sub(at.IssuedAt.Time) != time.Hour || at.ExpiresAt.Sub(at.RenewAt.Time) != 20*time.Minute ||
		at.Access != v1alpha1.AccessRead || strings.Join(at.Registries, ",") != regA {
		t.Fatalf("atProvider after create: %+v", at)
	}
	// Kubelet accepts it: a Pod may name it as an imagePullSecret (the API
	// server checked type and key when the Secret was written).

	// Update: two registries -> one entry per registry path.
	e.Update(t, dc, func() { dc.Spec.ForProvider.RegistryNames = []string{regA, regB} })
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		ps, ok = readPullSecret(t, e, "pull-secret")
		return ok && len(ps.Auths) == 2, "Secret auths: " + strings.Join(keys(ps.Auths), ",")
	})
	if diff := cmp.Diff([]string{"registry.digitalocean.com/" + regA, "registry.digitalocean.com/" + regB}, keys(ps.Auths)); diff != "" {
		t.Errorf("auths keys -want +got:\n%s", diff)
	}
	if ps.Auths["registry.digitalocean.com/"+regA] == ps.Auths["registry.digitalocean.com/"+regB] {
		t.Error("both registries got the same credentials: they were not fetched per registry")
	}
	seen = append(seen, ps.secrets()...)
	e.WaitFor(t, dc, "status for both registries", func() bool {
		return strings.Join(dc.Status.AtProvider.Registries, ",") == regA+","+regB && dc.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
	})

	// Renewal: stepping the clock past renewAt issues new credentials before
	// the current ones expire.
	before := dc.Status.AtProvider
	clk.Step(before.RenewAt.Sub(clk.Now()) + time.Second)
	e.WaitFor(t, dc, "renewed credentials", func() bool {
		at := dc.Status.AtProvider
		return at.IssuedAt != nil && at.IssuedAt.After(before.IssuedAt.Time)
	})
	after := dc.Status.AtProvider
	if !after.IssuedAt.Before(before.ExpiresAt) {
		t.Errorf("renewed at %s, after the old credentials expired at %s", after.IssuedAt, before.ExpiresAt)
	}
	if !after.ExpiresAt.After(before.ExpiresAt.Time) {
		t.Errorf("new expiry %s is not later than the old %s", after.ExpiresAt, before.ExpiresAt)
	}
	renewed, _ := readPullSecret(t, e, "pull-secret")
	for k, v := range renewed.Auths {
		if ps.Auths[k] == v {
			t.Errorf("entry %s kept its old credentials after renewal", k)
		}
	}
	seen = append(seen, renewed.secrets()...)

	// Drift: the Secret is deleted behind the provider's back; it comes back.
	if err := e.Kube.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "pull-secret"}}); err != nil {
		t.Fatal(err)
	}
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		ps, ok = readPullSecret(t, e, "pull-secret")
		return ok && ps.UID != renewed.UID && len(ps.Auths) == 2, "Secret pull-secret not yet recreated"
	})
	seen = append(seen, ps.secrets()...)
	e.WaitForCondition(t, dc, xpv2.TypeReady, corev1.ConditionTrue)
	// Nor in the object: its status, conditions and annotations.
	obj, err := json.Marshal(dc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range seen {
		if strings.Contains(string(obj), c) {
			t.Errorf("a credential appears in the DockerCredentials object")
		}
	}

	// Delete: the Secret goes. DigitalOcean has no revoke endpoint, so
	// nothing changes at the simulator (issued credentials simply expire).
	e.Delete(t, dc)
	e.WaitGone(t, dc)
	if _, ok := readPullSecret(t, e, "pull-secret"); ok {
		t.Error("the Secret outlived its DockerCredentials")
	}

	// No credential reached a log line, an event or a condition.
	logs := e.Logs()
	evs := e.Events(t)
	for _, c := range seen {
		if strings.Contains(logs, c) {
			t.Errorf("a credential appears in the provider logs")
		}
		for _, ev := range evs {
			if strings.Contains(ev.Message, c) {
				t.Errorf("a credential appears in event %s: %s", ev.Reason, ev.Name)
			}
		}
	}
}

func TestDockerCredentialsReadWriteDuringGarbageCollection(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	e := env.Start(t, env.Options{Clock: clk, Logs: os.Stderr})
	ctx := context.Background()
	reg := "dc-gc-" + strings.TrimPrefix(e.Namespace, "t-")
	if _, _, err := e.DO(t).Registries.Create(ctx, &godo.RegistryCreateRequest{Name: reg, Region: "fra1"}); err != nil {
		t.Fatal(err)
	}
	// A garbage collection runs; with the clock held it does not finish.
	if _, _, err := e.DO(t).Registries.StartGarbageCollection(ctx, reg, &godo.StartGarbageCollectionRequest{Type: godo.GCTypeUntaggedManifestsAndUnreferencedBlobs}); err != nil {
		t.Fatal(err)
	}

	dc := &v1alpha1.DockerCredentials{ObjectMeta: metav1.ObjectMeta{Name: "push"}}
	dc.Spec.ForProvider.RegistryNames = []string{reg}
	dc.Spec.ForProvider.Access = v1alpha1.AccessReadWrite
	dc.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "push-secret"}
	e.Create(t, dc)
	e.WaitFor(t, dc, "the garbage collection condition", func() bool {
		c := dc.GetCondition(xpv2.TypeSynced)
		return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, `registry "`+reg+`" is read-only while garbage collection`) &&
			strings.Contains(c.Message, "retrying after the run")
	})
	if _, ok := readPullSecret(t, e, "push-secret"); ok {
		t.Fatal("credentials were written although DigitalOcean refused them")
	}

	// The run ends; the retry issues the credentials.
	clk.Step(10 * time.Minute)
	e.WaitForCondition(t, dc, xpv2.TypeReady, corev1.ConditionTrue)
	e.WaitForCondition(t, dc, xpv2.TypeSynced, corev1.ConditionTrue)
	if _, ok := readPullSecret(t, e, "push-secret"); !ok {
		t.Fatal("no Secret after the garbage collection ended")
	}
	if dc.Status.AtProvider.Access != v1alpha1.AccessReadWrite {
		t.Errorf("access = %q", dc.Status.AtProvider.Access)
	}
}

func TestDockerCredentialsForeignSecretUntouched(t *testing.T) {
	e := env.Start(t, env.Options{Logs: os.Stderr})
	ctx := context.Background()
	reg := "dc-f-" + strings.TrimPrefix(e.Namespace, "t-")
	if _, _, err := e.DO(t).Registries.Create(ctx, &godo.RegistryCreateRequest{Name: reg, Region: "fra1"}); err != nil {
		t.Fatal(err)
	}
	mine := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "taken"}, Data: map[string][]byte{"k": []byte("v")}}
	if err := e.Kube.Create(ctx, mine); err != nil {
		t.Fatal(err)
	}
	dc := &v1alpha1.DockerCredentials{ObjectMeta: metav1.ObjectMeta{Name: "clash"}}
	dc.Spec.ForProvider.RegistryNames = []string{reg}
	dc.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "taken"}
	e.Create(t, dc)
	e.WaitFor(t, dc, "a clear refusal", func() bool {
		c := dc.GetCondition(xpv2.TypeSynced)
		return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, `Secret "taken" exists and is not controlled by this DockerCredentials`)
	})
	got := &corev1.Secret{}
	if err := e.Kube.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: "taken"}, got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mine.Data, got.Data); diff != "" || got.Type != corev1.SecretTypeOpaque {
		t.Errorf("the user's Secret was changed (type %s):\n%s", got.Type, diff)
	}
	e.Delete(t, dc)
	e.WaitGone(t, dc)
	if err := e.Kube.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: "taken"}, got); err != nil {
		t.Errorf("the user's Secret was deleted with the DockerCredentials: %v", err)
	}
}

func TestDockerCredentialsNeedsSecretRef(t *testing.T) {
	e := env.Start(t, env.Options{Logs: os.Stderr})
	dc := &v1alpha1.DockerCredentials{ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "nowhere"}}
	dc.Spec.ForProvider.RegistryNames = []string{"any"}
	dc.SetProviderConfigReference(e.ProviderConfigRef())
	err := e.Kube.Create(context.Background(), dc)
	if err == nil || !strings.Contains(err.Error(), "spec.writeConnectionSecretToRef.name is required") {
		t.Fatalf("create without writeConnectionSecretToRef: err = %v, want the CRD to refuse it", err)
	}
}
