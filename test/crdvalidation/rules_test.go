// Package crdvalidation proves every validation rule of our CRDs and of the XDOCR
// definition on a real kube-apiserver: each rule has at least one valid and one invalid
// example in testdata/rules.yaml, valid ones are accepted, invalid ones refused with a
// message naming the field. A rule added without examples fails the test, listing it.
package crdvalidation

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{NoControllerManager: true}) }

// rule is one validation rule of one kind, found in the schema.
type rule struct {
	kind string
	path string // JSON path of the node holding the rule; [] marks array items
	key  string // "<path> <keyword> <value>": what testdata/rules.yaml names
	want string // what a refusal must name: the field's path
	// immutable rules (self == oldSelf) are tested by updating a created object.
	immutable bool
}

// example is a JSON merge patch on the kind's base object.
type example struct {
	Patch map[string]any `json:"patch"`
	// Want overrides the text a refusal must contain (default: the rule's field path).
	Want string `json:"want,omitempty"`
}

type ruleExamples struct {
	Rule    string    `json:"rule"`
	Valid   []example `json:"valid"`
	Invalid []example `json:"invalid"`
}

type testdata struct {
	Bases map[string]map[string]any `json:"bases"`
	Rules []ruleExamples            `json:"rules"`
}

// typeFormats are formats that only name a number's or string's width, not a rule.
var typeFormats = map[string]bool{"int32": true, "int64": true, "int-or-string": true, "byte": true, "double": true, "float": true}

// collect walks a schema and returns every validation rule under spec (and on the root).
func collect(kind string, root *apiextensionsv1.JSONSchemaProps) []rule {
	var out []rule
	add := func(path, kw, val string, want string) {
		out = append(out, rule{kind: kind, path: path, key: strings.TrimSpace(path + " " + kw + " " + val), want: want,
			immutable: kw == "rule" && strings.Contains(val, "oldSelf")})
	}
	field := func(path string) string { return strings.ReplaceAll(path, "[]", "[0]") }
	var walk func(path string, s *apiextensionsv1.JSONSchemaProps)
	walk = func(path string, s *apiextensionsv1.JSONSchemaProps) {
		if s.Pattern != "" {
			add(path, "pattern", s.Pattern, field(path))
		}
		if len(s.Enum) > 0 {
			vals := make([]string, len(s.Enum))
			for i, e := range s.Enum {
				var v any
				_ = json.Unmarshal(e.Raw, &v)
				vals[i] = fmt.Sprint(v)
			}
			add(path, "enum", strings.Join(vals, ","), field(path))
		}
		for kw, v := range map[string]*float64{"minimum": s.Minimum, "maximum": s.Maximum} {
			if v != nil {
				add(path, kw, fmt.Sprint(*v), field(path))
			}
		}
		for kw, v := range map[string]*int64{"minLength": s.MinLength, "maxLength": s.MaxLength, "minItems": s.MinItems, "maxItems": s.MaxItems} {
			if v != nil {
				add(path, kw, fmt.Sprint(*v), field(path))
			}
		}
		if s.Format != "" && !typeFormats[s.Format] {
			add(path, "format", s.Format, field(path))
		}
		for _, r := range s.Required {
			add(path, "required", r, strings.TrimPrefix(field(path)+"."+r, "."))
		}
		for _, v := range s.XValidations {
			add(path, "rule", v.Rule, field(path))
		}
		for name, p := range s.Properties {
			walk(strings.TrimPrefix(path+"."+name, "."), &p)
		}
		if s.Items != nil && s.Items.Schema != nil {
			walk(path+"[]", s.Items.Schema)
		}
	}
	if spec, ok := root.Properties["spec"]; ok {
		walk("spec", &spec)
	}
	for _, v := range root.XValidations {
		add("", "rule", v.Rule, "")
	}
	sort.Slice(out, func(a, b int) bool { return out[a].key < out[b].key })
	return out
}

type crdInfo struct {
	crd  *apiextensionsv1.CustomResourceDefinition
	path string
}

// crds reads the provider's CRDs and turns the XDOCR definition into the CRD
// Crossplane would serve (our schema; Crossplane's own fields are not under test).
func crds(t *testing.T, root string) []crdInfo {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "package", "provider", "crds", "*.yaml"))
	var out []crdInfo
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(b, crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, crdInfo{crd: crd, path: f})
	}
	f := filepath.Join(root, "package", "configuration", "definition.yaml")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var xrd struct {
		Spec struct {
			Group    string                                        `json:"group"`
			Names    apiextensionsv1.CustomResourceDefinitionNames `json:"names"`
			Scope    apiextensionsv1.ResourceScope                 `json:"scope"`
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema apiextensionsv1.JSONSchemaProps `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &xrd); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: xrd.Spec.Names.Plural + "." + xrd.Spec.Group},
		Spec:       apiextensionsv1.CustomResourceDefinitionSpec{Group: xrd.Spec.Group, Names: xrd.Spec.Names, Scope: apiextensionsv1.NamespaceScoped},
	}
	if xrd.Spec.Scope != "" && xrd.Spec.Scope != "Namespaced" {
		t.Fatalf("XDOCR scope %q: this test expects a namespaced XR", xrd.Spec.Scope)
	}
	for i, v := range xrd.Spec.Versions {
		s := v.Schema.OpenAPIV3Schema
		crd.Spec.Versions = append(crd.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{Name: v.Name, Served: true, Storage: i == 0,
			Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &s}})
	}
	return append(out, crdInfo{crd: crd, path: f})
}

func TestEveryRuleHasExamples(t *testing.T) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	td := readTestdata(t)
	have := map[string]ruleExamples{}
	for _, r := range td.Rules {
		if len(r.Valid) == 0 || len(r.Invalid) == 0 {
			t.Errorf("rule %q needs a valid and an invalid example", r.Rule)
		}
		have[r.Rule] = r
	}
	used := map[string]bool{}
	var missing []string
	for _, c := range crds(t, root) {
		rules := collect(c.crd.Spec.Names.Kind, c.crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
		if _, ok := td.Bases[c.crd.Spec.Names.Kind]; !ok && len(rules) > 0 {
			t.Errorf("no base object for kind %s in testdata/rules.yaml", c.crd.Spec.Names.Kind)
		}
		for _, r := range rules {
			used[r.key] = true
			if _, ok := have[r.key]; !ok {
				missing = append(missing, fmt.Sprintf("%s: %q", r.kind, r.key))
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d validation rules have no examples in testdata/rules.yaml:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	for k := range have {
		if !used[k] {
			t.Errorf("testdata/rules.yaml has examples for %q, which no schema has (stale?)", k)
		}
	}
}

func TestRulesOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane")
	}
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cp := controlplane.Shared(t)
	td := readTestdata(t)
	examples := map[string]ruleExamples{}
	for _, r := range td.Rules {
		examples[r.Rule] = r
	}
	all := crds(t, root)
	dir := t.TempDir()
	var paths []string
	for i, c := range all {
		b, err := yaml.Marshal(c.crd)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%02d.yaml", i))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if _, err := cp.InstallCRDs(ctx, paths...); err != nil {
		t.Fatal(err)
	}
	const ns = "crdvalidation"
	if err := cp.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	dyn, err := cp.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range all {
		kind := c.crd.Spec.Names.Kind
		res := dyn.Resource(schemaGVR(c.crd))
		client := func() dynamic.ResourceInterface {
			if c.crd.Spec.Scope == apiextensionsv1.NamespaceScoped {
				return res.Namespace(ns)
			}
			return res
		}()
		base, ok := td.Bases[kind]
		if !ok {
			continue // no rules (TestEveryRuleHasExamples checks)
		}
		t.Run(kind+"/base", func(t *testing.T) {
			if _, err := client.Create(ctx, object(t, base, nil, "base"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}); err != nil {
				t.Fatalf("the base %s is refused: %v", kind, err)
			}
		})
		for _, r := range collect(kind, c.crd.Spec.Versions[0].Schema.OpenAPIV3Schema) {
			ex, ok := examples[r.key]
			if !ok {
				continue // TestEveryRuleHasExamples reports it
			}
			for i, e := range ex.Valid {
				n++
				t.Run(fmt.Sprintf("%s/%s/valid-%d", kind, r.key, i), func(t *testing.T) {
					if err := try(ctx, t, client, base, e.Patch, r.immutable, fmt.Sprintf("v%d-%d", n, i)); err != nil {
						t.Errorf("valid example %d refused: %v", i, err)
					}
				})
			}
			for i, e := range ex.Invalid {
				n++
				t.Run(fmt.Sprintf("%s/%s/invalid-%d", kind, r.key, i), func(t *testing.T) {
					err := try(ctx, t, client, base, e.Patch, r.immutable, fmt.Sprintf("i%d-%d", n, i))
					if err == nil {
						t.Fatalf("invalid example %d accepted", i)
					}
					if !kerrors.IsInvalid(err) {
						t.Fatalf("invalid example %d refused, but not as Invalid: %v", i, err)
					}
					want := e.Want
					if want == "" {
						want = r.want
					}
					if !strings.Contains(err.Error(), want) {
						t.Errorf("refusal of invalid example %d does not name %q: %v", i, want, err)
					}
				})
			}
		}
	}
	t.Logf("%d examples applied", n)
}

// try creates base+patch (dry run), or, for immutable rules, creates base and updates
// it with patch (dry run).
func try(ctx context.Context, t *testing.T, c dynamic.ResourceInterface, base, patch map[string]any, update bool, name string) error {
	t.Helper()
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
	if !update {
		_, err := c.Create(ctx, object(t, base, patch, name), dry)
		return err
	}
	created, err := c.Create(ctx, object(t, base, nil, name), metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("create for update: %v", err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	upd := object(t, created.Object, patch, name)
	_, err = c.Update(ctx, upd, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
	return err
}

// object is base with patch merged in (RFC 7386: null removes a field), named name.
func object(t *testing.T, base, patch map[string]any, name string) *unstructured.Unstructured {
	t.Helper()
	b, _ := json.Marshal(merge(clone(base), patch))
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	meta, _ := patch["metadata"].(map[string]any)
	if _, named := meta["name"]; !named {
		u.SetName(name)
	}
	return u
}

func readTestdata(t *testing.T) testdata {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var td testdata
	if err := yaml.UnmarshalStrict(b, &td); err != nil {
		t.Fatalf("testdata/rules.yaml: %v", err)
	}
	return td
}

// merge applies an RFC 7386 JSON merge patch to dst.
func merge(dst, patch map[string]any) map[string]any {
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			d, _ := dst[k].(map[string]any)
			if d == nil {
				d = map[string]any{}
			}
			dst[k] = merge(d, pv)
		default:
			dst[k] = v
		}
	}
	return dst
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	out := map[string]any{}
	_ = json.Unmarshal(b, &out)
	return out
}

func schemaGVR(crd *apiextensionsv1.CustomResourceDefinition) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: crd.Spec.Group, Version: crd.Spec.Versions[0].Name, Resource: crd.Spec.Names.Plural}
}
