package main

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/utils/clock"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/pbconv"
	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/xdocr"
)

// Function composes one XDOCR into its registry estate.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log   logging.Logger
	clock clock.PassiveClock
}

// NewFunction returns a Function that logs to log and reads time from c.
func NewFunction(log logging.Logger, c clock.PassiveClock) *Function {
	return &Function{log: log, clock: c}
}

// RunFunction composes, for the observed XDOCR:
//   - one Subscription (policy AtLeast) on the lowest tier its registries need, or spec.tier;
//   - one Registry per region, named <registryName>-<region>, protected from deletion
//     unless spec.deletionProtection is false;
//   - one RegistryIntegration per cluster, wired to the registry in its region, else the
//     nearest one, or to every registry with pull: All;
//   - one GarbageCollectionSchedule per registry, each slot shifted by window + maxDuration
//     from the previous region's, so at most one registry is read-only at a time;
//   - one RetentionPolicy per registry when spec.retention is set;
//   - one DockerCredentials for every registry, writing Secret spec.pullSecret.name,
//     when spec.pullSecret is set;
//   - Usages so every registry is deleted only after what depends on it;
//
// and reports each composed resource ready when its Ready condition is True, and the
// estate in the XR's status. Input it cannot act on gives one Fatal result naming every
// field to fix; a registry whose region was removed but which still holds images is kept
// with a Warning unless spec.allowRegistryRemoval is true.
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)
	xr := req.GetObserved().GetComposite().GetResource()

	spec, problems := xdocr.Parse(xr)
	if problems != nil {
		f.log.Info("Invalid XDOCR", "xr", xrName(xr), "problems", problems.Error())
		response.Fatal(rsp, errors.New("invalid XDOCR: "+problems.Error()))
		return rsp, nil
	}

	obs := observe(req)
	e, err := plan(spec, obs)
	if err != nil {
		f.log.Info("Cannot compose XDOCR", "xr", xrName(xr), "error", err.Error())
		response.Fatal(rsp, err)
		return rsp, nil
	}
	for _, w := range e.warnings {
		response.Warning(rsp, errors.New(w))
	}
	for _, n := range e.notes {
		response.Normal(rsp, n)
	}

	if rsp.Desired == nil {
		rsp.Desired = &fnv1.State{}
	}
	if rsp.Desired.Resources == nil {
		rsp.Desired.Resources = make(map[string]*fnv1.Resource, 4*len(e.registries)+3*len(e.integrations)+2)
	}
	arena := &pbconv.Arena{}
	if err := compose(e, obs, rsp.Desired.Resources, arena); err != nil {
		response.Fatal(rsp, errors.New("cannot compose resources: "+err.Error()))
		return rsp, nil
	}
	setStatus(rsp, xr, status(e, obs, f.clock.Now(), arena))
	f.log.Debug("Composed XDOCR", "xr", xrName(xr), "resources", len(rsp.Desired.Resources), "tier", string(e.tier))
	return rsp, nil
}

// setStatus writes the XR's status into the desired composite, keeping whatever earlier
// pipeline steps put there.
func setStatus(rsp *fnv1.RunFunctionResponse, observedXR *structpb.Struct, st *structpb.Value) {
	if rsp.Desired.Composite == nil {
		rsp.Desired.Composite = &fnv1.Resource{}
	}
	if rsp.Desired.Composite.Resource == nil {
		rsp.Desired.Composite.Resource = &structpb.Struct{}
	}
	dxr := rsp.Desired.Composite.Resource
	if dxr.Fields == nil {
		dxr.Fields = make(map[string]*structpb.Value, 3)
	}
	for _, k := range []string{"apiVersion", "kind"} {
		if v, ok := observedXR.GetFields()[k]; ok {
			dxr.Fields[k] = v
		}
	}
	if prev := dxr.Fields["status"].GetStructValue(); prev != nil {
		for k, v := range st.GetStructValue().GetFields() {
			prev.Fields[k] = v
		}
		return
	}
	dxr.Fields["status"] = st
}

func xrName(xr *structpb.Struct) string {
	md := xr.GetFields()["metadata"].GetStructValue().GetFields()
	return md["namespace"].GetStringValue() + "/" + md["name"].GetStringValue()
}
