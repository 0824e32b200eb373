package docrsim

import (
	"time"

	"k8s.io/utils/clock"
)

// Subscription tier slugs, as DigitalOcean names them.
const (
	TierStarter      = "starter"
	TierBasic        = "basic"
	TierProfessional = "professional"
)

// Garbage collection types, as DigitalOcean spells them (spaces included).
const (
	GCTypeUntaggedManifestsOnly          = "untagged manifests only"
	GCTypeUnreferencedBlobsOnly          = "unreferenced blobs only"
	GCTypeUntaggedManifestsAndUnrefBlobs = "untagged manifests and unreferenced blobs"
)

// Garbage collection statuses, in the order a run goes through them.
const (
	GCStatusRequested         = "requested"
	GCStatusWaitingForJWTs    = "waiting for write JWTs to expire"
	GCStatusScanningManifests = "scanning manifests"
	GCStatusDeletingBlobs     = "deleting unreferenced blobs"
	GCStatusSucceeded         = "succeeded"
	GCStatusCancelling        = "cancelling"
	GCStatusCancelled         = "cancelled"
	GCStatusFailed            = "failed"
)

// Options configure a simulator. The zero value is a usable, empty simulator.
type Options struct {
	// Accounts and the bearer tokens that authenticate as them.
	Accounts []Account
	// Registries, repositories and images present at start (and after Reset).
	Registries []SeedRegistry
	// Clusters are the DOKS clusters the accounts own.
	Clusters []Cluster

	// Clock drives timestamps, GC phases and rate-limit windows. Nil is the real clock.
	// Everything is computed from Clock.Now() on each request, so a fake clock that is
	// stepped by a test needs no timers. When the clock also has Step(time.Duration)
	// (k8s.io/utils/clock/testing.FakeClock) the admin API can advance it.
	Clock clock.PassiveClock

	RateLimit RateLimit
	GCPhases  GCPhases
	Faults    FaultProfile
	// Seed makes fault decisions reproducible: the same seed and profile fail the same
	// requests. Zero is a valid seed.
	Seed int64

	// StateFile, when set, is loaded at start (if it exists) instead of the seed data,
	// and rewritten after every change, so a restarted simulator keeps its state.
	StateFile string
	// MaxBodyBytes limits request bodies; larger bodies get 413. Default 1 MiB.
	MaxBodyBytes int64
	// Logf, when set, receives one line per request (method, path, status); never tokens.
	Logf func(format string, args ...any)
}

// Account is a DigitalOcean team: its tokens and its registry subscription.
type Account struct {
	Name   string   `json:"name"`
	Tokens []string `json:"tokens"`
	// Tier is starter, basic or professional; "" means no subscription yet.
	Tier string `json:"tier,omitempty"`
}

// RateLimit configures per-token sliding windows. Zero values mean DigitalOcean's
// limits: 250 requests per minute and 5,000 per hour.
type RateLimit struct {
	Disabled  bool `json:"disabled,omitempty"`
	PerMinute int  `json:"perMinute,omitempty"`
	PerHour   int  `json:"perHour,omitempty"`
}

// GCPhases is how long a garbage collection spends in each status. Zero values
// default to one second each.
type GCPhases struct {
	Requested         time.Duration `json:"requested,omitempty"`
	WaitingForJWTs    time.Duration `json:"waitingForJWTs,omitempty"`
	ScanningManifests time.Duration `json:"scanningManifests,omitempty"`
	DeletingBlobs     time.Duration `json:"deletingBlobs,omitempty"`
	Cancelling        time.Duration `json:"cancelling,omitempty"`
}

// Cluster is a DOKS cluster owned by an account.
type Cluster struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Region  string `json:"region"`
	Account string `json:"account"`
	// Kubeconfig is the path of a kubeconfig for a real API server. When set,
	// integrating a registry writes DigitalOcean's pull Secret into its kube-system
	// namespace and removing the integration deletes it.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// Registries integrated at start.
	Registries []string `json:"registries,omitempty"`
}

// SeedRegistry is a registry present at start.
type SeedRegistry struct {
	Name      string    `json:"name"`
	Account   string    `json:"account"`
	Region    string    `json:"region,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitempty"`
	// UUID is generated when empty.
	UUID         string           `json:"uuid,omitempty"`
	Repositories []SeedRepository `json:"repositories,omitempty"`
}

// SeedRepository is a repository and its images.
type SeedRepository struct {
	Name   string  `json:"name"`
	Images []Image `json:"images,omitempty"`
}

// Image is one manifest pushed to a repository.
type Image struct {
	// Tags point at this manifest; none leaves it untagged.
	Tags []string `json:"tags,omitempty"`
	// Layers are the blobs the manifest references. A layer with an empty digest gets a
	// unique one; giving the same digest twice in a registry shares the blob.
	Layers []Layer `json:"layers,omitempty"`
	// PushedAt defaults to the clock's now.
	PushedAt time.Time `json:"pushedAt,omitempty"`
}

// Layer is a blob referenced by a manifest.
type Layer struct {
	Digest string `json:"digest,omitempty"`
	Size   int64  `json:"size"`
}

// SeedData is what a seed file holds (YAML or JSON); see LoadSeedFile.
type SeedData struct {
	Accounts   []Account      `json:"accounts,omitempty"`
	Registries []SeedRegistry `json:"registries,omitempty"`
	Clusters   []Cluster      `json:"clusters,omitempty"`
}
