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

// RegistryParameters are the configurable fields of a Registry.
type RegistryParameters struct {
	// Region of the registry, e.g. nyc3. Fixed at creation. DigitalOcean's
	// /v2/registries/options lists the regions it offers.
	// +kubebuilder:validation:Pattern=`^[a-z]{3}[0-9]$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="region is immutable: a registry cannot move; create a new Registry instead"
	Region string `json:"region"`

	// DeletionProtection, while true, makes deleting this object fail with a
	// clear condition: the registry and its images stay at DigitalOcean until
	// it is switched off.
	// +optional
	// +kubebuilder:default=false
	DeletionProtection bool `json:"deletionProtection,omitempty"`
}

// ActiveGarbageCollection is the garbage collection running on a registry.
type ActiveGarbageCollection struct {
	// UUID of the run.
	UUID string `json:"uuid,omitempty"`
	// Status of the run, e.g. "scanning manifests".
	Status string `json:"status,omitempty"`
	// Type of the run, e.g. "untagged manifests and unreferenced blobs".
	Type string `json:"type,omitempty"`
}

// RegistryObservation is the observed state of a Registry.
type RegistryObservation struct {
	// UUID of the registry.
	UUID string `json:"uuid,omitempty"`
	// Name of the registry at DigitalOcean.
	Name string `json:"name,omitempty"`
	// Region of the registry at DigitalOcean.
	Region string `json:"region,omitempty"`
	// CreatedAt is when the registry was created.
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// StorageUsageBytes is the storage the registry uses.
	StorageUsageBytes int64 `json:"storageUsageBytes,omitempty"`
	// StorageUsageUpdatedAt is when DigitalOcean last measured the storage usage.
	StorageUsageUpdatedAt *metav1.Time `json:"storageUsageUpdatedAt,omitempty"`
	// ServerURL is the registry host, e.g. registry.digitalocean.com.
	ServerURL string `json:"serverURL,omitempty"`
	// Endpoint is where images are pushed and pulled:
	// registry.digitalocean.com/<name>.
	Endpoint string `json:"endpoint,omitempty"`
	// ReadOnly is true while a garbage collection is active: pushes fail,
	// pulls work.
	ReadOnly bool `json:"readOnly,omitempty"`
	// ActiveGarbageCollection is the run making the registry read-only.
	// +optional
	ActiveGarbageCollection *ActiveGarbageCollection `json:"activeGarbageCollection,omitempty"`
}

// A RegistrySpec defines the desired state of a Registry.
type RegistrySpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              RegistryParameters `json:"forProvider"`
}

// A RegistryStatus represents the observed state of a Registry.
type RegistryStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 RegistryObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A Registry is a DigitalOcean container registry. Its external name (the
// crossplane.io/external-name annotation) is the DigitalOcean registry name and
// defaults to metadata.name, which must therefore follow DigitalOcean's name
// rules. Registry names are unique across all of DigitalOcean.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="REGION",type="string",JSONPath=".spec.forProvider.region"
// +kubebuilder:printcolumn:name="READ-ONLY",type="boolean",JSONPath=".status.atProvider.readOnly",priority=1
// +kubebuilder:printcolumn:name="PROTECTED",type="boolean",JSONPath=".spec.forProvider.deletionProtection",priority=1
// +kubebuilder:printcolumn:name="ENDPOINT",type="string",JSONPath=".status.atProvider.endpoint",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,docr},shortName=docrreg
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$')",message="metadata.name must be a valid DigitalOcean registry name: 1-63 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit"
type Registry struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RegistrySpec   `json:"spec"`
	Status RegistryStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RegistryList contains a list of Registry.
type RegistryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Registry `json:"items"`
}

// Registry type metadata.
var (
	RegistryKind                 = reflect.TypeOf(Registry{}).Name()
	RegistryGroupVersionKind     = kindOf(RegistryKind)
	RegistryListKind             = reflect.TypeOf(RegistryList{}).Name()
	RegistryListGroupVersionKind = kindOf(RegistryListKind)
)

func init() {
	SchemeBuilder.Register(&Registry{}, &RegistryList{})
}
