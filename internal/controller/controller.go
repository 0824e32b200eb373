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

// Package controller wires every controller of provider-docr into a manager.
package controller

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane-contrib/provider-docr/internal/controller/config"
	"github.com/crossplane-contrib/provider-docr/internal/controller/dockercredentials"
	"github.com/crossplane-contrib/provider-docr/internal/controller/gcschedule"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
	"github.com/crossplane-contrib/provider-docr/internal/controller/registry"
	"github.com/crossplane-contrib/provider-docr/internal/controller/registryintegration"
	"github.com/crossplane-contrib/provider-docr/internal/controller/retentionpolicy"
	"github.com/crossplane-contrib/provider-docr/internal/controller/subscription"
)

// setups are the Setup functions of every controller. Each area adds its own
// line here (one per controller package) and nothing else.
var setups = []func(ctrl.Manager, options.Options) error{
	config.Setup,
	gcschedule.Setup,
	retentionpolicy.Setup,
	registry.Setup,
	subscription.Setup,
	registryintegration.Setup,
	dockercredentials.Setup,
}

// Setup adds every controller of the provider to mgr.
func Setup(mgr ctrl.Manager, o options.Options) error {
	for _, setup := range setups {
		if err := setup(mgr, o); err != nil {
			return err
		}
	}
	return nil
}
