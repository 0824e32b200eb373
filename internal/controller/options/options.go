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

// Package options holds what every controller's Setup receives.
package options

import (
	"time"

	"k8s.io/utils/clock"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"

	"github.com/crossplane-contrib/provider-docr/internal/clients"
)

// Options configure every controller of the provider.
type Options struct {
	controller.Options

	// Clients is the one client factory of the process; controllers make
	// their Connector with clients.NewConnector(mgr.GetClient(), o.Clients).
	Clients *clients.Factory

	// Clock drives everything time-based in controllers (schedules, renewals,
	// expiries). Tests inject a fake clock; nil means the real clock.
	Clock clock.Clock

	// PollJitter randomises poll intervals by up to this much (0: none).
	PollJitter time.Duration
}

// GetClock returns the clock, the real one when none was set.
func (o Options) GetClock() clock.Clock {
	if o.Clock == nil {
		return clock.RealClock{}
	}
	return o.Clock
}
