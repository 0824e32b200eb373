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
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

// benchPoll is the poll interval of the benchmarks' provider.
const benchPoll = 2 * time.Second

// createReady creates the registries and returns when all are Ready,
// watching (not polling) so that the figure is the provider's latency.
func createReady(b *testing.B, e *env.Env, names []string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, err := e.Kube.Watch(ctx, &v1alpha1.RegistryList{}, client.InNamespace(e.Namespace))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	pending := map[string]bool{}
	for _, n := range names {
		pending[n] = true
		r := newRegistry(n, "nyc3")
		r.Spec.ProviderConfigReference = e.ProviderConfigRef()
		r.Namespace = e.Namespace
		if err := e.Kube.Create(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	for len(pending) > 0 {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				b.Fatal("watch closed")
			}
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			r, ok := ev.Object.(*v1alpha1.Registry)
			if ok && r.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
				delete(pending, r.Name)
			}
		case <-ctx.Done():
			b.Fatalf("not Ready: %v", pending)
		}
	}
}

// deleteGone deletes the registries and returns when all are gone from the
// simulator and from Kubernetes.
func deleteGone(b *testing.B, e *env.Env, names []string) {
	b.Helper()
	ctx := context.Background()
	for _, n := range names {
		r := newRegistry(n, "nyc3")
		r.Namespace = e.Namespace
		if err := e.Kube.Delete(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range names {
		r := newRegistry(n, "nyc3")
		r.Namespace = e.Namespace
		e.WaitGone(b, r)
		if _, ok := e.Sim.Registry(n); ok {
			b.Fatalf("%s still at the simulator", n)
		}
	}
}

// refill waits until the client-side limiter's burst is back (200 requests
// per minute, burst 50): without it, back-to-back iterations would measure
// the limiter, which keeps a real account under DigitalOcean's 250/minute.
func refill(requests int) {
	time.Sleep(time.Duration(requests) * time.Minute / 200)
}

func benchCreate(b *testing.B, n int) {
	e := env.Start(b, env.Options{Poll: benchPoll})
	var creates, deletes, tooMany int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		names := make([]string, n)
		for j := range names {
			names[j] = fmt.Sprintf("bench-%d-%d-%d", n, i, j)
		}
		e.Sim.ResetStats()
		createReady(b, e, names)
		b.StopTimer()
		st := e.Sim.Stats()
		creates += st.Total
		tooMany += st.Count("", "", 429)
		// Let the creates settle (the reconcile right after Ready) before
		// counting the deletes' requests.
		time.Sleep(benchPoll / 2)
		e.Sim.ResetStats()
		deleteGone(b, e, names)
		st = e.Sim.Stats()
		deletes += st.Total
		tooMany += st.Count("", "", 429)
		refill(st.Total + n*3)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(creates)/float64(b.N*n), "requests/create")
	b.ReportMetric(float64(deletes)/float64(b.N*n), "requests/delete")
	b.ReportMetric(float64(tooMany), "429s")
}

// BenchmarkCreateReady1 is create -> Ready of one Registry (ns/op).
func BenchmarkCreateReady1(b *testing.B) { benchCreate(b, 1) }

// BenchmarkCreateReady10 is create -> Ready of ten Registries at once (ns/op).
func BenchmarkCreateReady10(b *testing.B) { benchCreate(b, 10) }

// steadyPoll keeps ten registries' polls (2/s) below the limiter's sustained
// rate (3.3/s), so that the figure is the provider's, not the limiter's.
const steadyPoll = 5 * time.Second

// BenchmarkRequestsPerPoll keeps ten Ready registries and counts DigitalOcean
// requests per registry per poll interval.
func BenchmarkRequestsPerPoll(b *testing.B) {
	e := env.Start(b, env.Options{Poll: steadyPoll})
	names := make([]string, 10)
	for j := range names {
		names[j] = fmt.Sprintf("steady-%d", j)
	}
	createReady(b, e, names)
	time.Sleep(2 * steadyPoll) // past the reconciles that follow creation
	b.ResetTimer()
	var requests int
	var polls float64
	for i := 0; i < b.N; i++ {
		e.Sim.ResetStats()
		start := time.Now()
		time.Sleep(6 * steadyPoll)
		requests += e.Sim.Stats().Total
		polls += float64(time.Since(start)) / float64(steadyPoll)
	}
	b.StopTimer()
	b.ReportMetric(float64(requests)/(polls*float64(len(names))), "requests/MR/poll")
	deleteGone(b, e, names)
}
