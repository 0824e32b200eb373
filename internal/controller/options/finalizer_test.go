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

package options

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

func TestStatusKeepingFinalizer(t *testing.T) {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	newObj := func(finalizers ...string) *v1alpha1.GarbageCollectionSchedule {
		return &v1alpha1.GarbageCollectionSchedule{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "gc", Finalizers: finalizers}}
	}
	observed := func(o *v1alpha1.GarbageCollectionSchedule) {
		// What Observe computes in memory before the reconciler adds its finalizer.
		o.SetConditions(xpv2.Available())
		o.Status.AtProvider.TotalRuns = 3
		next := metav1.Now()
		o.Status.AtProvider.NextRunTime = &next
	}
	cases := map[string]struct {
		stored     *v1alpha1.GarbageCollectionSchedule
		wantWrites bool
	}{
		"NewResource":     {stored: newObj(), wantWrites: true},
		"FinalizerExists": {stored: newObj(managed.FinalizerName), wantWrites: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(&v1alpha1.GarbageCollectionSchedule{}).WithObjects(tc.stored).Build()
			mg := &v1alpha1.GarbageCollectionSchedule{}
			if err := kube.Get(t.Context(), types.NamespacedName{Namespace: "ns", Name: "gc"}, mg); err != nil {
				t.Fatal(err)
			}
			rv := mg.GetResourceVersion()
			observed(mg)
			want := mg.Status.DeepCopy()

			if err := NewStatusKeepingFinalizer(kube).AddFinalizer(t.Context(), mg); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, &mg.Status, cmpopts.EquateApproxTime(0)); diff != "" {
				t.Errorf("status in memory after AddFinalizer (-want +got):\n%s", diff)
			}
			if got := mg.GetResourceVersion() != rv; got != tc.wantWrites {
				t.Errorf("wrote the object: %t, want %t", got, tc.wantWrites)
			}
			stored := &v1alpha1.GarbageCollectionSchedule{}
			if err := kube.Get(t.Context(), types.NamespacedName{Namespace: "ns", Name: "gc"}, stored); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{managed.FinalizerName}, stored.GetFinalizers()); diff != "" {
				t.Errorf("stored finalizers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{managed.FinalizerName}, mg.GetFinalizers()); diff != "" {
				t.Errorf("finalizers in memory (-want +got):\n%s", diff)
			}
		})
	}
}
