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
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

// TestProviderConfigUsage: both config kinds count their users, and a config
// in use is not deleted until its users are gone.
func TestProviderConfigUsage(t *testing.T) {
	e := env.Start(t, env.Options{})
	viaNS := newRegistry("usage-ns", "nyc3")
	viaCluster := newRegistry("usage-cluster", "nyc3")
	viaCluster.Spec.ProviderConfigReference = e.ClusterProviderConfigRef()
	e.Create(t, viaNS)
	e.Create(t, viaCluster)
	e.WaitForCondition(t, viaNS, xpv2.TypeReady, corev1.ConditionTrue)
	e.WaitForCondition(t, viaCluster, xpv2.TypeReady, corev1.ConditionTrue)

	pc := &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "default"}}
	cpc := &v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: e.ClusterProviderConfig}}
	e.WaitFor(t, pc, "ProviderConfig users=1", func() bool { return pc.Status.Users == 1 })
	e.WaitFor(t, cpc, "ClusterProviderConfig users=1", func() bool { return cpc.Status.Users == 1 })

	// In use: deleting the ProviderConfig waits for its user.
	e.Delete(t, pc)
	e.WaitFor(t, pc, "ProviderConfig deletion blocked", func() bool {
		return pc.DeletionTimestamp != nil && pc.Status.Users == 1
	})
	e.Delete(t, viaNS)
	e.WaitGone(t, viaNS)
	e.WaitGone(t, pc)
	if _, ok := e.Sim.Registry("usage-ns"); ok {
		t.Error("usage-ns still at the simulator")
	}
}
