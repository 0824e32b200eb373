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
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

const benchPoll = time.Second

// BenchmarkCreateReady measures DockerCredentials create -> Ready for one
// registry, and the DigitalOcean requests per create (one per registry) and
// per poll (none: Observe reads the Secret).
func BenchmarkCreateReady(b *testing.B) {
	e := env.Start(b, env.Options{Poll: benchPoll})
	ctx := context.Background()
	reg := "dc-bench-" + strings.TrimPrefix(e.Namespace, "t-")
	if _, _, err := e.DO(b).Registries.Create(ctx, &godo.RegistryCreateRequest{Name: reg, Region: "fra1"}); err != nil {
		b.Fatal(err)
	}
	var objs []*v1alpha1.DockerCredentials
	requests := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dc := &v1alpha1.DockerCredentials{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%d", i)}}
		dc.Spec.ForProvider.RegistryNames = []string{reg}
		dc.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: fmt.Sprintf("bench-%d", i)}
		e.Sim.ResetStats()
		e.Create(b, dc)
		e.WaitForCondition(b, dc, xpv2.TypeReady, corev1.ConditionTrue)
		requests += e.Sim.Stats().Total
		objs = append(objs, dc)
	}
	b.StopTimer()
	b.ReportMetric(float64(requests)/float64(b.N), "requests/create")

	time.Sleep(2 * benchPoll) // past the reconciles that follow creation
	e.Sim.ResetStats()
	start := time.Now()
	time.Sleep(10 * benchPoll)
	polls := float64(time.Since(start)) / float64(benchPoll)
	b.ReportMetric(float64(e.Sim.Stats().Total)/(polls*float64(len(objs))), "requests/MR/poll")
}
