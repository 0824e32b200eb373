// Package e2e is the end-to-end suite: Crossplane core installs the provider, the
// function and the Configuration from a loopback registry and drives them against the
// DigitalOcean simulator (see docs/e2e.md). `make e2e` runs it; it skips under -short.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-docr/cluster/xpkg"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/e2e/rig"
)

// Simulated DigitalOcean accounts: the platform team (the default
// ClusterProviderConfig) and two application teams with their own ProviderConfigs.
const (
	platformToken = "dop_v1_e2e_platform_0000000000000000000000000000000000000000"
	teamAToken    = "dop_v1_e2e_team_a_000000000000000000000000000000000000000000"
	teamBToken    = "dop_v1_e2e_team_b_000000000000000000000000000000000000000000"
)

// The DOKS clusters of examples/xdocr.yaml, owned by the platform account.
var exampleClusters = []docrsim.Cluster{
	{ID: "6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d", Name: "shop-nyc1", Region: "nyc1", Account: "platform"},
	{ID: "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a", Name: "shop-ams3", Region: "ams3", Account: "platform"},
	{ID: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", Name: "shop-sgp1", Region: "sgp1", Account: "platform"},
}

var xdocrGVK = schema.GroupVersionKind{Group: "docr.digitalocean.crossplane.io", Version: "v1alpha1", Kind: "XDOCR"}

func TestEndToEnd(t *testing.T) {
	suiteStart := time.Now()
	opts := rig.Options{Simulator: &docrsim.Options{
		// The accounts start on the professional tier: with a fresh account the first
		// registries race the Subscription upgrade (see docs/e2e.md, known issues).
		Accounts: []docrsim.Account{
			{Name: "platform", Tokens: []string{platformToken}, Tier: docrsim.TierProfessional},
			{Name: "team-a", Tokens: []string{teamAToken}, Tier: docrsim.TierProfessional},
			{Name: "team-b", Tokens: []string{teamBToken}, Tier: docrsim.TierProfessional},
		},
		Clusters: exampleClusters,
	},
		// A short poll: scenarios wait for the provider to observe changes made at the
		// simulator (storage after a push).
		ProviderArgs: []string{"--poll=10s"},
	}
	if root := os.Getenv("DOCR_E2E_PROVIDER_ROOT"); root != "" {
		// Development hook: a provider package root other than package/provider.
		p := xpkg.Provider
		p.Root = root
		opts.Provider = &p
	}
	r := rig.StartForTest(t, opts)
	ctx := t.Context()
	for _, step := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"install the Function", r.InstallFunction},
		{"install the Provider", r.InstallProvider},
		{"install the Configuration", r.InstallConfiguration},
		{"default ClusterProviderConfig", func(ctx context.Context) error {
			return r.ApplyClusterProviderConfig(ctx, "default", platformToken, "")
		}},
	} {
		if err := step.fn(ctx); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	t.Logf("stack installed in %s", time.Since(suiteStart).Round(time.Second))

	if !t.Run("ThreeRegionsThreeClusters", func(t *testing.T) { testThreeRegions(t, r) }) {
		return // the scenarios below share the account and its registry limit
	}
	t.Run("AddAndRemoveRegion", func(t *testing.T) { testAddRemoveRegion(t, r) })
	t.Run("TwoTeams", func(t *testing.T) { testTwoTeams(t, r) })
	t.Run("ProviderKilledMidCreate", func(t *testing.T) { testProviderKilled(t, r) })
	t.Run("DeletionProtection", func(t *testing.T) { testDeletionProtection(t, r) })
	t.Logf("MEASURED: suite duration %s", time.Since(suiteStart).Round(time.Second))
}

// testThreeRegions applies examples/xdocr.yaml (3 regions, 3 clusters) and checks the
// estate at the simulator and in Kubernetes.
func testThreeRegions(t *testing.T, r *rig.Rig) {
	ctx := t.Context()
	example, err := os.ReadFile(filepath.Join(moduleRoot(t), "examples", "xdocr.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	applied := time.Now()
	if err := r.Apply(ctx, string(example)); err != nil {
		t.Fatal(err)
	}
	xr := waitReady(t, r, "default", "shop", 5*time.Minute)
	t.Logf("MEASURED: 3-region XDOCR applied -> XR Ready in %s", time.Since(applied).Round(100*time.Millisecond))

	// Every composed resource is Ready.
	refs := resourceRefs(xr)
	if len(refs) == 0 {
		t.Fatal("the XR composes nothing")
	}
	kinds := map[string]int{}
	for _, ref := range refs {
		u := get(t, r, ref.gvk, "default", ref.name)
		if u == nil {
			t.Errorf("composed %s %s does not exist", ref.gvk.Kind, ref.name)
			continue
		}
		kinds[ref.gvk.Kind]++
		if !rig.HasCondition(u, "Ready", "True") {
			t.Errorf("composed %s %s is not Ready: %s", ref.gvk.Kind, ref.name, rig.Conditions(u))
		}
	}
	wantKinds := map[string]int{"Subscription": 1, "Registry": 3, "RegistryIntegration": 3, "GarbageCollectionSchedule": 3, "RetentionPolicy": 3, "DockerCredentials": 1}
	for k, n := range wantKinds {
		if kinds[k] != n {
			t.Errorf("the XR composes %d %s, want %d (all kinds: %v)", kinds[k], k, n, kinds)
		}
	}

	// The simulator holds exactly the three registries, wired into the clusters.
	if diff := cmp.Diff([]string{"acme-shop-ams3", "acme-shop-nyc3", "acme-shop-sgp1"}, simRegistries(r, "platform")); diff != "" {
		t.Errorf("registries at the simulator (-want +got):\n%s", diff)
	}
	wantWiring := map[string][]string{
		"6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d": {"acme-shop-nyc3"},
		"0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a": {"acme-shop-ams3"},
		"3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f": {"acme-shop-ams3", "acme-shop-nyc3", "acme-shop-sgp1"},
	}
	gotWiring := map[string][]string{}
	for _, c := range r.Sim.Clusters() {
		regs := append([]string(nil), c.Registries...)
		sort.Strings(regs)
		gotWiring[c.ID] = regs
	}
	if diff := cmp.Diff(wantWiring, gotWiring); diff != "" {
		t.Errorf("cluster integrations at the simulator (-want +got):\n%s", diff)
	}

	// The pull Secret is a ready imagePullSecret.
	sec := &corev1.Secret{}
	if err := r.Kube.Get(ctx, types.NamespacedName{Namespace: "default", Name: "docr-pull"}, sec); err != nil {
		t.Errorf("pull Secret: %v", err)
	} else if sec.Type != corev1.SecretTypeDockerConfigJson || len(sec.Data[corev1.DockerConfigJsonKey]) == 0 {
		t.Errorf("pull Secret has type %q and keys %v, want %q with %q", sec.Type, keys(sec.Data), corev1.SecretTypeDockerConfigJson, corev1.DockerConfigJsonKey)
	}

	// `crossplane resource trace` shows the tree.
	out := trace(t, r, "xdocr/shop", "default")
	for _, want := range []string{"XDOCR/shop", "Registry/", "RegistryIntegration/", "GarbageCollectionSchedule/", "DockerCredentials/", "Subscription/"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace output lacks %q:\n%s", want, out)
		}
	}
}

// ---- helpers ----

type ref struct {
	gvk  schema.GroupVersionKind
	name string
}

func resourceRefs(xr *unstructured.Unstructured) []ref {
	raw, _, _ := unstructured.NestedSlice(xr.Object, "spec", "crossplane", "resourceRefs")
	out := make([]ref, 0, len(raw))
	for _, e := range raw {
		m, _ := e.(map[string]any)
		av, _ := m["apiVersion"].(string)
		kind, _ := m["kind"].(string)
		name, _ := m["name"].(string)
		gv, _ := schema.ParseGroupVersion(av)
		out = append(out, ref{gvk: gv.WithKind(kind), name: name})
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func get(t *testing.T, r *rig.Rig, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := r.Kube.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		if kerrors.IsNotFound(err) {
			return nil
		}
		t.Fatalf("get %s %s/%s: %v", gvk.Kind, ns, name, err)
	}
	return u
}

// waitReady waits for an XDOCR to be Ready and returns it; on timeout it reports the
// XR's and its composed resources' conditions.
func waitReady(t *testing.T, r *rig.Rig, ns, name string, timeout time.Duration) *unstructured.Unstructured {
	t.Helper()
	var xr *unstructured.Unstructured
	err := r.Eventually(t.Context(), timeout, "XDOCR "+ns+"/"+name+" Ready", func() (bool, error) {
		xr = get(t, r, xdocrGVK, ns, name)
		return xr != nil && rig.HasCondition(xr, "Ready", "True"), nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, describe(t, r, xr, ns))
	}
	return xr
}

// describe renders an XR's and its composed resources' conditions for a failure message.
func describe(t *testing.T, r *rig.Rig, xr *unstructured.Unstructured, ns string) string {
	if xr == nil {
		return "(no XR)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "XDOCR %s: %s\n", xr.GetName(), rig.Conditions(xr))
	for _, ref := range resourceRefs(xr) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(ref.gvk)
		if err := r.Kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: ref.name}, u); err != nil {
			fmt.Fprintf(&b, "  %s %s: %v\n", ref.gvk.Kind, ref.name, err)
			continue
		}
		fmt.Fprintf(&b, "  %s %s: %s\n", ref.gvk.Kind, ref.name, rig.Conditions(u))
	}
	return b.String()
}

func simRegistries(r *rig.Rig, account string) []string {
	names := []string{}
	for _, reg := range r.Sim.Registries(account) {
		names = append(names, reg.Name)
	}
	return names
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// trace runs the crossplane CLI's `resource trace` against the rig.
func trace(t *testing.T, r *rig.Rig, res, ns string) string {
	t.Helper()
	bin, err := controlplane.Tool("crossplane-cli")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "resource", "trace", res, "-n", ns)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+r.CP.Kubeconfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("crossplane resource trace %s: %v\n%s", res, err, out)
	}
	return string(out)
}
