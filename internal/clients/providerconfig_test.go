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

package clients

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

func registryUsing(kind, name string) *v1alpha1.Registry {
	r := &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "reg", UID: "uid-1"}}
	r.SetGroupVersionKind(v1alpha1.RegistryGroupVersionKind)
	if kind != "" {
		r.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: kind, Name: name}
	}
	return r
}

func tokenSecret(ns, name, token string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"token": []byte(token)}}
}

func TestGetConfig(t *testing.T) {
	s := runtime.NewScheme()
	_ = corev1.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)

	pc := func(ns, secret string) *v1alpha1.ProviderConfig {
		return &v1alpha1.ProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"},
			Spec: v1alpha1.ProviderConfigSpec{
				Credentials: v1alpha1.ProviderCredentials{Source: v1alpha1.CredentialsSourceSecret,
					SecretRef: &xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: secret}, Key: "token"}},
				ClientSettings: v1alpha1.ClientSettings{
					APIURL:    "http://127.0.0.1:8080",
					RateLimit: &v1alpha1.RateLimit{RequestsPerMinute: ptr.To[int32](100)},
					Retry:     &v1alpha1.Retry{MaxRetries: ptr.To[int32](0), WaitMin: &metav1.Duration{Duration: 2 * time.Second}},
				},
			},
		}
	}
	cpc := &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: v1alpha1.ClusterProviderConfigSpec{Credentials: v1alpha1.ClusterProviderCredentials{
			Source:    v1alpha1.CredentialsSourceSecret,
			SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "do"}, Key: "token"},
		}},
	}

	type want struct {
		cfg Config
		err string
	}
	cases := map[string]struct {
		objs []client.Object
		mg   *v1alpha1.Registry
		want want
	}{
		"NamespacedProviderConfig": {
			objs: []client.Object{pc("team-a", "tok"), tokenSecret("team-a", "tok", testToken+"\n")},
			mg:   registryUsing("ProviderConfig", "default"),
			want: want{cfg: Config{Token: testToken, APIURL: "http://127.0.0.1:8080", RequestsPerMinute: 100, MaxRetries: -1,
				WaitMin: 2 * time.Second, ProviderConfig: "ProviderConfig/team-a/default"}},
		},
		"NamespacedProviderConfigCannotReadAnotherNamespace": {
			// The Secret exists, but in another namespace: not found.
			objs: []client.Object{pc("team-a", "tok"), tokenSecret("crossplane-system", "tok", testToken)},
			mg:   registryUsing("ProviderConfig", "default"),
			want: want{err: `secrets "tok" not found`},
		},
		"ProviderConfigOfAnotherNamespaceIsNotUsed": {
			objs: []client.Object{pc("team-b", "tok"), tokenSecret("team-b", "tok", testToken)},
			mg:   registryUsing("ProviderConfig", "default"),
			want: want{err: "cannot get ProviderConfig team-a/default"},
		},
		"ClusterProviderConfig": {
			objs: []client.Object{cpc, tokenSecret("crossplane-system", "do", testToken)},
			mg:   registryUsing("ClusterProviderConfig", "default"),
			want: want{cfg: Config{Token: testToken, ProviderConfig: "ClusterProviderConfig/default"}},
		},
		"EmptyToken": {
			objs: []client.Object{cpc, tokenSecret("crossplane-system", "do", " ")},
			mg:   registryUsing("ClusterProviderConfig", "default"),
			want: want{err: "the API token in Secret crossplane-system/do key token is empty"},
		},
		"UnknownKind": {
			mg:   registryUsing("SomethingElse", "default"),
			want: want{err: "spec.providerConfigRef.kind must be ProviderConfig or ClusterProviderConfig"},
		},
		"NoRef": {
			mg:   registryUsing("", ""),
			want: want{err: "spec.providerConfigRef is not set"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(tc.objs...).Build()
			c := NewConnector(kube, nil)
			cfg, err := c.GetConfig(context.Background(), tc.mg)
			got := want{cfg: cfg}
			if err != nil {
				got.err = err.Error()
				if strings.Contains(got.err, testToken) {
					t.Errorf("error contains the token")
				}
				if !strings.Contains(got.err, tc.want.err) {
					t.Errorf("error %q does not contain %q", got.err, tc.want.err)
				}
				got.err = tc.want.err
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

func TestConnectTracksUsage(t *testing.T) {
	s := runtime.NewScheme()
	_ = corev1.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	cpc := &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: v1alpha1.ClusterProviderConfigSpec{Credentials: v1alpha1.ClusterProviderCredentials{
			Source: v1alpha1.CredentialsSourceSecret, SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "ns", Name: "do"}, Key: "token"},
		}},
	}
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(cpc, tokenSecret("ns", "do", testToken)).Build()
	f, _ := newTestFactory()
	c := NewConnector(kube, f)
	if _, err := c.Connect(context.Background(), registryUsing("ClusterProviderConfig", "default")); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	l := &v1alpha1.ClusterProviderConfigUsageList{}
	if err := kube.List(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 {
		t.Fatalf("got %d ClusterProviderConfigUsages, want 1", len(l.Items))
	}
	u := l.Items[0]
	got := []string{u.Namespace, u.ProviderConfigReference.Kind, u.ProviderConfigReference.Name, u.ResourceReference.Kind, u.ResourceReference.Name}
	if diff := cmp.Diff([]string{"team-a", "ClusterProviderConfig", "default", "Registry", "reg"}, got); diff != "" {
		t.Errorf("usage: -want +got:\n%s", diff)
	}
}
