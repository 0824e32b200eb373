package main

import (
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/pbconv"
)

// status is what the XR reports about its estate. It is built as protobuf values
// directly: the XR status is written on every reconcile.
func status(e *estate, obs *observed, now time.Time, a *pbconv.Arena) *structpb.Value {
	regs := make([]*structpb.Value, 0, len(e.registries))
	var gcs []*structpb.Value
	primary := ""
	for i, r := range e.registries {
		o := obs.registries[r.region] // zero value when not observed yet
		if i == 0 {
			primary = o.endpoint
		}
		reg := map[string]*structpb.Value{
			"region":            a.String(r.region),
			"registryName":      a.String(r.name),
			"state":             a.String(string(r.state)),
			"ready":             a.Bool(o.ready),
			"readOnly":          a.Bool(o.readOnly),
			"storageUsageBytes": a.Number(float64(o.storageUsageBytes)),
		}
		if o.endpoint != "" {
			reg["endpoint"] = a.String(o.endpoint)
		}
		regs = append(regs, a.Object(reg))
		if r.gc != nil {
			gc := e.spec.GarbageCollection
			slot := map[string]*structpb.Value{
				"registryName": a.String(r.name),
				"schedule":     a.String(r.gc.String()),
				"timeZone":     a.String(gc.TimeZone),
			}
			if next := r.gc.Next(now, gc.Location); !next.IsZero() {
				slot["nextSlot"] = a.String(next.UTC().Format(time.RFC3339))
			}
			gcs = append(gcs, a.Object(slot))
		}
	}
	clusters := make([]*structpb.Value, 0, len(e.integrations))
	for _, in := range e.integrations {
		if in.previous {
			continue // being replaced; the status shows what the cluster is getting
		}
		names := make([]*structpb.Value, len(in.registries))
		for i, n := range in.registries {
			names[i] = a.String(n)
		}
		clusters = append(clusters, a.Object(map[string]*structpb.Value{
			"id":         a.String(in.cluster.ID),
			"region":     a.String(in.cluster.Region),
			"registries": a.List(names),
			"reason":     a.String(in.reason),
			"detail":     a.String(in.detail),
		}))
	}
	s := map[string]*structpb.Value{
		"tier":       a.String(string(e.tier)),
		"registries": a.List(regs),
		"clusters":   a.List(clusters),
	}
	if primary != "" {
		s["primaryEndpoint"] = a.String(primary)
	}
	if gcs != nil {
		s["garbageCollection"] = a.List(gcs)
	}
	if e.spec.PullSecret != nil {
		s["pullSecretName"] = a.String(e.spec.PullSecret.Name)
	}
	return a.Object(s)
}
