package main

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	protectionv1beta1 "github.com/crossplane/crossplane/apis/v2/protection/v1beta1"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/functions/docr/internal/pbconv"
)

// Composition resource names: the keys Crossplane uses to match desired and observed
// composed resources. They never change for a given region or cluster, so an object is
// updated, not replaced, when the spec changes.
const (
	nameSubscription    = "subscription"
	namePullCredentials = "pull-credentials"
	prefixRegistry      = "registry-"
	prefixGC            = "gc-"
	prefixRetention     = "retention-"
	prefixIntegration   = "integration-"
	prefixUsage         = "usage-"
)

// apiVersion of every managed resource the function composes.
var apiVersion = v1alpha1.SchemeGroupVersion.String()

func init() {
	// composed.From finds each typed object's apiVersion and kind here.
	if err := v1alpha1.AddToScheme(composed.Scheme); err != nil {
		panic(err)
	}
	if err := protectionv1beta1.AddToScheme(composed.Scheme); err != nil {
		panic(err)
	}
}

// composer builds the desired composed resources of an estate.
type composer struct {
	e       *estate
	obs     *observed
	pcRef   *xpv2.ProviderConfigReference
	desired map[string]*fnv1.Resource
	arena   *pbconv.Arena
	err     error
	// scratch holds one object of each kind, overwritten for every object composed:
	// each is converted before the next is built, and the conversion copies what it
	// needs, so a call allocates them once instead of once per object.
	scratch struct {
		subscription v1alpha1.Subscription
		registry     v1alpha1.Registry
		gc           v1alpha1.GarbageCollectionSchedule
		retention    v1alpha1.RetentionPolicy
		integration  v1alpha1.RegistryIntegration
		credentials  v1alpha1.DockerCredentials
		usage        protectionv1beta1.Usage
	}
}

// compose adds the estate's composed resources to desired, keyed by composition
// resource name.
func compose(e *estate, obs *observed, desired map[string]*fnv1.Resource, arena *pbconv.Arena) error {
	c := &composer{e: e, obs: obs, desired: desired, arena: arena}
	if ref := e.spec.ProviderConfigRef; ref != nil {
		c.pcRef = &xpv2.ProviderConfigReference{Kind: ref.Kind, Name: ref.Name}
	}
	c.subscription()
	for _, r := range e.registries {
		c.registry(r)
		if r.state != stateActive {
			continue
		}
		if r.gc != nil {
			c.gcSchedule(r)
		}
		if e.spec.Retention != nil {
			c.retentionPolicy(r)
		}
	}
	for _, in := range e.integrations {
		c.integration(in)
	}
	if e.spec.PullSecret != nil {
		c.pullCredentials()
	}
	return c.err
}

// put converts a typed object and records it with its readiness, which is the observed
// object's Ready condition: Crossplane treats a resource no function called ready as not
// ready. The object's apiVersion and kind come from composed.Scheme.
func (c *composer) put(name string, obj runtime.Object) {
	if c.err != nil {
		return
	}
	if err := setTypeMeta(obj); err != nil {
		c.err = fmt.Errorf("%s: %w", name, err)
		return
	}
	// Desired status is never applied; leaving it out keeps rendered output readable.
	s, err := c.arena.Convert(obj, "status")
	if err != nil {
		c.err = fmt.Errorf("%s: %w", name, err)
		return
	}
	ready := fnv1.Ready_READY_FALSE
	if c.obs.ready(name) {
		ready = fnv1.Ready_READY_TRUE
	}
	c.desired[name] = &fnv1.Resource{Resource: s, Ready: ready}
}

// typeMetas caches each Go type's apiVersion and kind as composed.Scheme knows them, so
// that they are looked up and formatted once, not for every object.
var typeMetas sync.Map // reflect.Type -> metav1.TypeMeta

func setTypeMeta(obj runtime.Object) error {
	t := reflect.TypeOf(obj)
	tm, ok := typeMetas.Load(t)
	if !ok {
		gvks, _, err := composed.Scheme.ObjectKinds(obj)
		if err != nil {
			return err
		}
		apiVersion, kind := gvks[0].ToAPIVersionAndKind()
		tm = metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
		typeMetas.Store(t, tm)
	}
	meta, ok := obj.GetObjectKind().(*metav1.TypeMeta)
	if !ok {
		return fmt.Errorf("%T has no TypeMeta", obj)
	}
	*meta = tm.(metav1.TypeMeta) //nolint:forcetypeassert // only TypeMeta is stored.
	return nil
}

func (c *composer) managed() xpv2.ManagedResourceSpec {
	return xpv2.ManagedResourceSpec{ProviderConfigReference: c.pcRef}
}

func (c *composer) subscription() {
	s := &c.scratch.subscription
	*s = v1alpha1.Subscription{
		ObjectMeta: metav1.ObjectMeta{Name: c.e.spec.RegistryName + "-subscription"},
		Spec: v1alpha1.SubscriptionSpec{
			ManagedResourceSpec: c.managed(),
			ForProvider: v1alpha1.SubscriptionParameters{
				Tier:   string(c.e.tier),
				Policy: v1alpha1.SubscriptionPolicyAtLeast,
			},
		},
	}
	c.put(nameSubscription, s)
}

func (c *composer) registry(r registry) {
	protect := c.e.spec.DeletionProtection
	if r.state == stateRemoving {
		protect = false
	}
	reg := &c.scratch.registry
	*reg = v1alpha1.Registry{
		// metadata.name is the DigitalOcean name: the provider's external name defaults to it.
		ObjectMeta: metav1.ObjectMeta{Name: r.name},
		Spec: v1alpha1.RegistrySpec{
			ManagedResourceSpec: c.managed(),
			ForProvider:         v1alpha1.RegistryParameters{Region: r.region, DeletionProtection: protect},
		},
	}
	c.put(prefixRegistry+r.region, reg)
}

func (c *composer) gcSchedule(r registry) {
	gc := c.e.spec.GarbageCollection
	name := r.name + "-gc"
	s := &c.scratch.gc
	*s = v1alpha1.GarbageCollectionSchedule{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.GarbageCollectionScheduleSpec{
			ManagedResourceSpec: c.managed(),
			ForProvider: v1alpha1.GarbageCollectionScheduleParameters{
				RegistryTarget: v1alpha1.RegistryTarget{RegistryRef: &xpv2.Reference{Name: r.name}},
				Schedule:       r.gc.String(),
				TimeZone:       gc.TimeZone,
				Type:           v1alpha1.GarbageCollectionType(gc.Type),
				QuietPeriod:    duration(gc.QuietPeriod),
				Window:         duration(gc.Window),
				MaxDuration:    duration(gc.MaxDuration),
			},
		},
	}
	c.put(prefixGC+r.region, s)
	c.usage(prefixUsage+prefixGC+r.region, r.name, r.region, v1alpha1.GarbageCollectionScheduleKind, name)
}

func (c *composer) retentionPolicy(r registry) {
	rt := c.e.spec.Retention
	name := r.name + "-retention"
	p := &c.scratch.retention
	*p = v1alpha1.RetentionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.RetentionPolicySpec{
			ManagedResourceSpec: c.managed(),
			ForProvider: v1alpha1.RetentionPolicyParameters{
				RegistryTarget: v1alpha1.RegistryTarget{RegistryRef: &xpv2.Reference{Name: r.name}},
				Repositories:   rt.Repositories,
				Protect:        rt.Protect,
				Schedule:       rt.Schedule,
				TimeZone:       rt.TimeZone,
				DryRun:         &rt.DryRun,
			},
		},
	}
	if rt.KeepLast != nil {
		n := int32(*rt.KeepLast) //nolint:gosec // xdocr bounds keepLast far below 2^31.
		p.Spec.ForProvider.KeepLast = &n
	}
	if rt.OlderThan != nil {
		p.Spec.ForProvider.OlderThan = duration(*rt.OlderThan)
	}
	c.put(prefixRetention+r.region, p)
	c.usage(prefixUsage+prefixRetention+r.region, r.name, r.region, v1alpha1.RetentionPolicyKind, name)
}

func (c *composer) integration(in integration) {
	refs := make([]xpv2.Reference, len(in.registries))
	for i, r := range in.registries {
		refs[i] = xpv2.Reference{Name: r}
	}
	ri := &c.scratch.integration
	*ri = v1alpha1.RegistryIntegration{
		ObjectMeta: metav1.ObjectMeta{Name: in.name},
		Spec: v1alpha1.RegistryIntegrationSpec{
			ManagedResourceSpec: c.managed(),
			ForProvider: v1alpha1.RegistryIntegrationParameters{
				ClusterID:       in.cluster.ID,
				RegistryTargets: v1alpha1.RegistryTargets{RegistryRefs: refs},
			},
		},
	}
	c.put(in.key, ri)
	for _, r := range in.registries {
		region := r[strings.LastIndexByte(r, '-')+1:] // registry names end in -<region>
		c.usage(prefixUsage+in.key+"-"+region, r, region, v1alpha1.RegistryIntegrationKind, in.name)
	}
}

func (c *composer) pullCredentials() {
	ps := c.e.spec.PullSecret
	name := c.e.spec.RegistryName + "-pull-credentials"
	refs := make([]xpv2.Reference, 0, len(c.e.registries))
	for _, r := range c.e.registries {
		if r.state != stateRemoving {
			refs = append(refs, xpv2.Reference{Name: r.name})
		}
	}
	dc := &c.scratch.credentials
	*dc = v1alpha1.DockerCredentials{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.DockerCredentialsSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference:          c.pcRef,
				WriteConnectionSecretToReference: &xpv2.LocalSecretReference{Name: ps.Name},
			},
			ForProvider: v1alpha1.DockerCredentialsParameters{
				RegistryTargets: v1alpha1.RegistryTargets{RegistryRefs: refs},
				Access:          v1alpha1.DockerCredentialsAccess(ps.Access),
			},
		},
	}
	if ps.Expiry != nil {
		dc.Spec.ForProvider.Expiry = duration(*ps.Expiry)
	}
	if ps.RenewBefore != nil {
		dc.Spec.ForProvider.RenewBefore = duration(*ps.RenewBefore)
	}
	// No Usages: credentials are issued, not created, at DigitalOcean, so deleting a
	// registry first leaves nothing behind, and the registries they cover change with
	// spec.regions while the object (and its Secret) stays.
	c.put(namePullCredentials, dc)
}

// usage makes Crossplane delete the registry only after byName (of kind byKind) is
// gone: deleting a registry first would leave its schedule, retention policy or cluster
// integration working on a registry that no longer exists. replayDeletion re-issues the
// registry's deletion as soon as the last user is gone instead of waiting for a retry.
// A Usage is released only when byName is deleted, so byName must live exactly as long
// as its use of the registry.
func (c *composer) usage(key, registryName, region, byKind, byName string) {
	replay := true
	u := &c.scratch.usage
	*u = protectionv1beta1.Usage{
		ObjectMeta: metav1.ObjectMeta{Name: byName + "-uses-" + region},
		Spec: protectionv1beta1.UsageSpec{
			Of: protectionv1beta1.NamespacedResource{
				APIVersion:  apiVersion,
				Kind:        v1alpha1.RegistryKind,
				ResourceRef: &protectionv1beta1.NamespacedResourceRef{Name: registryName},
			},
			By: &protectionv1beta1.Resource{
				APIVersion:  apiVersion,
				Kind:        byKind,
				ResourceRef: &protectionv1beta1.ResourceRef{Name: byName},
			},
			ReplayDeletion: &replay,
		},
	}
	c.put(key, u)
}

func duration(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
