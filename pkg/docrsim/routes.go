package docrsim

import "net/http"

// routes registers every operation of the spec subset, under the spec's path templates
// (so Stats patterns are spec paths). Literal segments (options, subscription,
// validate-name) win over {registry_name} by ServeMux precedence.
func (s *Server) routes() {
	s.api = http.NewServeMux()
	s.api.HandleFunc("/", s.unmatched)

	const r = "/v2/registries"
	s.handle("GET", r, s.listRegistries)
	s.handle("POST", r, s.createRegistry)
	s.handle("GET", r+"/options", s.getOptions)
	s.handle("GET", r+"/subscription", s.getSubscription)
	s.handle("POST", r+"/subscription", s.updateSubscription)
	s.handle("POST", r+"/validate-name", s.validateName)
	s.handle("GET", r+"/{registry_name}", s.getRegistry)
	s.handle("DELETE", r+"/{registry_name}", s.deleteRegistry)
	s.handle("GET", r+"/{registry_name}/docker-credentials", s.dockerCredentials)
	s.handle("GET", r+"/{registry_name}/repositoriesV2", s.listRepositoriesV2)
	s.handle("DELETE", r+"/{registry_name}/repositories/{repository_name}", s.deleteRepository)
	s.handle("GET", r+"/{registry_name}/repositories/{repository_name}/tags", s.listTags)
	s.handle("DELETE", r+"/{registry_name}/repositories/{repository_name}/tags/{repository_tag}", s.deleteTag)
	s.handle("GET", r+"/{registry_name}/repositories/{repository_name}/digests", s.listManifests)
	s.handle("DELETE", r+"/{registry_name}/repositories/{repository_name}/digests/{manifest_digest}", s.deleteManifest)
	s.handle("POST", r+"/{registry_name}/garbage-collection", s.startGC)
	s.handle("GET", r+"/{registry_name}/garbage-collection", s.getGC)
	s.handle("PUT", r+"/{registry_name}/garbage-collection/{garbage_collection_uuid}", s.updateGC)
	s.handle("GET", r+"/{registry_name}/garbage-collections", s.listGCs)

	const l = "/v2/registry"
	s.handle("GET", l, s.legacyGet)
	s.handle("POST", l, s.legacyCreate)
	s.handle("DELETE", l, s.legacyDelete)
	s.handle("GET", l+"/docker-credentials", s.legacyCredentials)
	s.handle("GET", l+"/options", s.getOptions)
	s.handle("GET", l+"/subscription", s.getSubscription)
	s.handle("POST", l+"/subscription", s.updateSubscription)
	s.handle("POST", l+"/validate-name", s.validateName)
	s.handle("GET", l+"/{registry_name}/repositories", s.listRepositoriesV1)
	s.handle("GET", l+"/{registry_name}/repositoriesV2", s.listRepositoriesV2)
	s.handle("GET", l+"/{registry_name}/repositories/{repository_name}/tags", s.listTags)
	s.handle("DELETE", l+"/{registry_name}/repositories/{repository_name}/tags/{repository_tag}", s.deleteTag)
	s.handle("GET", l+"/{registry_name}/repositories/{repository_name}/digests", s.listManifests)
	s.handle("DELETE", l+"/{registry_name}/repositories/{repository_name}/digests/{manifest_digest}", s.deleteManifest)
	s.handle("POST", l+"/{registry_name}/garbage-collection", s.startGC)
	s.handle("GET", l+"/{registry_name}/garbage-collection", s.getGC)
	s.handle("PUT", l+"/{registry_name}/garbage-collection/{garbage_collection_uuid}", s.updateGC)
	s.handle("GET", l+"/{registry_name}/garbage-collections", s.listGCs)

	const k = "/v2/kubernetes"
	s.handle("GET", k+"/clusters", s.listClusters)
	s.handle("POST", k+"/clusters", s.createCluster)
	s.handle("GET", k+"/clusters/{cluster_id}", s.getCluster)
	s.handle("PUT", k+"/clusters/{cluster_id}", s.updateCluster)
	s.handle("DELETE", k+"/clusters/{cluster_id}", s.deleteCluster)
	s.handle("GET", k+"/clusters/{cluster_id}/kubeconfig", s.getKubeconfig)
	s.handle("POST", k+"/registry", s.integrate(true, true), selfLocking)
	s.handle("DELETE", k+"/registry", s.integrate(false, true), selfLocking)
	s.handle("POST", k+"/registries", s.integrate(true, false), selfLocking)
	s.handle("DELETE", k+"/registries", s.integrate(false, false), selfLocking)

	s.routesAdmin()
}
