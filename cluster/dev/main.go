// Command dev is what `make dev` runs: the end-to-end rig in the foreground (control
// plane, DigitalOcean simulator, loopback OCI registry, Crossplane core, the provider and
// the function as local processes) with the packages installed through Crossplane and a
// ClusterProviderConfig named "default". State lives in .cache/dev, so a restart resumes.
// With DIGITALOCEAN_TOKEN set the provider talks to the real DigitalOcean API instead of
// the simulator. Ctrl-C stops everything.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
	"github.com/crossplane-contrib/provider-docr/test/controlplane"
	"github.com/crossplane-contrib/provider-docr/test/e2e/rig"
)

// devToken authenticates against the simulator; it is not a DigitalOcean token.
const devToken = "dev-simulator-token"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "make dev:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := controlplane.RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, ".cache", "dev")
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // developer state
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	realToken := os.Getenv("DIGITALOCEAN_TOKEN")
	opts := rig.Options{ModuleRoot: root, Dir: dir, Log: os.Stdout, NoSignalHandler: true}
	if realToken == "" {
		opts.Simulator = &docrsim.Options{
			Accounts: []docrsim.Account{{Name: "dev", Tokens: []string{devToken}, Tier: docrsim.TierProfessional}},
			// The DOKS clusters examples/xdocr.yaml wires up.
			Clusters: []docrsim.Cluster{
				{ID: "6b8a3c52-1e2f-4a3b-9c4d-5e6f7a8b9c0d", Name: "shop-nyc1", Region: "nyc1", Account: "dev"},
				{ID: "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a", Name: "shop-ams3", Region: "ams3", Account: "dev"},
				{ID: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", Name: "shop-sgp1", Region: "sgp1", Account: "dev"},
			},
			StateFile: filepath.Join(dir, "simulator-state.json"),
		}
	}
	r, err := rig.New(opts)
	if err != nil {
		return err
	}
	defer r.Stop()

	start := time.Now()
	token, apiURL := devToken, ""
	if realToken != "" {
		token, apiURL = realToken, "https://api.digitalocean.com"
	}
	for _, step := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"control plane, registry, simulator and Crossplane core", r.StartCore},
		{"function-docr", r.InstallFunction},
		{"provider-docr", r.InstallProvider},
		{"configuration-docr", r.InstallConfiguration},
		{"ClusterProviderConfig default", func(ctx context.Context) error {
			return r.ApplyClusterProviderConfig(ctx, "default", token, apiURL)
		}},
	} {
		fmt.Printf("==> %s\n", step.name)
		if err := step.fn(ctx); err != nil {
			fmt.Fprintln(os.Stderr, r.Logs(40))
			return fmt.Errorf("%s: %w", step.name, err)
		}
	}

	target := "the DigitalOcean simulator at " + r.SimURL
	registries := fmt.Sprintf("curl -s %s/_sim/registries | python3 -m json.tool", r.SimURL)
	if realToken != "" {
		target = "the real DigitalOcean API (DIGITALOCEAN_TOKEN)"
		registries = "doctl registry list   # or the DigitalOcean control panel"
	}
	fmt.Printf(`
provider-docr is running (%s), talking to %s.
State: %s (delete it to start from scratch). Logs: %s

In another terminal:

  export KUBECONFIG=%s
  kubectl apply -f examples/xdocr.yaml
  %s resource trace xdocr/shop -n default
  %s

Ctrl-C stops everything.
`, time.Since(start).Round(time.Second), target, dir, filepath.Join(dir, "logs"), r.CP.Kubeconfig, cliPath(), registries)

	select {
	case <-ctx.Done():
	case <-r.Core.Done():
		fmt.Fprintln(os.Stderr, "crossplane core exited:\n"+r.Core.Tail(30))
	}
	fmt.Println("\n==> stopping")
	return nil
}

// cliPath is the crossplane CLI `make tools` built, relative when possible.
func cliPath() string {
	p, err := controlplane.Tool("crossplane-cli")
	if err != nil {
		return "crossplane"
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil {
			return rel
		}
	}
	return p
}
