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

package dockercredentials

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
	"github.com/crossplane-contrib/provider-docr/internal/dockerconfig"
)

// Annotations on the connection Secret record what was issued. The Secret is
// the one place this state lives: crossplane-runtime does not persist status
// written during Create, and the Secret is what must match it anyway.
const (
	annPrefix     = "docr.digitalocean.m.crossplane.io/"
	AnnRegistries = annPrefix + "registries"
	AnnAccess     = annPrefix + "access"
	AnnExpiry     = annPrefix + "expiry"
	AnnIssuedAt   = annPrefix + "issued-at"
	AnnExpiresAt  = annPrefix + "expires-at"

	// LabelOwner names the DockerCredentials a Secret holds credentials
	// of, so that a Secret left behind by a renamed
	// writeConnectionSecretToRef can be found and deleted.
	LabelOwner = annPrefix + "docker-credentials"
)

// issued is what the current credentials were issued for.
type issued struct {
	Registries []string
	Access     v1alpha1.DockerCredentialsAccess
	Expiry     time.Duration
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

func (i issued) annotations() map[string]string {
	return map[string]string{
		AnnRegistries: strings.Join(i.Registries, ","),
		AnnAccess:     string(i.Access),
		AnnExpiry:     i.Expiry.String(),
		AnnIssuedAt:   i.IssuedAt.UTC().Format(time.RFC3339),
		AnnExpiresAt:  i.ExpiresAt.UTC().Format(time.RFC3339),
	}
}

// readIssued reads the record from a Secret's annotations; false when it is
// missing or unreadable (the credentials are then issued again).
func readIssued(s *corev1.Secret) (issued, bool) {
	a := s.GetAnnotations()
	var i issued
	var err error
	if i.IssuedAt, err = time.Parse(time.RFC3339, a[AnnIssuedAt]); err != nil {
		return issued{}, false
	}
	if i.ExpiresAt, err = time.Parse(time.RFC3339, a[AnnExpiresAt]); err != nil {
		return issued{}, false
	}
	if i.Expiry, err = time.ParseDuration(a[AnnExpiry]); err != nil {
		return issued{}, false
	}
	if a[AnnRegistries] == "" {
		return issued{}, false
	}
	i.Registries = strings.Split(a[AnnRegistries], ",")
	i.Access = v1alpha1.DockerCredentialsAccess(a[AnnAccess])
	return i, true
}

// secretName is the connection Secret's name; required for this kind.
func secretName(mg *v1alpha1.DockerCredentials) (string, error) {
	ref := mg.GetWriteConnectionSecretToReference()
	if ref == nil || ref.Name == "" {
		return "", errors.New("spec.writeConnectionSecretToRef.name is required: DockerCredentials writes the credentials to that Secret")
	}
	return ref.Name, nil
}

func errNotOurs(name string) error {
	return errors.Errorf("Secret %q exists and is not controlled by this DockerCredentials: refusing to overwrite it; delete it or choose another spec.writeConnectionSecretToRef.name", name)
}

// writeSecret writes the credentials as a kubernetes.io/dockerconfigjson
// Secret controlled by mg.
//
// crossplane-runtime publishes connection details to a Secret of type
// connection.crossplane.io/v1alpha1, which kubelet ignores, and v2.4.0 offers
// no option to replace its publisher. So the controller writes the Secret
// itself and hands the reconciler the very same data, which makes the
// runtime's publisher a no-op (it only writes when data differ). The runtime
// may still create an empty Secret of its own type before the first issue: a
// Secret's type is immutable, so one of the wrong type that this object
// controls is deleted and created again. A Secret this object does not
// control is never touched.
func (e *external) writeSecret(ctx context.Context, mg *v1alpha1.DockerCredentials, data []byte, ann map[string]string) error {
	name, err := secretName(mg)
	if err != nil {
		return err
	}
	key := types.NamespacedName{Namespace: mg.GetNamespace(), Name: name}
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       key.Namespace,
			Name:            key.Name,
			Annotations:     ann,
			Labels:          map[string]string{LabelOwner: mg.GetName()},
			OwnerReferences: []metav1.OwnerReference{meta.AsController(meta.TypedReferenceTo(mg, v1alpha1.DockerCredentialsGroupVersionKind))},
		},
		Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{dockerconfig.Key: data},
	}

	cur := &corev1.Secret{}
	err = e.kube.Get(ctx, key, cur)
	switch {
	case kerrors.IsNotFound(err):
		if err := e.kube.Create(ctx, want); err != nil {
			return errors.Wrapf(err, "cannot create Secret %q", name)
		}
		return e.waitVisible(ctx, key, want.ResourceVersion)
	case err != nil:
		return errors.Wrapf(err, "cannot get Secret %q", name)
	case !metav1.IsControlledBy(cur, mg):
		return errNotOurs(name)
	case cur.Type != corev1.SecretTypeDockerConfigJson:
		del := client.Preconditions{UID: &cur.UID, ResourceVersion: &cur.ResourceVersion}
		if err := e.kube.Delete(ctx, cur, del); err != nil && !kerrors.IsNotFound(err) {
			return errors.Wrapf(err, "cannot replace Secret %q of type %q", name, cur.Type)
		}
		if err := e.kube.Create(ctx, want); err != nil {
			return errors.Wrapf(err, "cannot create Secret %q", name)
		}
		return e.waitVisible(ctx, key, want.ResourceVersion)
	}

	// Keep what others added (labels, annotations); replace the data.
	upd := cur.DeepCopy()
	meta.AddAnnotations(upd, ann)
	meta.AddLabels(upd, want.Labels)
	upd.Data = want.Data
	if err := e.kube.Update(ctx, upd); err != nil {
		return errors.Wrapf(err, "cannot update Secret %q", name)
	}
	return e.waitVisible(ctx, key, upd.ResourceVersion)
}

// waitVisible waits, briefly, until the manager's cache returns the Secret
// as written, so that the reconciler's publisher, which reads through the
// cache, finds the data it is handed and does not try to rewrite the Secret.
func (e *external) waitVisible(ctx context.Context, key types.NamespacedName, rv string) error {
	if rv == "" || e.cacheWait <= 0 {
		return nil
	}
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, e.cacheWait, true, func(ctx context.Context) (bool, error) {
		s := &corev1.Secret{}
		if err := e.kube.Get(ctx, key, s); err != nil {
			return false, nil //nolint:nilerr // Not visible yet.
		}
		return s.ResourceVersion == rv, nil
	})
	// Not fatal: the Secret is written; at worst the publisher fails once and
	// the next reconcile finds everything in place.
	_ = err
	return nil
}

// deleteSecrets deletes the Secrets this object controls, except keep (the
// current one, if any): credentials never outlive their DockerCredentials or
// linger in a Secret it no longer names.
func (e *external) deleteSecrets(ctx context.Context, mg *v1alpha1.DockerCredentials, keep string) error {
	l := &corev1.SecretList{}
	if err := e.kube.List(ctx, l, client.InNamespace(mg.GetNamespace()), client.MatchingLabels{LabelOwner: mg.GetName()}); err != nil {
		return errors.Wrap(err, "cannot list the Secrets of this DockerCredentials")
	}
	for i := range l.Items {
		s := &l.Items[i]
		if s.Name == keep || !metav1.IsControlledBy(s, mg) {
			continue
		}
		if err := e.kube.Delete(ctx, s, client.Preconditions{UID: &s.UID}); err != nil && !kerrors.IsNotFound(err) {
			return errors.Wrapf(err, "cannot delete Secret %q", s.Name)
		}
	}
	return nil
}

// deleteSecret removes the connection Secret if this object controls it.
func (e *external) deleteSecret(ctx context.Context, mg *v1alpha1.DockerCredentials) error {
	name, err := secretName(mg)
	if err != nil {
		return nil //nolint:nilerr // No Secret was ever written.
	}
	cur := &corev1.Secret{}
	err = e.kube.Get(ctx, types.NamespacedName{Namespace: mg.GetNamespace(), Name: name}, cur)
	if kerrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, "cannot get Secret %q", name)
	}
	if !metav1.IsControlledBy(cur, mg) {
		return nil
	}
	if err := e.kube.Delete(ctx, cur, client.Preconditions{UID: &cur.UID}); err != nil && !kerrors.IsNotFound(err) {
		return errors.Wrapf(err, "cannot delete Secret %q", name)
	}
	return nil
}
