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

// GarbageCollectionType is the kind of garbage collection to run.
// +kubebuilder:validation:Enum=UntaggedManifestsAndUnreferencedBlobs;UntaggedManifestsOnly;UnreferencedBlobsOnly
type GarbageCollectionType string

// Garbage collection types.
const (
	GCTypeUntaggedManifestsAndUnreferencedBlobs GarbageCollectionType = "UntaggedManifestsAndUnreferencedBlobs"
	GCTypeUntaggedManifestsOnly                 GarbageCollectionType = "UntaggedManifestsOnly"
	GCTypeUnreferencedBlobsOnly                 GarbageCollectionType = "UnreferencedBlobsOnly"
)

// GarbageCollectionScheduleParameters are the configurable fields of a
// GarbageCollectionSchedule.
// +kubebuilder:validation:XValidation:rule="has(self.registryName) || has(self.registryRef) || has(self.registrySelector)",message="one of forProvider.registryName, forProvider.registryRef or forProvider.registrySelector is required"
type GarbageCollectionScheduleParameters struct {
	// The registry to collect garbage in.
	RegistryTarget `json:",inline"`

	// Schedule is a standard 5-field cron expression (minute hour
	// day-of-month month day-of-week), evaluated in timeZone.
	// +kubebuilder:validation:MinLength=9
	// +kubebuilder:validation:XValidation:rule="self.matches('^ *[^ ]+( +[^ ]+){4} *$')",message="forProvider.schedule must be a standard 5-field cron expression, e.g. '0 3 * * 0'"
	Schedule string `json:"schedule"`

	// TimeZone is the IANA time zone of schedule, e.g. America/New_York.
	// +optional
	// +kubebuilder:default=UTC
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self == 'Local' ? false : timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0",message="forProvider.timeZone must be an IANA time zone name such as America/New_York"
	TimeZone string `json:"timeZone,omitempty"`

	// Type of garbage collection (default UntaggedManifestsAndUnreferencedBlobs).
	// +optional
	// +kubebuilder:default=UntaggedManifestsAndUnreferencedBlobs
	Type GarbageCollectionType `json:"type,omitempty"`

	// QuietPeriod: a run starts only when nothing was pushed to the registry
	// within this period (default 15m).
	// +optional
	// +kubebuilder:default="15m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	QuietPeriod *metav1.Duration `json:"quietPeriod,omitempty"`

	// Window: how long after the scheduled time a run may still start
	// (default 1h); otherwise the slot is skipped with a recorded reason.
	// +optional
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="forProvider.window must be positive"
	Window *metav1.Duration `json:"window,omitempty"`

	// MaxDuration cancels a run that takes longer, so a stuck run cannot leave
	// the registry read-only for hours.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="forProvider.maxDuration must be positive"
	MaxDuration *metav1.Duration `json:"maxDuration,omitempty"`

	// Suspend stops starting new runs.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// CancelOnDelete cancels an active run when this object is deleted;
	// otherwise the run is left alone.
	// +optional
	CancelOnDelete bool `json:"cancelOnDelete,omitempty"`
}

// GarbageCollectionRun is one garbage collection run.
type GarbageCollectionRun struct {
	// UUID of the run.
	UUID string `json:"uuid,omitempty"`
	// Type of the run, as DigitalOcean names it.
	Type string `json:"type,omitempty"`
	// Status of the run, e.g. succeeded.
	Status string `json:"status,omitempty"`
	// StartedAt is when the run was requested.
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the run ended.
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// BlobsDeleted by the run.
	BlobsDeleted int64 `json:"blobsDeleted,omitempty"`
	// FreedBytes by the run.
	FreedBytes int64 `json:"freedBytes,omitempty"`
	// Slot is the scheduled time this run served.
	// +optional
	Slot *metav1.Time `json:"slot,omitempty"`
	// StartedBySchedule is true for runs this schedule started; false for a
	// run started elsewhere (doctl, the console) that served a slot.
	// +optional
	StartedBySchedule bool `json:"startedBySchedule,omitempty"`
}

// GarbageCollectionSkip records a scheduled slot that did not run.
type GarbageCollectionSkip struct {
	// Slot is the scheduled time that was skipped.
	Slot *metav1.Time `json:"slot,omitempty"`
	// Reason the slot was skipped.
	Reason string `json:"reason,omitempty"`
	// WillRetry is true while the slot's window is still open: the start was
	// deferred (e.g. the registry was not quiet) and is checked again at
	// RetryAt.
	// +optional
	WillRetry bool `json:"willRetry,omitempty"`
	// RetryAt is when a deferred slot is checked again.
	// +optional
	RetryAt *metav1.Time `json:"retryAt,omitempty"`
}

// GarbageCollectionScheduleObservation is the observed state of a
// GarbageCollectionSchedule.
type GarbageCollectionScheduleObservation struct {
	// NextRunTime is the next scheduled slot.
	NextRunTime *metav1.Time `json:"nextRunTime,omitempty"`
	// LastScheduledTime is the last slot that came due.
	LastScheduledTime *metav1.Time `json:"lastScheduledTime,omitempty"`
	// LastRun is the most recent run.
	// +optional
	LastRun *GarbageCollectionRun `json:"lastRun,omitempty"`
	// LastSkip is the most recent skipped slot.
	// +optional
	LastSkip *GarbageCollectionSkip `json:"lastSkip,omitempty"`
	// RecentRuns are the last runs, newest first.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	RecentRuns []GarbageCollectionRun `json:"recentRuns,omitempty"`
	// TotalRuns started by this schedule.
	TotalRuns int64 `json:"totalRuns,omitempty"`
	// TotalFreedBytes by this schedule's runs.
	TotalFreedBytes int64 `json:"totalFreedBytes,omitempty"`
}

// A GarbageCollectionScheduleSpec defines the desired state of a
// GarbageCollectionSchedule.
type GarbageCollectionScheduleSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              GarbageCollectionScheduleParameters `json:"forProvider"`
}

// A GarbageCollectionScheduleStatus represents the observed state of a
// GarbageCollectionSchedule.
type GarbageCollectionScheduleStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 GarbageCollectionScheduleObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A GarbageCollectionSchedule runs DigitalOcean registry garbage collection on a
// cron schedule, only when the registry is quiet and never twice at once.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="REGISTRY",type="string",JSONPath=".spec.forProvider.registryName"
// +kubebuilder:printcolumn:name="SCHEDULE",type="string",JSONPath=".spec.forProvider.schedule"
// +kubebuilder:printcolumn:name="NEXT-RUN",type="date",JSONPath=".status.atProvider.nextRunTime"
// +kubebuilder:printcolumn:name="LAST-STATUS",type="string",JSONPath=".status.atProvider.lastRun.status",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,docr},shortName=docrgc
type GarbageCollectionSchedule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GarbageCollectionScheduleSpec   `json:"spec"`
	Status GarbageCollectionScheduleStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// GarbageCollectionScheduleList contains a list of GarbageCollectionSchedule.
type GarbageCollectionScheduleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GarbageCollectionSchedule `json:"items"`
}

// GarbageCollectionSchedule type metadata.
var (
	GarbageCollectionScheduleKind                 = reflect.TypeOf(GarbageCollectionSchedule{}).Name()
	GarbageCollectionScheduleGroupVersionKind     = kindOf(GarbageCollectionScheduleKind)
	GarbageCollectionScheduleListKind             = reflect.TypeOf(GarbageCollectionScheduleList{}).Name()
	GarbageCollectionScheduleListGroupVersionKind = kindOf(GarbageCollectionScheduleListKind)
)

func init() {
	SchemeBuilder.Register(&GarbageCollectionSchedule{}, &GarbageCollectionScheduleList{})
}
