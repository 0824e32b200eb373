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

// SubscriptionPolicy says how the desired tier relates to the account's tier.
// +kubebuilder:validation:Enum=AtLeast;Exact
type SubscriptionPolicy string

// Subscription policies.
const (
	// SubscriptionPolicyAtLeast upgrades when the account is below the tier and
	// never downgrades, so several Subscriptions for one account converge on
	// the highest tier instead of fighting.
	SubscriptionPolicyAtLeast SubscriptionPolicy = "AtLeast"
	// SubscriptionPolicyExact sets exactly the tier, downgrading if need be.
	SubscriptionPolicyExact SubscriptionPolicy = "Exact"
)

// Subscription tiers, lowest first.
const (
	TierStarter      = "starter"
	TierBasic        = "basic"
	TierProfessional = "professional"
)

// SubscriptionParameters are the configurable fields of a Subscription.
type SubscriptionParameters struct {
	// Tier of the account's registry subscription.
	// +kubebuilder:validation:Enum=starter;basic;professional
	Tier string `json:"tier"`

	// Policy: AtLeast (default) upgrades when the account is below tier and
	// never downgrades; Exact sets exactly tier.
	// +optional
	// +kubebuilder:default=AtLeast
	Policy SubscriptionPolicy `json:"policy,omitempty"`
}

// SubscriptionObservation is the observed state of the account's subscription.
type SubscriptionObservation struct {
	// Tier the account is on.
	Tier string `json:"tier,omitempty"`
	// IncludedRepositories of the tier; 0 means unlimited.
	IncludedRepositories int64 `json:"includedRepositories,omitempty"`
	// IncludedStorageBytes of the tier.
	IncludedStorageBytes int64 `json:"includedStorageBytes,omitempty"`
	// AllowStorageOverage: storage beyond the included bytes is billed rather
	// than refused.
	AllowStorageOverage bool `json:"allowStorageOverage,omitempty"`
	// MonthlyPriceInCents of the tier.
	MonthlyPriceInCents int64 `json:"monthlyPriceInCents,omitempty"`
	// Eligible reports whether the account may move to the desired tier.
	Eligible bool `json:"eligible,omitempty"`
	// EligibilityReasons say why the account may not move to the desired
	// tier, e.g. OverRepositoryLimit.
	EligibilityReasons []string `json:"eligibilityReasons,omitempty"`
	// CreatedAt is when the subscription was created.
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// UpdatedAt is when the subscription last changed.
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
}

// A SubscriptionSpec defines the desired state of a Subscription.
type SubscriptionSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              SubscriptionParameters `json:"forProvider"`
}

// A SubscriptionStatus represents the observed state of a Subscription.
type SubscriptionStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 SubscriptionObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A Subscription is the account-wide DigitalOcean registry subscription tier.
// Deleting it changes nothing at DigitalOcean.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="TIER",type="string",JSONPath=".spec.forProvider.tier"
// +kubebuilder:printcolumn:name="POLICY",type="string",JSONPath=".spec.forProvider.policy"
// +kubebuilder:printcolumn:name="CURRENT",type="string",JSONPath=".status.atProvider.tier"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,docr},shortName=docrsub
type Subscription struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SubscriptionSpec   `json:"spec"`
	Status SubscriptionStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// SubscriptionList contains a list of Subscription.
type SubscriptionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Subscription `json:"items"`
}

// Subscription type metadata.
var (
	SubscriptionKind                 = reflect.TypeOf(Subscription{}).Name()
	SubscriptionGroupVersionKind     = kindOf(SubscriptionKind)
	SubscriptionListKind             = reflect.TypeOf(SubscriptionList{}).Name()
	SubscriptionListGroupVersionKind = kindOf(SubscriptionListKind)
)

func init() {
	SchemeBuilder.Register(&Subscription{}, &SubscriptionList{})
}
