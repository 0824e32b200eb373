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

// Command provider runs provider-docr: the Crossplane controllers for
// DigitalOcean Container Registry.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/alecthomas/kong"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/crossplane-contrib/provider-docr/apis"
	"github.com/crossplane-contrib/provider-docr/internal/clients"
	ctrls "github.com/crossplane-contrib/provider-docr/internal/controller"
	"github.com/crossplane-contrib/provider-docr/internal/controller/options"
)

// leaderElectionID names the Lease two replicas compete for: only the holder
// reconciles.
const leaderElectionID = "crossplane-leader-election-provider-docr"

type cli struct {
	Debug                    bool          `short:"d" help:"Log at debug level (never credentials)." env:"DEBUG"`
	Poll                     time.Duration `default:"1m" help:"How often each managed resource is checked for drift." env:"POLL_INTERVAL"`
	PollJitter               time.Duration `default:"0s" help:"Spread polls by up to this much." env:"POLL_JITTER"`
	Sync                     time.Duration `short:"s" default:"1h" help:"How often all resources are re-listed from the Kubernetes API (cache resync)." env:"SYNC_INTERVAL"`
	MaxReconcileRate         int           `default:"10" help:"Reconciles per second across all controllers, and concurrent reconciles per controller." env:"MAX_RECONCILE_RATE"`
	LeaderElection           bool          `short:"l" help:"Use leader election so that of several replicas only one acts." env:"LEADER_ELECTION"`
	LeaderElectionNamespace  string        `default:"" help:"Namespace of the leader election Lease (default: the pod's namespace)." env:"LEADER_ELECTION_NAMESPACE"`
	EnableManagementPolicies bool          `default:"true" negatable:"" help:"Honour spec.managementPolicies (e.g. Observe-only adoption)." env:"ENABLE_MANAGEMENT_POLICIES"`
	MetricsBindAddress       string        `default:":8080" help:"Address of the Prometheus metrics endpoint (0 disables)." env:"METRICS_BIND_ADDRESS"`
	HealthProbeBindAddress   string        `default:":8081" help:"Address of the /healthz and /readyz endpoints." env:"HEALTH_PROBE_BIND_ADDRESS"`
	GracefulShutdownTimeout  time.Duration `default:"30s" help:"How long in-flight reconciles may take to finish on shutdown."`
	Kubeconfig               string        `help:"Path of a kubeconfig (default: in-cluster, or $KUBECONFIG)." type:"path" env:"KUBECONFIG"`
	KubeAPIQPS               float32       `name:"kube-api-qps" default:"50" help:"Requests per second to the Kubernetes API (client-go's default of 5 throttles status updates beyond ~150 resources per 30s poll)." env:"KUBE_API_QPS"`
	KubeAPIBurst             int           `name:"kube-api-burst" default:"100" help:"Burst of requests to the Kubernetes API." env:"KUBE_API_BURST"`
}

func main() {
	var c cli
	kong.Parse(&c, kong.Name("provider"), kong.Description("Crossplane provider for DigitalOcean Container Registry."))
	if err := run(ctrl.SetupSignalHandler(), c); err != nil {
		fmt.Fprintln(os.Stderr, "provider-docr:", err)
		os.Exit(1)
	}
}

func restConfig(path string) (*rest.Config, error) {
	if path != "" {
		return clientcmd.BuildConfigFromFlags("", path)
	}
	return ctrl.GetConfig()
}

func run(ctx context.Context, c cli) error {
	zl := zap.New(zap.UseDevMode(c.Debug))
	log := logging.NewLogrLogger(zl.WithName("provider-docr"))
	// controller-runtime logs through the same logger.
	ctrl.SetLogger(zl)

	cfg, err := restConfig(c.Kubeconfig)
	if err != nil {
		return fmt.Errorf("cannot get the Kubernetes API configuration: %w", err)
	}
	cfg.QPS, cfg.Burst = c.KubeAPIQPS, c.KubeAPIBurst
	log.Debug("Starting", "poll", c.Poll.String(), "sync", c.Sync.String(), "max-reconcile-rate", c.MaxReconcileRate,
		"leader-election", c.LeaderElection, "management-policies", c.EnableManagementPolicies)

	leNamespace := c.LeaderElectionNamespace
	if c.LeaderElection && leNamespace == "" {
		// In a pod controller-runtime finds its namespace; elsewhere (a local
		// rig) the Lease goes where Crossplane lives.
		if _, err := os.Stat("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err != nil {
			leNamespace = "crossplane-system"
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Cache: cache.Options{SyncPeriod: &c.Sync},
		// Secrets (tokens, connection details) are read when needed, not
		// cached: caching would hold every Secret of the cluster in memory.
		Client:                        client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
		Metrics:                       metricsserver.Options{BindAddress: c.MetricsBindAddress},
		HealthProbeBindAddress:        c.HealthProbeBindAddress,
		LeaderElection:                c.LeaderElection,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       leNamespace,
		LeaderElectionResourceLock:    resourcelock.LeasesResourceLock,
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &c.GracefulShutdownTimeout,
	})
	if err != nil {
		return fmt.Errorf("cannot create the controller manager: %w", err)
	}
	if err := apis.AddToScheme(mgr.GetScheme()); err != nil {
		return fmt.Errorf("cannot add the provider's APIs to the scheme: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("cannot add the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("cannot add the readiness check: %w", err)
	}

	o := controllerOptions(log, c.Poll, c.MaxReconcileRate, c.EnableManagementPolicies)
	o.PollJitter = c.PollJitter
	if err := ctrls.Setup(mgr, o); err != nil {
		return fmt.Errorf("cannot set up the controllers: %w", err)
	}
	log.Info("Starting the controllers")
	return mgr.Start(ctx)
}

// controllerOptions are the controller options of the binary: one client factory, the
// global reconcile rate, metrics registered with controller-runtime's registry.
func controllerOptions(log logging.Logger, poll time.Duration, maxReconcileRate int, managementPolicies bool) options.Options {
	mrMetrics := managed.NewMRMetricRecorder()
	stateMetrics := statemetrics.NewMRStateMetrics()
	ctrlmetrics.Registry.MustRegister(mrMetrics, stateMetrics)
	o := options.Options{
		Options: controller.Options{
			Logger:                  log,
			GlobalRateLimiter:       ratelimiter.NewGlobal(maxReconcileRate),
			PollInterval:            poll,
			MaxConcurrentReconciles: maxReconcileRate,
			Features:                &feature.Flags{},
			MetricOptions: &controller.MetricOptions{
				PollStateMetricInterval: time.Minute,
				MRMetrics:               mrMetrics,
				MRStateMetrics:          stateMetrics,
			},
		},
		Clients: clients.NewFactory(clients.WithUserAgent("provider-docr")),
	}
	if managementPolicies {
		o.Features.Enable(feature.EnableBetaManagementPolicies)
	}
	return o
}
