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
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

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

// ManagedReconcilerOptions returns what every managed reconciler of this provider shares:
// logger, event recorder, poll interval, management policies and metrics. It registers the
// kind's state-metrics recorder (listing with list) with mgr. Controllers append their own
// connector, hooks and grace periods.
func (o Options) ManagedReconcilerOptions(mgr ctrl.Manager, name string, rec event.Recorder, list resource.ManagedList) ([]managed.ReconcilerOption, error) {
	opts := []managed.ReconcilerOption{
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithRecorder(rec),
		managed.WithPollInterval(o.PollInterval),
		managed.WithFinalizer(NewStatusKeepingFinalizer(mgr.GetClient())),
	}
	if o.Features != nil && o.Features.Enabled(feature.EnableBetaManagementPolicies) {
		opts = append(opts, managed.WithManagementPolicies())
	}
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
		if o.MetricOptions.MRStateMetrics != nil {
			sr := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics, list, o.MetricOptions.PollStateMetricInterval)
			if err := mgr.Add(sr); err != nil {
				return nil, errors.Wrapf(err, "cannot register MR state metrics recorder for %T", list)
			}
		}
	}
	return opts, nil
}

// PollJitterOptions returns the poll jitter hook for controllers without a poll hook of
// their own (a hook replaces the jitter hook; hooks that schedule take jitter themselves).
func (o Options) PollJitterOptions() []managed.ReconcilerOption {
	if o.PollJitter <= 0 {
		return nil
	}
	return []managed.ReconcilerOption{managed.WithPollJitterHook(o.PollJitter)}
}
