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

package registryref

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

const ns = "team-a"

func registry(name string, ready bool, labels map[string]string, mods ...func(*v1alpha1.Registry)) *v1alpha1.Registry {
	r := &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
	meta.SetExternalName(r, "do-"+name)
	if ready {
		r.SetConditions(xpv2.Available())
		r.Status.AtProvider.Name = "do-" + name
	}
	for _, m := range mods {
		m(r)
	}
	return r
}

func TestNames(t *testing.T) {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	owner := metav1.OwnerReference{APIVersion: "x/v1", Kind: "XDOCR", Name: "x", UID: "uid-1", Controller: ptr.To(true)}
	from := &v1alpha1.DockerCredentials{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds", OwnerReferences: []metav1.OwnerReference{owner}}}
	optional := &xpv2.Policy{Resolution: ptr.To(xpv2.ResolutionPolicyOptional)}

	objs := []client.Object{
		registry("a", true, map[string]string{"team": "a"}),
		registry("b", true, map[string]string{"team": "a"}, func(r *v1alpha1.Registry) { r.OwnerReferences = []metav1.OwnerReference{owner} }),
		registry("pending", false, map[string]string{"team": "p"}),
		registry("other-ns", true, map[string]string{"team": "a"}, func(r *v1alpha1.Registry) { r.Namespace = "elsewhere" }),
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()

	cases := map[string]struct {
		t       v1alpha1.RegistryTargets
		want    []string
		wantErr string
	}{
		"NamesOnly": {
			t:    v1alpha1.RegistryTargets{RegistryNames: []string{"z", "y", "z"}},
			want: []string{"y", "z"},
		},
		"RefsUseDigitalOceanName": {
			t:    v1alpha1.RegistryTargets{RegistryRefs: []xpv2.Reference{{Name: "a"}}},
			want: []string{"do-a"},
		},
		"NamesAndRefsCombined": {
			t:    v1alpha1.RegistryTargets{RegistryNames: []string{"z"}, RegistryRefs: []xpv2.Reference{{Name: "a"}}},
			want: []string{"do-a", "z"},
		},
		"RefNotFound": {
			t:       v1alpha1.RegistryTargets{RegistryRefs: []xpv2.Reference{{Name: "a"}, {Name: "nope"}}},
			wantErr: `forProvider.registryRefs[1]: Registry "nope" not found`,
		},
		"RefNotFoundOptional": {
			t:    v1alpha1.RegistryTargets{RegistryNames: []string{"z"}, RegistryRefs: []xpv2.Reference{{Name: "nope", Policy: optional}}},
			want: []string{"z"},
		},
		"RefNotReady": {
			t:       v1alpha1.RegistryTargets{RegistryRefs: []xpv2.Reference{{Name: "pending"}}},
			wantErr: `forProvider.registryRefs[0]: Registry "pending" is not ready yet`,
		},
		"RefInOtherNamespaceNotVisible": {
			t:       v1alpha1.RegistryTargets{RegistryRefs: []xpv2.Reference{{Name: "other-ns"}}},
			wantErr: "not found",
		},
		"SelectorByLabels": {
			t:    v1alpha1.RegistryTargets{RegistrySelector: &xpv2.Selector{MatchLabels: map[string]string{"team": "a"}}},
			want: []string{"do-a", "do-b"},
		},
		"SelectorByController": {
			t:    v1alpha1.RegistryTargets{RegistrySelector: &xpv2.Selector{MatchLabels: map[string]string{"team": "a"}, MatchControllerRef: ptr.To(true)}},
			want: []string{"do-b"},
		},
		"SelectorNoMatch": {
			t:       v1alpha1.RegistryTargets{RegistrySelector: &xpv2.Selector{MatchLabels: map[string]string{"team": "none"}}},
			wantErr: "forProvider.registrySelector: no Registry",
		},
		"SelectorNotReady": {
			t:       v1alpha1.RegistryTargets{RegistrySelector: &xpv2.Selector{MatchLabels: map[string]string{"team": "p"}}},
			wantErr: `selected Registry "pending" is not ready yet`,
		},
		"Nothing": {
			t:       v1alpha1.RegistryTargets{},
			wantErr: errNone,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Names(context.Background(), c, from, tc.t)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Names() error = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Names() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Names() -want +got:\n%s", diff)
			}
		})
	}
}
