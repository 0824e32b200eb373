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

// Package dockercredentials is the controller of DockerCredentials: it issues
// registry credentials with GET /v2/registries/{name}/docker-credentials,
// writes them to a kubernetes.io/dockerconfigjson Secret usable as an
// imagePullSecret, and issues new ones before they expire.
//
// Observe makes no DigitalOcean request: everything it needs is in the
// Secret. Credentials are never logged, put in events, conditions, status or
// errors: they exist only in the Secret's data and, briefly, in memory.
package dockercredentials

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	"github.com/crossplane-contrib/provider-docr/internal/dockerconfig"
	"github.com/crossplane-contrib/provider-docr/internal/registryref"
)

// Defaults of forProvider.
const (
	DefaultExpiry = 720 * time.Hour
	minExpiry     = time.Minute
)

// API is what the controller needs from DigitalOcean.
type API interface {
	// DockerCredentials returns the registry's docker config JSON (a credential).
	DockerCredentials(ctx context.Context, registry string, readWrite bool, expirySeconds int) ([]byte, error)
	// ActiveGarbageCollection returns the registry's running garbage
	// collection, or a not-found error when none runs.
	ActiveGarbageCollection(ctx context.Context, registry string) (*godo.GarbageCollection, error)
}

type godoAPI struct{ c *clients.Client }

func (a godoAPI) DockerCredentials(ctx context.Context, registry string, readWrite bool, expirySeconds int) ([]byte, error) {
	dc, _, err := a.c.Registries.DockerCredentials(ctx, registry, &godo.RegistryDockerCredentialsRequest{ReadWrite: readWrite, ExpirySeconds: &expirySeconds})
	if err != nil {
		return nil, err
	}
	return dc.DockerConfigJSON, nil
}

func (a godoAPI) ActiveGarbageCollection(ctx context.Context, registry string) (*godo.GarbageCollection, error) {
	gc, _, err := a.c.Registries.GetGarbageCollection(ctx, registry)
	return gc, err
}

// GCRunningError says ReadWrite credentials were refused because a garbage
// collection makes the registry read-only. The reconcile is retried (with
// backoff) until the run ends.
type GCRunningError struct {
	Registry string
	UUID     string
	Status   string
}

func (e *GCRunningError) Error() string {
	return "registry " + `"` + e.Registry + `"` + " is read-only while garbage collection " + e.UUID + " runs (status " + `"` + e.Status + `"` +
		"): DigitalOcean issues no ReadWrite credentials until it finishes; retrying after the run"
}

type external struct {
	kube  client.Client
	api   API
	clock clock.PassiveClock
	// cacheWait bounds the wait for the manager's cache to see a written Secret.
	cacheWait time.Duration
}

// params are forProvider with defaults applied and checked.
type params struct {
	access      v1alpha1.DockerCredentialsAccess
	expiry      time.Duration
	renewBefore time.Duration
}

func getParams(mg *v1alpha1.DockerCredentials) (params, error) {
	fp := mg.Spec.ForProvider
	p := params{access: fp.Access, expiry: DefaultExpiry}
	switch p.access {
	case "":
		p.access = v1alpha1.AccessRead
	case v1alpha1.AccessRead, v1alpha1.AccessReadWrite:
	default:
		return params{}, errors.Errorf("forProvider.access %q is not Read or ReadWrite", fp.Access)
	}
	if fp.Expiry != nil {
		p.expiry = fp.Expiry.Duration
	}
	if p.expiry < minExpiry {
		return params{}, errors.Errorf("forProvider.expiry %s is shorter than %s", p.expiry, minExpiry)
	}
	if p.expiry%time.Second != 0 {
		return params{}, errors.Errorf("forProvider.expiry %s is not a whole number of seconds", p.expiry)
	}
	p.renewBefore = p.expiry / 3
	if fp.RenewBefore != nil {
		p.renewBefore = fp.RenewBefore.Duration
	}
	if p.renewBefore <= 0 || p.renewBefore >= p.expiry {
		return params{}, errors.Errorf("forProvider.renewBefore %s must be positive and shorter than forProvider.expiry %s", p.renewBefore, p.expiry)
	}
	return p, nil
}

func (e *external) Observe(ctx context.Context, mg *v1alpha1.DockerCredentials) (managed.ExternalObservation, error) {
	name, err := secretName(mg)
	if err != nil {
		if meta.WasDeleted(mg) {
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return managed.ExternalObservation{}, err
	}
	s := &corev1.Secret{}
	err = e.kube.Get(ctx, types.NamespacedName{Namespace: mg.GetNamespace(), Name: name}, s)
	if kerrors.IsNotFound(err) {
		mg.Status.AtProvider = v1alpha1.DockerCredentialsObservation{}
		mg.SetConditions(xpv2.Unavailable().WithMessage("no credentials issued yet"))
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, "cannot get Secret %q", name)
	}
	if !metav1.IsControlledBy(s, mg) {
		if meta.WasDeleted(mg) {
			// Nothing of ours to delete.
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return managed.ExternalObservation{}, errNotOurs(name)
	}
	// Hand the runtime the Secret's own data: its publisher then has
	// nothing to write (see writeSecret).
	details := managed.ConnectionDetails(s.Data)

	if meta.WasDeleted(mg) {
		return managed.ExternalObservation{ResourceExists: true, ConnectionDetails: details}, nil
	}

	p, err := getParams(mg)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	iss, ok := readIssued(s)
	if !ok {
		// An empty placeholder (the runtime's) or a Secret whose record
		// was removed: issue credentials.
		mg.Status.AtProvider = v1alpha1.DockerCredentialsObservation{}
		mg.SetConditions(xpv2.Unavailable().WithMessage("no credentials issued yet"))
		return managed.ExternalObservation{ResourceExists: false, ConnectionDetails: details}, nil
	}

	renewAt := iss.ExpiresAt.Add(-p.renewBefore)
	mg.Status.AtProvider = v1alpha1.DockerCredentialsObservation{
		Registries: iss.Registries,
		Access:     iss.Access,
		IssuedAt:   ptrTime(iss.IssuedAt),
		ExpiresAt:  ptrTime(iss.ExpiresAt),
		RenewAt:    ptrTime(renewAt),
	}

	desired, err := registryref.Names(ctx, e.kube, mg, mg.Spec.ForProvider.RegistryTargets)
	if err != nil {
		return managed.ExternalObservation{}, err
	}

	now := e.clock.Now()
	var reasons []string
	valid := true
	if s.Type != corev1.SecretTypeDockerConfigJson {
		valid = false
		reasons = append(reasons, "Secret type is "+string(s.Type)+", not "+string(corev1.SecretTypeDockerConfigJson))
	} else if c, err := dockerconfig.Parse(s.Data[dockerconfig.Key]); err != nil || !c.Covers(iss.Registries) {
		// Say what is wrong, never what the data holds.
		valid = false
		reasons = append(reasons, "Secret key "+dockerconfig.Key+" does not hold docker credentials for "+strings.Join(iss.Registries, ","))
	}
	if !equal(iss.Registries, desired) {
		reasons = append(reasons, "issued for registries "+strings.Join(iss.Registries, ",")+", desired "+strings.Join(desired, ","))
	}
	if iss.Access != p.access {
		reasons = append(reasons, "issued with access "+string(iss.Access)+", desired "+string(p.access))
	}
	if iss.Expiry != p.expiry {
		reasons = append(reasons, "issued with expiry "+iss.Expiry.String()+", desired "+p.expiry.String())
	}
	if !now.Before(renewAt) {
		reasons = append(reasons, "due for renewal since "+renewAt.UTC().Format(time.RFC3339))
	}

	switch {
	case !valid:
		mg.SetConditions(xpv2.Unavailable().WithMessage("the Secret does not hold usable credentials"))
	case !now.Before(iss.ExpiresAt):
		mg.SetConditions(xpv2.Unavailable().WithMessage("the credentials expired at " + iss.ExpiresAt.UTC().Format(time.RFC3339)))
	default:
		mg.SetConditions(xpv2.Available())
	}
	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  len(reasons) == 0,
		ConnectionDetails: details,
		Diff:              strings.Join(reasons, "; "),
	}, nil
}

// issue gets credentials for every desired registry and writes the Secret.
func (e *external) issue(ctx context.Context, mg *v1alpha1.DockerCredentials) (managed.ConnectionDetails, error) {
	if _, err := secretName(mg); err != nil {
		return nil, err
	}
	p, err := getParams(mg)
	if err != nil {
		return nil, err
	}
	desired, err := registryref.Names(ctx, e.kube, mg, mg.Spec.ForProvider.RegistryTargets)
	if err != nil {
		return nil, err
	}
	rw := p.access == v1alpha1.AccessReadWrite
	// Times are kept to the second: that is what status and the record hold.
	now := e.clock.Now().UTC().Truncate(time.Second)
	per := make(map[string]dockerconfig.Config, len(desired))
	for _, r := range desired {
		b, err := e.api.DockerCredentials(ctx, r, rw, int(p.expiry/time.Second))
		if err != nil {
			return nil, e.issueError(ctx, r, rw, err)
		}
		c, err := dockerconfig.Parse(b)
		if err != nil {
			return nil, errors.Wrapf(err, "DigitalOcean returned unusable docker credentials for registry %q", r)
		}
		per[r] = c
	}
	cfg, err := dockerconfig.Combine(per)
	if err != nil {
		return nil, err
	}
	data, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	iss := issued{Registries: desired, Access: p.access, Expiry: p.expiry, IssuedAt: now, ExpiresAt: now.Add(p.expiry)}
	if err := e.writeSecret(ctx, mg, data, iss.annotations()); err != nil {
		return nil, err
	}
	name, _ := secretName(mg)
	if err := e.deleteSecrets(ctx, mg, name); err != nil {
		return nil, err
	}
	mg.Status.AtProvider = v1alpha1.DockerCredentialsObservation{
		Registries: iss.Registries,
		Access:     iss.Access,
		IssuedAt:   ptrTime(iss.IssuedAt),
		ExpiresAt:  ptrTime(iss.ExpiresAt),
		RenewAt:    ptrTime(iss.ExpiresAt.Add(-p.renewBefore)),
	}
	return managed.ConnectionDetails{dockerconfig.Key: data}, nil
}

// issueError explains a refused request; a ReadWrite request refused while a
// garbage collection runs becomes a GCRunningError.
func (e *external) issueError(ctx context.Context, registry string, rw bool, err error) error {
	if c := clients.StatusCode(err); rw && (c == http.StatusPreconditionFailed || c == http.StatusConflict || c == http.StatusForbidden) {
		gc, gerr := e.api.ActiveGarbageCollection(ctx, registry)
		if gerr == nil && gc != nil {
			return &GCRunningError{Registry: registry, UUID: gc.UUID, Status: gc.Status}
		}
	}
	if clients.IsNotFound(err) {
		return errors.Errorf("registry %q does not exist at DigitalOcean", registry)
	}
	return errors.Wrapf(clients.Describe(err), "cannot issue %s credentials for registry %q", access(rw), registry)
}

func access(rw bool) string {
	if rw {
		return string(v1alpha1.AccessReadWrite)
	}
	return string(v1alpha1.AccessRead)
}

func (e *external) Create(ctx context.Context, mg *v1alpha1.DockerCredentials) (managed.ExternalCreation, error) {
	d, err := e.issue(ctx, mg)
	return managed.ExternalCreation{ConnectionDetails: d}, err
}

func (e *external) Update(ctx context.Context, mg *v1alpha1.DockerCredentials) (managed.ExternalUpdate, error) {
	d, err := e.issue(ctx, mg)
	return managed.ExternalUpdate{ConnectionDetails: d}, err
}

// Delete removes the Secret. DigitalOcean has no endpoint to revoke issued
// credentials: they stay valid until they expire.
func (e *external) Delete(ctx context.Context, mg *v1alpha1.DockerCredentials) (managed.ExternalDelete, error) {
	if err := e.deleteSecret(ctx, mg); err != nil {
		return managed.ExternalDelete{}, err
	}
	return managed.ExternalDelete{}, e.deleteSecrets(ctx, mg, "")
}

func (e *external) Disconnect(context.Context) error { return nil }

func ptrTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

var _ managed.TypedExternalClient[*v1alpha1.DockerCredentials] = &external{}
