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

package retentionpolicy

import (
	"context"

	"github.com/digitalocean/godo"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/internal/retention"
)

// API is what the controller needs from DigitalOcean. Every listing reads all
// pages; every request goes through the shared client, its rate limiter and
// retries.
type API interface {
	// GCActive reports whether a garbage collection is active (the registry
	// is read-only then).
	GCActive(ctx context.Context, registry string) (bool, error)
	// Repositories of the registry.
	Repositories(ctx context.Context, registry string) ([]string, error)
	// Tags of a repository.
	Tags(ctx context.Context, registry, repository string) ([]retention.Tag, error)
	// Manifests of a repository, with their tags and blobs.
	Manifests(ctx context.Context, registry, repository string) ([]retention.Manifest, error)
	// DeleteTag deletes a tag; a tag already gone is not an error.
	DeleteTag(ctx context.Context, registry, repository, tag string) error
}

// PageSize of listings: large pages keep the request count down.
const PageSize = 200

// maxPages bounds one listing (a registry answering "next page" forever).
const maxPages = 10000

type godoAPI struct{ r godo.RegistriesService }

// NewAPI returns the API of a shared client.
func NewAPI(c *clients.Client) API { return godoAPI{r: c.Registries} }

func (a godoAPI) GCActive(ctx context.Context, registry string) (bool, error) {
	_, _, err := a.r.GetGarbageCollection(ctx, registry)
	if clients.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, errors.Wrapf(clients.Describe(err), "cannot get the active garbage collection of registry %s", registry)
	}
	return true, nil
}

func (a godoAPI) Repositories(ctx context.Context, registry string) ([]string, error) {
	var out []string
	opt := &godo.TokenListOptions{PerPage: PageSize}
	for i := 0; i < maxPages; i++ {
		repos, resp, err := a.r.ListRepositoriesV2(ctx, registry, opt)
		if err != nil {
			return nil, errors.Wrapf(clients.Describe(err), "cannot list the repositories of registry %s", registry)
		}
		for _, r := range repos {
			out = append(out, r.Name)
		}
		if last(resp) || len(repos) == 0 {
			return out, nil
		}
		tok, err := resp.Links.NextPageToken()
		if err != nil || tok == "" {
			return nil, errors.Errorf("cannot read the next page token of the repositories of registry %s", registry)
		}
		opt = &godo.TokenListOptions{PerPage: PageSize, Token: tok}
	}
	return nil, errors.Errorf("the repositories of registry %s span more than %d pages", registry, maxPages)
}

func (a godoAPI) Tags(ctx context.Context, registry, repository string) ([]retention.Tag, error) {
	var out []retention.Tag
	for page := 1; page <= maxPages; page++ {
		tags, resp, err := a.r.ListRepositoryTags(ctx, registry, repository, &godo.ListOptions{Page: page, PerPage: PageSize})
		if err != nil {
			return nil, errors.Wrapf(clients.Describe(err), "cannot list the tags of %s/%s", registry, repository)
		}
		for _, t := range tags {
			out = append(out, retention.Tag{Repository: repository, Tag: t.Tag, Digest: t.ManifestDigest, UpdatedAt: t.UpdatedAt})
		}
		if last(resp) || len(tags) == 0 {
			return out, nil
		}
	}
	return nil, errors.Errorf("the tags of %s/%s span more than %d pages", registry, repository, maxPages)
}

func (a godoAPI) Manifests(ctx context.Context, registry, repository string) ([]retention.Manifest, error) {
	var out []retention.Manifest
	for page := 1; page <= maxPages; page++ {
		ms, resp, err := a.r.ListRepositoryManifests(ctx, registry, repository, &godo.ListOptions{Page: page, PerPage: PageSize})
		if err != nil {
			return nil, errors.Wrapf(clients.Describe(err), "cannot list the manifests of %s/%s", registry, repository)
		}
		for _, m := range ms {
			out = append(out, manifest(repository, m))
		}
		if last(resp) || len(ms) == 0 {
			return out, nil
		}
	}
	return nil, errors.Errorf("the manifests of %s/%s span more than %d pages", registry, repository, maxPages)
}

// manifest converts DigitalOcean's manifest. Its compressed size covers the
// blobs and the manifest itself; what exceeds the blobs is the manifest's own
// storage, freed with it.
func manifest(repository string, m *godo.RepositoryManifest) retention.Manifest {
	out := retention.Manifest{Repository: repository, Digest: m.Digest, Tags: m.Tags}
	var blobs uint64
	for _, b := range m.Blobs {
		if b == nil {
			continue
		}
		out.Blobs = append(out.Blobs, retention.Blob{Digest: b.Digest, Size: b.CompressedSizeBytes})
		blobs += b.CompressedSizeBytes
	}
	if m.CompressedSizeBytes > blobs {
		out.OwnBytes = m.CompressedSizeBytes - blobs
	}
	return out
}

func (a godoAPI) DeleteTag(ctx context.Context, registry, repository, tag string) error {
	_, err := a.r.DeleteTag(ctx, registry, repository, tag)
	if clients.IsNotFound(err) {
		return nil
	}
	return errors.Wrapf(clients.Describe(err), "cannot delete tag %s:%s of registry %s", repository, tag, registry)
}

func last(resp *godo.Response) bool {
	return resp == nil || resp.Links == nil || resp.Links.IsLastPage()
}
