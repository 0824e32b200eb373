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
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// These assertions need the generated methods (zz_generated.*.go), which are
// committed; angryjet type-checks this package while it generates them.
var (
	_ resource.ModernManaged = &Registry{}
	_ resource.ModernManaged = &Subscription{}
	_ resource.ModernManaged = &RegistryIntegration{}
	_ resource.ModernManaged = &DockerCredentials{}
	_ resource.ModernManaged = &GarbageCollectionSchedule{}
	_ resource.ModernManaged = &RetentionPolicy{}

	_ resource.ManagedList = &RegistryList{}
	_ resource.ManagedList = &SubscriptionList{}
	_ resource.ManagedList = &RegistryIntegrationList{}
	_ resource.ManagedList = &DockerCredentialsList{}
	_ resource.ManagedList = &GarbageCollectionScheduleList{}
	_ resource.ManagedList = &RetentionPolicyList{}

	_ resource.ProviderConfig = &ProviderConfig{}
	_ resource.ProviderConfig = &ClusterProviderConfig{}

	_ resource.TypedProviderConfigUsage = &ProviderConfigUsage{}
	_ resource.TypedProviderConfigUsage = &ClusterProviderConfigUsage{}

	_ resource.ProviderConfigUsageList = &ProviderConfigUsageList{}
	_ resource.ProviderConfigUsageList = &ClusterProviderConfigUsageList{}
)
