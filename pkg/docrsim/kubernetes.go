package docrsim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crossplane-contrib/provider-docr/internal/regions"
)

// SecretAnnotation is the annotation DigitalOcean puts on the pull Secret it writes
// into a cluster's kube-system namespace; its value is the registry name.
const SecretAnnotation = "digitalocean.com/dosecret-identifier"

// SecretNamespace is where DigitalOcean writes registry pull Secrets.
const SecretNamespace = "kube-system"

type wireNodePool struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Size  string   `json:"size"`
	Count int      `json:"count"`
	Nodes []string `json:"nodes"`
}

type wireClusterStatus struct {
	State   string `json:"state"`
	Message string `json:"message"`
}

type wireCluster struct {
	ID              string             `json:"id"`
	Name            string             `json:"name"`
	Region          string             `json:"region"`
	Version         string             `json:"version"`
	Endpoint        string             `json:"endpoint"`
	Tags            []string           `json:"tags"`
	NodePools       []wireNodePool     `json:"node_pools"`
	RegistryEnabled bool               `json:"registry_enabled"`
	Registries      []string           `json:"registries"`
	Status          *wireClusterStatus `json:"status"`
	CreatedAt       string             `json:"created_at"`
	UpdatedAt       string             `json:"updated_at"`
}

func (cl *cluster) wire() *wireCluster {
	w := &wireCluster{ID: cl.ID, Name: cl.Name, Region: cl.Region, Version: cl.Version, Endpoint: "https://" + cl.ID + ".k8s.ondigitalocean.com",
		Tags: append([]string{}, cl.Tags...), NodePools: []wireNodePool{}, RegistryEnabled: len(cl.Registries) > 0,
		Registries: append([]string{}, cl.Registries...), Status: &wireClusterStatus{State: "running"},
		CreatedAt: rfc3339(cl.CreatedAt), UpdatedAt: rfc3339(cl.UpdatedAt)}
	for _, np := range cl.NodePools {
		w.NodePools = append(w.NodePools, wireNodePool{ID: np.ID, Name: np.Name, Size: np.Size, Count: np.Count, Nodes: []string{}})
	}
	return w
}

func (c *call) lookupCluster() (*cluster, reply, bool) {
	id := c.r.PathValue("cluster_id")
	cl := c.s.w.Clusters[id]
	if cl == nil || cl.Account != c.acct.Name {
		return nil, notFound(fmt.Sprintf("kubernetes cluster %q not found", id)), false
	}
	return cl, reply{}, true
}

func (s *Server) accountClusters(acct string) []*cluster {
	var out []*cluster
	for _, cl := range s.w.Clusters {
		if cl.Account == acct {
			out = append(out, cl)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
	})
	return out
}

func (s *Server) listClusters(c *call) reply {
	p, rep, valid := c.pageParams()
	if !valid {
		return rep
	}
	all := s.accountClusters(c.acct.Name)
	lo, hi := p.bounds(len(all))
	out := []*wireCluster{}
	for _, cl := range all[lo:hi] {
		out = append(out, cl.wire())
	}
	return ok(map[string]any{"kubernetes_clusters": out, "links": c.links(p, len(all)), "meta": wireMeta{Total: len(all)}})
}

func (s *Server) getCluster(c *call) reply {
	cl, rep, found := c.lookupCluster()
	if !found {
		return rep
	}
	return ok(map[string]any{"kubernetes_cluster": cl.wire()})
}

type createClusterRequest struct {
	Name      string   `json:"name"`
	Region    string   `json:"region"`
	Version   string   `json:"version"`
	Tags      []string `json:"tags"`
	NodePools []struct {
		Name  string `json:"name"`
		Size  string `json:"size"`
		Count int    `json:"count"`
	} `json:"node_pools"`
}

// createCluster serves POST /v2/kubernetes/clusters: enough of DOKS for the
// integration endpoints to have clusters to work on; the cluster is running at once.
func (s *Server) createCluster(c *call) reply {
	var req createClusterRequest
	if rep, bad := c.decode(&req, true); bad {
		return rep
	}
	switch {
	case req.Name == "":
		return unprocessable("name is required")
	case !regions.IsKubernetes(req.Region):
		return unprocessable(fmt.Sprintf("region %q does not run Kubernetes clusters; available: %s", req.Region, strings.Join(regions.Kubernetes(), ", ")))
	case req.Version == "":
		return unprocessable("version is required")
	case len(req.NodePools) == 0:
		return unprocessable("node_pools needs at least one node pool")
	}
	cl := &cluster{ID: s.w.nextID(), Name: req.Name, Region: req.Region, Version: req.Version, Account: c.acct.Name, Tags: req.Tags,
		Registries: []string{}, CreatedAt: c.now, UpdatedAt: c.now}
	for i, np := range req.NodePools {
		if np.Name == "" || np.Size == "" || np.Count < 1 {
			return unprocessable(fmt.Sprintf("node_pools[%d] needs name, size and a count of at least 1", i))
		}
		cl.NodePools = append(cl.NodePools, nodePool{ID: s.w.nextID(), Name: np.Name, Size: np.Size, Count: np.Count})
	}
	s.w.Clusters[cl.ID] = cl
	return created(map[string]any{"kubernetes_cluster": cl.wire()})
}

type updateClusterRequest struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

func (s *Server) updateCluster(c *call) reply {
	cl, rep, found := c.lookupCluster()
	if !found {
		return rep
	}
	var req updateClusterRequest
	if rep, bad := c.decode(&req, true); bad {
		return rep
	}
	if req.Name == "" {
		return unprocessable("name is required")
	}
	cl.Name, cl.UpdatedAt = req.Name, c.now
	if req.Tags != nil {
		cl.Tags = req.Tags
	}
	return reply{status: http.StatusAccepted, body: map[string]any{"kubernetes_cluster": cl.wire()}, changed: true}
}

func (s *Server) deleteCluster(c *call) reply {
	cl, rep, found := c.lookupCluster()
	if !found {
		return rep
	}
	delete(s.w.Clusters, cl.ID)
	return noContent(true)
}

// getKubeconfig serves the cluster's kubeconfig: the seeded file when there is one,
// else a placeholder pointing at the cluster's (unreachable) endpoint.
func (s *Server) getKubeconfig(c *call) reply {
	cl, rep, found := c.lookupCluster()
	if !found {
		return rep
	}
	if v := c.r.URL.Query().Get("expiry_seconds"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", new(int)); err != nil {
			return badRequest(fmt.Sprintf("expiry_seconds %q is not an integer", v))
		}
	}
	if cl.Kubeconfig != "" {
		b, err := os.ReadFile(cl.Kubeconfig)
		if err != nil {
			return errReply(http.StatusInternalServerError, "server_error", fmt.Sprintf("kubeconfig of cluster %q is unavailable", cl.ID))
		}
		return reply{status: http.StatusOK, raw: b, ctype: "application/yaml"}
	}
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://%[1]s.k8s.ondigitalocean.com
  name: do-%[2]s-%[3]s
contexts:
- context:
    cluster: do-%[2]s-%[3]s
    user: do-%[2]s-%[3]s-admin
  name: do-%[2]s-%[3]s
current-context: do-%[2]s-%[3]s
users:
- name: do-%[2]s-%[3]s-admin
  user:
    token: simulated
`, cl.ID, cl.Region, cl.Name)
	return reply{status: http.StatusOK, raw: []byte(kc), ctype: "application/yaml"}
}

type clusterRegistriesRequest struct {
	ClusterUUIDs []string `json:"cluster_uuids"`
	Registries   []string `json:"registries"`
}

// integrate serves POST/DELETE /v2/kubernetes/registry (legacy: the account's only
// registry) and /v2/kubernetes/registries (named registries). It takes the lock itself
// because writing Secrets into real clusters must not happen under it.
func (s *Server) integrate(add, legacy bool) apiFunc {
	return func(c *call) reply {
		var req clusterRegistriesRequest
		if rep, bad := c.decode(&req, true); bad {
			return rep
		}
		if len(req.ClusterUUIDs) == 0 {
			return unprocessable("cluster_uuids needs at least one cluster ID")
		}
		names, jobs, rep, found := s.integrationPlan(c, req, legacy)
		if !found {
			return rep
		}

		for _, j := range jobs {
			var err error
			if add {
				err = s.kube.writeSecret(c.r.Context(), j.kubeconfig, j.registry)
			} else {
				err = s.kube.deleteSecret(c.r.Context(), j.kubeconfig, j.registry)
			}
			if err != nil {
				if s.opts.Logf != nil {
					s.opts.Logf("registry integration: %v", err)
				}
				return errReply(http.StatusInternalServerError, "server_error",
					fmt.Sprintf("updating the pull secret for registry %q in the cluster failed", j.registry))
			}
		}

		s.recordIntegration(c, req.ClusterUUIDs, names, add)
		return noContent(true)
	}
}

type integrationJob struct{ kubeconfig, registry string }

// integrationPlan validates an integration request and lists the Secrets to write or
// delete in clusters that have a kubeconfig.
func (s *Server) integrationPlan(c *call, req clusterRegistriesRequest, legacy bool) ([]string, []integrationJob, reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(c.now)
	names := req.Registries
	if legacy || len(names) == 0 {
		r, rep, found := c.legacyRegistry()
		if !found {
			return nil, nil, rep, false
		}
		names = []string{r.Name}
	}
	for _, n := range names {
		if _, rep, found := c.lookupRegistry(n); !found {
			return nil, nil, rep, false
		}
	}
	var jobs []integrationJob
	for _, id := range req.ClusterUUIDs {
		cl := s.w.Clusters[id]
		if cl == nil || cl.Account != c.acct.Name {
			return nil, nil, notFound(fmt.Sprintf("kubernetes cluster %q not found", id)), false
		}
		if cl.Kubeconfig != "" {
			for _, n := range names {
				jobs = append(jobs, integrationJob{cl.Kubeconfig, n})
			}
		}
	}
	return names, jobs, reply{}, true
}

// recordIntegration notes which registries the clusters have.
func (s *Server) recordIntegration(c *call, clusterIDs, names []string, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range clusterIDs {
		cl := s.w.Clusters[id]
		if cl == nil {
			continue
		}
		for _, n := range names {
			has := slices.Contains(cl.Registries, n)
			switch {
			case add && !has:
				cl.Registries = append(cl.Registries, n)
			case !add && has:
				cl.Registries = slices.DeleteFunc(cl.Registries, func(x string) bool { return x == n })
			}
		}
		sort.Strings(cl.Registries)
		cl.UpdatedAt = c.now
	}
	s.persistLocked()
}

// kubeWriter writes DigitalOcean's registry pull Secrets into real clusters.
type kubeWriter struct {
	mu      sync.Mutex
	clients map[string]kubernetes.Interface
}

func newKubeWriter() *kubeWriter { return &kubeWriter{clients: map[string]kubernetes.Interface{}} }

func (k *kubeWriter) client(kubeconfig string) (kubernetes.Interface, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.clients[kubeconfig]; ok {
		return c, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.Timeout = 30 * time.Second
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building client for %s: %w", kubeconfig, err)
	}
	k.clients[kubeconfig] = c
	return c, nil
}

// pullSecret is the Secret DigitalOcean writes: type dockerconfigjson, named after the
// registry, annotated with the registry name, holding a read-only credential.
func pullSecret(registryName string) *corev1.Secret {
	buf := make([]byte, 16)
	rand.Read(buf) //nolint:errcheck // crypto/rand does not fail.
	secret := "dop_sim_" + hex.EncodeToString(buf)
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{RegistryHost: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(secret + ":" + secret))}}})
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: registryName, Namespace: SecretNamespace, Annotations: map[string]string{SecretAnnotation: registryName}},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: cfg},
	}
}

func (k *kubeWriter) writeSecret(ctx context.Context, kubeconfig, registryName string) error {
	c, err := k.client(kubeconfig)
	if err != nil {
		return err
	}
	want := pullSecret(registryName)
	secrets := c.CoreV1().Secrets(SecretNamespace)
	got, err := secrets.Get(ctx, registryName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := secrets.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating secret %s/%s: %w", SecretNamespace, registryName, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading secret %s/%s: %w", SecretNamespace, registryName, err)
	}
	got.Type, got.Data = want.Type, want.Data
	if got.Annotations == nil {
		got.Annotations = map[string]string{}
	}
	got.Annotations[SecretAnnotation] = registryName
	if _, err := secrets.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("updating secret %s/%s: %w", SecretNamespace, registryName, err)
	}
	return nil
}

func (k *kubeWriter) deleteSecret(ctx context.Context, kubeconfig, registryName string) error {
	c, err := k.client(kubeconfig)
	if err != nil {
		return err
	}
	err = c.CoreV1().Secrets(SecretNamespace).Delete(ctx, registryName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting secret %s/%s: %w", SecretNamespace, registryName, err)
	}
	return nil
}

// Clusters lists every cluster and its integrated registries.
func (s *Server) Clusters() []ClusterInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ClusterInfo, 0, len(s.w.Clusters))
	for _, cl := range s.w.Clusters {
		out = append(out, ClusterInfo{ID: cl.ID, Name: cl.Name, Region: cl.Region, Account: cl.Account, Kubeconfig: cl.Kubeconfig,
			Registries: append([]string{}, cl.Registries...), RegistryEnabled: len(cl.Registries) > 0})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddCluster adds a DOKS cluster at run time (e.g. once a test control plane is up).
func (s *Server) AddCluster(cl Cluster) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := addCluster(s.w, cl, s.clk.Now()); err != nil {
		return err
	}
	s.persistLocked()
	return nil
}

func addCluster(w *world, cl Cluster, now time.Time) error {
	if cl.ID == "" {
		cl.ID = w.nextID()
	}
	if _, dup := w.Clusters[cl.ID]; dup {
		return fmt.Errorf("cluster %q already exists: %w", cl.ID, ErrConflict)
	}
	if w.Accounts[cl.Account] == nil {
		return fmt.Errorf("cluster %q: account %q: %w", cl.ID, cl.Account, ErrNotFound)
	}
	if cl.Region == "" {
		cl.Region = "nyc1"
	}
	if !regions.IsKubernetes(cl.Region) {
		return fmt.Errorf("cluster %q: region %q does not run Kubernetes: %w", cl.ID, cl.Region, ErrInvalid)
	}
	if cl.Name == "" {
		cl.Name = cl.ID
	}
	for _, r := range cl.Registries {
		if reg := w.Registries[r]; reg == nil || reg.Account != cl.Account {
			return fmt.Errorf("cluster %q: registry %q of account %q: %w", cl.ID, r, cl.Account, ErrNotFound)
		}
	}
	regs := append([]string{}, cl.Registries...)
	sort.Strings(regs)
	w.Clusters[cl.ID] = &cluster{ID: cl.ID, Name: cl.Name, Region: cl.Region, Account: cl.Account, Version: "1.33.1-do.0",
		Kubeconfig: cl.Kubeconfig, Registries: regs, CreatedAt: now, UpdatedAt: now,
		NodePools: []nodePool{{ID: w.nextID(), Name: "pool-1", Size: "s-2vcpu-4gb", Count: 3}}}
	return nil
}
