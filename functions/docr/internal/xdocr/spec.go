package xdocr

import (
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/cronslot"
	"github.com/crossplane-contrib/provider-docr/internal/regions"
)

// Limits DigitalOcean imposes (docs/function.md explains where they come from).
const (
	// MaxRegions is the number of registries an account may hold (Professional tier).
	MaxRegions = 10
	// MaxClusters bounds spec.clusters; the XRD says the same.
	MaxClusters = 50
	// MaxNameLength is DigitalOcean's limit for a registry name.
	MaxNameLength = 63
	// maxPatternLength bounds retention globs and regular expressions (the XRD says
	// the same); they are compiled on every reconcile.
	maxPatternLength = 256
)

// Tier is a DigitalOcean Container Registry subscription tier.
type Tier string

// Tiers, cheapest first.
const (
	TierStarter      Tier = "starter"
	TierBasic        Tier = "basic"
	TierProfessional Tier = "professional"
)

// MaxRegistries is how many registries an account on this tier may hold.
func (t Tier) MaxRegistries() int {
	if t == TierProfessional {
		return MaxRegions
	}
	return 1
}

// LowestTierFor is the cheapest tier that allows n registries.
func LowestTierFor(n int) Tier {
	if n > 1 {
		return TierProfessional
	}
	return TierStarter
}

// Pull says which registries a cluster is wired to.
type Pull string

// Pull modes.
const (
	PullLocal Pull = "Local"
	PullAll   Pull = "All"
)

// Spec is a checked XDOCR spec with defaults applied.
type Spec struct {
	RegistryName         string
	Regions              []string
	Tier                 Tier // empty: the lowest tier that fits
	DeletionProtection   bool
	AllowRegistryRemoval bool
	Clusters             []Cluster
	GarbageCollection    *GarbageCollection
	Retention            *Retention
	PullSecret           *PullSecret
	ProviderConfigRef    *ProviderConfigRef
}

// Cluster is a DOKS cluster to wire to registries.
type Cluster struct {
	ID     string
	Region string
	Pull   Pull
}

// GarbageCollection is the base GC slot, staggered across registries by the function.
type GarbageCollection struct {
	Schedule    *cronslot.Schedule
	TimeZone    string
	Location    *time.Location
	Type        string
	QuietPeriod time.Duration
	Window      time.Duration
	MaxDuration time.Duration
}

// Stagger is how far each further registry's slot moves: a run may start up to Window
// after its slot and is cancelled after MaxDuration, so the next registry's slot starts
// when the previous run must have ended.
func (g *GarbageCollection) Stagger() time.Duration { return g.Window + g.MaxDuration }

// Retention is the tag retention policy applied to every registry.
type Retention struct {
	Repositories []string
	KeepLast     *int64
	OlderThan    *time.Duration
	Protect      []string
	Schedule     string
	TimeZone     string
	DryRun       bool
}

// PullSecret asks for docker credentials covering every registry.
type PullSecret struct {
	Name        string
	Access      string
	Expiry      *time.Duration
	RenewBefore *time.Duration
}

// ProviderConfigRef is passed to every managed resource.
type ProviderConfigRef struct {
	Kind string
	Name string
}

// DefaultRetentionSchedule evaluates retention daily at 01:00, before a typical night or
// weekend garbage collection slot frees what it deleted.
const DefaultRetentionSchedule = "0 1 * * *"

// GC types the provider accepts.
var gcTypes = []string{"UntaggedManifestsAndUnreferencedBlobs", "UntaggedManifestsOnly", "UnreferencedBlobsOnly"}

var (
	registryNameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	uuidRE         = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// MaxRegistryNameBase is the longest spec.registryName for which <registryName>-<region>
// fits DigitalOcean's 63 characters in every registry region.
func MaxRegistryNameBase() int {
	longest := 0
	for _, r := range regions.Registry() {
		longest = max(longest, len(r))
	}
	return MaxNameLength - 1 - longest
}

// RegistryName is the DigitalOcean name of the registry for region.
func RegistryName(base, region string) string { return base + "-" + region }

// Parse decodes and checks the spec of an observed XDOCR. Problems is nil when the spec
// is usable.
func Parse(xr *structpb.Struct) (*Spec, Problems) {
	d := &decoder{}
	spec, ok := d.object(xr.GetFields(), "spec", "spec")
	if !ok {
		if len(d.problems) == 0 {
			d.problems.add("spec", "is required; set at least spec.registryName and spec.regions")
		}
		return nil, d.problems
	}
	s := &Spec{DeletionProtection: true}
	s.parseRegistry(d, spec)
	s.parseClusters(d, spec)
	if gc, ok := d.object(spec, "garbageCollection", "spec.garbageCollection"); ok {
		s.GarbageCollection = parseGC(d, gc, len(s.Regions))
	}
	if r, ok := d.object(spec, "retention", "spec.retention"); ok {
		s.Retention = parseRetention(d, r)
	}
	if p, ok := d.object(spec, "pullSecret", "spec.pullSecret"); ok {
		s.PullSecret = parsePullSecret(d, p)
	}
	if p, ok := d.object(spec, "providerConfigRef", "spec.providerConfigRef"); ok {
		s.ProviderConfigRef = parseProviderConfigRef(d, p)
	}
	if len(d.problems) > 0 {
		return nil, d.problems
	}
	return s, nil
}

func (s *Spec) parseRegistry(d *decoder, spec map[string]*structpb.Value) {
	s.DeletionProtection = d.boolean(spec, "deletionProtection", "spec.deletionProtection", true)
	s.AllowRegistryRemoval = d.boolean(spec, "allowRegistryRemoval", "spec.allowRegistryRemoval", false)

	before := len(d.problems)
	s.Regions = d.strings(spec, "regions", "spec.regions")
	switch {
	case len(s.Regions) == 0:
		if len(d.problems) == before {
			d.problems.add("spec.regions", "at least one region is required; list DOCR regions, the first is primary (available: %s)", strings.Join(regions.Registry(), ", "))
		}
	case len(s.Regions) > MaxRegions:
		d.problems.add("spec.regions", "lists %d regions; DigitalOcean allows at most %d registries per account: remove %d", len(s.Regions), MaxRegions, len(s.Regions)-MaxRegions)
	}
	for i, r := range s.Regions {
		p := index("spec.regions", i)
		switch {
		case !regions.IsRegistry(r) && regions.IsKubernetes(r):
			near, _ := regions.Nearest(r, regions.Registry())
			d.problems.add(p, "%q runs DOKS clusters but offers no container registry; use the nearest registry region %s (available: %s)", r, near, strings.Join(regions.Registry(), ", "))
		case !regions.IsRegistry(r):
			d.problems.add(p, "%q is not a DOCR region; use one of %s", r, strings.Join(regions.Registry(), ", "))
		}
		for j := range i {
			if s.Regions[j] == r {
				d.problems.add(p, "%q is listed twice (also spec.regions[%d]); list each region once", r, j)
				break
			}
		}
	}

	if t, ok := d.str(spec, "tier", "spec.tier"); ok {
		s.Tier = Tier(t)
		switch s.Tier {
		case TierStarter, TierBasic, TierProfessional:
			if n := len(s.Regions); n > s.Tier.MaxRegistries() {
				d.problems.add("spec.tier", "%s allows %d registry but spec.regions lists %d; set tier: professional or remove spec.tier to let the function choose", s.Tier, s.Tier.MaxRegistries(), n)
			}
		default:
			d.problems.add("spec.tier", "%q is not a tier; use starter, basic or professional, or omit it for the lowest tier that fits", t)
		}
	}

	name, ok := d.str(spec, "registryName", "spec.registryName")
	switch {
	case !ok:
		if _, given := present(spec, "registryName"); !given {
			d.problems.add("spec.registryName", "is required; registries are named <registryName>-<region>")
		}
		return
	case !registryNameRE.MatchString(name):
		d.problems.add("spec.registryName", "%q breaks DigitalOcean's naming rules: use lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit", name)
		return
	}
	s.RegistryName = name
	for _, r := range s.Regions {
		if n := len(RegistryName(name, r)); n > MaxNameLength {
			d.problems.add("spec.registryName", "registry %q would be %d characters; DigitalOcean allows %d: shorten registryName to at most %d characters", RegistryName(name, r), n, MaxNameLength, MaxNameLength-1-len(r))
			break
		}
	}
}

func (s *Spec) parseClusters(d *decoder, spec map[string]*structpb.Value) {
	l, _ := d.list(spec, "clusters", "spec.clusters")
	if len(l) > MaxClusters {
		d.problems.add("spec.clusters", "lists %d clusters; at most %d are supported: split them across several XDOCRs", len(l), MaxClusters)
		return
	}
	seen := make(map[string]int, len(l))
	for i, v := range l {
		p := index("spec.clusters", i)
		sv, ok := v.GetKind().(*structpb.Value_StructValue)
		if !ok {
			d.problems.add(p, "must be an object with id and region, not %s", kindName(v))
			continue
		}
		f := sv.StructValue.GetFields()
		c := Cluster{Pull: PullLocal}
		if id, ok := d.str(f, "id", p+".id"); ok {
			if !uuidRE.MatchString(id) {
				d.problems.add(p+".id", "%q is not a cluster UUID; copy the cluster's ID (lowercase, like 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d) from `doctl kubernetes cluster list`", id)
			} else if j, dup := seen[id]; dup {
				d.problems.add(p+".id", "cluster %s is listed twice (also spec.clusters[%d]); list each cluster once", id, j)
			} else {
				seen[id] = i
			}
			c.ID = id
		} else if _, given := present(f, "id"); !given {
			d.problems.add(p+".id", "is required: the DOKS cluster's UUID")
		}
		if r, ok := d.str(f, "region", p+".region"); ok {
			if !regions.IsKubernetes(r) {
				d.problems.add(p+".region", "%q is not a region DOKS runs in; use one of %s", r, strings.Join(regions.Kubernetes(), ", "))
			}
			c.Region = r
		} else if _, given := present(f, "region"); !given {
			d.problems.add(p+".region", "is required: the region the cluster runs in")
		}
		if pull, ok := d.str(f, "pull", p+".pull"); ok {
			c.Pull = Pull(pull)
			if c.Pull != PullLocal && c.Pull != PullAll {
				d.problems.add(p+".pull", "%q is not a pull mode; use Local (the registry in the cluster's region, else the nearest) or All (every registry)", pull)
			}
		}
		s.Clusters = append(s.Clusters, c)
	}
}

func parseGC(d *decoder, f map[string]*structpb.Value, nRegions int) *GarbageCollection {
	const p = "spec.garbageCollection"
	before := len(d.problems)
	gc := &GarbageCollection{
		TimeZone:    "UTC",
		Type:        gcTypes[0],
		QuietPeriod: 15 * time.Minute,
		Window:      time.Hour,
		MaxDuration: time.Hour,
	}
	if expr, ok := d.str(f, "schedule", p+".schedule"); ok {
		s, err := cronslot.Parse(expr)
		if err != nil {
			d.problems.add(p+".schedule", "%v", err)
		}
		gc.Schedule = s
	} else if _, given := present(f, "schedule"); !given {
		d.problems.add(p+".schedule", "is required: the base slot as five cron fields, such as \"0 3 * * 0\" (Sundays 03:00)")
	}
	if tz, ok := d.str(f, "timeZone", p+".timeZone"); ok {
		gc.TimeZone = tz
	}
	gc.Location = location(d, gc.TimeZone, p+".timeZone")
	if t, ok := d.str(f, "type", p+".type"); ok {
		gc.Type = t
		if !contains(gcTypes, t) {
			d.problems.add(p+".type", "%q is not a garbage collection type; use one of %s", t, strings.Join(gcTypes, ", "))
		}
	}
	if v, ok := duration(d, f, "quietPeriod", p+".quietPeriod", true); ok {
		gc.QuietPeriod = v
	}
	if v, ok := duration(d, f, "window", p+".window", false); ok {
		gc.Window = v
	}
	if v, ok := duration(d, f, "maxDuration", p+".maxDuration", false); ok {
		gc.MaxDuration = v
	}
	if gc.Schedule != nil && len(d.problems) == before {
		gap, err := gc.Schedule.MinGap()
		switch need := time.Duration(max(nRegions, 1)) * gc.Stagger(); {
		case err != nil:
			d.problems.add(p+".schedule", "%v", err)
		case gap < need:
			d.problems.add(p+".schedule", "%q runs every %s, but %d registries staggered by window + maxDuration (%s) need %s between runs so that all but one accept pushes at any time; run less often or shorten window or maxDuration", gc.Schedule, gap, max(nRegions, 1), gc.Stagger(), need)
		}
	}
	return gc
}

func parseRetention(d *decoder, f map[string]*structpb.Value) *Retention {
	const p = "spec.retention"
	r := &Retention{DryRun: d.boolean(f, "dryRun", p+".dryRun", true), Schedule: DefaultRetentionSchedule}
	r.Repositories = d.strings(f, "repositories", p+".repositories")
	for i, g := range r.Repositories {
		if _, err := path.Match(g, ""); err != nil || g == "" || len(g) > maxPatternLength {
			d.problems.add(index(p+".repositories", i), "%q is not a glob; use patterns such as \"web\" or \"team-*\"", g)
		}
	}
	if n, ok := d.integer(f, "keepLast", p+".keepLast", 0, 100000); ok {
		r.KeepLast = &n
	}
	if v, ok := duration(d, f, "olderThan", p+".olderThan", false); ok {
		r.OlderThan = &v
	}
	if _, kl := present(f, "keepLast"); !kl {
		if _, ot := present(f, "olderThan"); !ot {
			d.problems.add(p, "needs keepLast, olderThan or both; without them no tag is ever a candidate")
		}
	}
	r.Protect = d.strings(f, "protect", p+".protect")
	for i, re := range r.Protect {
		if len(re) > maxPatternLength {
			d.problems.add(index(p+".protect", i), "is %d characters long; keep expressions under %d", len(re), maxPatternLength)
			continue
		}
		if _, err := regexp.Compile(re); err != nil {
			d.problems.add(index(p+".protect", i), "%q is not a regular expression (RE2 syntax): %v", re, err)
		}
	}
	if s, ok := d.str(f, "schedule", p+".schedule"); ok {
		c, err := cronslot.Parse(s)
		if err != nil {
			d.problems.add(p+".schedule", "%v", err)
		} else {
			r.Schedule = c.String() // descriptors become five fields, as the provider wants
		}
	}
	if tz, ok := d.str(f, "timeZone", p+".timeZone"); ok {
		location(d, tz, p+".timeZone")
		r.TimeZone = tz
	}
	return r
}

func parsePullSecret(d *decoder, f map[string]*structpb.Value) *PullSecret {
	const p = "spec.pullSecret"
	ps := &PullSecret{Access: "Read"}
	if n, ok := d.str(f, "name", p+".name"); ok {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			d.problems.add(p+".name", "%q cannot name a Secret: %s", n, strings.Join(errs, "; "))
		}
		ps.Name = n
	} else if _, given := present(f, "name"); !given {
		d.problems.add(p+".name", "is required: the name of the image pull Secret to write in this namespace")
	}
	if a, ok := d.str(f, "access", p+".access"); ok {
		ps.Access = a
		if a != "Read" && a != "ReadWrite" {
			d.problems.add(p+".access", "%q is not an access level; use Read (pull only) or ReadWrite", a)
		}
	}
	if v, ok := duration(d, f, "expiry", p+".expiry", false); ok {
		ps.Expiry = &v
	}
	if v, ok := duration(d, f, "renewBefore", p+".renewBefore", false); ok {
		ps.RenewBefore = &v
		if ps.Expiry != nil && v >= *ps.Expiry {
			d.problems.add(p+".renewBefore", "%s must be shorter than expiry %s, or credentials are renewed continuously", v, *ps.Expiry)
		}
	}
	return ps
}

func parseProviderConfigRef(d *decoder, f map[string]*structpb.Value) *ProviderConfigRef {
	const p = "spec.providerConfigRef"
	ref := &ProviderConfigRef{Kind: "ClusterProviderConfig"}
	if k, ok := d.str(f, "kind", p+".kind"); ok {
		ref.Kind = k
		if k != "ClusterProviderConfig" && k != "ProviderConfig" {
			d.problems.add(p+".kind", "%q is not a provider config kind; use ClusterProviderConfig or ProviderConfig (in this namespace)", k)
		}
	}
	if n, ok := d.str(f, "name", p+".name"); ok {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			d.problems.add(p+".name", "%q cannot name a provider config: %s", n, strings.Join(errs, "; "))
		}
		ref.Name = n
	} else if _, given := present(f, "name"); !given {
		d.problems.add(p+".name", "is required: the provider config's name, such as default")
	}
	return ref
}

func duration(d *decoder, f map[string]*structpb.Value, key, path string, zeroOK bool) (time.Duration, bool) {
	s, ok := d.str(f, key, path)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		d.problems.add(path, "%q is not a duration; write it like 15m, 1h or 720h", s)
		return 0, false
	case v < 0 || (v == 0 && !zeroOK):
		d.problems.add(path, "%q must be positive", s)
		return 0, false
	}
	return v, true
}

// locations caches time zones: time.LoadLocation reads the zone database every call.
var locations sync.Map

func location(d *decoder, tz, path string) *time.Location {
	if tz == "UTC" {
		return time.UTC
	}
	if l, ok := locations.Load(tz); ok {
		return l.(*time.Location) //nolint:forcetypeassert // only *time.Location is stored.
	}
	l, err := time.LoadLocation(tz)
	if err != nil || tz == "" || tz == "Local" {
		d.problems.add(path, "%q is not an IANA time zone; use names such as UTC, Europe/Amsterdam or America/New_York", tz)
		return time.UTC
	}
	locations.Store(tz, l)
	return l
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
