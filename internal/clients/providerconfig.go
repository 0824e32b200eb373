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
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/apis/docr/v1alpha1"
)

// A Connector turns a managed resource's provider config into a client: it
// records the usage, reads the provider config and its token, and asks the
// Factory for the shared client. Every controller's Connect uses it.
type Connector struct {
	kube     client.Client
	factory  *Factory
	pcUsage  resource.ModernTracker
	cpcUsage resource.ModernTracker
	// extract reads credentials; tests replace it.
	extract func(ctx context.Context, source xpv2.CredentialsSource, kube client.Client, sel xpv2.CommonCredentialSelectors) ([]byte, error)
}

// NewConnector makes a Connector that reads provider configs and Secrets with
// kube and makes clients with f.
func NewConnector(kube client.Client, f *Factory) *Connector {
	return &Connector{
		kube:     kube,
		factory:  f,
		pcUsage:  resource.NewProviderConfigUsageTracker(kube, &v1alpha1.ProviderConfigUsage{}),
		cpcUsage: resource.NewProviderConfigUsageTracker(kube, &v1alpha1.ClusterProviderConfigUsage{}),
		extract:  resource.CommonCredentialExtractor,
	}
}

// Factory returns the Connector's client factory.
func (c *Connector) Factory() *Factory { return c.factory }

// Connect records mg's use of its provider config and returns the client.
func (c *Connector) Connect(ctx context.Context, mg resource.ModernManaged) (*Client, error) {
	cfg, err := c.GetConfig(ctx, mg)
	if err != nil {
		return nil, err
	}
	cl, err := c.factory.Client(cfg)
	return cl, errors.Wrapf(err, "provider config %s", cfg.ProviderConfig)
}

// GetConfig records mg's use of its provider config and reads it: the kind
// (ProviderConfig in mg's namespace, or ClusterProviderConfig), the token and
// the client settings.
func (c *Connector) GetConfig(ctx context.Context, mg resource.ModernManaged) (Config, error) {
	ref := mg.GetProviderConfigReference()
	if ref == nil || ref.Name == "" {
		return Config{}, errors.New("spec.providerConfigRef is not set")
	}
	switch ref.Kind {
	case v1alpha1.ProviderConfigKind:
		if err := c.pcUsage.Track(ctx, mg); err != nil {
			return Config{}, errors.Wrap(err, "cannot track ProviderConfig usage")
		}
		pc := &v1alpha1.ProviderConfig{}
		if err := c.kube.Get(ctx, types.NamespacedName{Namespace: mg.GetNamespace(), Name: ref.Name}, pc); err != nil {
			return Config{}, errors.Wrapf(err, "cannot get ProviderConfig %s/%s", mg.GetNamespace(), ref.Name)
		}
		name := "ProviderConfig/" + pc.Namespace + "/" + pc.Name
		cr := pc.Spec.Credentials
		sel := xpv2.CommonCredentialSelectors{Env: cr.Env, Fs: cr.Fs}
		if cr.SecretRef != nil {
			// A namespaced ProviderConfig reads Secrets in its own namespace
			// only: its secretRef has no namespace field, and this is where
			// the namespace comes from.
			sel.SecretRef = cr.SecretRef.ToSecretKeySelector(pc.Namespace)
		}
		return c.config(ctx, name, cr.Source, sel, pc.Spec.ClientSettings)
	case v1alpha1.ClusterProviderConfigKind:
		if err := c.cpcUsage.Track(ctx, mg); err != nil {
			return Config{}, errors.Wrap(err, "cannot track ClusterProviderConfig usage")
		}
		pc := &v1alpha1.ClusterProviderConfig{}
		if err := c.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, pc); err != nil {
			return Config{}, errors.Wrapf(err, "cannot get ClusterProviderConfig %s", ref.Name)
		}
		name := "ClusterProviderConfig/" + pc.Name
		cr := pc.Spec.Credentials
		return c.config(ctx, name, cr.Source, xpv2.CommonCredentialSelectors{Env: cr.Env, Fs: cr.Fs, SecretRef: cr.SecretRef}, pc.Spec.ClientSettings)
	default:
		return Config{}, errors.Errorf("spec.providerConfigRef.kind must be %s or %s, not %q",
			v1alpha1.ProviderConfigKind, v1alpha1.ClusterProviderConfigKind, ref.Kind)
	}
}

func (c *Connector) config(ctx context.Context, name string, src v1alpha1.CredentialsSource, sel xpv2.CommonCredentialSelectors, s v1alpha1.ClientSettings) (Config, error) {
	if err := checkSelectors(src, sel); err != nil {
		return Config{}, errors.Wrap(err, name)
	}
	raw, err := c.extract(ctx, xpv2.CredentialsSource(src), c.kube, sel)
	if err != nil {
		return Config{}, errors.Wrapf(err, "%s: cannot read credentials", name)
	}
	token := strings.TrimSpace(string(raw))
	if token == "" {
		return Config{}, errors.Errorf("%s: the API token in %s is empty", name, describeSource(src, sel))
	}
	cfg := Config{Token: token, APIURL: s.APIURL, ProviderConfig: name}
	if s.APIURL != "" {
		if err := ValidateAPIURL(s.APIURL); err != nil {
			return Config{}, errors.Wrapf(err, "%s: spec.apiURL", name)
		}
	}
	if s.RateLimit != nil && s.RateLimit.RequestsPerMinute != nil {
		cfg.RequestsPerMinute = int(*s.RateLimit.RequestsPerMinute)
	}
	if r := s.Retry; r != nil {
		if r.MaxRetries != nil {
			cfg.MaxRetries = int(*r.MaxRetries)
			if cfg.MaxRetries == 0 {
				cfg.MaxRetries = -1 // retries off
			}
		}
		if r.WaitMin != nil {
			cfg.WaitMin = r.WaitMin.Duration
		}
		if r.WaitMax != nil {
			cfg.WaitMax = r.WaitMax.Duration
		}
	}
	return cfg, nil
}

func checkSelectors(src v1alpha1.CredentialsSource, sel xpv2.CommonCredentialSelectors) error {
	switch src {
	case v1alpha1.CredentialsSourceSecret:
		if sel.SecretRef == nil || sel.SecretRef.Name == "" || sel.SecretRef.Key == "" {
			return errors.New("spec.credentials.secretRef (name and key) is required when spec.credentials.source is Secret")
		}
	case v1alpha1.CredentialsSourceEnvironment:
		if sel.Env == nil || sel.Env.Name == "" {
			return errors.New("spec.credentials.env.name is required when spec.credentials.source is Environment")
		}
	case v1alpha1.CredentialsSourceFilesystem:
		if sel.Fs == nil || sel.Fs.Path == "" {
			return errors.New("spec.credentials.fs.path is required when spec.credentials.source is Filesystem")
		}
	default:
		return errors.Errorf("spec.credentials.source must be Secret, Environment or Filesystem, not %q", src)
	}
	return nil
}

func describeSource(src v1alpha1.CredentialsSource, sel xpv2.CommonCredentialSelectors) string {
	switch {
	case src == v1alpha1.CredentialsSourceSecret && sel.SecretRef != nil:
		return "Secret " + sel.SecretRef.Namespace + "/" + sel.SecretRef.Name + " key " + sel.SecretRef.Key
	case src == v1alpha1.CredentialsSourceEnvironment && sel.Env != nil:
		return "environment variable " + sel.Env.Name
	case src == v1alpha1.CredentialsSourceFilesystem && sel.Fs != nil:
		return "file " + sel.Fs.Path
	}
	return string(src)
}
