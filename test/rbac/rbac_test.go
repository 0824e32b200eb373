// Package rbac checks the provider's RBAC with real parts: Crossplane's own RBAC manager
// (`crossplane rbac start`, v2.4.0) derives the provider's ClusterRole from our package
// exactly as in a cluster; the provider runs under an identity bound to that ClusterRole
// only, drives an XDOCR estate (every managed kind, a namespaced and a cluster
// ProviderConfig) through create, update and delete; kube-apiserver's audit log records
// every request it made. The test fails on any request the role refused and on any grant
// the role holds beyond what Crossplane derives from our CRDs (the package requests no
// extra permissions), and logs which granted verbs were used. See docs/security.md.
package rbac

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/e2e/rig"
)

// providerUser is the identity the provider runs as; only the audit policy logs it.
const providerUser = "provider-docr"

const (
	platformToken = "dop_v1_rbac_platform_00000000000000000000000000000000000000000"
	teamToken     = "dop_v1_rbac_team_0000000000000000000000000000000000000000000000"
)

// access is one (API group, resource[/subresource], verb).
type access struct{ group, resource, verb string }

func (a access) String() string {
	g := a.group
	if g == "" {
		g = "core"
	}
	return g + "/" + a.resource + ":" + a.verb
}

func TestProviderRBAC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Crossplane core, its RBAC manager and the provider")
	}
	dir := t.TempDir()
	policy := filepath.Join(dir, "audit-policy.yaml")
	auditLog := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n  users: ["+providerUser+"]\n- level: None\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := rig.StartForTest(t, rig.Options{
		Simulator: &docrsim.Options{
			Accounts: []docrsim.Account{
				{Name: "platform", Tokens: []string{platformToken}, Tier: docrsim.TierProfessional},
				{Name: "team", Tokens: []string{teamToken}, Tier: docrsim.TierProfessional},
			},
			Clusters: []docrsim.Cluster{{ID: "6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d", Name: "shop-nyc1", Region: "nyc1", Account: "platform"}},
		},
		ProviderArgs:   []string{"--poll=10s"},
		APIServerFlags: []string{"--audit-policy-file=" + policy, "--audit-log-path=" + auditLog, "--audit-log-format=json"},
	})
	ctx := t.Context()
	for _, step := range []struct {
		name string
		fn   func(context.Context) error
	}{{"install the Function", r.InstallFunction}, {"install the Provider", r.InstallProvider}, {"install the Configuration", r.InstallConfiguration}} {
		if err := step.fn(ctx); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}

	// Crossplane's RBAC manager derives the provider's roles from the installed package.
	bin, err := controlplane.Tool("crossplane")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"KUBECONFIG=" + r.CP.Kubeconfig, "POD_NAMESPACE=crossplane-system"}
	rbacMgr, err := rig.StartProcess("crossplane-rbac", bin, []string{"rbac", "start", "--debug"}, env, filepath.Join(r.Dir, "logs", "crossplane-rbac.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rbacMgr.Stop(5 * time.Second) })
	role := &rbacv1.ClusterRole{}
	if err := r.Eventually(ctx, 3*time.Minute, "the provider's system ClusterRole", func() (bool, error) {
		l := &rbacv1.ClusterRoleList{}
		if err := r.Kube.List(ctx, l); err != nil {
			return false, nil //nolint:nilerr // poll again
		}
		for i := range l.Items {
			n := l.Items[i].Name
			if strings.HasPrefix(n, "crossplane:provider:crossplane-contrib-provider-docr") && strings.HasSuffix(n, ":system") {
				*role = l.Items[i]
				return true, nil
			}
		}
		return rbacMgr.Exited(), nil
	}); err != nil || role.Name == "" {
		t.Fatalf("%v\n%s", err, rbacMgr.Tail(40))
	}
	t.Logf("Crossplane's RBAC manager derived ClusterRole %s with %d rules", role.Name, len(role.Rules))

	// The provider runs as providerUser, bound to that ClusterRole and nothing else.
	if err := r.Kube.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "provider-docr-under-test"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: providerUser}},
	}); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "provider.kubeconfig")
	writeKubeconfig(t, r.CP, kubeconfig)
	if p := r.Provider; p != nil {
		p.Stop(10 * time.Second)
	}
	r.ProviderKubeconfig = kubeconfig
	if err := r.StartProvider(ctx); err != nil {
		t.Fatal(err)
	}

	// Every managed kind, through both kinds of ProviderConfig, created, updated, deleted.
	if err := r.ApplyClusterProviderConfig(ctx, "default", platformToken, ""); err != nil {
		t.Fatal(err)
	}
	mustApply(t, r, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n")
	if err := r.ApplyProviderConfig(ctx, "team", "team", teamToken); err != nil {
		t.Fatal(err)
	}
	mustApply(t, r, xdocr(20))
	mustApply(t, r, `apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: Registry
metadata: {name: team-own, namespace: team}
spec:
  forProvider: {region: fra1}
  providerConfigRef: {kind: ProviderConfig, name: team}
`)
	waitReady(t, r, xdocrGVK, "default", "shop", 6*time.Minute)
	waitReady(t, r, registryGVK, "team", "team-own", 3*time.Minute)
	mustApply(t, r, xdocr(30)) // an update of the retention policies
	if err := r.Eventually(ctx, 3*time.Minute, "retention updated", func() (bool, error) {
		return keepLastIs(ctx, r, 30), nil
	}); err != nil {
		t.Fatal(err)
	}
	crossNamespace(t, r)

	for _, o := range []struct {
		gvk      schema.GroupVersionKind
		ns, name string
	}{{xdocrGVK, "default", "shop"}, {registryGVK, "team", "team-own"}, {registryGVK, "team", "borrow-config"}} {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(o.gvk)
		u.SetNamespace(o.ns)
		u.SetName(o.name)
		if err := r.Kube.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Eventually(ctx, 5*time.Minute, "every registry deleted at the simulator", func() (bool, error) {
		return len(r.Sim.Registries("")) == 0, nil
	}); err != nil {
		t.Fatalf("%v: %v", err, r.Sim.Registries(""))
	}

	// What the provider did, from the audit log, against what the role grants.
	used, forbidden := readAudit(t, auditLog)
	if len(used) == 0 {
		t.Fatal("the audit log holds no request of the provider: the test observed nothing")
	}
	if len(forbidden) > 0 {
		t.Errorf("requests the provider's ClusterRole refused (the package must request these):\n  %s", strings.Join(forbidden, "\n  "))
	}
	granted := grants(role)
	crdResources := ourResources(t)
	var extra []string
	for a := range granted {
		if !crossplaneDerived(a, crdResources) {
			extra = append(extra, a.String())
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("the ClusterRole grants more than Crossplane derives from our CRDs (spec.permissionRequests?):\n  %s", strings.Join(extra, "\n  "))
	}
	// Each of our kinds was watched by the provider (informers list through a watch
	// with initial events on Kubernetes 1.35) and each managed kind's status written:
	// the run exercised every controller under the role.
	for res := range crdResources {
		if !used[access{crdGroup, res, "watch"}] {
			t.Errorf("the provider never watched %s: the test did not exercise it", res)
		}
		if !strings.HasSuffix(res, "usages") && !used[access{crdGroup, res + "/status", "update"}] {
			t.Errorf("the provider never updated the status of %s: the test did not exercise it", res)
		}
	}
	for _, res := range []string{"providerconfigusages", "clusterproviderconfigusages"} {
		if !used[access{crdGroup, res, "create"}] {
			t.Errorf("the provider never created %s: the test did not exercise both kinds of ProviderConfig", res)
		}
	}
	var usedL, unused []string
	for a := range used {
		usedL = append(usedL, a.String())
	}
	for a := range granted {
		if !used[a] && a.group == crdGroup {
			unused = append(unused, a.String())
		}
	}
	sort.Strings(usedL)
	sort.Strings(unused)
	t.Logf("MEASURED: the provider used %d (group, resource, verb) of the role's grants:\n  %s", len(usedL), strings.Join(usedL, "\n  "))
	t.Logf("granted by Crossplane's derivation but not used in this run (%d):\n  %s", len(unused), strings.Join(unused, "\n  "))
}

const crdGroup = "docr.digitalocean.m.crossplane.io"

var (
	xdocrGVK    = schema.GroupVersionKind{Group: "docr.digitalocean.crossplane.io", Version: "v1alpha1", Kind: "XDOCR"}
	registryGVK = schema.GroupVersionKind{Group: crdGroup, Version: "v1alpha1", Kind: "Registry"}
)

func xdocr(keepLast int) string {
	return fmt.Sprintf(`apiVersion: docr.digitalocean.crossplane.io/v1alpha1
kind: XDOCR
metadata: {name: shop, namespace: default}
spec:
  registryName: rbac-shop
  regions: [nyc3, ams3]
  deletionProtection: false
  allowRegistryRemoval: true
  clusters:
  - {id: 6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d, region: nyc1}
  garbageCollection: {schedule: "0 3 * * 0"}
  retention: {keepLast: %d}
  pullSecret: {name: shop-pull}
`, keepLast)
}

func keepLastIs(ctx context.Context, r *rig.Rig, n int64) bool {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(schema.GroupVersionKind{Group: crdGroup, Version: "v1alpha1", Kind: "RetentionPolicyList"})
	if err := r.Kube.List(ctx, l, client.InNamespace("default")); err != nil || len(l.Items) == 0 {
		return false
	}
	for _, p := range l.Items {
		v, _, _ := unstructured.NestedInt64(p.Object, "spec", "forProvider", "keepLast")
		if v != n || !rig.HasCondition(&p, "Synced", "True") {
			return false
		}
	}
	return true
}

// readAudit returns the provider's accesses and its refused requests.
func readAudit(t *testing.T, path string) (map[access]bool, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	used := map[access]bool{}
	var forbidden []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct {
			Verb       string                    `json:"verb"`
			User       struct{ Username string } `json:"user"`
			RequestURI string                    `json:"requestURI"`
			ObjectRef  *struct {
				APIGroup    string `json:"apiGroup"`
				Resource    string `json:"resource"`
				Subresource string `json:"subresource"`
			} `json:"objectRef"`
			ResponseStatus *struct {
				Code int `json:"code"`
			} `json:"responseStatus"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.User.Username != providerUser || ev.ObjectRef == nil {
			continue
		}
		res := ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			res += "/" + ev.ObjectRef.Subresource
		}
		a := access{ev.ObjectRef.APIGroup, res, ev.Verb}
		if ev.ResponseStatus != nil && ev.ResponseStatus.Code == 403 {
			forbidden = append(forbidden, a.String()+" ("+ev.RequestURI+")")
			continue
		}
		used[a] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return used, forbidden
}

// grants expands a ClusterRole into accesses (wildcards kept as "*").
func grants(role *rbacv1.ClusterRole) map[access]bool {
	out := map[access]bool{}
	for _, rule := range role.Rules {
		for _, g := range rule.APIGroups {
			for _, res := range rule.Resources {
				for _, v := range rule.Verbs {
					out[access{g, res, v}] = true
				}
			}
		}
	}
	return out
}

// ourResources are the plural names (and status subresources) of the package's CRDs.
func ourResources(t *testing.T) map[string]bool {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "package", "provider", "crds", "*.yaml"))
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Names struct{ Plural string } `json:"names"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil {
			t.Fatal(err)
		}
		out[crd.Spec.Names.Plural] = true
	}
	return out
}

// crossplaneDerived reports whether Crossplane's RBAC manager grants a to every
// provider from its CRDs: full access to the package's own resources (and their
// status and finalizers), and the fixed set every provider gets (Secrets, ConfigMaps,
// Events, Leases; crossplane/internal/controller/rbac/provider/roles).
func crossplaneDerived(a access, ours map[string]bool) bool {
	res, _, _ := strings.Cut(a.resource, "/")
	if a.group == crdGroup && (ours[res] || res == "*") {
		return true
	}
	// Crossplane writes these as one rule over the groups "" and coordination.k8s.io.
	switch a.group {
	case "", "coordination.k8s.io", "events.k8s.io":
		switch res {
		case "secrets", "configmaps", "events", "leases":
			return true
		}
	}
	return false
}

func writeKubeconfig(t *testing.T, cp *controlplane.ControlPlane, path string) {
	t.Helper()
	cfg, err := cp.RESTConfigFor(controlplane.User{Name: providerUser})
	if err != nil {
		t.Fatal(err)
	}
	c := clientcmdapi.NewConfig()
	c.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	c.AuthInfos[providerUser] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	c.Contexts[providerUser] = &clientcmdapi.Context{Cluster: "local", AuthInfo: providerUser}
	c.CurrentContext = providerUser
	if err := clientcmd.WriteToFile(*c, path); err != nil {
		t.Fatal(err)
	}
}

func mustApply(t *testing.T, r *rig.Rig, m string) {
	t.Helper()
	if err := r.Apply(t.Context(), m); err != nil {
		t.Fatal(err)
	}
}

func waitReady(t *testing.T, r *rig.Rig, gvk schema.GroupVersionKind, ns, name string, timeout time.Duration) {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := r.Eventually(t.Context(), timeout, gvk.Kind+" "+ns+"/"+name+" Ready", func() (bool, error) {
		err := r.Kube.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, u)
		return err == nil && rig.HasCondition(u, "Ready", "True"), nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, r.Provider.Tail(40))
	}
}

// crossNamespace: a user whose rights end at namespace "team" cannot make the provider
// act with namespace "other"'s credentials, nor write a Secret there. (test/e2e
// TwoTeams proves the same for the provider's side as an administrator applies it.)
func crossNamespace(t *testing.T, r *rig.Rig) {
	t.Helper()
	ctx := t.Context()
	mustApply(t, r, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n")
	if err := r.ApplyProviderConfig(ctx, "other", "other", platformToken); err != nil {
		t.Fatal(err)
	}
	mustApply(t, r, `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: docr-user, namespace: team}
rules:
- apiGroups: [docr.digitalocean.m.crossplane.io, docr.digitalocean.crossplane.io]
  resources: ["*"]
  verbs: ["*"]
- apiGroups: [""]
  resources: [secrets]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: docr-user, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: docr-user}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: team-user}]
`)
	cfg, err := r.CP.RESTConfigFor(controlplane.User{Name: "team-user"})
	if err != nil {
		t.Fatal(err)
	}
	user, err := client.New(cfg, client.Options{Scheme: r.Kube.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	create := func(manifest string) error {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
			t.Fatal(err)
		}
		return user.Create(ctx, u, client.FieldValidation("Strict"))
	}
	for _, c := range []struct {
		name, manifest, want string
	}{
		{"an object in another namespace", `apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: Registry
metadata: {name: x, namespace: other}
spec: {forProvider: {region: ams3}, providerConfigRef: {kind: ProviderConfig, name: other}}`, "forbidden"},
		{"a ProviderConfig reading a Secret of another namespace", `apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: ProviderConfig
metadata: {name: borrow-secret, namespace: team}
spec: {credentials: {source: Secret, secretRef: {name: other-docr-token, namespace: other, key: token}}}`, `unknown field "spec.credentials.secretRef.namespace"`},
		{"DockerCredentials writing into another namespace", `apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: DockerCredentials
metadata: {name: leak, namespace: team}
spec: {forProvider: {registryNames: [team-own]}, writeConnectionSecretToRef: {name: pull, namespace: other}}`, `unknown field "spec.writeConnectionSecretToRef.namespace"`},
	} {
		err := create(c.manifest)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	// Naming another namespace's ProviderConfig resolves in the object's own namespace.
	if err := create(`apiVersion: docr.digitalocean.m.crossplane.io/v1alpha1
kind: Registry
metadata: {name: borrow-config, namespace: team}
spec: {forProvider: {region: sgp1}, providerConfigRef: {kind: ProviderConfig, name: other}}`); err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(registryGVK)
	if err := r.Eventually(ctx, 2*time.Minute, "borrow-config refused with a condition", func() (bool, error) {
		err := r.Kube.Get(ctx, client.ObjectKey{Namespace: "team", Name: "borrow-config"}, u)
		return err == nil && rig.HasCondition(u, "Synced", "False"), nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, found := r.Sim.Registry("borrow-config"); found {
		t.Error("a registry was created with another namespace's credentials")
	}
}
