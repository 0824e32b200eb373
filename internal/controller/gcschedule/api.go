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

package gcschedule

import (
	"context"
	"time"

	"github.com/digitalocean/godo"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/internal/schedule"
)

// API is what the controller needs from DigitalOcean.
type API interface {
	// Active returns the registry's active garbage collection, nil if none.
	Active(ctx context.Context, registry string) (*schedule.Run, error)
	// History returns the registry's garbage collections, every page.
	History(ctx context.Context, registry string) ([]schedule.Run, error)
	// Start a garbage collection of a DigitalOcean type.
	Start(ctx context.Context, registry string, gcType godo.GarbageCollectionType) (*schedule.Run, error)
	// Cancel a garbage collection.
	Cancel(ctx context.Context, registry, uuid string) error
	// LatestPush returns the newest manifest push of any repository, zero if
	// the registry has none. It is the latest instant the push may have
	// happened: DigitalOcean reports whole seconds.
	LatestPush(ctx context.Context, registry string) (time.Time, error)
}

// Page sizes: large pages keep the request count down.
const (
	historyPageSize = 200
	repoPageSize    = 200
	// maxHistoryPages bounds a history read (40,000 runs, decades of runs).
	maxHistoryPages = 200
)

// godoAPI is API through the provider's shared godo client, so the rate
// limiter, retries and metrics apply to every request.
type godoAPI struct{ r godo.RegistriesService }

// NewAPI returns the API of a shared client.
func NewAPI(c *clients.Client) API { return godoAPI{r: c.Registries} }

func run(g *godo.GarbageCollection) *schedule.Run {
	if g == nil {
		return nil
	}
	return &schedule.Run{
		UUID: g.UUID, Status: g.Status, Type: string(g.Type),
		CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt,
		BlobsDeleted: g.BlobsDeleted, FreedBytes: g.FreedBytes,
	}
}

func (a godoAPI) Active(ctx context.Context, registry string) (*schedule.Run, error) {
	g, _, err := a.r.GetGarbageCollection(ctx, registry)
	if clients.IsNotFound(err) {
		// DigitalOcean answers 404 when no run is active.
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrapf(clients.Describe(err), "cannot get the active garbage collection of registry %s", registry)
	}
	return run(g), nil
}

func (a godoAPI) History(ctx context.Context, registry string) ([]schedule.Run, error) {
	var out []schedule.Run
	for page := 1; page <= maxHistoryPages; page++ {
		gcs, resp, err := a.r.ListGarbageCollections(ctx, registry, &godo.ListOptions{Page: page, PerPage: historyPageSize})
		if err != nil {
			return nil, errors.Wrapf(clients.Describe(err), "cannot list the garbage collections of registry %s", registry)
		}
		for _, g := range gcs {
			out = append(out, *run(g))
		}
		if resp == nil || resp.Links == nil || resp.Links.IsLastPage() || len(gcs) == 0 {
			break
		}
	}
	return out, nil
}

func (a godoAPI) Start(ctx context.Context, registry string, gcType godo.GarbageCollectionType) (*schedule.Run, error) {
	g, _, err := a.r.StartGarbageCollection(ctx, registry, &godo.StartGarbageCollectionRequest{Type: gcType})
	if err != nil {
		return nil, errors.Wrapf(clients.Describe(err), "cannot start a garbage collection of registry %s", registry)
	}
	return run(g), nil
}

func (a godoAPI) Cancel(ctx context.Context, registry, uuid string) error {
	_, _, err := a.r.UpdateGarbageCollection(ctx, registry, uuid, &godo.UpdateGarbageCollectionRequest{Cancel: true})
	return errors.Wrapf(clients.Describe(err), "cannot cancel garbage collection %s of registry %s", uuid, registry)
}

func (a godoAPI) LatestPush(ctx context.Context, registry string) (time.Time, error) {
	var latest time.Time
	opt := &godo.TokenListOptions{PerPage: repoPageSize}
	for {
		repos, resp, err := a.r.ListRepositoriesV2(ctx, registry, opt)
		if err != nil {
			return time.Time{}, errors.Wrapf(clients.Describe(err), "cannot list the repositories of registry %s", registry)
		}
		for _, r := range repos {
			if r.LatestManifest != nil && r.LatestManifest.UpdatedAt.After(latest) {
				latest = r.LatestManifest.UpdatedAt
			}
		}
		if resp == nil || resp.Links == nil || resp.Links.IsLastPage() || len(repos) == 0 {
			return pushedBy(latest), nil
		}
		// A page left unread could hold the newest push: never guess.
		tok, err := resp.Links.NextPageToken()
		if err != nil || tok == "" {
			return time.Time{}, errors.Errorf("cannot read the next page token of the repositories of registry %s", registry)
		}
		opt = &godo.TokenListOptions{PerPage: repoPageSize, Token: tok}
	}
}

// pushedBy is the latest instant a push reported at t may have happened.
// DigitalOcean's updated_at has whole seconds (2020-03-21T16:02:37Z): a push at
// 16:02:37.9 reads 16:02:37, and a quiet period measured from that would end up to
// a second early (the chaos suite caught starts 19.4 s after a push with a 20 s
// quiet period). A timestamp with a fraction is exact and kept.
func pushedBy(t time.Time) time.Time {
	if t.IsZero() || t.Nanosecond() != 0 {
		return t
	}
	return t.Add(time.Second)
}

// DOType is DigitalOcean's name of a garbage collection type. The default is
// untagged manifests and unreferenced blobs: DigitalOcean's own default
// (unreferenced blobs only) leaves untagged manifests and frees little.
func DOType(t v1alpha1.GarbageCollectionType) (godo.GarbageCollectionType, error) {
	switch t {
	case "", v1alpha1.GCTypeUntaggedManifestsAndUnreferencedBlobs:
		return godo.GCTypeUntaggedManifestsAndUnreferencedBlobs, nil
	case v1alpha1.GCTypeUntaggedManifestsOnly:
		return godo.GCTypeUntaggedManifestsOnly, nil
	case v1alpha1.GCTypeUnreferencedBlobsOnly:
		return godo.GCTypeUnreferencedBlobsOnly, nil
	}
	return "", errors.Errorf("forProvider.type: unknown garbage collection type %q", t)
}
