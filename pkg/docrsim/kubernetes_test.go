package docrsim

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// TestDOKSIntegrationWritesSecrets integrates registries with a cluster backed by a real
// kube-apiserver and checks the Secret DigitalOcean would write, then its removal.
func TestDOKSIntegrationWritesSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane: skipped with -short")
	}
	cp := controlplane.StartForTest(t, controlplane.Options{NoControllerManager: true})
	kc, err := kubernetes.NewForConfig(cp.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// kube-apiserver creates kube-system shortly after it reports ready.
	for {
		if _, err := kc.CoreV1().Namespaces().Get(ctx, SecretNamespace, metav1.GetOptions{}); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("namespace %s never appeared", SecretNamespace)
		case <-time.After(500 * time.Millisecond):
		}
	}

	const clusterID = "0b1c2d3e-0000-4000-8000-0000000000a1"
	s := NewTestServer(t, Options{Clock: newFakeClock(),
		Accounts:   []Account{{Name: "acme", Tokens: []string{"tok"}, Tier: TierProfessional}},
		Registries: []SeedRegistry{{Name: "reg-one", Account: "acme", Region: "fra1"}, {Name: "reg-two", Account: "acme", Region: "ams3"}},
		Clusters:   []Cluster{{ID: clusterID, Name: "real", Region: "fra1", Account: "acme", Kubeconfig: cp.Kubeconfig}},
	})
	c := godoClient(t, s, "tok")
	send := func(method string, regs ...string) {
		t.Helper()
		req, err := c.NewRequest(ctx, method, "/v2/kubernetes/registries", map[string]any{"cluster_uuids": []string{clusterID}, "registries": regs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(ctx, req, nil); err != nil {
			t.Fatalf("%s /v2/kubernetes/registries %v: %v", method, regs, err)
		}
	}
	secretNames := func() []string {
		t.Helper()
		list, err := kc.CoreV1().Secrets(SecretNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, sec := range list.Items {
			if _, ok := sec.Annotations[SecretAnnotation]; ok {
				names = append(names, sec.Name)
			}
		}
		return names
	}

	send(http.MethodPost, "reg-one", "reg-two")
	if diff := cmp.Diff([]string{"reg-one", "reg-two"}, secretNames()); diff != "" {
		t.Errorf("secrets after integration (-want +got):\n%s", diff)
	}
	sec, err := kc.CoreV1().Secrets(SecretNamespace).Get(ctx, "reg-one", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if sec.Type != corev1.SecretTypeDockerConfigJson || sec.Annotations[SecretAnnotation] != "reg-one" ||
		json.Unmarshal(sec.Data[corev1.DockerConfigJsonKey], &cfg) != nil || cfg.Auths[RegistryHost].Auth == "" {
		t.Errorf("secret is not DigitalOcean's: type %s annotations %v data %s", sec.Type, sec.Annotations, sec.Data[corev1.DockerConfigJsonKey])
	}
	cl, _, err := c.Kubernetes.Get(ctx, clusterID)
	if err != nil || !cl.RegistryEnabled {
		t.Errorf("registry_enabled after integration: %v %+v", err, cl)
	}
	if diff := cmp.Diff([]ClusterInfo{{ID: clusterID, Name: "real", Region: "fra1", Account: "acme", Kubeconfig: cp.Kubeconfig,
		Registries: []string{"reg-one", "reg-two"}, RegistryEnabled: true}}, s.Clusters()); diff != "" {
		t.Errorf("clusters (-want +got):\n%s", diff)
	}

	send(http.MethodDelete, "reg-one")
	if diff := cmp.Diff([]string{"reg-two"}, secretNames()); diff != "" {
		t.Errorf("secrets after removing reg-one (-want +got):\n%s", diff)
	}
	if _, err := kc.CoreV1().Secrets(SecretNamespace).Get(ctx, "reg-one", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("reg-one secret still there: %v", err)
	}

	// The legacy endpoint works on an account with one registry; here it must refuse.
	resp, err := c.Kubernetes.RemoveRegistry(ctx, &godo.KubernetesClusterRegistryRequest{ClusterUUIDs: []string{clusterID}})
	if got := statusOf(resp, err); got != http.StatusPreconditionFailed {
		t.Errorf("legacy remove with two registries: %d, want 412", got)
	}
	send(http.MethodDelete, "reg-two")
	if diff := cmp.Diff([]string{}, secretNames()); diff != "" {
		t.Errorf("secrets after removing all (-want +got):\n%s", diff)
	}
	if cl, _, err := c.Kubernetes.Get(ctx, clusterID); err != nil || cl.RegistryEnabled {
		t.Errorf("registry_enabled after removal: %v %+v", err, cl)
	}
}
