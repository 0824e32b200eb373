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
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// RegistryNamePattern is DigitalOcean's rule for registry names: 1-63 lowercase
// letters, digits and hyphens, starting with a letter and ending with a letter or
// digit. Registry names are unique across all of DigitalOcean.
const RegistryNamePattern = `^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`

// RegistryTargets selects several registries, resolved in the managed resource's
// own namespace. The resolved names are written to RegistryNames; names given
// directly and resolved names are combined.
type RegistryTargets struct {
	// RegistryNames are DigitalOcean registry names.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:Pattern=`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`
	// +kubebuilder:validation:items:MaxLength=63
	RegistryNames []string `json:"registryNames,omitempty"`

	// RegistryRefs reference Registry objects in this namespace by name.
	// +optional
	RegistryRefs []xpv2.Reference `json:"registryRefs,omitempty"`

	// RegistrySelector selects Registry objects in this namespace by labels
	// (matchLabels) or by sharing this object's controller (matchControllerRef).
	// +optional
	RegistrySelector *xpv2.Selector `json:"registrySelector,omitempty"`
}

// RegistryTarget selects one registry, resolved in the managed resource's own
// namespace. A reference or selector is resolved into RegistryName.
type RegistryTarget struct {
	// RegistryName is the DigitalOcean registry name.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	RegistryName string `json:"registryName,omitempty"`

	// RegistryRef references a Registry object in this namespace by name.
	// +optional
	RegistryRef *xpv2.Reference `json:"registryRef,omitempty"`

	// RegistrySelector selects a Registry object in this namespace by labels
	// (matchLabels) or by sharing this object's controller (matchControllerRef).
	// +optional
	RegistrySelector *xpv2.Selector `json:"registrySelector,omitempty"`
}
