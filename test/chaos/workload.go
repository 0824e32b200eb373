package chaos

import (
	"fmt"
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
)

// Two simulated accounts, each behind a ClusterProviderConfig; both on the professional
// tier (10 registries), so no registry waits for a Subscription upgrade (docs/e2e.md).
const (
	Account1, Account2 = "chaos-one", "chaos-two"
	Token1             = "dop_v1_chaos_one_000000000000000000000000000000000000000000000"
	Token2             = "dop_v1_chaos_two_000000000000000000000000000000000000000000000"
	Config1, Config2   = "default", "second"
)

// GC settings of every estate: slots every few minutes (so runs happen during a run of
// the suite), short window and maxDuration (the stagger between regions is their sum,
// rounded up to a minute) and a quiet period that the pushes make matter.
const (
	GCSchedule        = "*/3 * * * *"
	GCScheduleChanged = "*/5 * * * *" // ChangeGCSchedule; needs regions × 1m between slots
	GCWindow          = 30 * time.Second
	GCMaxDuration     = 30 * time.Second
	GCQuietPeriod     = 20 * time.Second
	// Pull credentials expire quickly so that renewals happen under chaos.
	PullExpiry      = 4 * time.Minute
	PullRenewBefore = 2 * time.Minute
)

// GCPhases make a run take about 4 s at the simulator.
var GCPhases = docrsim.GCPhases{Requested: time.Second, WaitingForJWTs: time.Second, ScanningManifests: time.Second, DeletingBlobs: time.Second, Cancelling: time.Second}

// Estate is one XDOCR of the workload.
type Estate struct {
	Namespace, Name string
	Registry        string // spec.registryName
	Regions         []string
	Config          string // ClusterProviderConfig
	Account         string
	Cluster         docrsim.Cluster // one DOKS cluster wired to the estate
	Schedule        string          // GC base slot
}

// Registries are the registry names of the estate's regions.
func (e Estate) Registries() []string {
	out := make([]string, 0, len(e.Regions))
	for _, r := range e.Regions {
		out = append(out, e.Registry+"-"+r)
	}
	return out
}

// Workload is the starting estate set. alpha later loses sgp1 while it holds images
// (kept), beta loses blr1 with allowRegistryRemoval (deleted), gamma gains sfo3 and a new
// GC schedule, delta is deleted.
func Workload() []Estate {
	return []Estate{
		{Namespace: "chaos-a", Name: "alpha", Registry: "chaos-alpha", Regions: []string{"nyc3", "ams3", "sgp1"}, Config: Config1, Account: Account1,
			Cluster: docrsim.Cluster{ID: "c4a05000-0000-4000-8000-00000000000a", Name: "alpha-nyc1", Region: "nyc1", Account: Account1}},
		{Namespace: "chaos-b", Name: "beta", Registry: "chaos-beta", Regions: []string{"fra1", "sfo3", "blr1"}, Config: Config2, Account: Account2,
			Cluster: docrsim.Cluster{ID: "c4a05000-0000-4000-8000-00000000000b", Name: "beta-lon1", Region: "lon1", Account: Account2}},
		{Namespace: "chaos-a", Name: "gamma", Registry: "chaos-gamma", Regions: []string{"nyc3", "fra1"}, Config: Config1, Account: Account1,
			Cluster: docrsim.Cluster{ID: "c4a05000-0000-4000-8000-00000000000c", Name: "gamma-fra1", Region: "fra1", Account: Account1}},
		{Namespace: "chaos-b", Name: "delta", Registry: "chaos-delta", Regions: []string{"ams3"}, Config: Config2, Account: Account2,
			Cluster: docrsim.Cluster{ID: "c4a05000-0000-4000-8000-00000000000d", Name: "delta-ams3", Region: "ams3", Account: Account2}},
	}
}

// Manifest renders the estate's XDOCR; allowRemoval sets spec.allowRegistryRemoval.
func (e Estate) Manifest(allowRemoval bool) string {
	schedule := e.Schedule
	if schedule == "" {
		schedule = GCSchedule
	}
	return fmt.Sprintf(`apiVersion: docr.digitalocean.crossplane.io/v1alpha1
kind: XDOCR
metadata:
  name: %s
  namespace: %s
spec:
  registryName: %s
  regions: [%s]
  deletionProtection: false
  allowRegistryRemoval: %t
  clusters:
    - id: %s
      region: %s
  garbageCollection:
    schedule: %q
    timeZone: UTC
    quietPeriod: %s
    window: %s
    maxDuration: %s
  retention:
    keepLast: 5
    dryRun: true
  pullSecret:
    name: %s-pull
    access: Read
    expiry: %s
    renewBefore: %s
  providerConfigRef:
    kind: ClusterProviderConfig
    name: %s
`, e.Name, e.Namespace, e.Registry, strings.Join(e.Regions, ", "), allowRemoval, e.Cluster.ID, e.Cluster.Region,
		schedule, GCQuietPeriod, GCWindow, GCMaxDuration, e.Name, PullExpiry, PullRenewBefore, e.Config)
}
