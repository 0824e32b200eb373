package rig

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-docr/cluster/xpkg"
)

// TestRigRunsAFunction installs a small function through Crossplane's package manager
// from the loopback registry, runs it as a local process with a certificate from
// Crossplane's CA, and proves Crossplane calls it over mTLS: a composite resource gets
// the status the function writes.
func TestRigRunsAFunction(t *testing.T) {
	echo := xpkg.Package{
		Name: "function-e2e-echo", Root: "test/e2e/testdata/package-fn-echo", Binary: "./test/e2e/testdata/fn-echo",
		Entrypoint: "/usr/local/bin/function", Ports: []string{"9443/tcp"},
	}
	r := StartForTest(t, Options{Function: &echo})
	ctx := t.Context()
	if err := r.InstallFunction(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(ctx, `apiVersion: apiextensions.crossplane.io/v2
kind: CompositeResourceDefinition
metadata:
  name: xechoes.e2e.example.org
spec:
  group: e2e.example.org
  scope: Namespaced
  names: {kind: XEcho, plural: xechoes}
  versions:
    - name: v1
      served: true
      referenceable: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                message: {type: string}
            status:
              type: object
              properties:
                echo: {type: string}
---
apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata:
  name: xechoes
spec:
  compositeTypeRef: {apiVersion: e2e.example.org/v1, kind: XEcho}
  mode: Pipeline
  pipeline:
    - step: echo
      functionRef: {name: crossplane-contrib-function-e2e-echo}
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-echo
`); err != nil {
		t.Fatal(err)
	}
	// The XEcho kind exists once Crossplane has established the XRD.
	if err := r.Eventually(ctx, 3*time.Minute, "XEcho created", func() (bool, error) {
		return r.Apply(ctx, "apiVersion: e2e.example.org/v1\nkind: XEcho\nmetadata:\n  name: hello\n  namespace: team-echo\nspec:\n  message: over mTLS\n") == nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := r.Eventually(ctx, 3*time.Minute, "XEcho status written by the function", func() (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: "e2e.example.org", Version: "v1", Kind: "XEcho"})
		if err := r.Kube.Get(ctx, types.NamespacedName{Namespace: "team-echo", Name: "hello"}, u); err != nil {
			return false, nil //nolint:nilerr // keep polling
		}
		got, _, _ = unstructured.NestedString(u.Object, "status", "echo")
		return got == "over mTLS", nil
	}); err != nil {
		t.Fatal(fmt.Errorf("%w (status.echo %q)", err, got))
	}

	// A crashed and restarted core resumes from the API server: a change made after the
	// restart reaches the function.
	pid := r.CoreProcess().Pid()
	if err := r.RestartCore(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if r.CoreProcess().Pid() == pid {
		t.Fatal("RestartCore left the same core process running")
	}
	if err := r.Apply(ctx, "apiVersion: e2e.example.org/v1\nkind: XEcho\nmetadata:\n  name: hello\n  namespace: team-echo\nspec:\n  message: after a restart\n"); err != nil {
		t.Fatal(err)
	}
	if err := r.Eventually(ctx, 3*time.Minute, "XEcho status written after core's restart", func() (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: "e2e.example.org", Version: "v1", Kind: "XEcho"})
		if err := r.Kube.Get(ctx, types.NamespacedName{Namespace: "team-echo", Name: "hello"}, u); err != nil {
			return false, nil //nolint:nilerr // keep polling
		}
		got, _, _ = unstructured.NestedString(u.Object, "status", "echo")
		return got == "after a restart", nil
	}); err != nil {
		t.Fatal(fmt.Errorf("%w (status.echo %q)", err, got))
	}
}
