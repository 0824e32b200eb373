package rig

import (
	"context"
	"strings"
	"time"

	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// playRuntime does, every second, what Crossplane's Deployment runtime would do for
// the packages the rig runs as local processes: it creates the revision's TLS Secrets
// and publishes the endpoint and Secret names in the active revision's status. It runs
// until ctx ends; it repairs the status if Crossplane rewrites it.
func (r *Rig) playRuntime(ctx context.Context) {
	defer close(r.loopDone)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		r.mu.Lock()
		rts := make(map[string]pkgRuntime, len(r.runtimes))
		for k, v := range r.runtimes {
			rts[k] = *v
		}
		r.mu.Unlock()
		for pkgName, rt := range rts {
			if err := r.publishRuntime(ctx, pkgName, rt); err != nil && ctx.Err() == nil {
				r.logf("package runtime for %s: %v", pkgName, err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Rig) publishRuntime(ctx context.Context, pkgName string, rt pkgRuntime) error {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: rt.kind + "RevisionList"})
	if err := r.Kube.List(ctx, l, client.MatchingLabels{"pkg.crossplane.io/package": pkgName}); err != nil {
		return err
	}
	healthy := rt.healthy != nil && rt.healthy()
	for i := range l.Items {
		rev := &l.Items[i]
		if s, _, _ := unstructured.NestedString(rev.Object, "spec", "desiredState"); s != "Active" {
			continue
		}
		changed := []string{}
		// With the External runtime nobody copies the Secret names from the package
		// into the revision's spec; Crossplane's Deployment runtime would use these.
		names := map[string]string{
			"tlsServerSecretName": *pkgv1.GetSecretNameWithSuffix(pkgName, pkgv1.TLSServerSecretNameSuffix),
		}
		if rt.kind == "Provider" {
			names["tlsClientSecretName"] = *pkgv1.GetSecretNameWithSuffix(pkgName, pkgv1.TLSClientSecretNameSuffix)
		}
		for f, def := range names {
			name, _, _ := unstructured.NestedString(rev.Object, "spec", f)
			if name == "" {
				name = def
			}
			if err := r.ensureTLSSecret(ctx, name, rt); err != nil {
				return err
			}
			if cur, _, _ := unstructured.NestedString(rev.Object, "status", f); cur != name {
				_ = unstructured.SetNestedField(rev.Object, name, "status", f)
				changed = append(changed, f+"="+name)
			}
		}
		if rt.endpoint != "" {
			if cur, _, _ := unstructured.NestedString(rev.Object, "status", "endpoint"); cur != rt.endpoint {
				_ = unstructured.SetNestedField(rev.Object, rt.endpoint, "status", "endpoint")
				changed = append(changed, "endpoint="+rt.endpoint)
			}
		}
		want := pkgv1.RuntimeUnhealthy()
		if healthy {
			want = pkgv1.RuntimeHealthy()
		}
		if setCondition(rev, string(want.Type), string(want.Status), string(want.Reason)) {
			changed = append(changed, string(want.Type)+"="+string(want.Status))
		}
		if len(changed) == 0 {
			continue
		}
		// Update, not merge patch: a patch would replace the whole conditions list, and
		// the resourceVersion makes a concurrent write by Crossplane win (we retry).
		if err := r.Kube.Status().Update(ctx, rev); err != nil {
			if kerrors.IsConflict(err) {
				return nil
			}
			return err
		}
		r.logf("runtime of %sRevision %s: %s", rt.kind, rev.GetName(), strings.Join(changed, ", "))
	}
	return nil
}

// setCondition sets a condition in status.conditions; it reports whether it changed.
func setCondition(u *unstructured.Unstructured, typ, status, reason string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	c := map[string]any{"type": typ, "status": status, "reason": reason, "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}
	found := false
	for i, e := range conds {
		m, _ := e.(map[string]any)
		if m["type"] != typ {
			continue
		}
		if m["status"] == status && m["reason"] == reason {
			return false
		}
		conds[i], found = c, true
	}
	if !found {
		conds = append(conds, c)
	}
	_ = unstructured.SetNestedSlice(u.Object, conds, "status", "conditions")
	return true
}

func (r *Rig) ensureTLSSecret(ctx context.Context, name string, rt pkgRuntime) error {
	ca := &corev1.Secret{}
	if err := r.Kube.Get(ctx, types.NamespacedName{Namespace: CrossplaneNamespace, Name: caSecret}, ca); err != nil {
		return err
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: CrossplaneNamespace, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": rt.certPEM, "tls.key": rt.keyPEM, "ca.crt": ca.Data["tls.crt"]},
	}
	err := r.Kube.Create(ctx, s)
	if kerrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
