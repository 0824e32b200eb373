package pbconv

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

// reference is what the converter must produce: encoding/json's output, without the
// skipped fields and without metadata.creationTimestamp's null (which composed.From,
// the SDK's converter, also leaves out).
func reference(t *testing.T, obj any, skip ...string) *structpb.Struct {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range skip {
		delete(m, s)
	}
	if md, ok := m["metadata"].(map[string]any); ok && md["creationTimestamp"] == nil {
		delete(md, "creationTimestamp")
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConvertMatchesEncodingJSON(t *testing.T) {
	tru, fls := true, false
	keep := int32(20)
	policy := xpv2.ResolvePolicyAlways
	now := metav1.NewTime(time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC))
	meta := metav1.ObjectMeta{
		Name: "acme-nyc3", Namespace: "team-a",
		Labels:      map[string]string{"docr.digitalocean.crossplane.io/region": "nyc3"},
		Annotations: map[string]string{"crossplane.io/external-name": "acme-nyc3"},
	}
	managed := xpv2.ManagedResourceSpec{
		ProviderConfigReference:          &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "team-a"},
		WriteConnectionSecretToReference: &xpv2.LocalSecretReference{Name: "pull"},
		ManagementPolicies:               xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate},
	}
	cases := map[string]struct {
		obj  runtime.Object
		skip []string
	}{
		"RegistryWithStatus": {obj: &v1alpha1.Registry{
			TypeMeta:   metav1.TypeMeta{APIVersion: "docr.digitalocean.m.crossplane.io/v1alpha1", Kind: "Registry"},
			ObjectMeta: meta,
			Spec:       v1alpha1.RegistrySpec{ManagedResourceSpec: managed, ForProvider: v1alpha1.RegistryParameters{Region: "nyc3", DeletionProtection: true}},
			Status: v1alpha1.RegistryStatus{AtProvider: v1alpha1.RegistryObservation{
				UUID: "u", CreatedAt: &now, StorageUsageBytes: 1 << 40, ReadOnly: true,
				ActiveGarbageCollection: &v1alpha1.ActiveGarbageCollection{UUID: "g", Status: "scanning manifests"},
			}},
		}},
		"FullObjectMeta": {obj: &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: "uid", Finalizers: []string{"f"},
			CreationTimestamp: now, Generation: 3, OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "X", Name: "x", UID: "u", Controller: &tru}}},
			Spec: v1alpha1.RegistrySpec{ForProvider: v1alpha1.RegistryParameters{Region: "ams3"}}}, skip: []string{"status"}},
		"RegistryUnprotected": {obj: &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Name: "a"},
			Spec: v1alpha1.RegistrySpec{ForProvider: v1alpha1.RegistryParameters{Region: "ams3"}}}, skip: []string{"status"}},
		"Subscription": {obj: &v1alpha1.Subscription{ObjectMeta: meta,
			Spec: v1alpha1.SubscriptionSpec{ForProvider: v1alpha1.SubscriptionParameters{Tier: "professional", Policy: v1alpha1.SubscriptionPolicyAtLeast}}}, skip: []string{"status"}},
		"RegistryIntegration": {obj: &v1alpha1.RegistryIntegration{ObjectMeta: meta, Spec: v1alpha1.RegistryIntegrationSpec{ManagedResourceSpec: managed,
			ForProvider: v1alpha1.RegistryIntegrationParameters{ClusterID: "c", VerifyInCluster: true, RegistryTargets: v1alpha1.RegistryTargets{
				RegistryNames:    []string{"a", "b"},
				RegistryRefs:     []xpv2.Reference{{Name: "a", Policy: &xpv2.Policy{Resolve: &policy}}},
				RegistrySelector: &xpv2.Selector{MatchLabels: map[string]string{"k": "v"}, MatchControllerRef: &tru},
			}}}}, skip: []string{"status"}},
		"DockerCredentials": {obj: &v1alpha1.DockerCredentials{ObjectMeta: meta, Spec: v1alpha1.DockerCredentialsSpec{ManagedResourceSpec: managed,
			ForProvider: v1alpha1.DockerCredentialsParameters{Access: v1alpha1.AccessReadWrite,
				Expiry: &metav1.Duration{Duration: 168 * time.Hour}, RenewBefore: &metav1.Duration{Duration: 90 * time.Minute},
				RegistryTargets: v1alpha1.RegistryTargets{RegistryRefs: []xpv2.Reference{{Name: "a"}, {Name: "b"}}}}}}, skip: []string{"status"}},
		"GarbageCollectionSchedule": {obj: &v1alpha1.GarbageCollectionSchedule{ObjectMeta: meta, Spec: v1alpha1.GarbageCollectionScheduleSpec{
			ForProvider: v1alpha1.GarbageCollectionScheduleParameters{RegistryTarget: v1alpha1.RegistryTarget{RegistryRef: &xpv2.Reference{Name: "a"}},
				Schedule: "0 3 * * 0", TimeZone: "Europe/Amsterdam", Type: v1alpha1.GCTypeUntaggedManifestsOnly,
				QuietPeriod: &metav1.Duration{Duration: 0}, Window: &metav1.Duration{Duration: time.Hour}, MaxDuration: &metav1.Duration{Duration: 90 * time.Second},
				Suspend: true, CancelOnDelete: false}}}, skip: []string{"status"}},
		"RetentionPolicy": {obj: &v1alpha1.RetentionPolicy{ObjectMeta: meta, Spec: v1alpha1.RetentionPolicySpec{
			ForProvider: v1alpha1.RetentionPolicyParameters{RegistryTarget: v1alpha1.RegistryTarget{RegistryName: "a"},
				Repositories: []string{"team-*"}, KeepLast: &keep, OlderThan: &metav1.Duration{Duration: 720 * time.Hour},
				Protect: []string{`^v\d+$`}, Schedule: "0 1 * * *", DryRun: &fls}}}, skip: []string{"status"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want := reference(t, tc.obj, tc.skip...)
			for _, a := range []*Arena{nil, {}} { // with and without an arena
				got, err := a.Convert(tc.obj, tc.skip...)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Errorf("Convert (arena %v): -encoding/json +got:\n%s", a != nil, diff)
				}
			}
		})
	}
}

func TestConvertRejectsNonStructs(t *testing.T) {
	var nilRegistry *v1alpha1.Registry
	for name, v := range map[string]any{"Nil": nilRegistry, "String": "x", "Map": map[string]any{}} {
		t.Run(name, func(t *testing.T) {
			if _, err := Struct(v); err == nil {
				t.Errorf("Struct(%T) = nil error, want one", v)
			}
		})
	}
}
