// Command fn-echo is a minimal composition function the rig's own test installs: it
// writes status.echo on the composite resource, which proves Crossplane reached it over
// mTLS with the rig's certificates. It takes the flags the rig passes to functions.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/crossplane/function-sdk-go"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/response"
)

type echo struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

func (echo) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)
	xr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	msg, _ := xr.Resource.GetString("spec.message")
	if err := dxr.Resource.SetString("status.echo", msg); err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	if err := response.SetDesiredCompositeResource(rsp, dxr); err != nil {
		response.Fatal(rsp, err)
	}
	return rsp, nil
}

func main() {
	addr := flag.String("address", "127.0.0.1:9443", "gRPC listen address")
	certs := flag.String("tls-certs-dir", "", "directory with tls.crt, tls.key, ca.crt")
	metrics := flag.String("metrics-address", "127.0.0.1:0", "metrics listen address")
	_ = flag.Bool("debug", false, "ignored")
	flag.Parse()
	if err := function.Serve(echo{}, function.Listen("tcp", *addr), function.MTLSCertificates(*certs), function.WithMetricsServer(*metrics)); err != nil {
		log.Fatal(err)
	}
}
