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

package retentionpolicy

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/retention"
	"github.com/crossplane-contrib/provider-docr/internal/schedule"
)

var t0 = time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)

// fakeAPI is a registry's repositories in memory: repository → tag → tag.
type fakeAPI struct {
	tags      map[string]map[string]retention.Tag
	blobs     map[string][]retention.Blob // digest → blobs
	gcActive  bool
	failOn    string // repository:tag whose deletion fails
	deleted   []string
	calls     map[string]int
	beforeDel func()
}

func newFake() *fakeAPI {
	return &fakeAPI{tags: map[string]map[string]retention.Tag{}, blobs: map[string][]retention.Blob{}, calls: map[string]int{}}
}

func (f *fakeAPI) push(repo, tag, digest string, at time.Time, blobs ...retention.Blob) {
	if f.tags[repo] == nil {
		f.tags[repo] = map[string]retention.Tag{}
	}
	f.tags[repo][tag] = retention.Tag{Repository: repo, Tag: tag, Digest: digest, UpdatedAt: at}
	if len(blobs) > 0 {
		f.blobs[digest] = blobs
	}
}

func (f *fakeAPI) GCActive(context.Context, string) (bool, error) {
	f.calls["GCActive"]++
	return f.gcActive, nil
}

func (f *fakeAPI) Repositories(context.Context, string) ([]string, error) {
	f.calls["Repositories"]++
	var out []string
	for r := range f.tags {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

func (f *fakeAPI) Tags(_ context.Context, _, repo string) ([]retention.Tag, error) {
	f.calls["Tags"]++
	var out []retention.Tag
	for _, t := range f.tags[repo] {
		out = append(out, t)
	}
	return out, nil
}

func (f *fakeAPI) Manifests(_ context.Context, _, repo string) ([]retention.Manifest, error) {
	f.calls["Manifests"]++
	by := map[string]*retention.Manifest{}
	for _, t := range f.tags[repo] {
		m := by[t.Digest]
		if m == nil {
			m = &retention.Manifest{Repository: repo, Digest: t.Digest, Blobs: f.blobs[t.Digest]}
			by[t.Digest] = m
		}
		m.Tags = append(m.Tags, t.Tag)
	}
	var out []retention.Manifest
	for _, m := range by {
		out = append(out, *m)
	}
	return out, nil
}

func (f *fakeAPI) DeleteTag(_ context.Context, _, repo, tag string) error {
	f.calls["DeleteTag"]++
	if f.beforeDel != nil {
		f.beforeDel()
		f.beforeDel = nil
	}
	if repo+":"+tag == f.failOn {
		return errors.New("500 Internal Server Error")
	}
	delete(f.tags[repo], tag)
	f.deleted = append(f.deleted, repo+":"+tag)
	return nil
}

type recorder struct{ events []string }

func (r *recorder) Event(_ runtime.Object, e event.Event) {
	r.events = append(r.events, string(e.Reason))
}
func (r *recorder) WithAnnotations(...string) event.Recorder { return r }

func policy(mut ...func(*v1alpha1.RetentionPolicyParameters)) *v1alpha1.RetentionPolicy {
	mg := &v1alpha1.RetentionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "uid", Generation: 1}}
	mg.Spec.ForProvider = v1alpha1.RetentionPolicyParameters{
		RegistryTarget: v1alpha1.RegistryTarget{RegistryName: "reg"},
		Schedule:       "0 3 * * *",
		KeepLast:       ptr.To[int32](1),
		Protect:        []string{`^v\d+\.\d+\.\d+$`},
	}
	for _, m := range mut {
		m(&mg.Spec.ForProvider)
	}
	return mg
}

func real(p *v1alpha1.RetentionPolicyParameters) { p.DryRun = ptr.To(false) }

type harness struct {
	clock *clocktesting.FakeClock
	api   *fakeAPI
	rec   *recorder
}

func newHarness() *harness {
	h := &harness{clock: clocktesting.NewFakeClock(t0), api: newFake(), rec: &recorder{}}
	day := func(d int) time.Time { return t0.Add(-time.Duration(d) * 24 * time.Hour) }
	b := func(d string, n uint64) retention.Blob { return retention.Blob{Digest: d, Size: n} }
	h.api.push("app", "b1", "m1", day(9), b("base", 100), b("l1", 10))
	h.api.push("app", "b2", "m2", day(8), b("base", 100), b("l2", 20))
	h.api.push("app", "v1.0.0", "m3", day(7), b("base", 100), b("l3", 30))
	h.api.push("app", "latest-alias", "m4", day(6))
	h.api.push("app", "b4", "m4", day(1), b("base", 100), b("l4", 40))
	return h
}

// reconcile runs Observe and, when out of date, Update, like the managed
// reconciler. It returns Update's error.
func (h *harness) reconcile(t *testing.T, mg *v1alpha1.RetentionPolicy) (updated bool, err error) {
	t.Helper()
	e := &external{api: h.api, clock: h.clock, rec: h.rec, due: schedule.NewDue(h.clock)}
	o, err := e.Observe(context.Background(), mg)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if o.ResourceUpToDate {
		return false, nil
	}
	_, err = e.Update(context.Background(), mg)
	return true, err
}

// mustReconcile reconciles and fails the test on an error.
func (h *harness) mustReconcile(t *testing.T, mg *v1alpha1.RetentionPolicy) {
	t.Helper()
	if _, err := h.reconcile(t, mg); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func TestDryRunDeletesNothing(t *testing.T) {
	h := newHarness()
	mg := policy()
	if up, _ := h.reconcile(t, mg); up {
		t.Fatal("a dry run asked for an update")
	}
	st := mg.Status.AtProvider
	// b4 is kept (newest), v1.0.0 protected, latest-alias shares b4's manifest.
	if diff := cmp.Diff([]string{"app:b1", "app:b2"}, st.SampleCandidates); diff != "" {
		t.Errorf("sample (-want +got):\n%s", diff)
	}
	if st.Candidates != 2 || st.Deleted != 0 || st.ReclaimableBytes != 30 || st.LastEvaluationTime == nil {
		t.Errorf("status %+v", st)
	}
	if h.api.calls["DeleteTag"] != 0 || h.api.calls["GCActive"] != 0 {
		t.Errorf("calls %v", h.api.calls)
	}
	// Not due again until the next slot.
	reads := h.api.calls["Repositories"]
	h.clock.Step(time.Hour)
	h.mustReconcile(t, mg)
	if h.api.calls["Repositories"] != reads {
		t.Error("evaluated again before the next slot")
	}
	h.clock.SetTime(t0.Add(24 * time.Hour))
	h.mustReconcile(t, mg)
	if h.api.calls["Repositories"] != reads+1 {
		t.Error("not evaluated at the next slot")
	}
	if st := mg.Status.AtProvider; !st.NextEvaluationTime.Time.Equal(t0.Add(48 * time.Hour)) {
		t.Errorf("nextEvaluationTime = %s", st.NextEvaluationTime)
	}
}

func TestSpecChangeEvaluatesAgain(t *testing.T) {
	h := newHarness()
	mg := policy()
	h.mustReconcile(t, mg)
	reads := h.api.calls["Repositories"]
	mg.Spec.ForProvider.KeepLast = ptr.To[int32](4)
	mg.Generation = 2
	h.mustReconcile(t, mg)
	if h.api.calls["Repositories"] != reads+1 || mg.Status.AtProvider.Candidates != 0 {
		t.Errorf("after the spec change: %d evaluations, %d candidates", h.api.calls["Repositories"]-reads, mg.Status.AtProvider.Candidates)
	}
}

func TestDeletesExactlyTheCandidates(t *testing.T) {
	h := newHarness()
	mg := policy(real)
	up, err := h.reconcile(t, mg)
	if !up || err != nil {
		t.Fatalf("update %v, err %v", up, err)
	}
	if diff := cmp.Diff([]string{"app:b1", "app:b2"}, h.api.deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	st := mg.Status.AtProvider
	if st.Deleted != 2 || st.Pending != 0 || st.EvaluatedGeneration != 1 || st.LastEvaluationTime == nil {
		t.Errorf("status %+v", st)
	}
	// Nothing left to do.
	if up, _ := h.reconcile(t, mg); up {
		t.Error("update again right after")
	}
}

// TestRepushedTagSurvives: a candidate tag pushed again between the
// evaluation and the deletion points at a new manifest and is left alone.
func TestRepushedTagSurvives(t *testing.T) {
	h := newHarness()
	mg := policy(real)
	e := &external{api: h.api, clock: h.clock, rec: h.rec, due: schedule.NewDue(h.clock)}
	if _, err := e.Observe(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
	h.api.push("app", "b1", "m9", t0.Add(-time.Minute))
	if _, err := e.Update(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"app:b2"}, h.api.deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
}

func TestFailurePartWayResumes(t *testing.T) {
	h := newHarness()
	h.api.failOn = "app:b2"
	mg := policy(real)
	_, err := h.reconcile(t, mg)
	if err == nil || !strings.Contains(err.Error(), "deleted 1 of 2") || !strings.Contains(err.Error(), "resumes") {
		t.Fatalf("error %v", err)
	}
	if st := mg.Status.AtProvider; st.Deleted != 1 || st.Pending != 1 || st.LastEvaluationTime != nil {
		t.Errorf("status after failure %+v", st)
	}
	h.api.failOn = ""
	h.clock.Step(time.Minute)
	if _, err := h.reconcile(t, mg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"app:b1", "app:b2"}, h.api.deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	if st := mg.Status.AtProvider; st.Pending != 0 || st.LastEvaluationTime == nil {
		t.Errorf("status after resuming %+v", st)
	}
}

func TestWaitsForGarbageCollection(t *testing.T) {
	h := newHarness()
	h.api.gcActive = true
	mg := policy(real)
	if _, err := h.reconcile(t, mg); err != nil {
		t.Fatal(err)
	}
	if len(h.api.deleted) != 0 || h.api.calls["Repositories"] != 0 {
		t.Errorf("deleted %v, evaluated %d times while a GC is active", h.api.deleted, h.api.calls["Repositories"])
	}
	h.api.gcActive = false
	if _, err := h.reconcile(t, mg); err != nil {
		t.Fatal(err)
	}
	if len(h.api.deleted) != 2 {
		t.Errorf("deleted %v after the GC", h.api.deleted)
	}
}

func TestBadSpecNamesField(t *testing.T) {
	cases := map[string]struct {
		mut  func(*v1alpha1.RetentionPolicyParameters)
		want string
	}{
		"BadRegexp":    {mut: func(p *v1alpha1.RetentionPolicyParameters) { p.Protect = []string{"ok", "(("} }, want: "forProvider.protect[1]"},
		"BadGlob":      {mut: func(p *v1alpha1.RetentionPolicyParameters) { p.Repositories = []string{"[x"} }, want: "forProvider.repositories[0]"},
		"BadCron":      {mut: func(p *v1alpha1.RetentionPolicyParameters) { p.Schedule = "0 25 * * *" }, want: "forProvider.schedule"},
		"BadZone":      {mut: func(p *v1alpha1.RetentionPolicyParameters) { p.TimeZone = "Europe/Atlantis" }, want: "forProvider.timeZone"},
		"NegativeAge":  {mut: func(p *v1alpha1.RetentionPolicyParameters) { p.OlderThan = &metav1.Duration{Duration: -time.Hour} }, want: "forProvider.olderThan"},
		"NegativeKeep": {mut: func(p *v1alpha1.RetentionPolicyParameters) { p.KeepLast = ptr.To[int32](-2) }, want: "forProvider.keepLast"},
		"NoRule":       {mut: func(p *v1alpha1.RetentionPolicyParameters) { p.KeepLast = nil; p.OlderThan = nil }, want: "keepLast or olderThan"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness()
			e := &external{api: h.api, clock: h.clock, rec: h.rec, due: schedule.NewDue(h.clock)}
			_, err := e.Observe(context.Background(), policy(tc.mut))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Observe error %v, want one naming %s", err, tc.want)
			}
			if len(h.api.calls) != 0 {
				t.Errorf("called DigitalOcean with a bad spec: %v", h.api.calls)
			}
		})
	}
}

// TestGCStartsBetweenEvaluationAndDeletion: a run that starts after the
// evaluation holds the deletions back until it ends.
func TestGCStartsBetweenEvaluationAndDeletion(t *testing.T) {
	h := newHarness()
	mg := policy(real)
	e := &external{api: h.api, clock: h.clock, rec: h.rec, due: schedule.NewDue(h.clock)}
	if _, err := e.Observe(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
	h.api.gcActive = true
	if _, err := e.Update(context.Background(), mg); err != nil {
		t.Fatal(err)
	}
	if len(h.api.deleted) != 0 || mg.Status.AtProvider.Pending != 2 {
		t.Errorf("deleted %v during a GC; pending %d", h.api.deleted, mg.Status.AtProvider.Pending)
	}
	if got := e.due.After(mg.UID, time.Hour); got != gcWait {
		t.Errorf("requeue after %s, want %s", got, gcWait)
	}
}
