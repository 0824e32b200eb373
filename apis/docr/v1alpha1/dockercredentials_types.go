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

// DockerCredentialsAccess is the access the credentials grant.
// +kubebuilder:validation:Enum=Read;ReadWrite
type DockerCredentialsAccess string

// Access levels.
const (
	AccessRead      DockerCredentialsAccess = "Read"
	AccessReadWrite DockerCredentialsAccess = "ReadWrite"
)

// DockerCredentialsParameters are the configurable fields of DockerCredentials.
// +kubebuilder:validation:XValidation:rule="has(self.registryNames) || has(self.registryRefs) || has(self.registrySelector)",message="one of forProvider.registryNames, forProvider.registryRefs or forProvider.registrySelector is required"
// +kubebuilder:validation:XValidation:rule="!has(self.renewBefore) || !has(self.expiry) || duration(self.renewBefore) < duration(self.expiry)",message="forProvider.renewBefore must be shorter than forProvider.expiry"
type DockerCredentialsParameters struct {
	// Registries the credentials are for.
	RegistryTargets `json:",inline"`

	// Access: Read (default, pull) or ReadWrite (pull and push).
	// +optional
	// +kubebuilder:default=Read
	Access DockerCredentialsAccess `json:"access,omitempty"`

	// Expiry of the issued credentials (default 720h).
	// +optional
	// +kubebuilder:default="720h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="forProvider.expiry must be at least 1m"
	Expiry *metav1.Duration `json:"expiry,omitempty"`

	// RenewBefore: new credentials are issued this long before the current
	// ones expire (default a third of expiry).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	RenewBefore *metav1.Duration `json:"renewBefore,omitempty"`
}

// DockerCredentialsObservation is the observed state of DockerCredentials.
type DockerCredentialsObservation struct {
	// Registries the current credentials are for.
	Registries []string `json:"registries,omitempty"`
	// Access the current credentials grant.
	Access DockerCredentialsAccess `json:"access,omitempty"`
	// IssuedAt is when the current credentials were issued.
	IssuedAt *metav1.Time `json:"issuedAt,omitempty"`
	// ExpiresAt is when the current credentials expire.
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
	// RenewAt is when new credentials will be issued.
	RenewAt *metav1.Time `json:"renewAt,omitempty"`
}

// A DockerCredentialsSpec defines the desired state of DockerCredentials.
// +kubebuilder:validation:XValidation:rule="has(self.writeConnectionSecretToRef) && size(self.writeConnectionSecretToRef.name) > 0",message="spec.writeConnectionSecretToRef.name is required: DockerCredentials writes the credentials to that Secret"
type DockerCredentialsSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              DockerCredentialsParameters `json:"forProvider"`
}

// A DockerCredentialsStatus represents the observed state of DockerCredentials.
type DockerCredentialsStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 DockerCredentialsObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// DockerCredentials are pull (or push) credentials for one or more registries,
// written to the Secret named by writeConnectionSecretToRef as a
// kubernetes.io/dockerconfigjson Secret usable as an imagePullSecret, and
// renewed before they expire.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="ACCESS",type="string",JSONPath=".spec.forProvider.access"
// +kubebuilder:printcolumn:name="SECRET",type="string",JSONPath=".spec.writeConnectionSecretToRef.name"
// +kubebuilder:printcolumn:name="EXPIRES",type="date",JSONPath=".status.atProvider.expiresAt"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,docr},shortName=docrcred
type DockerCredentials struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DockerCredentialsSpec   `json:"spec"`
	Status DockerCredentialsStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DockerCredentialsList contains a list of DockerCredentials.
type DockerCredentialsList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DockerCredentials `json:"items"`
}

// DockerCredentials type metadata.
var (
	DockerCredentialsKind                 = reflect.TypeOf(DockerCredentials{}).Name()
	DockerCredentialsGroupVersionKind     = kindOf(DockerCredentialsKind)
	DockerCredentialsListKind             = reflect.TypeOf(DockerCredentialsList{}).Name()
	DockerCredentialsListGroupVersionKind = kindOf(DockerCredentialsListKind)
)

func init() {
	SchemeBuilder.Register(&DockerCredentials{}, &DockerCredentialsList{})
}
