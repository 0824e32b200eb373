package docrsim

import (
	"sort"
	"time"
)

// RegistryInfo is what the simulator holds about a registry, for tests and the admin API.
type RegistryInfo struct {
	Account           string    `json:"account"`
	UUID              string    `json:"uuid"`
	Name              string    `json:"name"`
	Region            string    `json:"region"`
	CreatedAt         time.Time `json:"createdAt"`
	StorageUsageBytes int64     `json:"storageUsageBytes"`
	// ReadOnly is true while a garbage collection is active.
	ReadOnly bool                   `json:"readOnly"`
	ActiveGC *GarbageCollectionInfo `json:"activeGC,omitempty"`
	// Blobs is the number of layer blobs stored (referenced or not).
	Blobs        int              `json:"blobs"`
	Repositories []RepositoryInfo `json:"repositories,omitempty"`
}

// RepositoryInfo is a repository with its tags and manifests, sorted.
type RepositoryInfo struct {
	Name      string         `json:"name"`
	Tags      []TagInfo      `json:"tags,omitempty"`
	Manifests []ManifestInfo `json:"manifests,omitempty"`
}

// TagInfo is a tag and the manifest it points at.
type TagInfo struct {
	Tag       string    `json:"tag"`
	Digest    string    `json:"digest"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ManifestInfo is a stored manifest.
type ManifestInfo struct {
	Digest string   `json:"digest"`
	Tags   []string `json:"tags,omitempty"`
	Layers []Layer  `json:"layers"`
	// SizeBytes is the manifest's own size; layers are counted separately.
	SizeBytes int64     `json:"sizeBytes"`
	PushedAt  time.Time `json:"pushedAt"`
}

// GarbageCollectionInfo is a garbage collection run as the API reports it.
type GarbageCollectionInfo struct {
	UUID         string    `json:"uuid"`
	RegistryName string    `json:"registryName"`
	Status       string    `json:"status"`
	Type         string    `json:"type"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	BlobsDeleted int64     `json:"blobsDeleted"`
	FreedBytes   int64     `json:"freedBytes"`
}

// ClusterInfo is a DOKS cluster and the registries integrated with it.
type ClusterInfo struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Region          string   `json:"region"`
	Account         string   `json:"account"`
	Kubeconfig      string   `json:"kubeconfig,omitempty"`
	Registries      []string `json:"registries"`
	RegistryEnabled bool     `json:"registryEnabled"`
}

// Stats counts API requests (admin requests excluded) by method, route pattern and status.
type Stats struct {
	Total    int           `json:"total"`
	Requests []RequestStat `json:"requests"`
}

// RequestStat is one row of Stats. Pattern is the spec path template, e.g.
// "/v2/registries/{registry_name}", or "unmatched".
type RequestStat struct {
	Method  string `json:"method"`
	Pattern string `json:"pattern"`
	Status  int    `json:"status"`
	Count   int    `json:"count"`
}

// Count sums the requests with this method and pattern; status 0 matches any status,
// method or pattern "" match any.
func (s Stats) Count(method, pattern string, status int) int {
	n := 0
	for _, r := range s.Requests {
		if (method == "" || r.Method == method) && (pattern == "" || r.Pattern == pattern) && (status == 0 || r.Status == status) {
			n += r.Count
		}
	}
	return n
}

func sortStats(rs []RequestStat) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Pattern != b.Pattern {
			return a.Pattern < b.Pattern
		}
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		return a.Status < b.Status
	})
}
