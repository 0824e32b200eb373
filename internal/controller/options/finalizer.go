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

package options

import (
	"context"
	"reflect"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// StatusKeepingFinalizer is crossplane-runtime's finalizer, except that adding it
// keeps the status the reconcile has computed so far.
//
// The managed reconciler adds its finalizer after Observe, with an Update whose
// response replaces the whole object, status included, by what the API server
// stored. On the first successful reconcile of a new resource that erases what
// Observe set (Ready=True, atProvider), and since adding a finalizer is no
// desired-state change that would trigger another reconcile, the resource only
// turned Ready at its next poll: a GarbageCollectionSchedule or RetentionPolicy
// composed by an XDOCR became Ready ~60 s after it was synced, and so did its XR
// (cluster/bench/notes.md, "XR Ready lag").
type StatusKeepingFinalizer struct {
	*resource.APIFinalizer
}

// NewStatusKeepingFinalizer returns the finalizer managed reconcilers use by default,
// keeping status across the update that adds it.
func NewStatusKeepingFinalizer(c client.Client) StatusKeepingFinalizer {
	return StatusKeepingFinalizer{APIFinalizer: resource.NewAPIFinalizer(c, managed.FinalizerName)}
}

// AddFinalizer adds the finalizer and puts back the status obj had before.
func (f StatusKeepingFinalizer) AddFinalizer(ctx context.Context, obj resource.Object) error {
	status := statusOf(obj)
	if !status.IsValid() {
		return f.APIFinalizer.AddFinalizer(ctx, obj)
	}
	// A deep copy: decoding the response may reuse the slices of obj's status.
	cp, ok := obj.DeepCopyObject().(resource.Object)
	if !ok {
		return f.APIFinalizer.AddFinalizer(ctx, obj)
	}
	kept := statusOf(cp)
	if err := f.APIFinalizer.AddFinalizer(ctx, obj); err != nil {
		return err
	}
	status.Set(kept)
	return nil
}

// statusOf returns the settable Status field of a typed object, or the zero Value.
func statusOf(obj resource.Object) reflect.Value {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	st := v.Elem().FieldByName("Status")
	if !st.IsValid() || !st.CanSet() {
		return reflect.Value{}
	}
	return st
}
