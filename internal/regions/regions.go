// Package regions is the one table of DigitalOcean regions this project knows: which
// regions offer a container registry (DOCR), which run DOKS clusters, and where they are,
// so that "the registry nearest to a cluster" has one definition everywhere.
//
// The simulator serves Registry() as its available regions, the function validates
// XDOCR specs against it, and the provider prefers DigitalOcean's own
// /v2/registries/options answer at run time (it is authoritative).
package regions

import (
	"math"
	"slices"
)

// Region is a DigitalOcean datacenter region.
type Region struct {
	Slug string
	City string
	// Lat and Lon locate the datacenter's city; they only rank distances.
	Lat, Lon float64
	// DOCR is true when container registries can be created here (multi-registry API).
	DOCR bool
	// DOKS is true when Kubernetes clusters can run here.
	DOKS bool
}

// all is ordered by slug; ties in distance resolve to the earlier slug.
var all = []Region{
	{Slug: "ams3", City: "Amsterdam", Lat: 52.37, Lon: 4.90, DOCR: true, DOKS: true},
	{Slug: "atl1", City: "Atlanta", Lat: 33.75, Lon: -84.39, DOKS: true},
	{Slug: "blr1", City: "Bangalore", Lat: 12.97, Lon: 77.59, DOCR: true, DOKS: true},
	{Slug: "fra1", City: "Frankfurt", Lat: 50.11, Lon: 8.68, DOCR: true, DOKS: true},
	{Slug: "lon1", City: "London", Lat: 51.51, Lon: -0.13, DOKS: true},
	{Slug: "nyc1", City: "New York", Lat: 40.71, Lon: -74.01, DOKS: true},
	{Slug: "nyc3", City: "New York", Lat: 40.71, Lon: -74.01, DOCR: true, DOKS: true},
	{Slug: "sfo2", City: "San Francisco", Lat: 37.77, Lon: -122.42, DOCR: true, DOKS: true},
	{Slug: "sfo3", City: "San Francisco", Lat: 37.77, Lon: -122.42, DOCR: true, DOKS: true},
	{Slug: "sgp1", City: "Singapore", Lat: 1.35, Lon: 103.82, DOCR: true, DOKS: true},
	{Slug: "syd1", City: "Sydney", Lat: -33.87, Lon: 151.21, DOCR: true, DOKS: true},
	{Slug: "tor1", City: "Toronto", Lat: 43.65, Lon: -79.38, DOKS: true},
}

// Get returns the region with this slug.
func Get(slug string) (Region, bool) {
	i := slices.IndexFunc(all, func(r Region) bool { return r.Slug == slug })
	if i < 0 {
		return Region{}, false
	}
	return all[i], true
}

// Registry lists the slugs of regions that offer container registries, sorted.
func Registry() []string { return slugs(func(r Region) bool { return r.DOCR }) }

// Kubernetes lists the slugs of regions that run DOKS clusters, sorted.
func Kubernetes() []string { return slugs(func(r Region) bool { return r.DOKS }) }

// IsRegistry reports whether registries can be created in slug.
func IsRegistry(slug string) bool { r, ok := Get(slug); return ok && r.DOCR }

// IsKubernetes reports whether DOKS clusters run in slug.
func IsKubernetes(slug string) bool { r, ok := Get(slug); return ok && r.DOKS }

func slugs(keep func(Region) bool) []string {
	var out []string
	for _, r := range all {
		if keep(r) {
			out = append(out, r.Slug)
		}
	}
	return out
}

// Nearest returns the candidate closest to from: from itself when it is a candidate,
// else the smallest great-circle distance, ties going to the earlier candidate.
// It returns false when from is unknown or there are no known candidates.
func Nearest(from string, candidates []string) (string, bool) {
	if slices.Contains(candidates, from) {
		return from, true
	}
	src, ok := Get(from)
	if !ok {
		return "", false
	}
	best, bestD := "", math.Inf(1)
	for _, c := range candidates {
		r, ok := Get(c)
		if !ok {
			continue
		}
		if d := Distance(src, r); d < bestD {
			best, bestD = c, d
		}
	}
	return best, best != ""
}

// Distance is the great-circle distance between two regions in kilometres.
func Distance(a, b Region) float64 {
	const earthRadiusKm = 6371
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dLat, dLon := rad(b.Lat-a.Lat), rad(b.Lon-a.Lon)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(rad(a.Lat))*math.Cos(rad(b.Lat))*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(h))
}
