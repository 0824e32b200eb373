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

package clients

import (
	"context"
	"net/http"

	"github.com/digitalocean/godo"
)

// kubernetesRegistriesPath integrates named registries into DOKS clusters.
// godo only has AddRegistry/RemoveRegistry (/v2/kubernetes/registry, singular),
// which integrate "the" account registry and are useless with several.
const kubernetesRegistriesPath = "v2/kubernetes/registries"

// KubernetesRegistriesRequest is the body of POST/DELETE
// /v2/kubernetes/registries.
type KubernetesRegistriesRequest struct {
	ClusterUUIDs []string `json:"cluster_uuids"`
	Registries   []string `json:"registries"`
}

// AddKubernetesRegistries integrates the named registries into the clusters.
// It goes through godo's client, so the limiter, retries and metrics apply.
func (c *Client) AddKubernetesRegistries(ctx context.Context, r *KubernetesRegistriesRequest) (*godo.Response, error) {
	return c.kubernetesRegistries(ctx, http.MethodPost, r)
}

// RemoveKubernetesRegistries removes the named registries from the clusters.
// DigitalOcean's DELETE was reported unreliable: callers must treat any error
// as "not removed" and retry.
func (c *Client) RemoveKubernetesRegistries(ctx context.Context, r *KubernetesRegistriesRequest) (*godo.Response, error) {
	return c.kubernetesRegistries(ctx, http.MethodDelete, r)
}

func (c *Client) kubernetesRegistries(ctx context.Context, method string, r *KubernetesRegistriesRequest) (*godo.Response, error) {
	return c.Send(ctx, method, kubernetesRegistriesPath, r, nil)
}
