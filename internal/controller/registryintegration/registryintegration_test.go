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
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

const clusterID = "c-1"

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func apiErr(code int) error {
	return &godo.ErrorResponse{Response: &http.Response{StatusCode: code, Request: &http.Request{Method: "GET"}}, Message: http.StatusText(code)}
}

// fakeAPI records calls and answers from its fields.
type fakeAPI struct {
	cluster    *godo.KubernetesCluster
	clusterErr error
	kubeconfig []byte
	kcErr      error
	addErr     error
	removeErr  error
	// gone are registries DigitalOcean does not know: removing one answers
	// 404, as DigitalOcean does.
	gone []string

	calls []string
}

func (f *fakeAPI) GetCluster(_ context.Context, id string) (*godo.KubernetesCluster, error) {
	f.calls = append(f.calls, "GET "+id)
	return f.cluster, f.clusterErr
}

func (f *fakeAPI) GetKubeconfig(_ context.Context, id string) ([]byte, error) {
	f.calls = append(f.calls, "KUBECONFIG "+id)
	return f.kubeconfig, f.kcErr
}

func (f *fakeAPI) AddRegistries(_ context.Context, id string, r []string) error {
	f.calls = append(f.calls, "POST "+id+" "+strings.Join(r, ","))
	return f.addErr
}

func (f *fakeAPI) RemoveRegistries(_ context.Context, id string, r []string) error {
	f.calls = append(f.calls, "DELETE "+id+" "+strings.Join(r, ","))
	if in, _ := diff(r, f.gone); len(in) < len(r) {
		return apiErr(http.StatusNotFound)
	}
	return f.removeErr
}

func (f *fakeAPI) RegistryExists(_ context.Context, name string) (bool, error) {
	f.calls = append(f.calls, "GET registry "+name)
	return !slices.Contains(f.gone, name), nil
}

// fakeSecrets answers Missing from a fixed set of present registries.
type fakeSecrets struct {
	present []string
	errs    []error // returned in order, then nil
	seen    [][]byte
}

func (f *fakeSecrets) Missing(_ context.Context, kc []byte, regs []string) ([]string, error) {
	f.seen = append(f.seen, kc)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return nil, err
		}
	}
	_, miss := diff(f.present, regs)
	return miss, nil
}

type mgOpt func(*v1alpha1.RegistryIntegration)

func withNames(n ...string) mgOpt {
	return func(mg *v1alpha1.RegistryIntegration) { mg.Spec.ForProvider.RegistryNames = n }
}
func withApplied(n ...string) mgOpt {
	return func(mg *v1alpha1.RegistryIntegration) { setApplied(mg, n) }
}
func withVerify() mgOpt {
	return func(mg *v1alpha1.RegistryIntegration) { mg.Spec.ForProvider.VerifyInCluster = true }
}
func deleting() mgOpt {
	return func(mg *v1alpha1.RegistryIntegration) {
		now := metav1.NewTime(t0)
		mg.SetDeletionTimestamp(&now)
		mg.SetFinalizers([]string{"finalizer.managedresource.crossplane.io"})
	}
}
func withStatus(enabled bool, missing ...string) mgOpt {
	return func(mg *v1alpha1.RegistryIntegration) {
		mg.Status.AtProvider.RegistryEnabled = enabled
		mg.Status.AtProvider.MissingInCluster = missing
	}
}

func integration(o ...mgOpt) *v1alpha1.RegistryIntegration {
	mg := &v1alpha1.RegistryIntegration{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "int"}}
	mg.Spec.ForProvider.ClusterID = clusterID
	for _, f := range o {
		f(mg)
	}
	return mg
}

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// kubeWith stores mg in a fake API server (so Patch works) and optionally
// fails patches.
func kubeWith(t *testing.T, mg *v1alpha1.RegistryIntegration, patchErr error) client.Client {
	t.Helper()
	b := fake.NewClientBuilder().WithScheme(scheme(t))
	if mg != nil {
		stored := mg.DeepCopy()
		stored.SetDeletionTimestamp(nil) // the fake refuses to create deleted objects
		b = b.WithObjects(stored)
	}
	if patchErr != nil {
		b = b.WithInterceptorFuncs(interceptor.Funcs{Patch: func(context.Context, client.WithWatch, client.Object, client.Patch, ...client.PatchOption) error {
			return patchErr
		}})
	}
	return b.Build()
}

func newExternal(t *testing.T, kube client.Client, api *fakeAPI, s *fakeSecrets) *external {
	clk := clocktesting.NewFakeClock(t0)
	if s == nil {
		s = &fakeSecrets{}
	}
	return &external{kube: kube, api: api, secrets: s, clock: clk, kubeconfigs: newKubeconfigs(clk, kubeconfigTTL), kcClient: api}
}

func cluster(enabled bool) *godo.KubernetesCluster {
	return &godo.KubernetesCluster{ID: clusterID, Name: "prod", RegionSlug: "fra1", RegistryEnabled: enabled}
}

func TestObserve(t *testing.T) {
	errBoom := errors.New("boom")
	verified := metav1.NewTime(t0)
	cases := map[string]struct {
		mg      *v1alpha1.RegistryIntegration
		api     *fakeAPI
		secrets *fakeSecrets
		want    managed.ExternalObservation
		wantErr string
		wantObs v1alpha1.RegistryIntegrationObservation
		ready   corev1.ConditionStatus
		calls   []string
	}{
		"NoClusterID": {
			mg: func() *v1alpha1.RegistryIntegration {
				m := integration(withNames("a"))
				m.Spec.ForProvider.ClusterID = ""
				return m
			}(),
			api:     &fakeAPI{},
			wantErr: "forProvider.clusterID is required",
		},
		"ClusterMissing": {
			mg:      integration(withNames("a"), withApplied("a")),
			api:     &fakeAPI{clusterErr: apiErr(404)},
			wantErr: `DOKS cluster "c-1" (forProvider.clusterID) does not exist`,
			calls:   []string{"GET c-1"},
		},
		"ClusterMissingWhileDeleting": {
			mg:   integration(withNames("a"), withApplied("a"), deleting()),
			api:  &fakeAPI{clusterErr: apiErr(404)},
			want: managed.ExternalObservation{ResourceExists: false},
		},
		"GetClusterFails": {
			mg:      integration(withNames("a"), withApplied("a")),
			api:     &fakeAPI{clusterErr: errBoom},
			wantErr: `cannot get DOKS cluster "c-1": boom`,
		},
		"NothingAppliedAsksNothing": {
			mg:    integration(withNames("a")),
			api:   &fakeAPI{cluster: cluster(false)},
			want:  managed.ExternalObservation{ResourceExists: false},
			calls: []string{},
		},
		"UpToDate": {
			mg:      integration(withNames("b", "a"), withApplied("a", "b")),
			api:     &fakeAPI{cluster: cluster(true)},
			want:    managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
			wantObs: v1alpha1.RegistryIntegrationObservation{AppliedRegistryNames: []string{"a", "b"}, RegistryEnabled: true, ClusterName: "prod", ClusterRegion: "fra1"},
			ready:   corev1.ConditionTrue,
			calls:   []string{"GET c-1"},
		},
		"RegistryDisabledAtDigitalOcean": {
			mg:      integration(withNames("a"), withApplied("a")),
			api:     &fakeAPI{cluster: cluster(false)},
			want:    managed.ExternalObservation{ResourceExists: true, Diff: "the cluster reports registry_enabled false"},
			wantObs: v1alpha1.RegistryIntegrationObservation{AppliedRegistryNames: []string{"a"}, ClusterName: "prod", ClusterRegion: "fra1"},
			ready:   corev1.ConditionFalse,
		},
		"DesiredChanged": {
			mg:      integration(withNames("a", "c"), withApplied("a", "b")),
			api:     &fakeAPI{cluster: cluster(true)},
			want:    managed.ExternalObservation{ResourceExists: true, Diff: "applied registries a,b differ from desired a,c"},
			wantObs: v1alpha1.RegistryIntegrationObservation{AppliedRegistryNames: []string{"a", "b"}, RegistryEnabled: true, ClusterName: "prod", ClusterRegion: "fra1"},
			ready:   corev1.ConditionFalse,
		},
		"DeletingSkipsResolution": {
			// A reference to a deleted Registry must not block deletion.
			mg: integration(withApplied("a"), deleting(), func(mg *v1alpha1.RegistryIntegration) {
				mg.Spec.ForProvider.RegistryRefs = []xpv2.Reference{{Name: "gone"}}
			}),
			api:     &fakeAPI{cluster: cluster(true)},
			want:    managed.ExternalObservation{ResourceExists: true},
			wantObs: v1alpha1.RegistryIntegrationObservation{AppliedRegistryNames: []string{"a"}, RegistryEnabled: true, ClusterName: "prod", ClusterRegion: "fra1"},
		},
		"ReferenceNotFound": {
			mg: integration(withApplied("a"), func(mg *v1alpha1.RegistryIntegration) {
				mg.Spec.ForProvider.RegistryRefs = []xpv2.Reference{{Name: "gone"}}
			}),
			api:     &fakeAPI{cluster: cluster(true)},
			wantErr: `forProvider.registryRefs[0]: Registry "gone" not found`,
		},
		"VerifyAllPresent": {
			mg:      integration(withNames("a", "b"), withApplied("a", "b"), withVerify()),
			api:     &fakeAPI{cluster: cluster(true), kubeconfig: []byte("kc")},
			secrets: &fakeSecrets{present: []string{"a", "b"}},
			want:    managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
			wantObs: v1alpha1.RegistryIntegrationObservation{AppliedRegistryNames: []string{"a", "b"}, RegistryEnabled: true, ClusterName: "prod", ClusterRegion: "fra1", LastVerifiedAt: &verified},
			ready:   corev1.ConditionTrue,
			calls:   []string{"GET c-1", "KUBECONFIG c-1"},
		},
		"VerifyFindsDrift": {
			mg:      integration(withNames("a", "b"), withApplied("a", "b"), withVerify()),
			api:     &fakeAPI{cluster: cluster(true), kubeconfig: []byte("kc")},
			secrets: &fakeSecrets{present: []string{"a"}},
			want:    managed.ExternalObservation{ResourceExists: true, Diff: "pull Secrets missing in the cluster's kube-system namespace for b"},
			wantObs: v1alpha1.RegistryIntegrationObservation{AppliedRegistryNames: []string{"a", "b"}, RegistryEnabled: true, ClusterName: "prod", ClusterRegion: "fra1", LastVerifiedAt: &verified, MissingInCluster: []string{"b"}},
			ready:   corev1.ConditionFalse,
		},
		"VerifySkippedWhileDisabled": {
			mg:      integration(withNames("a"), withApplied("a"), withVerify()),
			api:     &fakeAPI{cluster: cluster(false)},
			want:    managed.ExternalObservation{ResourceExists: true, Diff: "the cluster reports registry_enabled false"},
			wantObs: v1alpha1.RegistryIntegrationObservation{AppliedRegistryNames: []string{"a"}, ClusterName: "prod", ClusterRegion: "fra1"},
			ready:   corev1.ConditionFalse,
			calls:   []string{"GET c-1"},
		},
		"VerifyKubeconfigFails": {
			mg:      integration(withNames("a"), withApplied("a"), withVerify()),
			api:     &fakeAPI{cluster: cluster(true), kcErr: apiErr(500)},
			wantErr: `cannot get the kubeconfig of DOKS cluster "c-1" (forProvider.verifyInCluster)`,
		},
		"VerifyRefetchesRefusedKubeconfig": {
			mg:      integration(withNames("a"), withApplied("a"), withVerify()),
			api:     &fakeAPI{cluster: cluster(true), kubeconfig: []byte("kc")},
			secrets: &fakeSecrets{present: []string{"a"}, errs: []error{errClusterAuth{errBoom}}},
			want:    managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
			wantObs: v1alpha1.RegistryIntegrationObservation{AppliedRegistryNames: []string{"a"}, RegistryEnabled: true, ClusterName: "prod", ClusterRegion: "fra1", LastVerifiedAt: &verified},
			ready:   corev1.ConditionTrue,
			calls:   []string{"GET c-1", "KUBECONFIG c-1", "KUBECONFIG c-1"},
		},
		"VerifyRefusedTwice": {
			mg:      integration(withNames("a"), withApplied("a"), withVerify()),
			api:     &fakeAPI{cluster: cluster(true), kubeconfig: []byte("kc")},
			secrets: &fakeSecrets{errs: []error{errClusterAuth{errBoom}, errClusterAuth{errBoom}}},
			wantErr: "cannot verify pull Secrets",
		},
		"VerifyClusterUnreachable": {
			mg:      integration(withNames("a"), withApplied("a"), withVerify()),
			api:     &fakeAPI{cluster: cluster(true), kubeconfig: []byte("kc")},
			secrets: &fakeSecrets{errs: []error{errBoom}},
			wantErr: `cannot verify pull Secrets in DOKS cluster "c-1" (forProvider.verifyInCluster): boom`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newExternal(t, kubeWith(t, nil, nil), tc.api, tc.secrets)
			got, err := e.Observe(context.Background(), tc.mg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Observe() error = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Observe() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Observe() -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantObs, tc.mg.Status.AtProvider); diff != "" {
				t.Errorf("atProvider -want +got:\n%s", diff)
			}
			if tc.ready != "" {
				if got := tc.mg.GetCondition(xpv2.TypeReady).Status; got != tc.ready {
					t.Errorf("Ready = %s, want %s", got, tc.ready)
				}
			}
			if tc.calls != nil {
				if diff := cmp.Diff(tc.calls, tc.api.calls, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("API calls -want +got:\n%s", diff)
				}
			}
		})
	}
}

// A verified cluster's kubeconfig is reused on the next poll, so a poll costs
// one DigitalOcean request; it is fetched again once the cache expires.
func TestObserveCachesKubeconfig(t *testing.T) {
	api := &fakeAPI{cluster: cluster(true), kubeconfig: []byte("kc")}
	e := newExternal(t, kubeWith(t, nil, nil), api, &fakeSecrets{present: []string{"a"}})
	for i := 0; i < 2; i++ {
		if _, err := e.Observe(context.Background(), integration(withNames("a"), withApplied("a"), withVerify())); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.(*clocktesting.FakeClock).Step(kubeconfigTTL + time.Second)
	if _, err := e.Observe(context.Background(), integration(withNames("a"), withApplied("a"), withVerify())); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET c-1", "KUBECONFIG c-1", "GET c-1", "GET c-1", "KUBECONFIG c-1"}
	if diff := cmp.Diff(want, api.calls); diff != "" {
		t.Errorf("API calls -want +got:\n%s", diff)
	}
}

func TestCreate(t *testing.T) {
	cases := map[string]struct {
		mg          *v1alpha1.RegistryIntegration
		api         *fakeAPI
		wantErr     string
		wantApplied []string
		calls       []string
	}{
		"IntegratesDesired": {
			mg:          integration(withNames("b", "a")),
			api:         &fakeAPI{},
			wantApplied: []string{"a", "b"},
			calls:       []string{"POST c-1 a,b"},
		},
		"PostFails": {
			mg:      integration(withNames("a")),
			api:     &fakeAPI{addErr: apiErr(422)},
			wantErr: `cannot integrate registries a into DOKS cluster "c-1": 422 Unprocessable Entity`,
			calls:   []string{"POST c-1 a"},
		},
		"ClusterMissing": {
			mg:      integration(withNames("a")),
			api:     &fakeAPI{addErr: apiErr(404), clusterErr: apiErr(404)},
			wantErr: `DOKS cluster "c-1" (forProvider.clusterID) does not exist`,
			calls:   []string{"POST c-1 a", "GET c-1"},
		},
		"RegistryMissing": {
			mg:      integration(withNames("a")),
			api:     &fakeAPI{addErr: apiErr(404), cluster: cluster(false)},
			wantErr: `cannot integrate registries a into DOKS cluster "c-1": 404 Not Found`,
			calls:   []string{"POST c-1 a", "GET c-1"},
		},
		"ResolveFails": {
			mg: integration(func(mg *v1alpha1.RegistryIntegration) {
				mg.Spec.ForProvider.RegistryRefs = []xpv2.Reference{{Name: "gone"}}
			}),
			api:     &fakeAPI{},
			wantErr: "forProvider.registryRefs[0]",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newExternal(t, kubeWith(t, nil, nil), tc.api, nil)
			_, err := e.Create(context.Background(), tc.mg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Create() error = %v, want containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Create() error = %v", err)
			}
			if diff := cmp.Diff(tc.wantApplied, Applied(tc.mg)); diff != "" {
				t.Errorf("applied -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.calls, tc.api.calls); diff != "" {
				t.Errorf("API calls -want +got:\n%s", diff)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	errBoom := errors.New("boom")
	cases := map[string]struct {
		mg       *v1alpha1.RegistryIntegration
		api      *fakeAPI
		patchErr error
		wantErr  string
		// stored is the applied set persisted at the API server.
		stored []string
		calls  []string
	}{
		"AddRegistry": {
			mg:     integration(withNames("a", "b"), withApplied("a"), withStatus(true)),
			api:    &fakeAPI{},
			stored: []string{"a", "b"},
			calls:  []string{"POST c-1 a,b"},
		},
		"RemoveRegistry": {
			mg:     integration(withNames("a"), withApplied("a", "b"), withStatus(true)),
			api:    &fakeAPI{},
			stored: []string{"a"},
			calls:  []string{"DELETE c-1 b"},
		},
		"ReplaceRegistry": {
			mg:     integration(withNames("a", "c"), withApplied("a", "b"), withStatus(true)),
			api:    &fakeAPI{},
			stored: []string{"a", "c"},
			calls:  []string{"POST c-1 a,c", "DELETE c-1 b"},
		},
		"ReapplyWhenDisabledAtDigitalOcean": {
			mg:     integration(withNames("a"), withApplied("a"), withStatus(false)),
			api:    &fakeAPI{},
			stored: []string{"a"},
			calls:  []string{"POST c-1 a"},
		},
		"ReapplyWhenSecretMissing": {
			mg:     integration(withNames("a", "b"), withApplied("a", "b"), withStatus(true, "b")),
			api:    &fakeAPI{},
			stored: []string{"a", "b"},
			calls:  []string{"POST c-1 a,b"},
		},
		"DeleteFailsKeepsRemovedRecorded": {
			mg:      integration(withNames("a", "c"), withApplied("a", "b"), withStatus(true)),
			api:     &fakeAPI{removeErr: apiErr(500)},
			wantErr: `cannot remove registries b from DOKS cluster "c-1"; will retry`,
			stored:  []string{"a", "b", "c"},
			calls:   []string{"POST c-1 a,c", "DELETE c-1 b"},
		},
		"PostFailsSkipsDelete": {
			mg:      integration(withNames("a", "c"), withApplied("a", "b"), withStatus(true)),
			api:     &fakeAPI{addErr: apiErr(500)},
			wantErr: "cannot integrate registries a,c",
			stored:  []string{"a", "b"},
			calls:   []string{"POST c-1 a,c"},
		},
		"RecordFails": {
			mg:       integration(withNames("a", "b"), withApplied("a"), withStatus(true)),
			api:      &fakeAPI{},
			patchErr: errBoom,
			wantErr:  "cannot record the applied registries on the object: boom",
			stored:   []string{"a"},
			calls:    []string{"POST c-1 a,b"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := kubeWith(t, tc.mg, tc.patchErr)
			e := newExternal(t, kube, tc.api, nil)
			_, err := e.Update(context.Background(), tc.mg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Update() error = %v, want containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Update() error = %v", err)
			}
			stored := &v1alpha1.RegistryIntegration{}
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(tc.mg), stored); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.stored, Applied(stored)); diff != "" {
				t.Errorf("persisted applied -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.calls, tc.api.calls); diff != "" {
				t.Errorf("API calls -want +got:\n%s", diff)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	cases := map[string]struct {
		mg      *v1alpha1.RegistryIntegration
		api     *fakeAPI
		wantErr string
		stored  []string
		calls   []string
	}{
		"RemovesApplied": {
			mg:    integration(withNames("a"), withApplied("a", "b"), deleting()),
			api:   &fakeAPI{},
			calls: []string{"DELETE c-1 a,b"},
		},
		"DeleteFailsIsNotSuccess": {
			mg:      integration(withNames("a"), withApplied("a", "b"), deleting()),
			api:     &fakeAPI{removeErr: apiErr(500)},
			wantErr: `cannot remove registries a,b from DOKS cluster "c-1"; will retry`,
			stored:  []string{"a", "b"},
			calls:   []string{"DELETE c-1 a,b"},
		},
		"DeleteNotFoundIsNotSuccess": {
			// Only Observe, seeing the cluster gone, may conclude nothing is left.
			mg:      integration(withNames("a"), withApplied("a"), deleting()),
			api:     &fakeAPI{removeErr: apiErr(404)},
			wantErr: "will retry",
			stored:  []string{"a"},
			calls:   []string{"DELETE c-1 a", "GET registry a"},
		},
		// A registry deleted at DigitalOcean left every cluster: the 404 is
		// checked registry by registry and the others are removed.
		"RegistryGoneAtDigitalOcean": {
			mg:    integration(withNames("a"), withApplied("a", "b"), deleting()),
			api:   &fakeAPI{gone: []string{"a"}},
			calls: []string{"DELETE c-1 a,b", "GET registry a", "GET registry b", "DELETE c-1 b"},
		},
		"EveryRegistryGoneAtDigitalOcean": {
			mg:    integration(withNames("a"), withApplied("a"), deleting()),
			api:   &fakeAPI{gone: []string{"a"}},
			calls: []string{"DELETE c-1 a", "GET registry a"},
		},
		"RegistryGoneButRemovingTheOthersFails": {
			mg:      integration(withNames("a"), withApplied("a", "b"), deleting()),
			api:     &fakeAPI{gone: []string{"a"}, removeErr: apiErr(500)},
			wantErr: `cannot remove registries b from DOKS cluster "c-1"; will retry`,
			stored:  []string{"a", "b"},
			calls:   []string{"DELETE c-1 a,b", "GET registry a", "GET registry b", "DELETE c-1 b"},
		},
		"NothingApplied": {
			mg:  integration(withNames("a"), deleting()),
			api: &fakeAPI{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := kubeWith(t, tc.mg, nil)
			e := newExternal(t, kube, tc.api, nil)
			_, err := e.Delete(context.Background(), tc.mg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Delete() error = %v, want containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Delete() error = %v", err)
			}
			stored := &v1alpha1.RegistryIntegration{}
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(tc.mg), stored); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.stored, Applied(stored)); diff != "" {
				t.Errorf("persisted applied -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.calls, tc.api.calls); diff != "" {
				t.Errorf("API calls -want +got:\n%s", diff)
			}
		})
	}
}

func TestMissing(t *testing.T) {
	sec := func(name string, typ corev1.SecretType, ann map[string]string) corev1.Secret {
		return corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Annotations: ann}, Type: typ}
	}
	dcj := corev1.SecretTypeDockerConfigJson
	secrets := []corev1.Secret{
		sec("a", dcj, map[string]string{SecretIdentifierAnnotation: "a"}),
		sec("registry-b", dcj, map[string]string{SecretIdentifierAnnotation: "b"}),
		sec("c", dcj, nil), // not DigitalOcean's: no identifier
		sec("d", corev1.SecretTypeOpaque, map[string]string{SecretIdentifierAnnotation: "d"}),
	}
	got := missing(secrets, []string{"a", "b", "c", "d", "e"})
	if diff := cmp.Diff([]string{"c", "d", "e"}, got); diff != "" {
		t.Errorf("missing() -want +got:\n%s", diff)
	}
}

// Applied survives the annotation round trip and ignores order.
func TestAppliedAnnotation(t *testing.T) {
	mg := integration()
	setApplied(mg, []string{"b", "a"})
	if diff := cmp.Diff([]string{"a", "b"}, Applied(mg)); diff != "" {
		t.Errorf("Applied() -want +got:\n%s", diff)
	}
	setApplied(mg, nil)
	if _, ok := mg.GetAnnotations()[AppliedAnnotation]; ok || Applied(mg) != nil {
		t.Errorf("setApplied(nil) left %v", mg.GetAnnotations())
	}
}

// Reconciles moments apart share one GET; a change by this provider, or the
// memo's expiry, makes the next Observe ask DigitalOcean again.
func TestObserveMemo(t *testing.T) {
	api := &fakeAPI{cluster: cluster(true)}
	e := newExternal(t, kubeWith(t, nil, nil), api, nil)
	memoClock := clocktesting.NewFakeClock(t0)
	e.clusters = newClusterMemo(memoClock, time.Second)
	observe := func() {
		t.Helper()
		if _, err := e.Observe(context.Background(), integration(withNames("a"), withApplied("a"))); err != nil {
			t.Fatal(err)
		}
	}
	observe()
	observe() // memo
	if _, err := e.Create(context.Background(), integration(withNames("a"))); err != nil {
		t.Fatal(err)
	}
	observe() // the POST dropped the memo
	memoClock.Step(2 * time.Second)
	observe() // expired
	observe() // memo
	want := []string{"GET c-1", "POST c-1 a", "GET c-1", "GET c-1"}
	if diff := cmp.Diff(want, api.calls); diff != "" {
		t.Errorf("API calls -want +got:\n%s", diff)
	}
}

func TestMemoTTL(t *testing.T) {
	for poll, want := range map[time.Duration]time.Duration{0: 2 * time.Second, time.Second: 500 * time.Millisecond, time.Minute: 2 * time.Second} {
		if got := memoTTL(poll); got != want {
			t.Errorf("memoTTL(%s) = %s, want %s", poll, got, want)
		}
	}
}

// A registry another RegistryIntegration applied to the same cluster is not
// removed: that object could not notice (DigitalOcean does not say which
// registries a cluster has).
func TestSharedRegistriesStay(t *testing.T) {
	other := func(name, cluster string, applied []string, mods ...mgOpt) *v1alpha1.RegistryIntegration {
		o := integration(append([]mgOpt{withApplied(applied...)}, mods...)...)
		o.Name, o.Namespace, o.UID = name, "other-ns", types.UID("uid-"+name)
		o.Spec.ForProvider.ClusterID = cluster
		return o
	}
	cases := map[string]struct {
		op     string
		mg     *v1alpha1.RegistryIntegration
		others []*v1alpha1.RegistryIntegration
		stored []string
		calls  []string
	}{
		"UpdateKeepsShared": {
			op:     "Update",
			mg:     integration(withNames("a"), withApplied("a", "b", "c"), withStatus(true)),
			others: []*v1alpha1.RegistryIntegration{other("o1", clusterID, []string{"b"})},
			stored: []string{"a"},
			calls:  []string{"DELETE c-1 c"},
		},
		"DeleteKeepsShared": {
			op:     "Delete",
			mg:     integration(withNames("a"), withApplied("a", "b"), deleting()),
			others: []*v1alpha1.RegistryIntegration{other("o1", clusterID, []string{"b"})},
			calls:  []string{"DELETE c-1 a"},
		},
		"DeleteAllShared": {
			op:     "Delete",
			mg:     integration(withNames("a"), withApplied("a"), deleting()),
			others: []*v1alpha1.RegistryIntegration{other("o1", clusterID, []string{"a"})},
		},
		"OtherClusterOrDeletedDoNotCount": {
			op: "Delete",
			mg: integration(withNames("a"), withApplied("a", "b"), deleting()),
			others: []*v1alpha1.RegistryIntegration{
				other("o1", "another-cluster", []string{"a"}),
				other("o2", clusterID, []string{"b"}, deleting()),
			},
			calls: []string{"DELETE c-1 a,b"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(scheme(t))
			stored := tc.mg.DeepCopy()
			stored.SetDeletionTimestamp(nil)
			b = b.WithObjects(stored)
			for _, o := range tc.others {
				b = b.WithObjects(o)
			}
			kube := b.Build()
			api := &fakeAPI{}
			e := newExternal(t, kube, api, nil)
			var err error
			if tc.op == "Update" {
				_, err = e.Update(context.Background(), tc.mg)
			} else {
				_, err = e.Delete(context.Background(), tc.mg)
			}
			if err != nil {
				t.Fatalf("%s() error = %v", tc.op, err)
			}
			got := &v1alpha1.RegistryIntegration{}
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(tc.mg), got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.stored, Applied(got)); diff != "" {
				t.Errorf("persisted applied -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.calls, api.calls); diff != "" {
				t.Errorf("API calls -want +got:\n%s", diff)
			}
		})
	}
}
