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

// RetentionPolicyParameters are the configurable fields of a RetentionPolicy.
// +kubebuilder:validation:XValidation:rule="has(self.registryName) || has(self.registryRef) || has(self.registrySelector)",message="one of forProvider.registryName, forProvider.registryRef or forProvider.registrySelector is required"
// +kubebuilder:validation:XValidation:rule="has(self.keepLast) || has(self.olderThan)",message="at least one of forProvider.keepLast or forProvider.olderThan is required"
type RetentionPolicyParameters struct {
	// The registry whose tags are pruned.
	RegistryTarget `json:",inline"`

	// Repositories are glob patterns of repository names the policy applies
	// to, e.g. "team-a/*". Empty means all repositories.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Repositories []string `json:"repositories,omitempty"`

	// KeepLast: the newest N tags of each repository are kept.
	// +optional
	// +kubebuilder:validation:Minimum=0
	KeepLast *int32 `json:"keepLast,omitempty"`

	// OlderThan: only tags older than this are candidates.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	OlderThan *metav1.Duration `json:"olderThan,omitempty"`

	// Protect are regular expressions (RE2) of tags that are never deleted,
	// e.g. ^v\d+\.\d+\.\d+$.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.all(r, ''.matches(r) || !''.matches(r))",message="forProvider.protect must hold valid RE2 regular expressions"
	Protect []string `json:"protect,omitempty"`

	// Schedule is a standard 5-field cron expression of when the policy is
	// evaluated, in timeZone.
	// +kubebuilder:validation:MinLength=9
	// +kubebuilder:validation:XValidation:rule="self.matches('^ *[^ ]+( +[^ ]+){4} *$')",message="forProvider.schedule must be a standard 5-field cron expression, e.g. '0 3 * * *'"
	Schedule string `json:"schedule"`

	// TimeZone is the IANA time zone of schedule, e.g. Europe/Berlin.
	// +optional
	// +kubebuilder:default=UTC
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self == 'Local' ? false : timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0",message="forProvider.timeZone must be an IANA time zone name such as America/New_York"
	TimeZone string `json:"timeZone,omitempty"`

	// DryRun (default true) reports candidates and deletes nothing.
	// +optional
	// +kubebuilder:default=true
	DryRun *bool `json:"dryRun,omitempty"`
}

// RetentionPolicyObservation is the observed state of a RetentionPolicy.
type RetentionPolicyObservation struct {
	// LastEvaluationTime is when the policy was last evaluated.
	LastEvaluationTime *metav1.Time `json:"lastEvaluationTime,omitempty"`
	// NextEvaluationTime is when the policy is next evaluated.
	NextEvaluationTime *metav1.Time `json:"nextEvaluationTime,omitempty"`
	// Candidates is the number of tags the last evaluation selected for deletion.
	Candidates int64 `json:"candidates,omitempty"`
	// Deleted is the number of tags the last evaluation deleted.
	Deleted int64 `json:"deleted,omitempty"`
	// ReclaimableBytes a garbage collection can free after the deletions.
	ReclaimableBytes int64 `json:"reclaimableBytes,omitempty"`
	// EvaluatedGeneration is the metadata.generation of the spec the last
	// completed evaluation used; a changed spec is evaluated again at once.
	// +optional
	EvaluatedGeneration int64 `json:"evaluatedGeneration,omitempty"`
	// Pending is the number of candidates of the last evaluation not deleted
	// yet, after a failure part-way; the next evaluation resumes with them.
	// +optional
	Pending int64 `json:"pending,omitempty"`
	// SampleCandidates are up to 20 candidates as repository:tag.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	SampleCandidates []string `json:"sampleCandidates,omitempty"`
}

// A RetentionPolicySpec defines the desired state of a RetentionPolicy.
type RetentionPolicySpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              RetentionPolicyParameters `json:"forProvider"`
}

// A RetentionPolicyStatus represents the observed state of a RetentionPolicy.
type RetentionPolicyStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 RetentionPolicyObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A RetentionPolicy deletes old tags from a registry's repositories on a
// schedule, keeping the newest, the protected and any tag sharing a manifest
// with a kept tag. A later garbage collection frees the storage.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="REGISTRY",type="string",JSONPath=".spec.forProvider.registryName"
// +kubebuilder:printcolumn:name="DRY-RUN",type="boolean",JSONPath=".spec.forProvider.dryRun"
// +kubebuilder:printcolumn:name="CANDIDATES",type="integer",JSONPath=".status.atProvider.candidates"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,docr},shortName=docrret
type RetentionPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RetentionPolicySpec   `json:"spec"`
	Status RetentionPolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RetentionPolicyList contains a list of RetentionPolicy.
type RetentionPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RetentionPolicy `json:"items"`
}

// RetentionPolicy type metadata.
var (
	RetentionPolicyKind                 = reflect.TypeOf(RetentionPolicy{}).Name()
	RetentionPolicyGroupVersionKind     = kindOf(RetentionPolicyKind)
	RetentionPolicyListKind             = reflect.TypeOf(RetentionPolicyList{}).Name()
	RetentionPolicyListGroupVersionKind = kindOf(RetentionPolicyListKind)
)

func init() {
	SchemeBuilder.Register(&RetentionPolicy{}, &RetentionPolicyList{})
}
