package main

import (
	"os"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// testNow is the fake clock's time: Sunday 22 November 2026, 07:00 UTC.
var testNow = time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)

func newTestFunction() *Function {
	return NewFunction(logging.NewNopLogger(), clocktesting.NewFakePassiveClock(testNow))
}

// mustStruct parses YAML (or JSON) into a protobuf Struct.
func mustStruct(t testing.TB, y string) *structpb.Struct {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatalf("cannot parse %q: %v", y, err)
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// xr wraps a spec given as YAML in an XDOCR.
func xr(t testing.TB, specYAML string) *structpb.Struct {
	t.Helper()
	s := mustStruct(t, "apiVersion: docr.digitalocean.crossplane.io/v1alpha1\nkind: XDOCR\nmetadata: {name: shop, namespace: team-a}\n")
	s.Fields["spec"] = structpb.NewStructValue(mustStruct(t, specYAML))
	return s
}

// request builds a RunFunctionRequest for an XR and observed composed resources.
func request(x *structpb.Struct, observed map[string]*fnv1.Resource) *fnv1.RunFunctionRequest {
	return &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "test"},
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: x}, Resources: observed},
	}
}

// exampleXR reads an example manifest.
func exampleXR(t testing.TB, path string) *structpb.Struct {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return mustStruct(t, string(b))
}

func structValue(s *structpb.Struct) *structpb.Value_StructValue {
	return &structpb.Value_StructValue{StructValue: s}
}
