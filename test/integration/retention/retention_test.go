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

package retention

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/integration/gcschedule/gcenv"
)

func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }

var start = time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)

func daysAgo(d int) time.Time { return start.Add(-time.Duration(d) * 24 * time.Hour) }

func digest(n int) string { return fmt.Sprintf("sha256:%064x", n) }

func layer(n int, size int64) docrsim.Layer { return docrsim.Layer{Digest: digest(n), Size: size} }

// bulkTags is more than one page of tags (DigitalOcean pages hold at most 200).
const bulkTags = 230

// registry "reg":
//   - app: b1 and b2 are old builds (candidates); v1.0.0 is protected; b4 and
//     b5 are the two newest builds (keepLast 2); old-alias is old but carries
//     b4's manifest. Every image shares the base layer.
//   - lib (not matched by the policy) shares layer a2 with app:b2.
//   - bulk: 230 old tags, each its own manifest and layer.
func seed() []docrsim.SeedRegistry {
	base := layer(1, 1000)
	app := []docrsim.Image{
		{Tags: []string{"b1"}, Layers: []docrsim.Layer{base, layer(11, 11)}, PushedAt: daysAgo(10)},
		{Tags: []string{"b2"}, Layers: []docrsim.Layer{base, layer(12, 22)}, PushedAt: daysAgo(9)},
		{Tags: []string{"v1.0.0"}, Layers: []docrsim.Layer{base, layer(13, 33)}, PushedAt: daysAgo(8)},
		{Tags: []string{"old-alias"}, Layers: []docrsim.Layer{base, layer(14, 44)}, PushedAt: daysAgo(7)},
		{Tags: []string{"b4"}, Layers: []docrsim.Layer{base, layer(14, 44)}, PushedAt: daysAgo(1)},
		{Tags: []string{"b5"}, Layers: []docrsim.Layer{base, layer(15, 55)}, PushedAt: daysAgo(2)},
	}
	lib := []docrsim.Image{{Tags: []string{"stable"}, Layers: []docrsim.Layer{layer(20, 7), layer(12, 22)}, PushedAt: daysAgo(30)}}
	var bulk []docrsim.Image
	for i := 0; i < bulkTags; i++ {
		bulk = append(bulk, docrsim.Image{Tags: []string{fmt.Sprintf("t%03d", i)}, Layers: []docrsim.Layer{layer(1000+i, 3)}, PushedAt: daysAgo(100).Add(time.Duration(i) * time.Minute)})
	}
	return []docrsim.SeedRegistry{{Name: "reg", Repositories: []docrsim.SeedRepository{
		{Name: "app", Images: app}, {Name: "lib", Images: lib}, {Name: "bulk", Images: bulk},
	}}}
}

func create(t *testing.T, e *gcenv.Env, name string, fp v1alpha1.RetentionPolicyParameters) {
	t.Helper()
	mg := &v1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.Namespace}}
	mg.Spec.ProviderConfigReference = gcenv.ProviderConfigRef()
	mg.Spec.ForProvider = fp
	if err := e.Kube.Create(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, e *gcenv.Env, name string) *v1alpha1.RetentionPolicy {
	t.Helper()
	mg := &v1alpha1.RetentionPolicy{}
	if err := e.Kube.Get(context.Background(), types.NamespacedName{Namespace: e.Namespace, Name: name}, mg); err != nil {
		t.Fatal(err)
	}
	return mg
}

func waitStatus(t *testing.T, e *gcenv.Env, name, what string, cond func(*v1alpha1.RetentionPolicy) bool) v1alpha1.RetentionPolicyObservation {
	t.Helper()
	var mg *v1alpha1.RetentionPolicy
	e.Eventually(what, func() (bool, error) {
		mg = get(t, e, name)
		return cond(mg), nil
	})
	return mg.Status.AtProvider
}

// tags returns repository:tag of every tag in the simulator.
func tags(t *testing.T, e *gcenv.Env, repos ...string) []string {
	t.Helper()
	info, ok := e.Sim.Registry("reg")
	if !ok {
		t.Fatal("registry reg not in the simulator")
	}
	var out []string
	for _, r := range info.Repositories {
		for _, want := range repos {
			if r.Name != want {
				continue
			}
			for _, tg := range r.Tags {
				out = append(out, r.Name+":"+tg.Tag)
			}
		}
	}
	sort.Strings(out)
	return out
}

// expectedFreed computes, from the simulator's own records, what a garbage
// collection frees after deleting the tags: every manifest left without a
// tag, and every blob only such manifests reference.
func expectedFreed(t *testing.T, e *gcenv.Env, deleted []string) int64 {
	t.Helper()
	info, _ := e.Sim.Registry("reg")
	gone := map[string]bool{}
	for _, d := range deleted {
		gone[d] = true
	}
	kept := map[string]bool{}
	lost := map[string]int64{}
	var freed int64
	for _, r := range info.Repositories {
		for _, m := range r.Manifests {
			left := 0
			for _, tg := range m.Tags {
				if !gone[r.Name+":"+tg] {
					left++
				}
			}
			if left == 0 {
				freed += m.SizeBytes
				for _, l := range m.Layers {
					lost[l.Digest] = l.Size
				}
				continue
			}
			for _, l := range m.Layers {
				kept[l.Digest] = true
			}
		}
	}
	for d, size := range lost {
		if !kept[d] {
			freed += size
		}
	}
	return freed
}

func TestRetention(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: start, Registries: seed(),
		GCPhases: docrsim.GCPhases{Requested: time.Second, WaitingForJWTs: time.Second, ScanningManifests: time.Second, DeletingBlobs: time.Second}})
	all := tags(t, e, "app", "lib", "bulk")
	wantDeleted := []string{"app:b1", "app:b2"}
	wantFreed := expectedFreed(t, e, wantDeleted)
	// base and a2 are shared with survivors: only a1 and the two manifests go.
	if wantFreed <= 11 {
		t.Fatalf("expected freed bytes %d: the seed is not what this test thinks", wantFreed)
	}

	create(t, e, "app", v1alpha1.RetentionPolicyParameters{
		RegistryTarget: v1alpha1.RegistryTarget{RegistryName: "reg"},
		Repositories:   []string{"app"},
		KeepLast:       ptr.To[int32](2),
		OlderThan:      &metav1.Duration{Duration: 72 * time.Hour},
		Protect:        []string{`^v\d+\.\d+\.\d+$`},
		Schedule:       "0 3 * * *",
	})

	// Dry run (the default): candidates reported, nothing deleted.
	st := waitStatus(t, e, "app", "dry-run evaluation", func(mg *v1alpha1.RetentionPolicy) bool {
		return mg.Status.AtProvider.LastEvaluationTime != nil
	})
	if diff := cmp.Diff(wantDeleted, st.SampleCandidates); diff != "" {
		t.Errorf("dry run sample (-want +got):\n%s", diff)
	}
	if st.Candidates != 2 || st.Deleted != 0 || st.ReclaimableBytes != wantFreed {
		t.Errorf("dry run status: candidates %d deleted %d reclaimable %d; want 2, 0, %d", st.Candidates, st.Deleted, st.ReclaimableBytes, wantFreed)
	}
	if diff := cmp.Diff(all, tags(t, e, "app", "lib", "bulk")); diff != "" {
		t.Fatalf("a dry run changed tags (-before +after):\n%s", diff)
	}
	if n := e.Sim.Stats().Count("DELETE", "", 0); n != 0 {
		t.Fatalf("%d DELETE requests in a dry run", n)
	}

	// For real, with DigitalOcean failing the second deletion for a while:
	// a clear condition, then the next reconciles resume.
	if err := e.Sim.SetFaults(docrsim.FaultProfile{Scripted: []docrsim.ScriptedFault{{
		Method: "DELETE", Path: "/v2/registries/{registry_name}/repositories/{repository_name}/tags/{repository_tag}", Nth: 2, Times: 15, Status: 500,
	}}}); err != nil {
		t.Fatal(err)
	}
	mg := get(t, e, "app")
	mg.Spec.ForProvider.DryRun = ptr.To(false)
	if err := e.Kube.Update(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
	var failure string
	waitStatus(t, e, "app", "a failure part-way, named in a condition", func(mg *v1alpha1.RetentionPolicy) bool {
		c := mg.GetCondition(xpv2.TypeSynced)
		failure = c.Message
		return c.Status == "False" && strings.Contains(c.Message, "candidate tags, then failed") && strings.Contains(c.Message, "resumes") && mg.Status.AtProvider.Pending == 1
	})
	t.Logf("condition while failing: %s", failure)
	if diff := cmp.Diff([]string{"app:b2", "app:b4", "app:b5", "app:old-alias", "app:v1.0.0"}, tags(t, e, "app")); diff != "" {
		t.Errorf("tags after the failure (-want +got):\n%s", diff)
	}
	st = waitStatus(t, e, "app", "deletion resumed and completed", func(mg *v1alpha1.RetentionPolicy) bool {
		s := mg.Status.AtProvider
		return s.Pending == 0 && s.EvaluatedGeneration == mg.Generation && mg.GetCondition(xpv2.TypeSynced).Status == "True"
	})
	if diff := cmp.Diff([]string{"app:b4", "app:b5", "app:old-alias", "app:v1.0.0"}, tags(t, e, "app")); diff != "" {
		t.Errorf("app tags after deletion (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"lib:stable"}, tags(t, e, "lib")); diff != "" {
		t.Errorf("lib tags (-want +got):\n%s", diff)
	}
	if n := len(tags(t, e, "bulk")); n != bulkTags {
		t.Errorf("%d bulk tags, want %d", n, bulkTags)
	}

	// The scheduled garbage collection frees exactly the removed manifests
	// and blobs: the two kinds together, as a user would set them up.
	before, _ := e.Sim.Registry("reg")
	gcs := &v1alpha1.GarbageCollectionSchedule{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: e.Namespace}}
	gcs.Spec.ProviderConfigReference = gcenv.ProviderConfigRef()
	gcs.Spec.ForProvider = v1alpha1.GarbageCollectionScheduleParameters{RegistryTarget: v1alpha1.RegistryTarget{RegistryName: "reg"}, Schedule: "0 4 * * *"}
	if err := e.Kube.Create(context.Background(), gcs); err != nil {
		t.Fatal(err)
	}
	e.Eventually("schedule observed", func() (bool, error) {
		err := e.Kube.Get(context.Background(), types.NamespacedName{Namespace: e.Namespace, Name: "nightly"}, gcs)
		return err == nil && gcs.Status.AtProvider.NextRunTime != nil, err
	})
	e.Clock.SetTime(start.Add(time.Hour))
	e.Eventually("garbage collection started", func() (bool, error) { return len(e.Runs("reg")) == 1, nil })
	e.Clock.Step(10 * time.Second)
	var run docrsim.GarbageCollectionInfo
	e.Eventually("garbage collection succeeded, in the schedule's status", func() (bool, error) {
		run = e.Runs("reg")[0]
		err := e.Kube.Get(context.Background(), types.NamespacedName{Namespace: e.Namespace, Name: "nightly"}, gcs)
		lr := gcs.Status.AtProvider.LastRun
		return err == nil && run.Status == docrsim.GCStatusSucceeded && lr != nil && lr.Status == docrsim.GCStatusSucceeded, err
	})
	if run.Type != string(godo.GCTypeUntaggedManifestsAndUnreferencedBlobs) {
		t.Errorf("run type %q", run.Type)
	}
	after, _ := e.Sim.Registry("reg")
	if got := before.StorageUsageBytes - after.StorageUsageBytes; got != wantFreed || got != st.ReclaimableBytes {
		t.Errorf("storage went down by %d bytes; want %d (removed manifests and blobs), status said %d", got, wantFreed, st.ReclaimableBytes)
	}
	if run.FreedBytes != wantFreed || gcs.Status.AtProvider.TotalFreedBytes != wantFreed {
		t.Errorf("the run freed %d bytes, the schedule counts %d, want %d", run.FreedBytes, gcs.Status.AtProvider.TotalFreedBytes, wantFreed)
	}
	e.Eventually("DeletedTags event", func() (bool, error) { return e.HasEvent("app", "DeletedTags"), nil })
}

// TestRetentionPages: a repository with more tags and manifests than one
// page holds is evaluated completely.
func TestRetentionPages(t *testing.T) {
	e := gcenv.New(t, gcenv.Options{Start: start, Registries: seed()})
	create(t, e, "bulk", v1alpha1.RetentionPolicyParameters{
		RegistryTarget: v1alpha1.RegistryTarget{RegistryName: "reg"},
		Repositories:   []string{"bu*"},
		KeepLast:       ptr.To[int32](2),
		Schedule:       "0 3 * * *",
	})
	var bulk []string
	for i := 0; i < bulkTags-2; i++ {
		bulk = append(bulk, fmt.Sprintf("bulk:t%03d", i))
	}
	st := waitStatus(t, e, "bulk", "evaluation", func(mg *v1alpha1.RetentionPolicy) bool {
		return mg.Status.AtProvider.LastEvaluationTime != nil
	})
	if st.Candidates != bulkTags-2 {
		t.Errorf("candidates %d, want %d", st.Candidates, bulkTags-2)
	}
	if want := expectedFreed(t, e, bulk); st.ReclaimableBytes != want {
		t.Errorf("reclaimable %d, want %d", st.ReclaimableBytes, want)
	}
	if diff := cmp.Diff(bulk[:20], st.SampleCandidates); diff != "" {
		t.Errorf("sample (-want +got):\n%s", diff)
	}
	// Each evaluation lists the repositories once, bulk's tags in two pages
	// and the manifests of app and lib in one page each and of bulk in two.
	stats := e.Sim.Stats()
	evals := stats.Count("GET", "/v2/registries/{registry_name}/repositoriesV2", 200)
	tagReqs := stats.Count("GET", "/v2/registries/{registry_name}/repositories/{repository_name}/tags", 200)
	manReqs := stats.Count("GET", "/v2/registries/{registry_name}/repositories/{repository_name}/digests", 200)
	if evals == 0 || tagReqs != 2*evals || manReqs != 4*evals {
		t.Errorf("%d evaluations made %d tag and %d manifest listing requests; want 2 and 4 per evaluation", evals, tagReqs, manReqs)
	}
}
