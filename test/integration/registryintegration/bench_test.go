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

package registryintegration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

const benchPoll = time.Second

// benchIntegrations measures create -> Ready, requests per create and delete,
// and requests per poll, for RegistryIntegrations of clusters without a
// kubeconfig (verify off) or pointing at the control plane (verify on).
func benchIntegrations(b *testing.B, verify bool) {
	e := env.Start(b, env.Options{Poll: benchPoll})
	ctx := context.Background()
	suffix := strings.TrimPrefix(e.Namespace, "t-")
	reg := "ri-bench-" + suffix
	if _, _, err := e.DO(b).Registries.Create(ctx, &godo.RegistryCreateRequest{Name: reg, Region: "fra1"}); err != nil {
		b.Fatal(err)
	}
	kc := ""
	if verify {
		kc = e.CP.Kubeconfig
	}
	var objs []*v1alpha1.RegistryIntegration
	creates := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := fmt.Sprintf("bench-%s-%d", suffix, i)
		if err := e.Sim.AddCluster(docrsim.Cluster{ID: id, Name: id, Region: "fra1", Account: env.Account, Kubeconfig: kc}); err != nil {
			b.Fatal(err)
		}
		ri := &v1alpha1.RegistryIntegration{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%d", i)}}
		ri.Spec.ForProvider.ClusterID = id
		ri.Spec.ForProvider.RegistryNames = []string{reg}
		ri.Spec.ForProvider.VerifyInCluster = verify
		e.Sim.ResetStats()
		b.StartTimer()
		e.Create(b, ri)
		e.WaitForCondition(b, ri, xpv2.TypeReady, corev1.ConditionTrue)
		b.StopTimer()
		creates += e.Sim.Stats().Total
		objs = append(objs, ri)
	}
	b.ReportMetric(float64(creates)/float64(b.N), "requests/create")

	time.Sleep(2 * benchPoll)
	e.Sim.ResetStats()
	start := time.Now()
	time.Sleep(10 * benchPoll)
	polls := float64(time.Since(start)) / float64(benchPoll)
	b.ReportMetric(float64(e.Sim.Stats().Total)/(polls*float64(len(objs))), "requests/MR/poll")

	e.Sim.ResetStats()
	for _, ri := range objs {
		e.Delete(b, ri)
	}
	for _, ri := range objs {
		e.WaitGone(b, ri)
	}
	b.ReportMetric(float64(e.Sim.Stats().Total)/float64(len(objs)), "requests/delete")
}

func BenchmarkCreateReady(b *testing.B)       { benchIntegrations(b, false) }
func BenchmarkCreateReadyVerify(b *testing.B) { benchIntegrations(b, true) }
