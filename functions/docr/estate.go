package main

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/cronslot"
	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/xdocr"
	"github.com/crossplane-contrib/provider-docr/internal/regions"
)

// An estate is everything one XDOCR stands for, decided before any object is built.
type estate struct {
	spec *xdocr.Spec
	// registries: spec.regions in order (the first is primary), then registries kept
	// or being removed after their region left spec.regions.
	registries   []registry
	tier         xdocr.Tier
	integrations []integration
	// notes are Normal results, warnings Warning results.
	notes, warnings []string
}

// registryState says why a registry is composed.
type registryState string

const (
	// stateActive: the region is in spec.regions.
	stateActive registryState = "Active"
	// stateRetained: the region left spec.regions but the registry still holds images,
	// so it is kept until spec.allowRegistryRemoval is true.
	stateRetained registryState = "Retained"
	// stateRemoving: the region left spec.regions and the registry may go, but its
	// deletion protection must be switched off before Crossplane deletes it.
	stateRemoving registryState = "Removing"
)

type registry struct {
	region string
	name   string
	state  registryState
	// gc is this registry's staggered garbage collection slot (active registries).
	gc *cronslot.Schedule
}

// Why a cluster is wired to its registries.
const (
	reasonLocal   = "Local"
	reasonNearest = "Nearest"
	reasonAll     = "All"
)

type integration struct {
	cluster    xdocr.Cluster
	registries []string // DigitalOcean names
	reason     string
	detail     string
	// key is the composition resource name, name the object's: both end in a hash of
	// registries, so a changed set of registries is a new object (see planIntegrations).
	key, name string
	// previous is an integration of an earlier set of registries, kept until the
	// current one is Ready.
	previous bool
}

// integrationID names the integration of a cluster with a set of registries.
func integrationID(cluster string, registries []string) string {
	h := fnv.New32a()
	for _, r := range registries {
		_, _ = h.Write([]byte(r))
		_, _ = h.Write([]byte{0})
	}
	return cluster + "-" + strconv.FormatUint(uint64(h.Sum32()), 16)
}

// plan decides the estate for spec given what was observed. An error names the field
// to change; the function turns it into a Fatal result.
func plan(spec *xdocr.Spec, obs *observed) (*estate, error) {
	if err := checkRename(spec, obs); err != nil {
		return nil, err
	}
	e := &estate{spec: spec, registries: make([]registry, 0, len(spec.Regions))}
	for _, r := range spec.Regions {
		e.registries = append(e.registries, registry{region: r, name: xdocr.RegistryName(spec.RegistryName, r), state: stateActive})
	}
	e.planRemovals(obs)

	if err := e.planTier(); err != nil {
		return nil, err
	}
	if err := e.planGC(); err != nil {
		return nil, err
	}
	e.planIntegrations(obs)
	return e, nil
}

// checkRename refuses a changed spec.registryName: a registry's name is its identity at
// DigitalOcean, so a new name would create new, empty registries and leave the old ones,
// with their images, to nobody.
func checkRename(spec *xdocr.Spec, obs *observed) error {
	var renamed []string
	for region, o := range obs.registries {
		if o.name != "" && o.name != xdocr.RegistryName(spec.RegistryName, region) {
			renamed = append(renamed, region)
		}
	}
	if len(renamed) == 0 {
		return nil
	}
	slices.Sort(renamed) // one stable message whatever the map order
	region := renamed[0]
	return fmt.Errorf("spec.registryName: the registry in %s is %s, but the spec would name it %s; registries cannot be renamed: "+
		"set registryName back, or create a new XDOCR and move the images", region, obs.registries[region].name, xdocr.RegistryName(spec.RegistryName, region))
}

// planRemovals keeps composing registries whose region left spec.regions while they
// hold images (unless removal is allowed), and switches off deletion protection of those
// that may go before letting Crossplane delete them.
func (e *estate) planRemovals(obs *observed) {
	if len(obs.registries) == 0 {
		return
	}
	gone := make([]string, 0, len(obs.registries))
	for region := range obs.registries {
		if !slices.Contains(e.spec.Regions, region) {
			gone = append(gone, region)
		}
	}
	slices.Sort(gone) // map order is random; results must be stable
	for _, region := range gone {
		o := obs.registries[region]
		name := xdocr.RegistryName(e.spec.RegistryName, region)
		switch {
		case !o.empty && !e.spec.AllowRegistryRemoval:
			e.registries = append(e.registries, registry{region: region, name: name, state: stateRetained})
			e.warnings = append(e.warnings, fmt.Sprintf("registry %s was removed from spec.regions but still holds %d bytes of images; "+
				"it is kept: move its images, or set spec.allowRegistryRemoval: true to delete it with its images", name, o.storageUsageBytes))
		case o.deletionProtection:
			e.registries = append(e.registries, registry{region: region, name: name, state: stateRemoving})
			e.notes = append(e.notes, fmt.Sprintf("registry %s was removed from spec.regions: switching off its deletion protection before deleting it", name))
		default:
			e.notes = append(e.notes, fmt.Sprintf("registry %s was removed from spec.regions and is being deleted", name))
		}
	}
}

func (e *estate) planTier() error {
	n := len(e.registries)
	if n > xdocr.MaxRegions {
		return fmt.Errorf("spec.regions: %d regions plus %d registries kept because they still hold images exceed DigitalOcean's %d registries per account; "+
			"remove a region or set spec.allowRegistryRemoval: true", len(e.spec.Regions), n-len(e.spec.Regions), xdocr.MaxRegions)
	}
	if e.spec.Tier == "" {
		e.tier = xdocr.LowestTierFor(n)
		return nil
	}
	e.tier = e.spec.Tier
	if n > e.tier.MaxRegistries() {
		return fmt.Errorf("spec.tier: %s allows %d registry, but %d must exist: %s left spec.regions but still hold images or are being removed; "+
			"set tier: professional, or set spec.allowRegistryRemoval: true", e.tier, e.tier.MaxRegistries(), n, strings.Join(e.kept(), ", "))
	}
	return nil
}

func (e *estate) kept() []string {
	var out []string
	for _, r := range e.registries {
		if r.state != stateActive {
			out = append(out, r.name)
		}
	}
	return out
}

// planGC staggers the base slot: the registry at position i of spec.regions gets the
// slot shifted by i × (window + maxDuration), so no two runs (each read-only for at most
// that long) overlap.
func (e *estate) planGC() error {
	gc := e.spec.GarbageCollection
	if gc == nil {
		return nil
	}
	for i := range e.spec.Regions {
		s, err := gc.Schedule.Shift(time.Duration(i) * gc.Stagger())
		if err != nil {
			return fmt.Errorf("spec.garbageCollection.schedule: cannot stagger the slot for %s (region %d of %d): %w; "+
				"pick a base slot with a single minute and hour, such as \"0 3 * * 0\"", e.registries[i].name, i+1, len(e.spec.Regions), err)
		}
		e.registries[i].gc = s
	}
	return nil
}

// planIntegrations wires each cluster: Local pulls from the registry in its region, else
// the nearest one (regions.Nearest, great-circle distance; ties go to the region listed
// first in spec.regions); All pulls from every registry of spec.regions.
//
// A cluster's RegistryIntegration is named after its set of registries, and each of its
// registries is protected by a Usage "used by" it. A Usage can only go once what uses it
// is deleted, so when the set changes (a region added or removed, another pull mode) the
// function makes a new integration for the new set and keeps the previous one, with its
// Usages, until the new one is Ready; then the previous one is deleted, which removes
// only registries the new one does not integrate (the provider never removes a registry
// another integration of the cluster applied) and releases the Usages of registries
// that are leaving.
func (e *estate) planIntegrations(obs *observed) {
	e.integrations = make([]integration, 0, len(e.spec.Clusters))
	for _, c := range e.spec.Clusters {
		in := integration{cluster: c}
		switch {
		case c.Pull == xdocr.PullAll:
			in.reason = reasonAll
			in.registries = make([]string, 0, len(e.spec.Regions))
			for _, r := range e.spec.Regions {
				in.registries = append(in.registries, xdocr.RegistryName(e.spec.RegistryName, r))
			}
			in.detail = "pull: All wires every registry"
		case slices.Contains(e.spec.Regions, c.Region):
			in.reason = reasonLocal
			in.registries = []string{xdocr.RegistryName(e.spec.RegistryName, c.Region)}
			in.detail = "registry in the cluster's region " + c.Region
		default:
			near, _ := regions.Nearest(c.Region, e.spec.Regions) // both validated: always found
			in.reason = reasonNearest
			in.registries = []string{xdocr.RegistryName(e.spec.RegistryName, near)}
			from, _ := regions.Get(c.Region)
			to, _ := regions.Get(near)
			if km := regions.Distance(from, to); km < 50 {
				in.detail = fmt.Sprintf("no registry in %s; %s is in the same metro area", c.Region, near)
			} else {
				in.detail = fmt.Sprintf("no registry in %s; %s is the nearest (%d km)", c.Region, near, int(math.Round(km)))
			}
		}
		id := integrationID(c.ID, in.registries)
		in.key, in.name = prefixIntegration+id, e.spec.RegistryName+"-"+id
		e.integrations = append(e.integrations, in)

		if obs.ready(in.key) {
			continue
		}
		for _, old := range obs.previousIntegrations(c.ID, in.key) {
			e.integrations = append(e.integrations, integration{
				cluster: c, registries: old.registries, key: old.key, name: old.name, previous: true,
			})
		}
	}
}
