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

// Package registryref resolves registry targets (registryNames, registryRefs,
// registrySelector) of a managed resource to DigitalOcean registry names.
//
// Resolution happens on every reconcile and is never written back into the
// spec: a selector picks up Registry objects labelled later, and removing a
// reference removes its registry. Names given directly and resolved names are
// combined. A referenced or selected Registry must be Ready (exist at
// DigitalOcean) before its name is used, so nothing is integrated or issued
// for a registry that is still being created.
package registryref

import (
	"context"
	"sort"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

// ErrNone is returned when the targets resolve to no registry.
const errNone = "forProvider.registryNames, registryRefs and registrySelector resolve to no registry"

// Names resolves t, in from's namespace, to sorted, unique registry names.
func Names(ctx context.Context, c client.Reader, from resource.Managed, t v1alpha1.RegistryTargets) ([]string, error) {
	set := map[string]bool{}
	for _, n := range t.RegistryNames {
		set[n] = true
	}
	ns := from.GetNamespace()

	for i, ref := range t.RegistryRefs {
		r := &v1alpha1.Registry{}
		err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, r)
		if kerrors.IsNotFound(err) {
			if optional(ref.Policy) {
				continue
			}
			return nil, errors.Errorf("forProvider.registryRefs[%d]: Registry %q not found in namespace %q", i, ref.Name, ns)
		}
		if err != nil {
			return nil, errors.Wrapf(err, "forProvider.registryRefs[%d]: cannot get Registry %q", i, ref.Name)
		}
		name, ok := usable(r)
		if !ok {
			if optional(ref.Policy) {
				continue
			}
			return nil, errors.Errorf("forProvider.registryRefs[%d]: Registry %q is not ready yet", i, ref.Name)
		}
		set[name] = true
	}

	if s := t.RegistrySelector; s != nil {
		l := &v1alpha1.RegistryList{}
		if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingLabels(s.MatchLabels)); err != nil {
			return nil, errors.Wrap(err, "forProvider.registrySelector: cannot list Registries")
		}
		matched := 0
		for i := range l.Items {
			r := &l.Items[i]
			if s.MatchControllerRef != nil && *s.MatchControllerRef && !meta.HaveSameController(from, r) {
				continue
			}
			if meta.WasDeleted(r) {
				continue
			}
			matched++
			name, ok := usable(r)
			if !ok {
				if optional(s.Policy) {
					continue
				}
				return nil, errors.Errorf("forProvider.registrySelector: selected Registry %q is not ready yet", r.GetName())
			}
			set[name] = true
		}
		if matched == 0 && len(set) == 0 && !optional(s.Policy) {
			return nil, errors.Errorf("forProvider.registrySelector: no Registry in namespace %q matches", ns)
		}
	}

	if len(set) == 0 {
		return nil, errors.New(errNone)
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// usable returns the DigitalOcean name of a Registry that exists there.
func usable(r *v1alpha1.Registry) (string, bool) {
	if r.GetCondition(xpv2.TypeReady).Status != "True" {
		return "", false
	}
	if n := r.Status.AtProvider.Name; n != "" {
		return n, true
	}
	if n := meta.GetExternalName(r); n != "" {
		return n, true
	}
	return "", false
}

func optional(p *xpv2.Policy) bool {
	return p != nil && p.IsResolutionPolicyOptional()
}
