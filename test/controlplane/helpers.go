package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Clientset returns an admin typed client.
func (cp *ControlPlane) Clientset() (kubernetes.Interface, error) {
	c, err := kubernetes.NewForConfig(cp.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("cannot create clientset: %w", err)
	}
	return c, nil
}

// Dynamic returns an admin dynamic client.
func (cp *ControlPlane) Dynamic() (dynamic.Interface, error) {
	c, err := dynamic.NewForConfig(cp.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("cannot create dynamic client: %w", err)
	}
	return c, nil
}

// CreateNamespace creates a namespace; one that already exists is fine.
func (cp *ControlPlane) CreateNamespace(ctx context.Context, name string) error {
	c, err := cp.Clientset()
	if err != nil {
		return err
	}
	_, err = c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !kerrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create namespace %s: %w", name, err)
	}
	return nil
}

// InstallCRDs creates or updates every CustomResourceDefinition in the given YAML files or
// directories (searched recursively for *.yaml, *.yml) and waits until all are Established.
// It returns the names of the CRDs it installed.
func (cp *ControlPlane) InstallCRDs(ctx context.Context, paths ...string) ([]string, error) {
	crds, err := readCRDs(paths)
	if err != nil {
		return nil, err
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinitions found in %s", strings.Join(paths, ", "))
	}
	dc, err := cp.Dynamic()
	if err != nil {
		return nil, err
	}
	api := dc.Resource(crdGVR)
	names := make([]string, 0, len(crds))
	for _, crd := range crds {
		names = append(names, crd.GetName())
		_, err := api.Create(ctx, crd, metav1.CreateOptions{})
		if kerrors.IsAlreadyExists(err) {
			var cur *unstructured.Unstructured
			if cur, err = api.Get(ctx, crd.GetName(), metav1.GetOptions{}); err == nil {
				crd.SetResourceVersion(cur.GetResourceVersion())
				_, err = api.Update(ctx, crd, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			return nil, fmt.Errorf("cannot install CRD %s: %w", crd.GetName(), err)
		}
	}
	// Establishing is quick, but a loaded machine deserves patience.
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pending := append([]string(nil), names...)
	for {
		var still []string
		for _, n := range pending {
			cur, err := api.Get(wctx, n, metav1.GetOptions{})
			if err != nil || !established(cur) {
				still = append(still, n)
			}
		}
		if pending = still; len(pending) == 0 {
			return names, nil
		}
		select {
		case <-wctx.Done():
			return nil, fmt.Errorf("CRDs not Established: %s: %w", strings.Join(pending, ", "), wctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

func readCRDs(paths []string) ([]*unstructured.Unstructured, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("cannot read CRDs from %s: %w", p, err)
		}
	}
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", f, err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("cannot decode %s: %w", f, err)
			}
			if u.Object == nil || u.GetKind() != "CustomResourceDefinition" {
				continue
			}
			out = append(out, u)
		}
	}
	return out, nil
}
