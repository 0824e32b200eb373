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

// Package registryintegration tests RegistryIntegration through the
// Kubernetes API against the simulator. The simulated DOKS cluster's
// kubeconfig points at the test control plane itself, so the simulator writes
// DigitalOcean's pull Secrets into its kube-system namespace and the provider
// verifies them there.
package registryintegration

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/env"
)

func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }

// simCluster returns what the simulator holds for the cluster.
func simCluster(t *testing.T, e *env.Env, id string) docrsim.ClusterInfo {
	t.Helper()
	for _, c := range e.Sim.Clusters() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("cluster %s is not in the simulator", id)
	return docrsim.ClusterInfo{}
}

// waitSimRegistries waits until the simulator says the cluster has exactly want.
func waitSimRegistries(t *testing.T, e *env.Env, id string, want ...string) {
	t.Helper()
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		got := simCluster(t, e, id).Registries
		return cmp.Equal(want, got, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") })),
			"simulator cluster registries " + strings.Join(got, ",") + ", want " + strings.Join(want, ",")
	})
}

// pullSecret reports whether DigitalOcean's pull Secret for reg exists in the
// control plane's kube-system namespace.
func pullSecret(t *testing.T, e *env.Env, reg string) bool {
	t.Helper()
	s := &corev1.Secret{}
	err := e.Kube.Get(context.Background(), types.NamespacedName{Namespace: "kube-system", Name: reg}, s)
	if kerrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatalf("get kube-system/%s: %v", reg, err)
	}
	return s.Type == corev1.SecretTypeDockerConfigJson && s.Annotations["digitalocean.com/dosecret-identifier"] == reg
}

func waitPullSecret(t *testing.T, e *env.Env, reg string, want bool) {
	t.Helper()
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		return pullSecret(t, e, reg) == want, "kube-system pull Secret " + reg + " present != " + map[bool]string{true: "true", false: "false"}[want]
	})
}

func TestRegistryIntegrationLifecycle(t *testing.T) {
	e := env.Start(t, env.Options{Logs: os.Stderr})
	ctx := context.Background()
	suffix := strings.TrimPrefix(e.Namespace, "t-")
	regA, regB := "ri-a-"+suffix, "ri-b-"+suffix
	clusterID := "c-" + suffix

	// Registry a exists at DigitalOcean already (made with doctl, say);
	// registry b is managed by this provider and referenced.
	if _, _, err := e.DO(t).Registries.Create(ctx, &godo.RegistryCreateRequest{Name: regA, Region: "fra1"}); err != nil {
		t.Fatalf("create registry %s at the simulator: %v", regA, err)
	}
	rb := &v1alpha1.Registry{ObjectMeta: metav1.ObjectMeta{Name: regB}}
	rb.Spec.ForProvider.Region = "fra1"
	e.Create(t, rb)
	e.WaitForCondition(t, rb, xpv2.TypeReady, corev1.ConditionTrue)

	if err := e.Sim.AddCluster(docrsim.Cluster{ID: clusterID, Name: "prod", Region: "fra1", Account: env.Account, Kubeconfig: e.CP.Kubeconfig}); err != nil {
		t.Fatal(err)
	}

	// Create -> Ready: integrated at DigitalOcean, Secret in the cluster.
	ri := &v1alpha1.RegistryIntegration{ObjectMeta: metav1.ObjectMeta{Name: "prod"}}
	ri.Spec.ForProvider.ClusterID = clusterID
	ri.Spec.ForProvider.RegistryNames = []string{regA}
	ri.Spec.ForProvider.VerifyInCluster = true
	e.Create(t, ri)
	e.WaitForCondition(t, ri, xpv2.TypeReady, corev1.ConditionTrue)
	waitSimRegistries(t, e, clusterID, regA)
	if !pullSecret(t, e, regA) {
		t.Fatalf("no pull Secret for %s in kube-system", regA)
	}
	at := ri.Status.AtProvider
	if diff := cmp.Diff([]string{regA}, at.AppliedRegistryNames); diff != "" || !at.RegistryEnabled || at.ClusterName != "prod" || at.ClusterRegion != "fra1" || at.LastVerifiedAt == nil {
		t.Errorf("atProvider after create: %+v", at)
	}

	// Update: add a referenced Registry; names and references combine.
	e.Update(t, ri, func() { ri.Spec.ForProvider.RegistryRefs = []xpv2.Reference{{Name: regB}} })
	waitSimRegistries(t, e, clusterID, regA, regB)
	waitPullSecret(t, e, regB, true)
	e.WaitFor(t, ri, "applied a and b", func() bool {
		return strings.Join(ri.Status.AtProvider.AppliedRegistryNames, ",") == regA+","+regB && ri.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
	})

	// Update: drop registry a: DELETE for it only.
	e.Update(t, ri, func() { ri.Spec.ForProvider.RegistryNames = nil })
	waitSimRegistries(t, e, clusterID, regB)
	waitPullSecret(t, e, regA, false)
	e.WaitFor(t, ri, "applied b only", func() bool {
		return strings.Join(ri.Status.AtProvider.AppliedRegistryNames, ",") == regB
	})

	// Drift in the cluster: someone deletes DigitalOcean's pull Secret.
	// verifyInCluster notices and re-applies.
	if err := e.Kube.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: regB}}); err != nil {
		t.Fatal(err)
	}
	waitPullSecret(t, e, regB, true)
	e.WaitForCondition(t, ri, xpv2.TypeReady, corev1.ConditionTrue)

	// Drift at DigitalOcean: the integration is removed behind the
	// provider's back (registry_enabled goes false); it is re-applied.
	req, err := e.DO(t).NewRequest(ctx, http.MethodDelete, "v2/kubernetes/registries",
		&clients.KubernetesRegistriesRequest{ClusterUUIDs: []string{clusterID}, Registries: []string{regB}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DO(t).Do(ctx, req, nil); err != nil {
		t.Fatalf("remove the integration behind the provider's back: %v", err)
	}
	if simCluster(t, e, clusterID).RegistryEnabled {
		t.Fatal("the simulator still reports registry_enabled after the removal")
	}
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		c := simCluster(t, e, clusterID)
		return c.RegistryEnabled && strings.Join(c.Registries, ",") == regB, "simulator registries " + strings.Join(c.Registries, ",")
	})
	waitPullSecret(t, e, regB, true)

	// Delete: removed at DigitalOcean and from the cluster.
	e.Delete(t, ri)
	e.WaitGone(t, ri)
	waitSimRegistries(t, e, clusterID)
	if simCluster(t, e, clusterID).RegistryEnabled {
		t.Error("registry_enabled still true after delete")
	}
	waitPullSecret(t, e, regB, false)

	// The cluster's kubeconfig (a credential) reached no log line or event.
	kc, err := clientcmd.LoadFromFile(e.CP.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	logs := e.Logs()
	evs := e.Events(t)
	checked := 0
	for name, ai := range kc.AuthInfos {
		if ai.Token == "" {
			continue
		}
		checked++
		if strings.Contains(logs, ai.Token) {
			t.Errorf("the token of kubeconfig user %s appears in the provider logs", name)
		}
		for _, ev := range evs {
			if strings.Contains(ev.Message, ai.Token) {
				t.Errorf("the token of kubeconfig user %s appears in event %s", name, ev.Reason)
			}
		}
	}
	if checked == 0 {
		t.Error("the control plane's kubeconfig has no token to look for")
	}
}

func TestRegistryIntegrationMissingCluster(t *testing.T) {
	e := env.Start(t, env.Options{Logs: os.Stderr})
	ri := &v1alpha1.RegistryIntegration{ObjectMeta: metav1.ObjectMeta{Name: "nowhere"}}
	ri.Spec.ForProvider.ClusterID = "no-such-cluster"
	ri.Spec.ForProvider.RegistryNames = []string{"whatever"}
	e.Create(t, ri)
	e.WaitFor(t, ri, "a clear error", func() bool {
		c := ri.GetCondition(xpv2.TypeSynced)
		return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, `DOKS cluster "no-such-cluster" (forProvider.clusterID) does not exist`)
	})
	// Deleting it is not blocked by the missing cluster.
	e.Delete(t, ri)
	e.WaitGone(t, ri)
}

func TestRegistryIntegrationClusterIDImmutable(t *testing.T) {
	e := env.Start(t, env.Options{Logs: os.Stderr})
	ri := &v1alpha1.RegistryIntegration{ObjectMeta: metav1.ObjectMeta{Name: "immutable", Namespace: e.Namespace}}
	ri.Spec.ForProvider.ClusterID = "no-such-cluster"
	ri.Spec.ForProvider.RegistryNames = []string{"whatever"}
	e.Create(t, ri)
	ctx := context.Background()
	if err := e.Kube.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: "immutable"}, ri); err != nil {
		t.Fatal(err)
	}
	ri.Spec.ForProvider.ClusterID = "another"
	err := e.Kube.Update(ctx, ri)
	if err == nil || !strings.Contains(err.Error(), "clusterID is immutable") {
		t.Fatalf("changing clusterID: err = %v, want the CRD to refuse it", err)
	}
}

// DigitalOcean's DELETE /v2/kubernetes/registries was reported unreliable: a
// failed DELETE keeps the object (and its record of what is applied) until a
// DELETE succeeds; it is never taken as success.
func TestRegistryIntegrationDeleteFailureIsRetried(t *testing.T) {
	e := env.Start(t, env.Options{Logs: os.Stderr})
	ctx := context.Background()
	suffix := strings.TrimPrefix(e.Namespace, "t-")
	reg, clusterID := "ri-del-"+suffix, "c-del-"+suffix
	if _, _, err := e.DO(t).Registries.Create(ctx, &godo.RegistryCreateRequest{Name: reg, Region: "fra1"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.AddCluster(docrsim.Cluster{ID: clusterID, Name: "del", Region: "fra1", Account: env.Account}); err != nil {
		t.Fatal(err)
	}
	ri := &v1alpha1.RegistryIntegration{ObjectMeta: metav1.ObjectMeta{Name: "del"}}
	ri.Spec.ForProvider.ClusterID = clusterID
	ri.Spec.ForProvider.RegistryNames = []string{reg}
	e.Create(t, ri)
	e.WaitForCondition(t, ri, xpv2.TypeReady, corev1.ConditionTrue)
	waitSimRegistries(t, e, clusterID, reg)

	if err := e.Sim.SetFaults(docrsim.FaultProfile{Rules: []docrsim.FaultRule{{Method: http.MethodDelete, Path: "/v2/kubernetes/registries", Error500: 1}}}); err != nil {
		t.Fatal(err)
	}
	e.Delete(t, ri)
	e.WaitFor(t, ri, "the failed DELETE reported", func() bool {
		c := ri.GetCondition(xpv2.TypeSynced)
		return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, "will retry")
	})
	if strings.Join(simCluster(t, e, clusterID).Registries, ",") != reg {
		t.Fatal("the integration is gone although every DELETE failed")
	}
	if ri.GetAnnotations()["docr.digitalocean.m.crossplane.io/applied-registries"] != reg {
		t.Errorf("the record of the applied registry was lost: %v", ri.GetAnnotations())
	}

	if err := e.Sim.SetFaults(docrsim.FaultProfile{}); err != nil {
		t.Fatal(err)
	}
	e.WaitGone(t, ri)
	waitSimRegistries(t, e, clusterID)
}

// A registry deleted at DigitalOcean before its integration (say, both are
// deleted with their composite) leaves every cluster; DigitalOcean then answers
// 404 to removing it. The integration still goes, after the simulator says the
// registry is gone, instead of retrying forever.
func TestRegistryIntegrationRegistryDeletedFirst(t *testing.T) {
	e := env.Start(t, env.Options{Logs: os.Stderr})
	ctx := context.Background()
	suffix := strings.TrimPrefix(e.Namespace, "t-")
	regA, regB, clusterID := "ri-gone-"+suffix, "ri-stay-"+suffix, "c-gone-"+suffix
	for _, r := range []string{regA, regB} {
		if _, _, err := e.DO(t).Registries.Create(ctx, &godo.RegistryCreateRequest{Name: r, Region: "fra1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Sim.AddCluster(docrsim.Cluster{ID: clusterID, Name: "gone", Region: "fra1", Account: env.Account}); err != nil {
		t.Fatal(err)
	}
	ri := &v1alpha1.RegistryIntegration{ObjectMeta: metav1.ObjectMeta{Name: "gone"}}
	ri.Spec.ForProvider.ClusterID = clusterID
	ri.Spec.ForProvider.RegistryNames = []string{regA, regB}
	e.Create(t, ri)
	e.WaitForCondition(t, ri, xpv2.TypeReady, corev1.ConditionTrue)
	waitSimRegistries(t, e, clusterID, regA, regB)

	if _, err := e.DO(t).Registries.Delete(ctx, regA); err != nil {
		t.Fatal(err)
	}
	e.Delete(t, ri)
	e.WaitGone(t, ri)
	// The registry that still exists was removed, not skipped.
	waitSimRegistries(t, e, clusterID)
}
