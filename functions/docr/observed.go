package main

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/crossplane-contrib/provider-docr/internal/regions"
)

// observed is what the function reads back from the composed resources Crossplane
// observed. It reads a handful of fields straight from the protobuf structs instead of
// converting every object to a map: the function runs on every reconcile of every XDOCR.
type observed struct {
	resources map[string]*fnv1.Resource
	// registries are the observed Registry objects by region, including regions no
	// longer in spec.regions.
	registries map[string]observedRegistry
}

type observedIntegration struct {
	key, name  string
	clusterID  string
	registries []string
}

type observedRegistry struct {
	name               string // metadata.name, which is also the DigitalOcean name
	ready              bool
	deletionProtection bool
	created            bool // the provider has seen it at DigitalOcean
	endpoint           string
	readOnly           bool
	storageUsageBytes  int64
	// empty is true only when storage usage is observed as zero or absent (the provider
	// omits zero); anything else, even nonsense, counts as holding images.
	empty bool
}

func observe(req *fnv1.RunFunctionRequest) *observed {
	o := &observed{resources: req.GetObserved().GetResources()}
	for name, r := range o.resources {
		region, ok := strings.CutPrefix(name, prefixRegistry)
		if !ok || !regions.IsRegistry(region) {
			continue // not a registry this function composed
		}
		if o.registries == nil {
			o.registries = make(map[string]observedRegistry, len(o.resources))
		}
		s := r.GetResource()
		storage := valueAt(s, "status", "atProvider", "storageUsageBytes")
		n := storage.GetNumberValue()
		_, isNumber := storage.GetKind().(*structpb.Value_NumberValue)
		o.registries[region] = observedRegistry{
			name:               stringAt(s, "metadata", "name"),
			empty:              storage == nil || (isNumber && n == 0),
			ready:              conditionTrue(s, "Ready"),
			deletionProtection: boolAt(s, "spec", "forProvider", "deletionProtection"),
			created:            stringAt(s, "status", "atProvider", "uuid") != "",
			endpoint:           stringAt(s, "status", "atProvider", "endpoint"),
			readOnly:           boolAt(s, "status", "atProvider", "readOnly"),
			storageUsageBytes:  clampInt64(n),
		}
	}
	return o
}

// previousIntegrations are the observed integrations of a cluster other than current,
// sorted by key (map order is random; what is composed from them must not be). Only the
// rare reconcile that needs them pays for reading them.
func (o *observed) previousIntegrations(clusterID, current string) []observedIntegration {
	var out []observedIntegration
	prefix := prefixIntegration + clusterID + "-"
	for key, r := range o.resources {
		if key == current || !strings.HasPrefix(key, prefix) {
			continue
		}
		s := r.GetResource()
		in := observedIntegration{key: key, name: stringAt(s, "metadata", "name"), clusterID: clusterID}
		for _, ref := range valueAt(s, "spec", "forProvider", "registryRefs").GetListValue().GetValues() {
			if n := ref.GetStructValue().GetFields()["name"].GetStringValue(); n != "" {
				in.registries = append(in.registries, n)
			}
		}
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b observedIntegration) int { return strings.Compare(a.key, b.key) })
	return out
}

// ready reports whether the composed resource called name was observed with a Ready
// condition that is True.
func (o *observed) ready(name string) bool {
	r, ok := o.resources[name]
	return ok && conditionTrue(r.GetResource(), "Ready")
}

func valueAt(s *structpb.Struct, path ...string) *structpb.Value {
	var v *structpb.Value
	for _, p := range path {
		if s == nil {
			return nil
		}
		v = s.GetFields()[p]
		s = v.GetStructValue()
	}
	return v
}

func stringAt(s *structpb.Struct, path ...string) string { return valueAt(s, path...).GetStringValue() }
func boolAt(s *structpb.Struct, path ...string) bool     { return valueAt(s, path...).GetBoolValue() }

func clampInt64(n float64) int64 {
	if n != n || n < 0 { // NaN or negative: not a size
		return 0
	}
	if n > 1<<62 {
		return 1 << 62
	}
	return int64(n)
}

func conditionTrue(s *structpb.Struct, typ string) bool {
	for _, c := range valueAt(s, "status", "conditions").GetListValue().GetValues() {
		f := c.GetStructValue().GetFields()
		if f["type"].GetStringValue() == typ {
			return f["status"].GetStringValue() == "True"
		}
	}
	return false
}
