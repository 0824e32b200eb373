// Command build-xpkg builds the provider, function and configuration packages into
// _output/xpkg (see docs/packaging.md). `make xpkg` runs it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/crossplane-contrib/provider-docr/cluster/xpkg"
)

type cli struct {
	ModuleRoot string   `default:"." help:"Go module root."`
	Out        string   `default:"_output/xpkg" help:"Output directory (replaced)."`
	Platforms  []string `default:"linux/amd64,linux/arm64" help:"Runtime image platforms."`
	Packages   []string `default:"provider-docr,function-docr,configuration-docr" help:"Packages to build."`
	CABundle   string   `default:"/etc/ssl/certs/ca-certificates.crt" name:"ca-bundle" help:"PEM bundle copied into runtime images (empty: none)."`
}

func main() {
	var c cli
	kong.Parse(&c, kong.Description("Build this project's Crossplane packages without Docker."))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "build-xpkg:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c cli) error {
	epoch := time.Unix(0, 0).UTC()
	// SOURCE_DATE_EPOCH is the reproducible-builds convention for "the" timestamp.
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		epoch = time.Unix(sec, 0).UTC()
	}
	opts := xpkg.Options{ModuleRoot: c.ModuleRoot, Out: c.Out, Epoch: epoch, CABundle: c.CABundle, Log: os.Stdout}
	for _, p := range c.Platforms {
		os, arch, ok := strings.Cut(p, "/")
		if !ok {
			return fmt.Errorf("--platforms: %q is not os/arch", p)
		}
		opts.Platforms = append(opts.Platforms, v1.Platform{OS: os, Architecture: arch})
	}
	known := map[string]xpkg.Package{}
	for _, p := range []xpkg.Package{xpkg.Provider, xpkg.Function, xpkg.Configuration} {
		known[p.Name] = p.InRoot(c.ModuleRoot)
	}
	pkgs := make([]xpkg.Package, 0, len(c.Packages))
	for _, n := range c.Packages {
		p, ok := known[n]
		if !ok {
			return fmt.Errorf("--packages: unknown package %q", n)
		}
		pkgs = append(pkgs, p)
	}
	_, err := xpkg.Build(ctx, opts, pkgs...)
	return err
}
