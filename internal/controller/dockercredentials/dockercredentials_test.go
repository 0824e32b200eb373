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

package dockercredentials

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/dockerconfig"
)

const (
	ns      = "team-a"
	sname   = "pull"
	mgUID   = "uid-creds"
	secretT = "SEKRETTOKEN"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func apiErr(code int) error {
	return &godo.ErrorResponse{Response: &http.Response{StatusCode: code, Request: &http.Request{Method: "GET"}}, Message: http.StatusText(code)}
}

// credsFor is what the fake DigitalOcean returns for a registry: a unique
// secret per registry, so tests can tell them apart.
func credsFor(reg string) []byte {
	u := secretT + "-" + reg
	return []byte(`{"auths":{"registry.digitalocean.com":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(u+":"+u)) + `"}}}`)
}

type call struct {
	Registry string
	RW       bool
	Expiry   int
}

type fakeAPI struct {
	errs  map[string]error
	raw   map[string][]byte
	gc    *godo.GarbageCollection
	gcErr error
	calls []call
}

func (f *fakeAPI) DockerCredentials(_ context.Context, reg string, rw bool, exp int) ([]byte, error) {
	f.calls = append(f.calls, call{reg, rw, exp})
	if err := f.errs[reg]; err != nil {
		return nil, err
	}
	if b, ok := f.raw[reg]; ok {
		return b, nil
	}
	return credsFor(reg), nil
}

func (f *fakeAPI) ActiveGarbageCollection(context.Context, string) (*godo.GarbageCollection, error) {
	if f.gc == nil && f.gcErr == nil {
		return nil, apiErr(404)
	}
	return f.gc, f.gcErr
}

type mgOpt func(*v1alpha1.DockerCredentials)

func creds(o ...mgOpt) *v1alpha1.DockerCredentials {
	mg := &v1alpha1.DockerCredentials{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds", UID: mgUID}}
	mg.Spec.ForProvider.RegistryNames = []string{"a"}
	mg.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: sname}
	for _, f := range o {
		f(mg)
	}
	return mg
}

func names(n ...string) mgOpt {
	return func(mg *v1alpha1.DockerCredentials) { mg.Spec.ForProvider.RegistryNames = n }
}
func rw() mgOpt {
	return func(mg *v1alpha1.DockerCredentials) { mg.Spec.ForProvider.Access = v1alpha1.AccessReadWrite }
}
func expiry(d, renew time.Duration) mgOpt {
	return func(mg *v1alpha1.DockerCredentials) {
		mg.Spec.ForProvider.Expiry = &metav1.Duration{Duration: d}
		if renew != 0 {
			mg.Spec.ForProvider.RenewBefore = &metav1.Duration{Duration: renew}
		}
	}
}
func noRef() mgOpt {
	return func(mg *v1alpha1.DockerCredentials) { mg.Spec.WriteConnectionSecretToReference = nil }
}
func deleting() mgOpt {
	return func(mg *v1alpha1.DockerCredentials) {
		now := metav1.NewTime(t0)
		mg.SetDeletionTimestamp(&now)
	}
}

func controlledBy(mg *v1alpha1.DockerCredentials) []metav1.OwnerReference {
	return []metav1.OwnerReference{meta.AsController(meta.TypedReferenceTo(mg, v1alpha1.DockerCredentialsGroupVersionKind))}
}

type secOpt func(*corev1.Secret)

// issuedSecret is a Secret as the controller writes it, issued at `at` for
// registries with the default access and the given expiry.
func issuedSecret(mg *v1alpha1.DockerCredentials, at time.Time, exp time.Duration, regs []string, o ...secOpt) *corev1.Secret {
	per := map[string]dockerconfig.Config{}
	for _, r := range regs {
		c, err := dockerconfig.Parse(credsFor(r))
		if err != nil {
			panic(err)
		}
		per[r] = c
	}
	c, err := dockerconfig.Combine(per)
	if err != nil {
		panic(err)
	}
	data, err := c.Marshal()
	if err != nil {
		panic(err)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sname, OwnerReferences: controlledBy(mg),
			Annotations: issued{Registries: regs, Access: v1alpha1.AccessRead, Expiry: exp, IssuedAt: at, ExpiresAt: at.Add(exp)}.annotations()},
		Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{dockerconfig.Key: data},
	}
	for _, f := range o {
		f(s)
	}
	return s
}

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func newExternal(t *testing.T, now time.Time, api *fakeAPI, objs ...client.Object) (*external, client.Client) {
	t.Helper()
	kube := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(objs...).Build()
	return &external{kube: kube, api: api, clock: clocktesting.NewFakeClock(now), cacheWait: time.Second}, kube
}

// noSecrets fails the test when s mentions a credential.
func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, secretT) || strings.Contains(s, base64.StdEncoding.EncodeToString([]byte(secretT))[:8]) {
		t.Errorf("%s reveals a credential: %s", what, s)
	}
}

func TestObserve(t *testing.T) {
	const month = 720 * time.Hour
	base := creds()
	tm := func(t time.Time) *metav1.Time { return ptrTime(t) }
	cases := map[string]struct {
		mg      *v1alpha1.DockerCredentials
		secret  *corev1.Secret
		now     time.Time
		want    managed.ExternalObservation
		wantErr string
		wantObs *v1alpha1.DockerCredentialsObservation
		ready   corev1.ConditionStatus
	}{
		"NoSecretRef": {
			mg:      creds(noRef()),
			wantErr: "spec.writeConnectionSecretToRef.name is required",
		},
		"NoSecretRefWhileDeleting": {
			mg:   creds(noRef(), deleting()),
			want: managed.ExternalObservation{ResourceExists: false},
		},
		"NotIssuedYet": {
			mg:    creds(),
			want:  managed.ExternalObservation{ResourceExists: false},
			ready: corev1.ConditionFalse,
		},
		"ForeignSecret": {
			mg:      creds(),
			secret:  issuedSecret(base, t0, month, []string{"a"}, func(s *corev1.Secret) { s.OwnerReferences = nil }),
			wantErr: `Secret "pull" exists and is not controlled by this DockerCredentials`,
		},
		"ForeignSecretWhileDeleting": {
			mg:     creds(deleting()),
			secret: issuedSecret(base, t0, month, []string{"a"}, func(s *corev1.Secret) { s.OwnerReferences = nil }),
			want:   managed.ExternalObservation{ResourceExists: false},
		},
		"RuntimePlaceholder": {
			// crossplane-runtime creates an empty Secret of its own type
			// before the first Create: not credentials yet.
			mg: creds(),
			secret: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sname, OwnerReferences: controlledBy(base)},
				Type: "connection.crossplane.io/v1alpha1"},
			want: managed.ExternalObservation{ResourceExists: false},
		},
		"UpToDate": {
			mg:     creds(),
			secret: issuedSecret(base, t0, month, []string{"a"}),
			now:    t0.Add(time.Hour),
			want:   managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
			wantObs: &v1alpha1.DockerCredentialsObservation{Registries: []string{"a"}, Access: v1alpha1.AccessRead,
				IssuedAt: tm(t0), ExpiresAt: tm(t0.Add(month)), RenewAt: tm(t0.Add(month - month/3))},
			ready: corev1.ConditionTrue,
		},
		"CustomRenewBeforeOnlyMovesRenewAt": {
			mg:     creds(expiry(month, time.Hour)),
			secret: issuedSecret(base, t0, month, []string{"a"}),
			now:    t0.Add(time.Hour),
			want:   managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
			wantObs: &v1alpha1.DockerCredentialsObservation{Registries: []string{"a"}, Access: v1alpha1.AccessRead,
				IssuedAt: tm(t0), ExpiresAt: tm(t0.Add(month)), RenewAt: tm(t0.Add(month - time.Hour))},
			ready: corev1.ConditionTrue,
		},
		"DueForRenewal": {
			mg:     creds(),
			secret: issuedSecret(base, t0, month, []string{"a"}),
			now:    t0.Add(month - month/3),
			want:   managed.ExternalObservation{ResourceExists: true, Diff: "due for renewal since 2026-12-12T08:00:00Z"},
			ready:  corev1.ConditionTrue,
		},
		"Expired": {
			mg:     creds(),
			secret: issuedSecret(base, t0, month, []string{"a"}),
			now:    t0.Add(month),
			want:   managed.ExternalObservation{ResourceExists: true, Diff: "due for renewal since 2026-12-12T08:00:00Z"},
			ready:  corev1.ConditionFalse,
		},
		"RegistriesChanged": {
			mg:     creds(names("a", "b")),
			secret: issuedSecret(base, t0, month, []string{"a"}),
			want:   managed.ExternalObservation{ResourceExists: true, Diff: "issued for registries a, desired a,b"},
			ready:  corev1.ConditionTrue,
		},
		"AccessChanged": {
			mg:     creds(rw()),
			secret: issuedSecret(base, t0, month, []string{"a"}),
			want:   managed.ExternalObservation{ResourceExists: true, Diff: "issued with access Read, desired ReadWrite"},
			ready:  corev1.ConditionTrue,
		},
		"ExpiryChanged": {
			mg:     creds(expiry(24*time.Hour, 0)),
			secret: issuedSecret(base, t0, month, []string{"a"}),
			want:   managed.ExternalObservation{ResourceExists: true, Diff: "issued with expiry 720h0m0s, desired 24h0m0s"},
			ready:  corev1.ConditionTrue,
		},
		"WrongType": {
			mg:     creds(),
			secret: issuedSecret(base, t0, month, []string{"a"}, func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque }),
			want:   managed.ExternalObservation{ResourceExists: true, Diff: "Secret type is Opaque, not kubernetes.io/dockerconfigjson"},
			ready:  corev1.ConditionFalse,
		},
		"TamperedData": {
			mg: creds(),
			secret: issuedSecret(base, t0, month, []string{"a"}, func(s *corev1.Secret) {
				s.Data[dockerconfig.Key] = []byte(`{"auths":{"x":{"auth":"` + secretT + `"}}}`)
			}),
			want:  managed.ExternalObservation{ResourceExists: true, Diff: "Secret key .dockerconfigjson does not hold docker credentials for a"},
			ready: corev1.ConditionFalse,
		},
		"MultiRegistryMissingOne": {
			mg: creds(names("a", "b")),
			secret: issuedSecret(base, t0, month, []string{"a", "b"}, func(s *corev1.Secret) {
				s.Data[dockerconfig.Key] = credsFor("a") // host-keyed: covers one registry only
			}),
			want:  managed.ExternalObservation{ResourceExists: true, Diff: "Secret key .dockerconfigjson does not hold docker credentials for a,b"},
			ready: corev1.ConditionFalse,
		},
		"BadRenewBefore": {
			mg:      creds(expiry(time.Hour, 2*time.Hour)),
			secret:  issuedSecret(base, t0, time.Hour, []string{"a"}),
			wantErr: "forProvider.renewBefore 2h0m0s must be positive and shorter than forProvider.expiry 1h0m0s",
		},
		"UnresolvableReference": {
			mg: creds(names(), func(mg *v1alpha1.DockerCredentials) {
				mg.Spec.ForProvider.RegistryRefs = []xpv2.Reference{{Name: "gone"}}
			}),
			secret:  issuedSecret(base, t0, month, []string{"a"}),
			wantErr: `forProvider.registryRefs[0]: Registry "gone" not found`,
		},
		"Deleting": {
			mg:     creds(deleting()),
			secret: issuedSecret(base, t0, month, []string{"a"}),
			want:   managed.ExternalObservation{ResourceExists: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			var objs []client.Object
			if tc.secret != nil {
				objs = append(objs, tc.secret)
			}
			e, _ := newExternal(t, now, &fakeAPI{}, objs...)
			got, err := e.Observe(context.Background(), tc.mg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Observe() error = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Observe() error = %v", err)
			}
			// The runtime's publisher must find nothing to write: the
			// details are the Secret's own data.
			if tc.secret != nil && tc.secret.OwnerReferences != nil {
				if diff := cmp.Diff(managed.ConnectionDetails(tc.secret.Data), got.ConnectionDetails); diff != "" {
					t.Errorf("ConnectionDetails differ from the Secret's data:\n%s", diff)
				}
			}
			got.ConnectionDetails = nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Observe() -want +got:\n%s", diff)
			}
			if tc.wantObs != nil {
				if diff := cmp.Diff(*tc.wantObs, tc.mg.Status.AtProvider); diff != "" {
					t.Errorf("atProvider -want +got:\n%s", diff)
				}
			}
			if tc.ready != "" {
				if got := tc.mg.GetCondition(xpv2.TypeReady).Status; got != tc.ready {
					t.Errorf("Ready = %s, want %s", got, tc.ready)
				}
			}
			noSecrets(t, "Diff", got.Diff)
			noSecrets(t, "condition", tc.mg.GetCondition(xpv2.TypeReady).Message)
		})
	}
}

// auths decodes a Secret's .dockerconfigjson into host -> "user:password".
func auths(t *testing.T, s *corev1.Secret) map[string]string {
	t.Helper()
	var doc struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(s.Data[dockerconfig.Key], &doc); err != nil {
		t.Fatalf("Secret data is not JSON: %v", err)
	}
	out := map[string]string{}
	for k, v := range doc.Auths {
		b, err := base64.StdEncoding.DecodeString(v.Auth)
		if err != nil {
			t.Fatalf("auth of %q is not base64: %v", k, err)
		}
		out[k] = string(b)
	}
	return out
}

func TestIssue(t *testing.T) {
	const month = 720 * time.Hour
	base := creds()
	up := func(reg string) string { return secretT + "-" + reg + ":" + secretT + "-" + reg }
	cases := map[string]struct {
		mg       *v1alpha1.DockerCredentials
		existing *corev1.Secret
		api      *fakeAPI
		wantErr  string
		calls    []call
		// auths is the Secret's content afterwards; nil: no Secret of ours.
		auths  map[string]string
		labels map[string]string
	}{
		"OneRegistryKeyedByHost": {
			mg:    creds(),
			api:   &fakeAPI{},
			calls: []call{{"a", false, 2592000}},
			auths: map[string]string{"registry.digitalocean.com": up("a")},
		},
		"SeveralRegistriesKeyedByPath": {
			mg:    creds(names("b", "a"), rw(), expiry(time.Hour, 0)),
			api:   &fakeAPI{},
			calls: []call{{"a", true, 3600}, {"b", true, 3600}},
			auths: map[string]string{"registry.digitalocean.com/a": up("a"), "registry.digitalocean.com/b": up("b")},
		},
		"ReplacesRuntimePlaceholder": {
			mg: creds(),
			existing: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sname, OwnerReferences: controlledBy(base)},
				Type: "connection.crossplane.io/v1alpha1"},
			api:   &fakeAPI{},
			calls: []call{{"a", false, 2592000}},
			auths: map[string]string{"registry.digitalocean.com": up("a")},
		},
		"RenewsKeepingOthersLabels": {
			mg: creds(),
			existing: issuedSecret(base, t0.Add(-month), month, []string{"a"}, func(s *corev1.Secret) {
				s.Labels = map[string]string{"team": "a"}
				s.Data[dockerconfig.Key] = credsFor("old")
			}),
			api:    &fakeAPI{},
			calls:  []call{{"a", false, 2592000}},
			auths:  map[string]string{"registry.digitalocean.com": up("a")},
			labels: map[string]string{"team": "a"},
		},
		"RefusesForeignSecret": {
			mg: creds(),
			existing: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sname},
				Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"k": []byte("v")}},
			api:     &fakeAPI{},
			wantErr: `Secret "pull" exists and is not controlled by this DockerCredentials`,
			calls:   []call{{"a", false, 2592000}},
		},
		"ReadWriteDuringGarbageCollection": {
			mg:      creds(rw()),
			api:     &fakeAPI{errs: map[string]error{"a": apiErr(412)}, gc: &godo.GarbageCollection{UUID: "gc-1", Status: "scanning manifests"}},
			wantErr: `registry "a" is read-only while garbage collection gc-1 runs (status "scanning manifests"): DigitalOcean issues no ReadWrite credentials until it finishes; retrying after the run`,
			calls:   []call{{"a", true, 2592000}},
		},
		"ReadWriteRefusedWithoutGarbageCollection": {
			mg:      creds(rw()),
			api:     &fakeAPI{errs: map[string]error{"a": apiErr(412)}},
			wantErr: `cannot issue ReadWrite credentials for registry "a": 412 Precondition Failed`,
			calls:   []call{{"a", true, 2592000}},
		},
		"RegistryMissing": {
			mg:      creds(names("a", "b")),
			api:     &fakeAPI{errs: map[string]error{"b": apiErr(404)}},
			wantErr: `registry "b" does not exist at DigitalOcean`,
			calls:   []call{{"a", false, 2592000}, {"b", false, 2592000}},
		},
		"ServerError": {
			mg:      creds(),
			api:     &fakeAPI{errs: map[string]error{"a": apiErr(500)}},
			wantErr: `cannot issue Read credentials for registry "a": 500 Internal Server Error`,
			calls:   []call{{"a", false, 2592000}},
		},
		"UnusableAnswer": {
			mg:      creds(),
			api:     &fakeAPI{raw: map[string][]byte{"a": []byte(`{"auths":{"h":{"auth":"` + secretT + `"}}}`)}},
			wantErr: `DigitalOcean returned unusable docker credentials for registry "a"`,
			calls:   []call{{"a", false, 2592000}},
		},
		"NoSecretRef": {
			mg:      creds(noRef()),
			api:     &fakeAPI{},
			wantErr: "spec.writeConnectionSecretToRef.name is required",
		},
	}
	for name, tc := range cases {
		for _, op := range []string{"Create", "Update"} {
			t.Run(name+"/"+op, func(t *testing.T) {
				var objs []client.Object
				if tc.existing != nil {
					objs = append(objs, tc.existing.DeepCopy())
				}
				api := *tc.api
				api.calls = nil
				e, kube := newExternal(t, t0, &api, objs...)
				mg := tc.mg.DeepCopy()
				var details managed.ConnectionDetails
				var err error
				if op == "Create" {
					var c managed.ExternalCreation
					c, err = e.Create(context.Background(), mg)
					details = c.ConnectionDetails
				} else {
					var u managed.ExternalUpdate
					u, err = e.Update(context.Background(), mg)
					details = u.ConnectionDetails
				}
				if diff := cmp.Diff(tc.calls, api.calls); diff != "" {
					t.Errorf("DigitalOcean calls -want +got:\n%s", diff)
				}
				s := &corev1.Secret{}
				getErr := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: sname}, s)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("%s() error = %v, want containing %q", op, err, tc.wantErr)
					}
					noSecrets(t, "error", err.Error())
					if tc.existing != nil && getErr == nil {
						if diff := cmp.Diff(tc.existing.Data, s.Data); diff != "" {
							t.Errorf("a failed issue changed the Secret:\n%s", diff)
						}
					}
					return
				}
				if err != nil {
					t.Fatalf("%s() error = %v", op, err)
				}
				if getErr != nil {
					t.Fatalf("no Secret written: %v", getErr)
				}
				if s.Type != corev1.SecretTypeDockerConfigJson {
					t.Errorf("Secret type = %q, want %q", s.Type, corev1.SecretTypeDockerConfigJson)
				}
				if !metav1.IsControlledBy(s, mg) {
					t.Errorf("Secret is not controlled by the DockerCredentials: %v", s.OwnerReferences)
				}
				if diff := cmp.Diff(tc.auths, auths(t, s)); diff != "" {
					t.Errorf("auths -want +got:\n%s", diff)
				}
				if diff := cmp.Diff(managed.ConnectionDetails(s.Data), details); diff != "" {
					t.Errorf("returned details differ from the Secret's data:\n%s", diff)
				}
				for k, v := range tc.labels {
					if s.Labels[k] != v {
						t.Errorf("label %s = %q, want %q", k, s.Labels[k], v)
					}
				}
				// The record lets Observe find the Secret up to date.
				obs, err := e.Observe(context.Background(), mg)
				if err != nil {
					t.Fatal(err)
				}
				if !obs.ResourceExists || !obs.ResourceUpToDate {
					t.Errorf("Observe() after %s = %+v, want existing and up to date", op, obs)
				}
				p, _ := getParams(mg)
				want := v1alpha1.DockerCredentialsObservation{Registries: mg.Spec.ForProvider.RegistryNames, Access: p.access,
					IssuedAt: ptrTime(t0), ExpiresAt: ptrTime(t0.Add(p.expiry)), RenewAt: ptrTime(t0.Add(p.expiry - p.renewBefore))}
				want.Registries = append([]string(nil), want.Registries...)
				if len(want.Registries) == 2 {
					want.Registries = []string{"a", "b"}
				}
				if diff := cmp.Diff(want, mg.Status.AtProvider); diff != "" {
					t.Errorf("atProvider -want +got:\n%s", diff)
				}
			})
		}
	}
}

func TestDelete(t *testing.T) {
	base := creds()
	cases := map[string]struct {
		mg       *v1alpha1.DockerCredentials
		existing *corev1.Secret
		gone     bool
	}{
		"DeletesOurs":  {mg: creds(deleting()), existing: issuedSecret(base, t0, time.Hour, []string{"a"}), gone: true},
		"KeepsForeign": {mg: creds(deleting()), existing: issuedSecret(base, t0, time.Hour, []string{"a"}, func(s *corev1.Secret) { s.OwnerReferences = nil })},
		"NothingThere": {mg: creds(deleting()), gone: true},
		"NoSecretRef":  {mg: creds(deleting(), noRef()), gone: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var objs []client.Object
			if tc.existing != nil {
				objs = append(objs, tc.existing)
			}
			e, kube := newExternal(t, t0, &fakeAPI{}, objs...)
			if _, err := e.Delete(context.Background(), tc.mg); err != nil {
				t.Fatalf("Delete() error = %v", err)
			}
			err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: sname}, &corev1.Secret{})
			if gone := err != nil; gone != tc.gone {
				t.Errorf("Secret gone = %v, want %v (%v)", gone, tc.gone, err)
			}
		})
	}
}

func TestGetParams(t *testing.T) {
	cases := map[string]struct {
		fp      v1alpha1.DockerCredentialsParameters
		want    params
		wantErr string
	}{
		"Defaults":       {want: params{access: v1alpha1.AccessRead, expiry: 720 * time.Hour, renewBefore: 240 * time.Hour}},
		"Explicit":       {fp: v1alpha1.DockerCredentialsParameters{Access: v1alpha1.AccessReadWrite, Expiry: &metav1.Duration{Duration: time.Hour}, RenewBefore: &metav1.Duration{Duration: time.Minute}}, want: params{access: v1alpha1.AccessReadWrite, expiry: time.Hour, renewBefore: time.Minute}},
		"BadAccess":      {fp: v1alpha1.DockerCredentialsParameters{Access: "Admin"}, wantErr: `forProvider.access "Admin"`},
		"ShortExpiry":    {fp: v1alpha1.DockerCredentialsParameters{Expiry: &metav1.Duration{Duration: time.Second}}, wantErr: "forProvider.expiry 1s is shorter than 1m0s"},
		"FractionExpiry": {fp: v1alpha1.DockerCredentialsParameters{Expiry: &metav1.Duration{Duration: time.Hour + time.Millisecond}}, wantErr: "not a whole number of seconds"},
		"RenewTooLong":   {fp: v1alpha1.DockerCredentialsParameters{Expiry: &metav1.Duration{Duration: time.Hour}, RenewBefore: &metav1.Duration{Duration: time.Hour}}, wantErr: "forProvider.renewBefore 1h0m0s must be positive"},
		"RenewNegative":  {fp: v1alpha1.DockerCredentialsParameters{RenewBefore: &metav1.Duration{Duration: -time.Hour}}, wantErr: "forProvider.renewBefore -1h0m0s must be positive"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			mg := creds()
			mg.Spec.ForProvider = tc.fp
			got, err := getParams(mg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("getParams() error = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(params{})); diff != "" {
				t.Errorf("getParams() -want +got:\n%s", diff)
			}
		})
	}
}

func TestRenewalHook(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	at := func(d time.Duration) *v1alpha1.DockerCredentials {
		mg := creds()
		mg.Status.AtProvider.RenewAt = ptrTime(t0.Add(d))
		return mg
	}
	cases := map[string]struct {
		mg   *v1alpha1.DockerCredentials
		want time.Duration
	}{
		"NoRenewalKnown":    {mg: creds(), want: time.Minute},
		"RenewalAfterPoll":  {mg: at(time.Hour), want: time.Minute},
		"RenewalBeforePoll": {mg: at(10 * time.Second), want: 11 * time.Second},
		"RenewalOverdue":    {mg: at(-time.Second), want: time.Minute},
	}
	hook := RenewalHook(clk, 0)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := hook(tc.mg, time.Minute); got != tc.want {
				t.Errorf("hook() = %s, want %s", got, tc.want)
			}
		})
	}
	// Jitter stays within bounds and never delays past a due renewal.
	j := RenewalHook(clk, 10*time.Second)
	for i := 0; i < 100; i++ {
		if got := j(creds(), time.Minute); got < 50*time.Second || got > 70*time.Second {
			t.Fatalf("jittered poll %s outside [50s, 70s]", got)
		}
		if got := j(at(5*time.Second), time.Minute); got != 6*time.Second {
			t.Fatalf("jittered hook moved a due renewal: %s", got)
		}
	}
}

// Every error the GC path can produce names the registry and never the
// credentials; the error type lets callers recognise it.
func TestGCRunningError(t *testing.T) {
	var err error = &GCRunningError{Registry: "a", UUID: "u", Status: "requested"}
	noSecrets(t, "error", err.Error())
	if !strings.Contains(err.Error(), fmt.Sprintf("%q", "a")) {
		t.Errorf("error does not name the registry: %v", err)
	}
}

// Credentials never linger in a Secret the object no longer names: after
// writeConnectionSecretToRef changes, issuing deletes the old Secret, and
// Delete removes every Secret of the object. Secrets of others stay.
func TestStaleSecretsDeleted(t *testing.T) {
	base := creds()
	old := issuedSecret(base, t0, time.Hour, []string{"a"}, func(s *corev1.Secret) {
		s.Name = "old-name"
		s.Labels = map[string]string{LabelOwner: base.GetName()}
	})
	foreign := issuedSecret(base, t0, time.Hour, []string{"a"}, func(s *corev1.Secret) {
		s.Name = "someone-elses"
		s.Labels = map[string]string{LabelOwner: base.GetName()}
		s.OwnerReferences = nil
	})
	exists := func(kube client.Client, name string) bool {
		return kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &corev1.Secret{}) == nil
	}

	e, kube := newExternal(t, t0, &fakeAPI{}, old, foreign)
	mg := creds()
	if _, err := e.Create(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
	if got := map[string]bool{"new": exists(kube, sname), "old": exists(kube, "old-name"), "foreign": exists(kube, "someone-elses")}; !cmp.Equal(got, map[string]bool{"new": true, "old": false, "foreign": true}) {
		t.Errorf("after issue: %v", got)
	}

	e, kube = newExternal(t, t0, &fakeAPI{}, old.DeepCopy(), foreign.DeepCopy(), issuedSecret(base, t0, time.Hour, []string{"a"}))
	if _, err := e.Delete(context.Background(), creds(deleting())); err != nil {
		t.Fatal(err)
	}
	if got := map[string]bool{"current": exists(kube, sname), "old": exists(kube, "old-name"), "foreign": exists(kube, "someone-elses")}; !cmp.Equal(got, map[string]bool{"current": false, "old": false, "foreign": true}) {
		t.Errorf("after delete: %v", got)
	}
}
