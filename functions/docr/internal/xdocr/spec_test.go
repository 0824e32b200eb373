package xdocr

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"
)

func xr(t *testing.T, spec string) *structpb.Struct {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte("spec: "+spec), &m); err != nil {
		t.Fatal(err)
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseDefaults(t *testing.T) {
	hour, month := time.Hour, 720*time.Hour
	keep := int64(5)
	cases := map[string]struct {
		spec string
		want *Spec
	}{
		"Minimal": {
			spec: `{registryName: acme, regions: [nyc3]}`,
			want: &Spec{RegistryName: "acme", Regions: []string{"nyc3"}, DeletionProtection: true},
		},
		"EverythingDefaulted": {
			spec: `{registryName: acme, regions: [nyc3, ams3], clusters: [{id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d, region: tor1}],
				garbageCollection: {schedule: "0 3 * * 0"}, retention: {keepLast: 5}, pullSecret: {name: p}, providerConfigRef: {name: default}}`,
			want: &Spec{
				RegistryName: "acme", Regions: []string{"nyc3", "ams3"}, DeletionProtection: true,
				Clusters: []Cluster{{ID: "6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d", Region: "tor1", Pull: PullLocal}},
				GarbageCollection: &GarbageCollection{TimeZone: "UTC", Location: time.UTC, Type: "UntaggedManifestsAndUnreferencedBlobs",
					QuietPeriod: 15 * time.Minute, Window: time.Hour, MaxDuration: time.Hour},
				Retention:         &Retention{KeepLast: &keep, Schedule: DefaultRetentionSchedule, DryRun: true},
				PullSecret:        &PullSecret{Name: "p", Access: "Read"},
				ProviderConfigRef: &ProviderConfigRef{Kind: "ClusterProviderConfig", Name: "default"},
			},
		},
		"EverythingGiven": {
			spec: `{registryName: acme, regions: [nyc3], tier: basic, deletionProtection: false, allowRegistryRemoval: true,
				retention: {olderThan: 720h, dryRun: false, schedule: "@daily", timeZone: Europe/Berlin, repositories: [web], protect: ["^v1$"]},
				pullSecret: {name: p, access: ReadWrite, expiry: 2h, renewBefore: 1h}}`,
			want: &Spec{
				RegistryName: "acme", Regions: []string{"nyc3"}, Tier: TierBasic, AllowRegistryRemoval: true,
				Retention:  &Retention{OlderThan: &month, Schedule: "0 0 * * *", TimeZone: "Europe/Berlin", Repositories: []string{"web"}, Protect: []string{"^v1$"}},
				PullSecret: &PullSecret{Name: "p", Access: "ReadWrite", Expiry: ptr(2 * hour), RenewBefore: &hour},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, problems := Parse(xr(t, tc.spec))
			if problems != nil {
				t.Fatalf("Parse: %v", problems)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(GarbageCollection{}, "Schedule"),
				cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("Parse: -want +got:\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestTiers(t *testing.T) {
	if got := LowestTierFor(1); got != TierStarter {
		t.Errorf("LowestTierFor(1) = %s", got)
	}
	if got := LowestTierFor(2); got != TierProfessional {
		t.Errorf("LowestTierFor(2) = %s", got)
	}
	if TierBasic.MaxRegistries() != 1 || TierProfessional.MaxRegistries() != MaxRegions {
		t.Error("tier limits disagree with DigitalOcean's: one registry below professional, ten on it")
	}
	if got := MaxRegistryNameBase(); got != 58 {
		t.Errorf("MaxRegistryNameBase() = %d, want 58 (63 minus \"-\" and a four-letter region)", got)
	}
}
