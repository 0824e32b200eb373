package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/e2e/rig"
)

var registryGVK = schema.GroupVersionKind{Group: "docr.digitalocean.m.crossplane.io", Version: "v1alpha1", Kind: "Registry"}

// testAddRemoveRegion grows an estate by a region, then removes a region whose registry
// holds images: the function keeps it with a warning until allowRegistryRemoval is set.
func testAddRemoveRegion(t *testing.T, r *rig.Rig) {
	mustApply(t, r, `apiVersion: v1
kind: Namespace
metadata:
  name: tools
---
apiVersion: docr.digitalocean.crossplane.io/v1alpha1
kind: XDOCR
metadata:
  name: tools
  namespace: tools
spec:
  registryName: acme-tools
  regions: [nyc3, fra1]
  deletionProtection: false
`)
	waitReady(t, r, "tools", "tools", 5*time.Minute)
	if diff := cmp.Diff([]string{"acme-tools-fra1", "acme-tools-nyc3"}, withPrefix(simRegistries(r, "platform"), "acme-tools-")); diff != "" {
		t.Fatalf("registries (-want +got):\n%s", diff)
	}

	// Add a region: a third registry appears.
	patchXR(t, r, "tools", "tools", `{"spec":{"regions":["nyc3","fra1","sfo3"]}}`)
	waitFor(t, r, 5*time.Minute, "acme-tools-sfo3 at the simulator", func() bool {
		_, ok := r.Sim.Registry("acme-tools-sfo3")
		return ok
	})
	waitReady(t, r, "tools", "tools", 5*time.Minute)

	// Push an image into fra1, wait until the provider has observed the storage (the
	// function decides from the observed Registry), then remove fra1.
	if _, err := r.Sim.PushImage("acme-tools-fra1", "app", "v1.0.0", 4<<20); err != nil {
		t.Fatal(err)
	}
	waitFor(t, r, 3*time.Minute, "Registry acme-tools-fra1 observes its storage", func() bool {
		u := get(t, r, registryGVK, "tools", "acme-tools-fra1")
		n, _, _ := unstructured.NestedInt64(u.Object, "status", "atProvider", "storageUsageBytes")
		return n > 0
	})
	patchXR(t, r, "tools", "tools", `{"spec":{"regions":["nyc3","sfo3"]}}`)
	var warning string
	waitFor(t, r, 3*time.Minute, "a Warning event on the XR naming acme-tools-fra1", func() bool {
		warning = findEvent(t, r, "tools", "tools", corev1.EventTypeWarning, "acme-tools-fra1")
		return warning != ""
	})
	t.Logf("warning: %s", warning)
	if !strings.Contains(warning, "allowRegistryRemoval") {
		t.Errorf("the warning does not say how to remove the registry: %q", warning)
	}
	if _, ok := r.Sim.Registry("acme-tools-fra1"); !ok {
		t.Fatal("acme-tools-fra1 was deleted although it holds images")
	}
	if get(t, r, registryGVK, "tools", "acme-tools-fra1") == nil {
		t.Fatal("Registry acme-tools-fra1 was deleted although it holds images")
	}

	// Allow the removal: the registry goes, at the simulator and in Kubernetes.
	patchXR(t, r, "tools", "tools", `{"spec":{"allowRegistryRemoval":true}}`)
	waitFor(t, r, 5*time.Minute, "acme-tools-fra1 deleted at the simulator and in Kubernetes", func() bool {
		_, ok := r.Sim.Registry("acme-tools-fra1")
		return !ok && get(t, r, registryGVK, "tools", "acme-tools-fra1") == nil
	})
	if diff := cmp.Diff([]string{"acme-tools-nyc3", "acme-tools-sfo3"}, withPrefix(simRegistries(r, "platform"), "acme-tools-")); diff != "" {
		t.Errorf("registries (-want +got):\n%s", diff)
	}
}

// testTwoTeams gives two namespaces their own ProviderConfig and simulator account: each
// team's registries land in its own account, and a team can use neither the other's
// ProviderConfig nor its Secret.
func testTwoTeams(t *testing.T, r *rig.Rig) {
	ctx := t.Context()
	for _, team := range []struct{ ns, token string }{{"team-a", teamAToken}, {"team-b", teamBToken}} {
		mustApply(t, r, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+team.ns+"\n")
		if err := r.ApplyProviderConfig(ctx, team.ns, "docr-"+team.ns, team.token); err != nil {
			t.Fatal(err)
		}
		mustApply(t, r, fmt.Sprintf(`apiVersion: docr.digitalocean.crossplane.io/v1alpha1
kind: XDOCR
metadata:
  name: app
  namespace: %[1]s
spec:
  registryName: %[1]s-app
  regions: [ams3]
  deletionProtection: false
  providerConfigRef: {kind: ProviderConfig, name: docr-%[1]s}
`, team.ns))
	}
	waitReady(t, r, "team-a", "app", 5*time.Minute)
	waitReady(t, r, "team-b", "app", 5*time.Minute)
	for account, want := range map[string][]string{"team-a": {"team-a-app-ams3"}, "team-b": {"team-b-app-ams3"}} {
		if diff := cmp.Diff(want, simRegistries(r, account)); diff != "" {
			t.Errorf("registries of account %s (-want +got):\n%s", account, diff)
		}
	}

	// team-a names team-b's ProviderConfig: references resolve in the MR's own
	// namespace, so there is none to use.
	mustApply(t, r, `apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: Registry
metadata:
  name: team-a-steals-config
  namespace: team-a
spec:
  forProvider: {region: ams3}
  providerConfigRef: {kind: ProviderConfig, name: docr-team-b}
---
apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: ProviderConfig
metadata:
  name: steal-secret
  namespace: team-a
spec:
  credentials:
    source: Secret
    secretRef: {name: docr-team-b-docr-token, key: token}
---
apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: Registry
metadata:
  name: team-a-steals-secret
  namespace: team-a
spec:
  forProvider: {region: ams3}
  providerConfigRef: {kind: ProviderConfig, name: steal-secret}
`)
	for _, name := range []string{"team-a-steals-config", "team-a-steals-secret"} {
		var msg string
		waitFor(t, r, 2*time.Minute, name+" refused with a condition", func() bool {
			u := get(t, r, registryGVK, "team-a", name)
			if rig.HasCondition(u, "Synced", "False") {
				msg = rig.Conditions(u)
				return true
			}
			return false
		})
		t.Logf("%s: %s", name, msg)
		if rig.HasCondition(get(t, r, registryGVK, "team-a", name), "Ready", "True") {
			t.Errorf("%s became Ready with another team's credentials", name)
		}
	}
	for account, want := range map[string][]string{"team-a": {"team-a-app-ams3"}, "team-b": {"team-b-app-ams3"}} {
		if diff := cmp.Diff(want, simRegistries(r, account)); diff != "" {
			t.Errorf("registries of account %s after the attempts (-want +got):\n%s", account, diff)
		}
	}
	for _, name := range []string{"team-a-steals-config", "team-a-steals-secret"} {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(registryGVK)
		u.SetNamespace("team-a")
		u.SetName(name)
		if err := r.Kube.Delete(ctx, u); err != nil {
			t.Errorf("cannot delete %s: %v", name, err)
		}
	}
}

// testProviderKilled kills the provider with SIGKILL while it creates registries (the
// simulator slows creates down so the kill lands mid-request), restarts it and expects
// the estate to converge with exactly one registry per region.
func testProviderKilled(t *testing.T, r *rig.Rig) {
	if err := r.Sim.SetFaults(docrsim.FaultProfile{Rules: []docrsim.FaultRule{
		{Method: "POST", Path: "/v2/registries", Latency: 3 * time.Second},
	}}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Sim.SetFaults(docrsim.FaultProfile{}) }()
	mustApply(t, r, `apiVersion: v1
kind: Namespace
metadata:
  name: chaos
---
apiVersion: docr.digitalocean.crossplane.io/v1alpha1
kind: XDOCR
metadata:
  name: burst
  namespace: chaos
spec:
  registryName: burst
  regions: [nyc3, sfo3, sgp1]
  deletionProtection: false
`)
	// crossplane-runtime marks an MR create-pending right before it calls Create.
	waitFor(t, r, 3*time.Minute, "a Registry create in flight", func() bool {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(registryGVK.GroupVersion().WithKind("RegistryList"))
		if err := r.Kube.List(t.Context(), l, client.InNamespace("chaos")); err != nil {
			return false
		}
		for _, u := range l.Items {
			a := u.GetAnnotations()
			if a["crossplane.io/external-create-pending"] != "" && a["crossplane.io/external-create-succeeded"] == "" {
				return true
			}
		}
		return false
	})
	r.Provider.Kill()
	t.Logf("provider killed with %d burst registries at the simulator", len(withPrefix(simRegistries(r, "platform"), "burst-")))
	if err := r.StartProvider(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitReady(t, r, "chaos", "burst", 5*time.Minute)
	if diff := cmp.Diff([]string{"burst-nyc3", "burst-sfo3", "burst-sgp1"}, withPrefix(simRegistries(r, "platform"), "burst-")); diff != "" {
		t.Errorf("registries after the restart (-want +got):\n%s", diff)
	}
	for _, region := range []string{"nyc3", "sfo3", "sgp1"} {
		name := "burst-" + region
		u := get(t, r, registryGVK, "chaos", name)
		uuid, _, _ := unstructured.NestedString(u.Object, "status", "atProvider", "uuid")
		info, _ := r.Sim.Registry(name)
		if uuid == "" || uuid != info.UUID {
			t.Errorf("Registry %s tracks uuid %q, the simulator has %q", name, uuid, info.UUID)
		}
	}
}

// testDeletionProtection deletes the example's XR while deletion protection is on: the
// registries stay and say why; switched off, everything goes, at the simulator and in
// Kubernetes. It then deletes the other estates and checks nothing is left anywhere.
func testDeletionProtection(t *testing.T, r *rig.Rig) {
	ctx := t.Context()
	xr := get(t, r, xdocrGVK, "default", "shop")
	if xr == nil {
		t.Fatal("XDOCR default/shop is gone")
	}
	refs := resourceRefs(xr)
	if err := r.Kube.Delete(ctx, xr); err != nil {
		t.Fatal(err)
	}
	regs := []string{"acme-shop-ams3", "acme-shop-nyc3", "acme-shop-sgp1"}
	// Every Registry is asked to go and refuses, with a condition saying why.
	for _, name := range regs {
		var msg string
		waitFor(t, r, 5*time.Minute, "Registry "+name+" refuses deletion", func() bool {
			u := get(t, r, registryGVK, "default", name)
			if u == nil || u.GetDeletionTimestamp() == nil {
				return false
			}
			msg = rig.Conditions(u)
			return strings.Contains(strings.ToLower(msg), "deletion protection") || strings.Contains(msg, "deletionProtection")
		})
		t.Logf("%s: %s", name, msg)
	}
	if diff := cmp.Diff(regs, withPrefix(simRegistries(r, "platform"), "acme-shop-")); diff != "" {
		t.Fatalf("registries at the simulator while protected (-want +got):\n%s", diff)
	}

	// Switch protection off on the Registries: everything goes.
	for _, name := range regs {
		u := get(t, r, registryGVK, "default", name)
		if err := r.Kube.Patch(ctx, u, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"forProvider":{"deletionProtection":false}}}`))); err != nil {
			t.Fatalf("cannot switch deletion protection off on %s: %v", name, err)
		}
	}
	for _, ns := range []string{"tools", "team-a", "team-b", "chaos"} {
		for _, name := range []string{"tools", "app", "burst"} {
			if u := get(t, r, xdocrGVK, ns, name); u != nil {
				if err := r.Kube.Delete(ctx, u); err != nil {
					t.Errorf("cannot delete XDOCR %s/%s: %v", ns, name, err)
				}
			}
		}
	}
	var left []string
	if err := r.Eventually(ctx, 8*time.Minute, "no registries left at the simulator", func() (bool, error) {
		left = simRegistries(r, "")
		return len(left) == 0, nil
	}); err != nil {
		msgs := []string{}
		for _, ns := range []string{"default", "tools", "team-a", "team-b", "chaos"} {
			for _, name := range left {
				if u := get(t, r, registryGVK, ns, name); u != nil {
					msgs = append(msgs, fmt.Sprintf("%s/%s: %s", ns, name, rig.Conditions(u)))
				}
			}
		}
		t.Fatalf("%v: left %v\n%s", err, left, strings.Join(msgs, "\n"))
	}
	waitFor(t, r, 5*time.Minute, "no composed resources left in Kubernetes", func() bool {
		for _, ref := range refs {
			if get(t, r, ref.gvk, "default", ref.name) != nil {
				return false
			}
		}
		return true
	})
	for _, c := range r.Sim.Clusters() {
		if len(c.Registries) != 0 {
			t.Errorf("cluster %s still integrates %v", c.ID, c.Registries)
		}
	}
	// Nothing is left in any namespace: every managed resource of every estate is gone.
	var leftover []string
	if err := r.Eventually(ctx, 5*time.Minute, "no managed resources left in Kubernetes", func() (bool, error) {
		leftover = nil
		for _, kind := range []string{"Registry", "RegistryIntegration", "DockerCredentials", "GarbageCollectionSchedule", "RetentionPolicy", "Subscription"} {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(registryGVK.GroupVersion().WithKind(kind + "List"))
			if err := r.Kube.List(ctx, l); err != nil {
				return false, err
			}
			for _, u := range l.Items {
				leftover = append(leftover, fmt.Sprintf("%s %s/%s: %s", kind, u.GetNamespace(), u.GetName(), rig.Conditions(&u)))
			}
		}
		return len(leftover) == 0, nil
	}); err != nil {
		t.Fatalf("%v:\n%s", err, strings.Join(leftover, "\n"))
	}
}

// ---- helpers ----

func mustApply(t *testing.T, r *rig.Rig, manifests string) {
	t.Helper()
	if err := r.Apply(t.Context(), manifests); err != nil {
		t.Fatal(err)
	}
}

func patchXR(t *testing.T, r *rig.Rig, ns, name, patch string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(xdocrGVK)
	u.SetNamespace(ns)
	u.SetName(name)
	if err := r.Kube.Patch(t.Context(), u, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatalf("cannot patch XDOCR %s/%s: %v", ns, name, err)
	}
}

func waitFor(t *testing.T, r *rig.Rig, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := r.Eventually(t.Context(), timeout, what, func() (bool, error) { return cond(), nil }); err != nil {
		t.Fatal(err)
	}
}

func withPrefix(names []string, prefix string) []string {
	out := []string{}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// findEvent returns the message of an event of type typ on an object whose message
// contains substr, or "".
func findEvent(t *testing.T, r *rig.Rig, ns, name, typ, substr string) string {
	t.Helper()
	l := &corev1.EventList{}
	if err := r.Kube.List(t.Context(), l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Items {
		if e.InvolvedObject.Name == name && e.Type == typ && strings.Contains(e.Message, substr) {
			return e.Message
		}
	}
	return ""
}
