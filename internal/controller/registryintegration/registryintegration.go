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

// Package registryintegration is the controller of RegistryIntegration: it
// integrates registries into one DOKS cluster with POST/DELETE
// /v2/kubernetes/registries.
//
// DigitalOcean cannot say which registries a cluster has (only the cluster's
// registry_enabled flag), so the set this object applied is recorded on the
// object itself, in the annotation AppliedAnnotation, which is the one source
// of truth (status mirrors it). An annotation rather than status because
// crossplane-runtime persists only annotations after Create, and only status
// after Update: the controller writes the annotation itself after Update and
// Delete.
package registryintegration

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/internal/registryref"
)

// AppliedAnnotation records, sorted and comma-separated, the registries this
// object integrated into the cluster.
const AppliedAnnotation = "docr.digitalocean.m.crossplane.io/applied-registries"

const (
	// kubeconfigTTL bounds how long a fetched kubeconfig is reused.
	kubeconfigTTL = 10 * time.Minute
	// clusterTimeout bounds one request to a cluster's API server.
	clusterTimeout = 15 * time.Second
)

// external integrates registries into one cluster for one reconcile.
type external struct {
	kube    client.Client
	api     API
	secrets SecretChecker
	clock   clock.PassiveClock

	// kubeconfigs are shared across reconciles; kcClient (the API client)
	// separates the entries of different tokens.
	kubeconfigs *kubeconfigs
	kcClient    any
	// clusters shares a GET among reconciles moments apart.
	clusters *clusterMemo
}

// Applied returns the registries recorded as integrated.
func Applied(mg *v1alpha1.RegistryIntegration) []string {
	v := mg.GetAnnotations()[AppliedAnnotation]
	if v == "" {
		return nil
	}
	out := strings.Split(v, ",")
	sort.Strings(out)
	return out
}

func setApplied(mg *v1alpha1.RegistryIntegration, names []string) {
	if len(names) == 0 {
		meta.RemoveAnnotations(mg, AppliedAnnotation)
		return
	}
	meta.AddAnnotations(mg, map[string]string{AppliedAnnotation: strings.Join(names, ",")})
}

// persistApplied writes the applied set to the API server. The object is
// refreshed from the response, so the status the reconciler writes next does
// not conflict.
func (e *external) persistApplied(ctx context.Context, mg *v1alpha1.RegistryIntegration, names []string) error {
	if equal(Applied(mg), names) {
		return nil
	}
	orig := mg.DeepCopy()
	setApplied(mg, names)
	if err := e.kube.Patch(ctx, mg, client.MergeFrom(orig)); err != nil {
		return errors.Wrap(err, "cannot record the applied registries on the object")
	}
	return nil
}

func errClusterMissing(id string) error {
	return errors.Errorf("DOKS cluster %q (forProvider.clusterID) does not exist", id)
}

func (e *external) memoKey(clusterID string) string { return kubeconfigKey(e.kcClient, clusterID) }

func (e *external) getCluster(ctx context.Context, id string) (*godo.KubernetesCluster, error) {
	if cl, ok := e.clusters.get(e.memoKey(id)); ok {
		return cl, nil
	}
	cl, err := e.api.GetCluster(ctx, id)
	if err == nil {
		e.clusters.put(e.memoKey(id), cl)
	}
	return cl, err
}

// add and remove change the cluster's integration and drop the memo, so the
// next Observe sees DigitalOcean's answer to the change.
func (e *external) add(ctx context.Context, id string, names []string) error {
	defer e.clusters.forget(e.memoKey(id))
	err := e.api.AddRegistries(ctx, id, names)
	if clients.IsNotFound(err) {
		// Say whether the cluster or a registry is missing.
		if _, gerr := e.api.GetCluster(ctx, id); clients.IsNotFound(gerr) {
			return errClusterMissing(id)
		}
	}
	if err != nil {
		return errors.Wrapf(clients.Describe(err), "cannot integrate registries %s into DOKS cluster %q", strings.Join(names, ","), id)
	}
	return nil
}

func (e *external) remove(ctx context.Context, id string, names []string) error {
	defer e.clusters.forget(e.memoKey(id))
	err := e.api.RemoveRegistries(ctx, id, names)
	if clients.IsNotFound(err) {
		// DigitalOcean answers 404 when a named registry no longer exists;
		// deleting a registry takes it out of every cluster. Without this,
		// deleting a registry before its integration would leave the
		// integration retrying forever. Only registries DigitalOcean says do
		// not exist count as removed; the rest are removed again.
		left, gerr := e.existing(ctx, names)
		switch {
		case gerr != nil:
			// Keep the DELETE's error: nothing is known to be removed.
		case len(left) == 0:
			return nil
		case len(left) < len(names):
			names = left
			err = e.api.RemoveRegistries(ctx, id, left)
		}
	}
	if err != nil {
		return errors.Wrapf(clients.Describe(err), "cannot remove registries %s from DOKS cluster %q; will retry", strings.Join(names, ","), id)
	}
	return nil
}

// existing returns the names DigitalOcean still knows as registries.
func (e *external) existing(ctx context.Context, names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		ok, err := e.api.RegistryExists(ctx, n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// sharedWith returns the registries that other RegistryIntegrations (in any
// namespace, not being deleted) have applied to the same cluster. Removing
// one of them would break those objects, which cannot notice (DigitalOcean
// does not say which registries a cluster has), so they are left integrated.
func (e *external) sharedWith(ctx context.Context, mg *v1alpha1.RegistryIntegration) (map[string]bool, error) {
	l := &v1alpha1.RegistryIntegrationList{}
	if err := e.kube.List(ctx, l); err != nil {
		return nil, errors.Wrap(err, "cannot list RegistryIntegrations sharing the cluster")
	}
	shared := map[string]bool{}
	for i := range l.Items {
		o := &l.Items[i]
		if o.GetUID() == mg.GetUID() || meta.WasDeleted(o) || o.Spec.ForProvider.ClusterID != mg.Spec.ForProvider.ClusterID {
			continue
		}
		for _, r := range Applied(o) {
			shared[r] = true
		}
	}
	return shared, nil
}

// removable splits names into those to DELETE and those other objects still
// use.
func (e *external) removable(ctx context.Context, mg *v1alpha1.RegistryIntegration, names []string) (del, keep []string, err error) {
	if len(names) == 0 {
		return nil, nil, nil
	}
	shared, err := e.sharedWith(ctx, mg)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range names {
		if shared[n] {
			keep = append(keep, n)
		} else {
			del = append(del, n)
		}
	}
	return del, keep, nil
}

func (e *external) desired(ctx context.Context, mg *v1alpha1.RegistryIntegration) ([]string, error) {
	return registryref.Names(ctx, e.kube, mg, mg.Spec.ForProvider.RegistryTargets)
}

func (e *external) Observe(ctx context.Context, mg *v1alpha1.RegistryIntegration) (managed.ExternalObservation, error) {
	id := mg.Spec.ForProvider.ClusterID
	if id == "" {
		return managed.ExternalObservation{}, errors.New("forProvider.clusterID is required")
	}
	applied := Applied(mg)
	if len(applied) == 0 {
		// Nothing integrated by this object: nothing to ask DigitalOcean
		// (Create reports a missing cluster).
		mg.Status.AtProvider.AppliedRegistryNames = nil
		return managed.ExternalObservation{ResourceExists: false}, nil
	}

	cl, err := e.getCluster(ctx, id)
	if clients.IsNotFound(err) {
		if meta.WasDeleted(mg) {
			// Nothing to remove from a cluster that no longer exists.
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return managed.ExternalObservation{}, errClusterMissing(id)
	}
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(clients.Describe(err), "cannot get DOKS cluster %q", id)
	}

	obs := &mg.Status.AtProvider
	obs.AppliedRegistryNames = applied
	obs.RegistryEnabled = cl.RegistryEnabled
	obs.ClusterName = cl.Name
	obs.ClusterRegion = cl.RegionSlug

	if meta.WasDeleted(mg) {
		// References are not resolved while deleting: the applied set is
		// what Delete removes.
		return managed.ExternalObservation{ResourceExists: true}, nil
	}

	desired, err := e.desired(ctx, mg)
	if err != nil {
		return managed.ExternalObservation{}, err
	}

	var reasons []string
	if !cl.RegistryEnabled {
		reasons = append(reasons, "the cluster reports registry_enabled false")
	}
	if add, remove := diff(desired, applied); len(add)+len(remove) > 0 {
		reasons = append(reasons, "applied registries "+strings.Join(applied, ",")+" differ from desired "+strings.Join(desired, ","))
	}

	obs.MissingInCluster = nil
	if mg.Spec.ForProvider.VerifyInCluster && cl.RegistryEnabled {
		miss, err := e.verify(ctx, id, intersect(applied, desired))
		if err != nil {
			return managed.ExternalObservation{}, err
		}
		now := metav1.NewTime(e.clock.Now())
		obs.LastVerifiedAt = &now
		obs.MissingInCluster = miss
		if len(miss) > 0 {
			reasons = append(reasons, "pull Secrets missing in the cluster's kube-system namespace for "+strings.Join(miss, ","))
		}
	}

	if len(reasons) > 0 {
		mg.SetConditions(xpv2.Unavailable().WithMessage(strings.Join(reasons, "; ")))
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, Diff: strings.Join(reasons, "; ")}, nil
	}
	mg.SetConditions(xpv2.Available())
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
}

// verify returns the registries whose pull Secret is missing in the cluster,
// fetching the kubeconfig once more when the cached one is refused.
func (e *external) verify(ctx context.Context, clusterID string, registries []string) ([]string, error) {
	if len(registries) == 0 {
		return nil, nil
	}
	key := kubeconfigKey(e.kcClient, clusterID)
	for attempt := 0; attempt < 2; attempt++ {
		kc, ok := e.kubeconfigs.get(key)
		if !ok {
			b, err := e.api.GetKubeconfig(ctx, clusterID)
			if err != nil {
				return nil, errors.Wrapf(clients.Describe(err), "cannot get the kubeconfig of DOKS cluster %q (forProvider.verifyInCluster)", clusterID)
			}
			e.kubeconfigs.put(key, b)
			kc = b
		}
		miss, err := e.secrets.Missing(ctx, kc, registries)
		var authErr errClusterAuth
		if errors.As(err, &authErr) && attempt == 0 {
			e.kubeconfigs.forget(key)
			continue
		}
		if err != nil {
			e.kubeconfigs.forget(key)
			return nil, errors.Wrapf(err, "cannot verify pull Secrets in DOKS cluster %q (forProvider.verifyInCluster)", clusterID)
		}
		return miss, nil
	}
	return nil, errors.Errorf("cannot verify pull Secrets in DOKS cluster %q: the cluster refused its kubeconfig", clusterID)
}

func (e *external) Create(ctx context.Context, mg *v1alpha1.RegistryIntegration) (managed.ExternalCreation, error) {
	desired, err := e.desired(ctx, mg)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	id := mg.Spec.ForProvider.ClusterID
	if err := e.add(ctx, id, desired); err != nil {
		return managed.ExternalCreation{}, err
	}
	// Only annotations persist after Create: the reconciler writes this one.
	setApplied(mg, desired)
	return managed.ExternalCreation{}, nil
}

func (e *external) Update(ctx context.Context, mg *v1alpha1.RegistryIntegration) (managed.ExternalUpdate, error) {
	desired, err := e.desired(ctx, mg)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	id := mg.Spec.ForProvider.ClusterID
	applied := Applied(mg)
	add, remove := diff(desired, applied)
	// Re-apply everything when DigitalOcean lost the integration or the
	// cluster lacks a pull Secret (drift). POST is idempotent and names every
	// desired registry, whether DigitalOcean adds to or replaces the set.
	post := len(add) > 0 || !mg.Status.AtProvider.RegistryEnabled || len(mg.Status.AtProvider.MissingInCluster) > 0

	now := applied
	var errs []error
	if post {
		if err := e.add(ctx, id, desired); err != nil {
			errs = append(errs, err)
		} else {
			now = union(now, desired)
		}
	}
	if len(remove) > 0 && len(errs) == 0 {
		del, keep, err := e.removable(ctx, mg, remove)
		switch {
		case err != nil:
			errs = append(errs, err)
		case len(del) > 0:
			// A failed DELETE keeps the registries recorded as applied, so
			// that the next reconcile removes them again: never assume
			// success.
			if err := e.remove(ctx, id, del); err != nil {
				errs = append(errs, err)
				break
			}
			now, _ = diff(now, del)
		}
		if err == nil {
			// Still used by others: no longer this object's.
			now, _ = diff(now, keep)
		}
	}
	if err := e.persistApplied(ctx, mg, now); err != nil {
		errs = append(errs, err)
	}
	mg.Status.AtProvider.AppliedRegistryNames = Applied(mg)
	return managed.ExternalUpdate{}, errors.Join(errs...)
}

func (e *external) Delete(ctx context.Context, mg *v1alpha1.RegistryIntegration) (managed.ExternalDelete, error) {
	applied := Applied(mg)
	if len(applied) == 0 {
		return managed.ExternalDelete{}, nil
	}
	id := mg.Spec.ForProvider.ClusterID
	del, _, err := e.removable(ctx, mg, applied)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	if len(del) > 0 {
		if err := e.remove(ctx, id, del); err != nil {
			return managed.ExternalDelete{}, err
		}
	}
	if err := e.persistApplied(ctx, mg, nil); err != nil {
		return managed.ExternalDelete{}, err
	}
	mg.Status.AtProvider.AppliedRegistryNames = nil
	return managed.ExternalDelete{}, nil
}

func (e *external) Disconnect(context.Context) error { return nil }

// diff returns what a has that b lacks, and what b has that a lacks (sorted).
func diff(a, b []string) (onlyA, onlyB []string) {
	inA, inB := set(a), set(b)
	for _, x := range a {
		if !inB[x] {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !inA[x] {
			onlyB = append(onlyB, x)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return onlyA, onlyB
}

func union(a, b []string) []string {
	s := set(a)
	for _, x := range b {
		s[x] = true
	}
	out := make([]string, 0, len(s))
	for x := range s {
		out = append(out, x)
	}
	sort.Strings(out)
	return out
}

func intersect(a, b []string) []string {
	inB := set(b)
	var out []string
	for _, x := range a {
		if inB[x] {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	x, y := diff(a, b)
	return len(x) == 0 && len(y) == 0
}

func set(a []string) map[string]bool {
	m := make(map[string]bool, len(a))
	for _, x := range a {
		m[x] = true
	}
	return m
}

var _ managed.TypedExternalClient[*v1alpha1.RegistryIntegration] = &external{}
