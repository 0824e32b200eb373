/*
Copyright 2026 The provider-docr Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package gcschedule

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }

func repoRoot() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..", "..")
}

// TestCRDValidation creates objects with bad input through the API server and
// expects the CRD's schema and CEL rules to refuse each, naming the field.
func TestCRDValidation(t *testing.T) {
	cp := controlplane.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := cp.InstallCRDs(ctx, filepath.Join(repoRoot(), "package", "provider", "crds")); err != nil {
		t.Fatal(err)
	}
	ns := "validation"
	if err := cp.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	dc, err := cp.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	gvr := func(r string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: "docr.digitalocean.m.crossplane.io", Version: "v1alpha1", Resource: r}
	}
	obj := func(kind string, fp map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "docr.digitalocean.m.crossplane.io/v1alpha1",
			"kind":       kind,
			"metadata":   map[string]any{"generateName": "v-", "namespace": ns},
			"spec":       map[string]any{"forProvider": fp},
		}}
		return u
	}
	gc := func(over map[string]any) map[string]any {
		fp := map[string]any{"registryName": "reg", "schedule": "0 3 * * 0"}
		for k, v := range over {
			fp[k] = v
		}
		return fp
	}
	ret := func(over map[string]any) map[string]any {
		fp := map[string]any{"registryName": "reg", "schedule": "0 3 * * *", "keepLast": int64(3)}
		for k, v := range over {
			fp[k] = v
		}
		return fp
	}
	cases := map[string]struct {
		resource string
		kind     string
		fp       map[string]any
		// wantField is in the refusal; empty means the object is accepted.
		wantField string
	}{
		"GCValid":               {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"timeZone": "America/New_York", "maxDuration": "30m"})},
		"GCCronFourFields":      {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"schedule": "0 3 * *"}), wantField: "forProvider.schedule"},
		"GCCronSixFields":       {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"schedule": "0 0 3 * * 0"}), wantField: "forProvider.schedule"},
		"GCUnknownTimeZone":     {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"timeZone": "Mars/Olympus_Mons"}), wantField: "forProvider.timeZone"},
		"GCLocalTimeZone":       {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"timeZone": "Local"}), wantField: "forProvider.timeZone"},
		"GCNegativeWindow":      {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"window": "-1h"}), wantField: "forProvider.window"},
		"GCZeroWindow":          {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"window": "0s"}), wantField: "forProvider.window"},
		"GCNegativeQuiet":       {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"quietPeriod": "-15m"}), wantField: "forProvider.quietPeriod"},
		"GCNegativeMaxDuration": {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"maxDuration": "-30m"}), wantField: "forProvider.maxDuration"},
		"GCBadType":             {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: gc(map[string]any{"type": "everything"}), wantField: "forProvider.type"},
		"GCNoRegistry":          {resource: "garbagecollectionschedules", kind: "GarbageCollectionSchedule", fp: map[string]any{"schedule": "0 3 * * 0"}, wantField: "registryName"},
		"RetValid":              {resource: "retentionpolicies", kind: "RetentionPolicy", fp: ret(map[string]any{"protect": []any{`^v\d+\.\d+\.\d+$`}, "olderThan": "720h", "repositories": []any{"team/*"}})},
		"RetBadRegexp":          {resource: "retentionpolicies", kind: "RetentionPolicy", fp: ret(map[string]any{"protect": []any{"^v(", "ok"}}), wantField: "forProvider.protect"},
		"RetNegativeOlderThan":  {resource: "retentionpolicies", kind: "RetentionPolicy", fp: ret(map[string]any{"olderThan": "-24h"}), wantField: "forProvider.olderThan"},
		"RetNegativeKeepLast":   {resource: "retentionpolicies", kind: "RetentionPolicy", fp: ret(map[string]any{"keepLast": int64(-1)}), wantField: "forProvider.keepLast"},
		"RetNeitherKeepNorAge":  {resource: "retentionpolicies", kind: "RetentionPolicy", fp: map[string]any{"registryName": "reg", "schedule": "0 3 * * *"}, wantField: "keepLast"},
		"RetUnknownTimeZone":    {resource: "retentionpolicies", kind: "RetentionPolicy", fp: ret(map[string]any{"timeZone": "Europe/Atlantis"}), wantField: "forProvider.timeZone"},
		"RetBadCron":            {resource: "retentionpolicies", kind: "RetentionPolicy", fp: ret(map[string]any{"schedule": "daily"}), wantField: "forProvider.schedule"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// A server-side dry run validates fully and stores nothing: no
			// object is left for the controllers of other tests.
			_, err := dc.Resource(gvr(tc.resource)).Namespace(ns).Create(ctx, obj(tc.kind, tc.fp), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("valid object refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("object with bad %s accepted", tc.wantField)
			}
			if !kerrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.wantField) {
				t.Fatalf("want an Invalid error naming %s, got: %v", tc.wantField, err)
			}
			t.Logf("refused: %v", err)
		})
	}
}
