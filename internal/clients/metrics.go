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

package clients

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics are the Prometheus metrics of DigitalOcean API use.
type Metrics struct {
	// Requests counts every HTTP attempt (retries included) by operation,
	// e.g. "GET /v2/registries/{name}", and status code ("error" when no
	// response arrived).
	Requests *prometheus.CounterVec
	// RateLimitRemaining is DigitalOcean's ratelimit-remaining header of the
	// last response, per provider config using the token.
	RateLimitRemaining *prometheus.GaugeVec
	// Throttled counts requests the client-side limiter delayed or refused.
	Throttled *prometheus.CounterVec
}

// NewMetrics makes the metrics and registers them with r (nil: not registered).
func NewMetrics(r prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docr_api_requests_total",
			Help: "DigitalOcean API requests (each attempt) by operation and HTTP status code.",
		}, []string{"operation", "code"}),
		RateLimitRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "docr_api_rate_limit_remaining",
			Help: "DigitalOcean ratelimit-remaining of the last response, per provider config.",
		}, []string{"provider_config"}),
		Throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "docr_api_throttled_total",
			Help: "Requests delayed (waited) or refused (deadline) by the client-side rate limiter.",
		}, []string{"outcome"}),
	}
	if r != nil {
		r.MustRegister(m.Requests, m.RateLimitRemaining, m.Throttled)
	}
	return m
}

var (
	defaultMetricsOnce sync.Once
	defaultMetrics     *Metrics
)

// DefaultMetrics are registered with controller-runtime's registry, which the
// manager serves on its metrics address.
func DefaultMetrics() *Metrics {
	defaultMetricsOnce.Do(func() { defaultMetrics = NewMetrics(ctrlmetrics.Registry) })
	return defaultMetrics
}
