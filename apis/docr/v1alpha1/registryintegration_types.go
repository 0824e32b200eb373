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

// RegistryIntegrationParameters are the configurable fields of a
// RegistryIntegration.
// +kubebuilder:validation:XValidation:rule="has(self.registryNames) || has(self.registryRefs) || has(self.registrySelector)",message="one of forProvider.registryNames, forProvider.registryRefs or forProvider.registrySelector is required"
type RegistryIntegrationParameters struct {
	// ClusterID is the UUID of the DOKS cluster. Fixed at creation.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="clusterID is immutable: create a new RegistryIntegration for another cluster"
	ClusterID string `json:"clusterID"`

	// Registries to integrate into the cluster.
	RegistryTargets `json:",inline"`

	// VerifyInCluster fetches the cluster's kubeconfig and checks that
	// DigitalOcean's kube-system Secret exists for each registry, re-applying
	// the integration when one is missing.
	// +optional
	VerifyInCluster bool `json:"verifyInCluster,omitempty"`
}

// RegistryIntegrationObservation is the observed state of a
// RegistryIntegration.
type RegistryIntegrationObservation struct {
	// AppliedRegistryNames are the registries this object last integrated.
	// DigitalOcean cannot say which registries a cluster has.
	AppliedRegistryNames []string `json:"appliedRegistryNames,omitempty"`
	// RegistryEnabled is the cluster's registry_enabled flag.
	RegistryEnabled bool `json:"registryEnabled,omitempty"`
	// ClusterName of the DOKS cluster.
	ClusterName string `json:"clusterName,omitempty"`
	// ClusterRegion of the DOKS cluster.
	ClusterRegion string `json:"clusterRegion,omitempty"`
	// LastVerifiedAt is when the cluster's Secrets were last checked.
	LastVerifiedAt *metav1.Time `json:"lastVerifiedAt,omitempty"`
	// MissingInCluster are registries whose Secret was missing at the last check.
	MissingInCluster []string `json:"missingInCluster,omitempty"`
}

// A RegistryIntegrationSpec defines the desired state of a RegistryIntegration.
type RegistryIntegrationSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              RegistryIntegrationParameters `json:"forProvider"`
}

// A RegistryIntegrationStatus represents the observed state of a
// RegistryIntegration.
type RegistryIntegrationStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 RegistryIntegrationObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A RegistryIntegration wires registries into one DOKS cluster, so that its
// workloads can pull from them.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="CLUSTER-ID",type="string",JSONPath=".spec.forProvider.clusterID"
// +kubebuilder:printcolumn:name="REGISTRIES",type="string",JSONPath=".status.atProvider.appliedRegistryNames"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,docr},shortName=docrint
type RegistryIntegration struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RegistryIntegrationSpec   `json:"spec"`
	Status RegistryIntegrationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RegistryIntegrationList contains a list of RegistryIntegration.
type RegistryIntegrationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RegistryIntegration `json:"items"`
}

// RegistryIntegration type metadata.
var (
	RegistryIntegrationKind                 = reflect.TypeOf(RegistryIntegration{}).Name()
	RegistryIntegrationGroupVersionKind     = kindOf(RegistryIntegrationKind)
	RegistryIntegrationListKind             = reflect.TypeOf(RegistryIntegrationList{}).Name()
	RegistryIntegrationListGroupVersionKind = kindOf(RegistryIntegrationListKind)
)

func init() {
	SchemeBuilder.Register(&RegistryIntegration{}, &RegistryIntegrationList{})
}
