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
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

var created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeAPI answers with its functions and records the calls it gets.
type fakeAPI struct {
	get    func(name string) (*godo.Registry, error)
	create func(req *godo.RegistryCreateRequest) (*godo.Registry, error)
	del    func(name string) error
	gc     func(name string) (*godo.GarbageCollection, error)
	calls  []string
}

func (f *fakeAPI) Get(_ context.Context, name string) (*godo.Registry, *godo.Response, error) {
	f.calls = append(f.calls, "GET "+name)
	r, err := f.get(name)
	return r, nil, err
}

func (f *fakeAPI) Create(_ context.Context, req *godo.RegistryCreateRequest) (*godo.Registry, *godo.Response, error) {
	f.calls = append(f.calls, "POST "+req.Name+" "+req.Region)
	r, err := f.create(req)
	return r, nil, err
}

func (f *fakeAPI) Delete(_ context.Context, name string) (*godo.Response, error) {
	f.calls = append(f.calls, "DELETE "+name)
	return nil, f.del(name)
}

func (f *fakeAPI) GetGarbageCollection(_ context.Context, name string) (*godo.GarbageCollection, *godo.Response, error) {
	f.calls = append(f.calls, "GET-GC "+name)
	g, err := f.gc(name)
	return g, nil, err
}

// apiErr is the error godo returns for an HTTP status.
func apiErr(code int, msg string) error {
	return &godo.ErrorResponse{Response: &http.Response{StatusCode: code, Request: &http.Request{Method: "GET"}}, Message: msg}
}

func doRegistry(name, region string) *godo.Registry {
	return &godo.Registry{UUID: "u-" + name, Name: name, Region: region, CreatedAt: created, StorageUsageBytes: 42, StorageUsageBytesUpdatedAt: created}
}

type regOpt func(*v1alpha1.Registry)

func withExternalName(n string) regOpt {
	return func(r *v1alpha1.Registry) { meta.SetExternalName(r, n) }
}
func protected() regOpt {
	return func(r *v1alpha1.Registry) { r.Spec.ForProvider.DeletionProtection = true }
}
func deleting() regOpt {
	return func(r *v1alpha1.Registry) { now := metav1.Now(); r.SetDeletionTimestamp(&now) }
}
func withAtRegion(region string) regOpt {
	return func(r *v1alpha1.Registry) { r.Status.AtProvider.Region, r.Status.AtProvider.Name = region, r.Name }
}

func newRegistry(o ...regOpt) *v1alpha1.Registry {
	r := &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Name: "reg", Namespace: "ns", UID: "uid", Generation: 1}}
	r.Spec.ForProvider.Region = "nyc3"
	for _, fn := range o {
		fn(r)
	}
	return r
}

func observedStatus(name, region string) v1alpha1.RegistryObservation {
	t := metav1.NewTime(created)
	return v1alpha1.RegistryObservation{UUID: "u-" + name, Name: name, Region: region, CreatedAt: &t, StorageUsageBytes: 42,
		StorageUsageUpdatedAt: &t, ServerURL: ServerURL, Endpoint: ServerURL + "/" + name}
}

var ignoreTime = cmpopts.IgnoreFields(xpv2.Condition{}, "LastTransitionTime")

func TestObserve(t *testing.T) {
	type want struct {
		obs   managed.ExternalObservation
		err   string
		calls []string
		at    v1alpha1.RegistryObservation
		ready xpv2.Condition
	}
	cases := map[string]struct {
		reason string
		cr     *v1alpha1.Registry
		api    *fakeAPI
		want   want
	}{
		"Exists": {
			reason: "One GET; status, connection details and Available.",
			cr:     newRegistry(),
			api:    &fakeAPI{get: func(n string) (*godo.Registry, error) { return doRegistry(n, "nyc3"), nil }},
			want: want{
				obs:   managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: connectionDetails("reg")},
				calls: []string{"GET reg"}, at: observedStatus("reg", "nyc3"), ready: xpv2.Available(),
			},
		},
		"ExternalNameWins": {
			reason: "Adoption: the external name, not metadata.name, is the registry.",
			cr:     newRegistry(withExternalName("existing-one")),
			api:    &fakeAPI{get: func(n string) (*godo.Registry, error) { return doRegistry(n, "nyc3"), nil }},
			want: want{
				obs:   managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: connectionDetails("existing-one")},
				calls: []string{"GET existing-one"}, at: observedStatus("existing-one", "nyc3"), ready: xpv2.Available(),
			},
		},
		"NotFound": {
			cr:   newRegistry(),
			api:  &fakeAPI{get: func(string) (*godo.Registry, error) { return nil, apiErr(404, "not found") }},
			want: want{obs: managed.ExternalObservation{ResourceExists: false}, calls: []string{"GET reg"}},
		},
		"OtherRegion": {
			reason: "A registry in another region than the spec is not up to date (Update explains).",
			cr:     newRegistry(),
			api:    &fakeAPI{get: func(n string) (*godo.Registry, error) { return doRegistry(n, "fra1"), nil }},
			want: want{
				obs:   managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, ConnectionDetails: connectionDetails("reg")},
				calls: []string{"GET reg"}, at: observedStatus("reg", "fra1"), ready: xpv2.Available(),
			},
		},
		"GetFails": {
			cr:   newRegistry(),
			api:  &fakeAPI{get: func(string) (*godo.Registry, error) { return nil, apiErr(500, "boom") }},
			want: want{err: `cannot get registry "reg": 500 Internal Server Error: boom`, calls: []string{"GET reg"}},
		},
		"InvalidExternalName": {
			reason: "No request for a name DigitalOcean would refuse.",
			cr:     newRegistry(withExternalName("Not_Valid")),
			api:    &fakeAPI{},
			want:   want{err: `external name "Not_Valid"`},
		},
		"ProtectedAndDeletedUnknownState": {
			reason: "Without a previous observation a protected registry being deleted is observed once.",
			cr:     newRegistry(protected(), deleting()),
			api:    &fakeAPI{get: func(n string) (*godo.Registry, error) { return doRegistry(n, "nyc3"), nil }},
			want: want{
				obs:   managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ConnectionDetails: connectionDetails("reg")},
				calls: []string{"GET reg"}, at: observedStatus("reg", "nyc3"), ready: xpv2.Available(),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &external{api: tc.api, memos: newMemos(), clock: clocktesting.NewFakeClock(created)}
			obs, err := e.Observe(context.Background(), tc.cr)
			got := want{obs: obs, calls: tc.api.calls, at: tc.cr.Status.AtProvider, ready: tc.cr.GetCondition(xpv2.TypeReady)}
			if err != nil {
				got.err = err.Error()
				if !strings.Contains(got.err, tc.want.err) {
					t.Errorf("%s\nerror %q does not contain %q", tc.reason, got.err, tc.want.err)
				}
				got.err = tc.want.err
			}
			if tc.want.ready.Type == "" {
				tc.want.ready = xpv2.Condition{Type: xpv2.TypeReady, Status: "Unknown"}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}), ignoreTime, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	type want struct {
		cre    managed.ExternalCreation
		err    string
		calls  []string
		reason xpv2.ConditionReason
	}
	notFound := func(string) (*godo.Registry, error) { return nil, apiErr(404, "not found") }
	cases := map[string]struct {
		reason string
		create func(*godo.RegistryCreateRequest) (*godo.Registry, error)
		get    func(string) (*godo.Registry, error)
		want   want
	}{
		"Created": {
			create: func(r *godo.RegistryCreateRequest) (*godo.Registry, error) { return doRegistry(r.Name, r.Region), nil },
			want:   want{cre: managed.ExternalCreation{ConnectionDetails: connectionDetails("reg")}, calls: []string{"POST reg nyc3"}},
		},
		"NameTaken": {
			reason: "409 and not ours (GET 404): the name belongs to another account; a clear, non-retrying error.",
			create: func(*godo.RegistryCreateRequest) (*godo.Registry, error) {
				return nil, apiErr(409, `registry name "reg" is already taken`)
			},
			get:  notFound,
			want: want{err: `registry name "reg" is taken by another DigitalOcean account`, calls: []string{"POST reg nyc3", "GET reg"}, reason: ReasonNameTaken},
		},
		"ConflictWithOurOwnCreate": {
			reason: "409 because our own earlier create completed (a restart mid-create): it is ours, not a clash.",
			create: func(*godo.RegistryCreateRequest) (*godo.Registry, error) {
				return nil, apiErr(409, `registry name "reg" is already taken`)
			},
			get:  func(n string) (*godo.Registry, error) { return doRegistry(n, "nyc3"), nil },
			want: want{cre: managed.ExternalCreation{ConnectionDetails: connectionDetails("reg")}, calls: []string{"POST reg nyc3", "GET reg"}},
		},
		"RegionNotOffered": {
			create: func(*godo.RegistryCreateRequest) (*godo.Registry, error) {
				return nil, apiErr(422, `region "nyc3" does not offer container registries`)
			},
			want: want{err: `DigitalOcean does not offer registries in region "nyc3" (spec.forProvider.region)`, calls: []string{"POST reg nyc3"}, reason: ReasonRegionUnavailable},
		},
		"RegistryLimit": {
			create: func(*godo.RegistryCreateRequest) (*godo.Registry, error) {
				return nil, apiErr(422, "registry limit reached: the basic tier allows 1 registry")
			},
			want: want{err: "the DigitalOcean account is at its registry limit", calls: []string{"POST reg nyc3"}, reason: ReasonRegistryLimit},
		},
		"Transient": {
			reason: "A server error is retried by the reconciler's backoff, not remembered.",
			create: func(*godo.RegistryCreateRequest) (*godo.Registry, error) { return nil, apiErr(503, "busy") },
			want:   want{err: `cannot create registry "reg": 503 Service Unavailable: busy`, calls: []string{"POST reg nyc3"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			api := &fakeAPI{create: tc.create, get: tc.get}
			e := &external{api: api, memos: newMemos(), clock: clocktesting.NewFakeClock(created)}
			cre, err := e.Create(context.Background(), newRegistry())
			got := want{cre: cre, calls: api.calls}
			if err != nil {
				got.err = err.Error()
				if !strings.Contains(got.err, tc.want.err) {
					t.Errorf("%s\nerror %q does not contain %q", tc.reason, got.err, tc.want.err)
				}
				got.err = tc.want.err
			}
			e.memos.with("uid", func(m *memo) {
				if m.refused != nil {
					got.reason = m.refused.reason
				}
			})
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRequestBudget drives one Registry through its life and counts requests:
// 2 per create (POST's answer stands in for the re-observation), 1 per poll,
// 2 per delete (DELETE's success stands in for the final observation), and
// none while a refused create or deletion protection holds.
func TestRequestBudget(t *testing.T) {
	fc := clocktesting.NewFakeClock(created)
	exists := false
	gcActive := false
	api := &fakeAPI{
		get: func(n string) (*godo.Registry, error) {
			if !exists {
				return nil, apiErr(404, "not found")
			}
			return doRegistry(n, "nyc3"), nil
		},
		create: func(r *godo.RegistryCreateRequest) (*godo.Registry, error) {
			exists = true
			return doRegistry(r.Name, r.Region), nil
		},
		del: func(string) error { exists = false; return nil },
		gc: func(string) (*godo.GarbageCollection, error) {
			if gcActive {
				return &godo.GarbageCollection{UUID: "gc1", Status: "scanning manifests", Type: "untagged manifests and unreferenced blobs"}, nil
			}
			return nil, apiErr(404, "no active garbage collection")
		},
	}
	e := &external{api: api, memos: newMemos(), clock: fc, now: fc.Now}
	ctx := context.Background()
	cr := newRegistry()
	step := func(name string, fn func() error, wantCalls ...string) {
		t.Helper()
		if strings.HasPrefix(name, "poll") {
			// Polls are more than freshFor apart.
			fc.Step(time.Second)
		}
		api.calls = nil
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(wantCalls, api.calls, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: requests -want +got:\n%s", name, diff)
		}
	}
	observe := func(wantExists bool) func() error {
		return func() error {
			o, err := e.Observe(ctx, cr)
			if err == nil && o.ResourceExists != wantExists {
				t.Errorf("ResourceExists = %v, want %v", o.ResourceExists, wantExists)
			}
			return err
		}
	}

	step("create: observe", observe(false), "GET reg")
	step("create: create", func() error { _, err := e.Create(ctx, cr); return err }, "POST reg nyc3")
	step("create: re-observe", observe(true))
	step("create: reconcile caused by its own status write", observe(true))
	step("poll 1", observe(true), "GET reg")
	step("reconcile caused by the poll's status write", observe(true))
	fc.Step(gcEvery)
	step("poll 2: GC due", observe(true), "GET-GC reg")
	step("poll 3", observe(true), "GET reg")
	step("poll 4: GC not due", observe(true), "GET reg")
	if cr.Status.AtProvider.ReadOnly {
		t.Error("ReadOnly without an active GC")
	}
	gcActive = true
	fc.Step(gcEvery)
	step("poll 5: GC due", observe(true), "GET-GC reg")
	want := &v1alpha1.ActiveGarbageCollection{UUID: "gc1", Status: "scanning manifests", Type: "untagged manifests and unreferenced blobs"}
	if diff := cmp.Diff(want, cr.Status.AtProvider.ActiveGarbageCollection); diff != "" || !cr.Status.AtProvider.ReadOnly {
		t.Errorf("active GC: readOnly=%v, -want +got:\n%s", cr.Status.AtProvider.ReadOnly, diff)
	}
	step("poll 6", observe(true), "GET reg")
	gcActive = false
	step("poll 7: GC active, asked every other poll", observe(true), "GET-GC reg")
	if cr.Status.AtProvider.ReadOnly || cr.Status.AtProvider.ActiveGarbageCollection != nil {
		t.Error("still read-only after the GC ended")
	}
	step("poll 8", observe(true), "GET reg")

	// Deletion protection: refused, nothing deleted, no further requests.
	cr.Spec.ForProvider.DeletionProtection = true
	now := metav1.Now()
	cr.SetDeletionTimestamp(&now)
	step("protected: observe", observe(true))
	api.calls = nil
	if _, err := e.Delete(ctx, cr); err != ErrDeletionProtected {
		t.Errorf("Delete: got %v, want ErrDeletionProtected", err)
	}
	if len(api.calls) != 0 || !exists {
		t.Errorf("protected Delete sent %v; registry exists: %v", api.calls, exists)
	}
	cr.Spec.ForProvider.DeletionProtection = false
	step("delete: delete", func() error { _, err := e.Delete(ctx, cr); return err }, "DELETE reg")
	step("delete: confirm", observe(false))
}

func TestRefusedCreateIsNotRetried(t *testing.T) {
	fc := clocktesting.NewFakeClock(created)
	api := &fakeAPI{
		get:    func(string) (*godo.Registry, error) { return nil, apiErr(404, "not found") },
		create: func(*godo.RegistryCreateRequest) (*godo.Registry, error) { return nil, apiErr(409, "taken") },
	}
	e := &external{api: api, memos: newMemos(), clock: fc, now: fc.Now}
	ctx := context.Background()
	cr := newRegistry()
	if _, err := e.Observe(ctx, cr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(ctx, cr); err == nil {
		t.Fatal("Create: want error")
	}
	api.calls = nil
	for range 5 {
		if _, err := e.Observe(ctx, cr); err == nil || !strings.Contains(err.Error(), "taken by another DigitalOcean account") {
			t.Fatalf("Observe after a refusal: got %v", err)
		}
	}
	if len(api.calls) != 0 {
		t.Errorf("requests after the refusal: %v", api.calls)
	}
	got := cr.GetCondition(xpv2.TypeReady)
	if got.Status != "False" || got.Reason != ReasonNameTaken {
		t.Errorf("Ready condition: %+v", got)
	}
	// A changed Registry (new generation) is tried again.
	cr.SetGeneration(2)
	if _, err := e.Observe(ctx, cr); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"GET reg"}, api.calls); diff != "" {
		t.Errorf("after a change: -want +got:\n%s", diff)
	}
	// Deleting a Registry whose create was refused needs no request.
	cr.SetGeneration(1)
	_, _ = e.Create(ctx, cr)
	api.calls = nil
	now := metav1.Now()
	cr.SetDeletionTimestamp(&now)
	o, err := e.Observe(ctx, cr)
	if err != nil || o.ResourceExists || len(api.calls) != 0 {
		t.Errorf("deleting a refused Registry: exists=%v err=%v calls=%v", o.ResourceExists, err, api.calls)
	}
}

func TestRegistryLimitLiftedByTierChange(t *testing.T) {
	fc := clocktesting.NewFakeClock(created)
	var changes uint64
	api := &fakeAPI{
		get: func(string) (*godo.Registry, error) { return nil, apiErr(404, "not found") },
		create: func(*godo.RegistryCreateRequest) (*godo.Registry, error) {
			return nil, apiErr(422, "registry limit reached")
		},
	}
	e := &external{api: api, memos: newMemos(), clock: fc, now: fc.Now, accountChanges: func() uint64 { return changes }}
	ctx := context.Background()
	cr := newRegistry()
	if _, err := e.Create(ctx, cr); err == nil || !strings.Contains(err.Error(), "registry limit") {
		t.Fatalf("Create: %v", err)
	}
	api.calls = nil
	if _, err := e.Observe(ctx, cr); err == nil {
		t.Fatal("Observe: want the remembered refusal")
	}
	if len(api.calls) != 0 {
		t.Errorf("requests while refused: %v", api.calls)
	}
	changes++ // a Subscription of this process changed the tier
	if _, err := e.Observe(ctx, cr); err != nil {
		t.Fatalf("Observe after a tier change: %v", err)
	}
	if diff := cmp.Diff([]string{"GET reg"}, api.calls); diff != "" {
		t.Errorf("after a tier change: -want +got:\n%s", diff)
	}
}

func TestUpdateAndDelete(t *testing.T) {
	cases := map[string]struct {
		cr    *v1alpha1.Registry
		del   func(string) error
		op    string
		err   string
		calls []string
	}{
		"UpdateNothingToDo":  {cr: newRegistry(withAtRegion("nyc3")), op: "update"},
		"UpdateOtherRegion":  {cr: newRegistry(withAtRegion("fra1")), op: "update", err: `is in region "fra1" at DigitalOcean but spec.forProvider.region is "nyc3"`},
		"Delete":             {cr: newRegistry(), del: func(string) error { return nil }, op: "delete", calls: []string{"DELETE reg"}},
		"DeleteAlreadyGone":  {cr: newRegistry(), del: func(string) error { return apiErr(404, "gone") }, op: "delete", calls: []string{"DELETE reg"}},
		"DeleteFails":        {cr: newRegistry(), del: func(string) error { return apiErr(500, "boom") }, op: "delete", err: `cannot delete registry "reg": 500`, calls: []string{"DELETE reg"}},
		"DeleteProtected":    {cr: newRegistry(protected()), op: "delete", err: "deletion protection is on"},
		"DeleteExternalName": {cr: newRegistry(withExternalName("other")), del: func(string) error { return nil }, op: "delete", calls: []string{"DELETE other"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			api := &fakeAPI{del: tc.del}
			e := &external{api: api, memos: newMemos(), clock: clocktesting.NewFakeClock(created)}
			var err error
			if tc.op == "update" {
				_, err = e.Update(context.Background(), tc.cr)
			} else {
				_, err = e.Delete(context.Background(), tc.cr)
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if (tc.err == "") != (gotErr == "") || !strings.Contains(gotErr, tc.err) {
				t.Errorf("error: got %q, want %q", gotErr, tc.err)
			}
			if diff := cmp.Diff(tc.calls, api.calls, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("requests: -want +got:\n%s", diff)
			}
		})
	}
}
