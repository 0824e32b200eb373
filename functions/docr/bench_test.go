package main

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// benchRegions are registry regions in the order the benchmark lists them.
var benchRegions = []string{"nyc3", "ams3", "sgp1", "fra1", "sfo3", "syd1", "blr1", "sfo2"}

// benchClusters are DOKS regions: some with a registry, some without (nearest).
var benchClusterRegions = []string{"nyc1", "lon1", "tor1", "ams3", "sgp1", "fra1", "sfo3", "atl1", "blr1", "syd1"}

func benchSpec(nRegions, nClusters int) map[string]any {
	regs := make([]any, 0, nRegions)
	for i := range nRegions {
		regs = append(regs, benchRegions[i])
	}
	clusters := make([]any, 0, nClusters)
	for i := range nClusters {
		clusters = append(clusters, map[string]any{
			"id":     fmt.Sprintf("6b8a3c52-1e2f-4a3b-9c4d-%012x", i),
			"region": benchClusterRegions[i%len(benchClusterRegions)],
		})
	}
	return map[string]any{
		"registryName": "acme-shop",
		"regions":      regs,
		"clusters":     clusters,
		"garbageCollection": map[string]any{
			"schedule":    "0 3 * * 0",
			"maxDuration": "1h",
		},
	}
}

func xrStruct(spec map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(map[string]any{
		"apiVersion": "docr.digitalocean.crossplane.io/v1alpha1",
		"kind":       "XDOCR",
		"metadata":   map[string]any{"name": "shop", "namespace": "team-a"},
		"spec":       spec,
	})
	if err != nil {
		panic(err)
	}
	return s
}

// steadyState returns req with every desired resource of a first run observed Ready,
// with registries showing storage and endpoints.
func steadyState(b testing.TB, f *Function, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionRequest {
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	obs := map[string]*fnv1.Resource{}
	for name, r := range rsp.GetDesired().GetResources() {
		o := &structpb.Struct{Fields: map[string]*structpb.Value{}}
		for k, v := range r.GetResource().GetFields() {
			o.Fields[k] = v
		}
		st := map[string]any{
			"conditions": []any{
				map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
				map[string]any{"type": "Ready", "status": "True", "reason": "Available"},
			},
		}
		if len(name) > len(prefixRegistry) && name[:len(prefixRegistry)] == prefixRegistry {
			st["atProvider"] = map[string]any{
				"uuid":              "0f6c1a2e-" + name,
				"endpoint":          "registry.digitalocean.com/" + name,
				"storageUsageBytes": 123456789,
			}
		}
		sv, _ := structpb.NewStruct(st)
		o.Fields["status"] = structpb.NewStructValue(sv)
		obs[name] = &fnv1.Resource{Resource: o}
	}
	return &fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: req.GetObserved().GetComposite(), Resources: obs}}
}

func newBenchFunction() *Function {
	return NewFunction(logging.NewNopLogger(), clocktesting.NewFakePassiveClock(time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)))
}

// BenchmarkRunFunction measures one RunFunction call. DOCR offers eight regions, so the
// largest estate is eight registries; "8Regions50Clusters" is the largest spec the XRD
// accepts. Each estate composes a Subscription, a Registry, a GarbageCollectionSchedule
// and its Usage per region, and a RegistryIntegration and its Usage per cluster.
func BenchmarkRunFunction(b *testing.B) {
	for _, size := range []struct{ regions, clusters int }{{1, 1}, {3, 3}, {8, 8}, {8, 50}} {
		f := newBenchFunction()
		first := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xrStruct(benchSpec(size.regions, size.clusters))}}}
		steady := steadyState(b, f, first)
		for _, c := range []struct {
			name      string
			req       *fnv1.RunFunctionRequest
			wantReady fnv1.Ready
		}{{"FirstRun", first, fnv1.Ready_READY_FALSE}, {"SteadyState", steady, fnv1.Ready_READY_TRUE}} {
			rsp, err := f.RunFunction(context.Background(), c.req)
			if err != nil || len(rsp.GetResults()) != 0 {
				b.Fatalf("RunFunction: %v %v", err, rsp.GetResults())
			}
			for name, r := range rsp.GetDesired().GetResources() {
				if r.GetReady() != c.wantReady {
					b.Fatalf("%s: %s is %v, want %v", c.name, name, r.GetReady(), c.wantReady)
				}
			}
			b.Run(fmt.Sprintf("%dRegions%dClusters/%s", size.regions, size.clusters, c.name), func(b *testing.B) {
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					if _, err := f.RunFunction(context.Background(), c.req); err != nil {
						b.Fatal(err)
					}
				}
				// CPU time (all threads, GC included) per call: unlike ns/op it does not grow
				// while other processes hold the CPU, as they do on a shared test machine.
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(len(rsp.GetDesired().GetResources())), "resources")
			})
		}
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
