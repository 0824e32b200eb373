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

package v1alpha1

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// Defaults of the client settings of a provider config.
const (
	// DefaultRequestsPerMinute stays below DigitalOcean's 250 requests per
	// minute per token, leaving room for other tools using the same token.
	DefaultRequestsPerMinute = 200
	// DefaultMaxRetries is how often a request answered 429 or 5xx is retried.
	DefaultMaxRetries = 4
)

// CredentialsSource says where the DigitalOcean API token comes from.
// +kubebuilder:validation:Enum=Secret;Environment;Filesystem
type CredentialsSource string

// Credentials sources.
const (
	CredentialsSourceSecret      CredentialsSource = "Secret"
	CredentialsSourceEnvironment CredentialsSource = "Environment"
	CredentialsSourceFilesystem  CredentialsSource = "Filesystem"
)

// ProviderCredentials locate the DigitalOcean API token of a namespaced
// ProviderConfig. Its secretRef has no namespace: a namespaced ProviderConfig
// reads Secrets in its own namespace only.
// +kubebuilder:validation:XValidation:rule="self.source != 'Secret' || has(self.secretRef)",message="credentials.secretRef is required when credentials.source is Secret"
// +kubebuilder:validation:XValidation:rule="self.source != 'Environment' || has(self.env)",message="credentials.env is required when credentials.source is Environment"
// +kubebuilder:validation:XValidation:rule="self.source != 'Filesystem' || has(self.fs)",message="credentials.fs is required when credentials.source is Filesystem"
type ProviderCredentials struct {
	// Source of the API token.
	Source CredentialsSource `json:"source"`

	// SecretRef names a key of a Secret in the ProviderConfig's namespace.
	// +optional
	SecretRef *xpv2.LocalSecretKeySelector `json:"secretRef,omitempty"`

	// Env names an environment variable of the provider process.
	// +optional
	Env *xpv2.EnvSelector `json:"env,omitempty"`

	// Fs names a file readable by the provider process.
	// +optional
	Fs *xpv2.FsSelector `json:"fs,omitempty"`
}

// ClusterProviderCredentials locate the DigitalOcean API token of a
// ClusterProviderConfig; its secretRef names the Secret's namespace.
// +kubebuilder:validation:XValidation:rule="self.source != 'Secret' || has(self.secretRef)",message="credentials.secretRef is required when credentials.source is Secret"
// +kubebuilder:validation:XValidation:rule="self.source != 'Environment' || has(self.env)",message="credentials.env is required when credentials.source is Environment"
// +kubebuilder:validation:XValidation:rule="self.source != 'Filesystem' || has(self.fs)",message="credentials.fs is required when credentials.source is Filesystem"
type ClusterProviderCredentials struct {
	// Source of the API token.
	Source CredentialsSource `json:"source"`

	// SecretRef names a key of a Secret in a namespace.
	// +optional
	SecretRef *xpv2.SecretKeySelector `json:"secretRef,omitempty"`

	// Env names an environment variable of the provider process.
	// +optional
	Env *xpv2.EnvSelector `json:"env,omitempty"`

	// Fs names a file readable by the provider process.
	// +optional
	Fs *xpv2.FsSelector `json:"fs,omitempty"`
}

// RateLimit is the client-side limit on DigitalOcean API requests made with one
// token. Several provider configs sharing a token share one limiter, at the
// lowest rate any of them asks for.
type RateLimit struct {
	// RequestsPerMinute allowed for this token. DigitalOcean allows 250.
	// +optional
	// +kubebuilder:default=200
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	RequestsPerMinute *int32 `json:"requestsPerMinute,omitempty"`
}

// Retry configures retries of requests answered 429 or 5xx.
// +kubebuilder:validation:XValidation:rule="!has(self.waitMin) || !has(self.waitMax) || duration(self.waitMin) <= duration(self.waitMax)",message="retry.waitMin must not exceed retry.waitMax"
type Retry struct {
	// MaxRetries of one request; 0 disables retries.
	// +optional
	// +kubebuilder:default=4
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	MaxRetries *int32 `json:"maxRetries,omitempty"`

	// WaitMin is the shortest wait before a retry (default 1s).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	WaitMin *metav1.Duration `json:"waitMin,omitempty"`

	// WaitMax is the longest wait before a retry (default 30s). A Retry-After
	// header from DigitalOcean takes precedence.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	WaitMax *metav1.Duration `json:"waitMax,omitempty"`
}

// ClientSettings are the settings shared by both kinds of provider config.
type ClientSettings struct {
	// APIURL of the DigitalOcean API, e.g. a simulator or a DigitalOcean
	// compatible endpoint. Default https://api.digitalocean.com/.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://[^\s]+$`
	APIURL string `json:"apiURL,omitempty"`

	// RateLimit of requests made with this token.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`

	// Retry settings of requests answered 429 or 5xx.
	// +optional
	Retry *Retry `json:"retry,omitempty"`
}

// A ProviderConfigSpec configures a namespaced ProviderConfig.
type ProviderConfigSpec struct {
	// Credentials holding the DigitalOcean API token.
	Credentials ProviderCredentials `json:"credentials"`

	ClientSettings `json:",inline"`
}

// A ClusterProviderConfigSpec configures a ClusterProviderConfig.
type ClusterProviderConfigSpec struct {
	// Credentials holding the DigitalOcean API token.
	Credentials ClusterProviderCredentials `json:"credentials"`

	ClientSettings `json:",inline"`
}

// A ProviderConfigStatus is the observed state of a provider config.
type ProviderConfigStatus struct {
	xpv2.ProviderConfigStatus `json:",inline"`
}

// +kubebuilder:object:root=true

// A ProviderConfig configures how managed resources in its namespace reach
// DigitalOcean. It may only read credentials from Secrets in its own namespace.
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="SOURCE",type="string",JSONPath=".spec.credentials.source"
// +kubebuilder:printcolumn:name="SECRET-NAME",type="string",JSONPath=".spec.credentials.secretRef.name",priority=1
// +kubebuilder:printcolumn:name="API-URL",type="string",JSONPath=".spec.apiURL",priority=1
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,docr}
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProviderConfigList contains a list of ProviderConfig.
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfig configures how managed resources in any namespace
// reach DigitalOcean. It is the default: providerConfigRef defaults to
// ClusterProviderConfig "default".
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="SOURCE",type="string",JSONPath=".spec.credentials.source"
// +kubebuilder:printcolumn:name="SECRET-NAME",type="string",JSONPath=".spec.credentials.secretRef.name",priority=1
// +kubebuilder:printcolumn:name="API-URL",type="string",JSONPath=".spec.apiURL",priority=1
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,docr}
type ClusterProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterProviderConfigSpec `json:"spec"`
	Status ProviderConfigStatus      `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigList contains a list of ClusterProviderConfig.
type ClusterProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ProviderConfigUsage records that a managed resource uses a ProviderConfig.
// +kubebuilder:printcolumn:name="CONFIG-NAME",type="string",JSONPath=".providerConfigRef.name"
// +kubebuilder:printcolumn:name="RESOURCE-KIND",type="string",JSONPath=".resourceRef.kind"
// +kubebuilder:printcolumn:name="RESOURCE-NAME",type="string",JSONPath=".resourceRef.name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,docr}
type ProviderConfigUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	xpv2.TypedProviderConfigUsage `json:",inline"`
}

// +kubebuilder:object:root=true

// ProviderConfigUsageList contains a list of ProviderConfigUsage.
type ProviderConfigUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfigUsage `json:"items"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfigUsage records that a managed resource uses a
// ClusterProviderConfig. It lives in the namespace of the managed resource it
// records (which owns it), so Kubernetes garbage collection removes it with the
// managed resource; the ClusterProviderConfig counts usages across namespaces.
// +kubebuilder:printcolumn:name="CONFIG-NAME",type="string",JSONPath=".providerConfigRef.name"
// +kubebuilder:printcolumn:name="RESOURCE-KIND",type="string",JSONPath=".resourceRef.kind"
// +kubebuilder:printcolumn:name="RESOURCE-NAME",type="string",JSONPath=".resourceRef.name"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,docr}
type ClusterProviderConfigUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	xpv2.TypedProviderConfigUsage `json:",inline"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigUsageList contains a list of ClusterProviderConfigUsage.
type ClusterProviderConfigUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfigUsage `json:"items"`
}

// Provider config type metadata.
var (
	ProviderConfigKind                             = reflect.TypeOf(ProviderConfig{}).Name()
	ProviderConfigGroupVersionKind                 = kindOf(ProviderConfigKind)
	ClusterProviderConfigKind                      = reflect.TypeOf(ClusterProviderConfig{}).Name()
	ClusterProviderConfigGroupVersionKind          = kindOf(ClusterProviderConfigKind)
	ProviderConfigUsageKind                        = reflect.TypeOf(ProviderConfigUsage{}).Name()
	ProviderConfigUsageGroupVersionKind            = kindOf(ProviderConfigUsageKind)
	ProviderConfigUsageListKind                    = reflect.TypeOf(ProviderConfigUsageList{}).Name()
	ProviderConfigUsageListGroupVersionKind        = kindOf(ProviderConfigUsageListKind)
	ClusterProviderConfigUsageKind                 = reflect.TypeOf(ClusterProviderConfigUsage{}).Name()
	ClusterProviderConfigUsageGroupVersionKind     = kindOf(ClusterProviderConfigUsageKind)
	ClusterProviderConfigUsageListKind             = reflect.TypeOf(ClusterProviderConfigUsageList{}).Name()
	ClusterProviderConfigUsageListGroupVersionKind = kindOf(ClusterProviderConfigUsageListKind)
)

func init() {
	SchemeBuilder.Register(&ProviderConfig{}, &ProviderConfigList{})
	SchemeBuilder.Register(&ClusterProviderConfig{}, &ClusterProviderConfigList{})
	SchemeBuilder.Register(&ProviderConfigUsage{}, &ProviderConfigUsageList{})
	SchemeBuilder.Register(&ClusterProviderConfigUsage{}, &ClusterProviderConfigUsageList{})
}
