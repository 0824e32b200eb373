// Command docr-sim runs the DigitalOcean Container Registry API simulator on loopback.
// See docs/simulator.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/crossplane-contrib/provider-docr/pkg/docrsim"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "docr-sim:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then closes the simulator (writing the state file).
func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("docr-sim", flag.ContinueOnError)
	var (
		accounts, tokens multiFlag
		addr             = fs.String("addr", "127.0.0.1:8080", "listen address; loopback only (127.0.0.1:0 picks a free port)")
		urlFile          = fs.String("url-file", "", "write the base URL to this file once listening")
		seedFile         = fs.String("seed-file", "", "YAML or JSON seed: accounts, registries (repositories, images), clusters")
		stateFile        = fs.String("state-file", "", "keep state in this file across restarts (loaded instead of the seed when it exists)")
		perMinute        = fs.Int("rate-per-minute", 250, "requests per token per sliding minute")
		perHour          = fs.Int("rate-per-hour", 5000, "requests per token per sliding hour")
		noRate           = fs.Bool("no-rate-limit", false, "switch rate limiting off")
		gcPhase          = fs.Duration("gc-phase", 2*time.Second, "duration of every garbage collection phase")
		gcPhases         = fs.String("gc-phases", "", "per-phase durations: requested=1s,waiting=1s,scanning=1s,deleting=1s,cancelling=1s")
		faults           = fs.String("faults", "", "fault profile (see docs/simulator.md), e.g. 'GET /v2/registries/*: 503=0.1; POST /v2/registries #3=503'")
		faultSeed        = fs.Int64("fault-seed", 1, "seed for fault decisions")
		clockMode        = fs.String("clock", "real", "real, or manual (starts now, advanced only through POST /_sim/clock)")
		maxBody          = fs.Int64("max-body-bytes", 1<<20, "largest accepted request body")
		verbose          = fs.Bool("v", false, "log every request (method, path, status; never tokens)")
	)
	fs.Var(&accounts, "account", "NAME[:TIER]=TOKEN[,TOKEN...] (repeatable); TIER is starter, basic or professional")
	fs.Var(&tokens, "token", "a token for the account 'default' (professional tier) (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	opts := docrsim.Options{Seed: *faultSeed, StateFile: *stateFile, MaxBodyBytes: *maxBody,
		RateLimit: docrsim.RateLimit{Disabled: *noRate, PerMinute: *perMinute, PerHour: *perHour}}
	if *seedFile != "" {
		seed, err := docrsim.LoadSeedFile(*seedFile)
		if err != nil {
			return err
		}
		opts.Accounts, opts.Registries, opts.Clusters = seed.Accounts, seed.Registries, seed.Clusters
	}
	for _, a := range accounts {
		acct, err := parseAccount(a)
		if err != nil {
			return err
		}
		opts.Accounts = append(opts.Accounts, acct)
	}
	if len(tokens) > 0 {
		opts.Accounts = append(opts.Accounts, docrsim.Account{Name: "default", Tokens: tokens, Tier: docrsim.TierProfessional})
	}
	if len(opts.Accounts) == 0 {
		return errors.New("no accounts: give --account, --token or a --seed-file with accounts")
	}
	p := docrsim.GCPhases{Requested: *gcPhase, WaitingForJWTs: *gcPhase, ScanningManifests: *gcPhase, DeletingBlobs: *gcPhase, Cancelling: *gcPhase}
	if err := parsePhases(*gcPhases, &p); err != nil {
		return err
	}
	opts.GCPhases = p
	if *faults != "" {
		fp, err := docrsim.ParseFaults(*faults)
		if err != nil {
			return fmt.Errorf("--faults: %w", err)
		}
		opts.Faults = fp
	}
	switch *clockMode {
	case "real":
		opts.Clock = clock.RealClock{}
	case "manual":
		opts.Clock = testingclock.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	default:
		return fmt.Errorf("--clock %q: want real or manual", *clockMode)
	}
	if *verbose {
		opts.Logf = log.Printf
	}

	s, err := docrsim.New(opts)
	if err != nil {
		return err
	}
	url, err := s.Start(*addr)
	if err != nil {
		return err
	}
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(url+"\n"), 0o644); err != nil {
			s.Close()
			return fmt.Errorf("--url-file: %w", err)
		}
	}
	log.Printf("docr-sim listening on %s (admin API under %s/_sim/)", url, url)

	<-ctx.Done()
	log.Printf("docr-sim stopping")
	return s.Close()
}

// parseAccount reads NAME[:TIER]=TOKEN[,TOKEN...].
func parseAccount(v string) (docrsim.Account, error) {
	head, toks, ok := strings.Cut(v, "=")
	if !ok || head == "" || toks == "" {
		return docrsim.Account{}, fmt.Errorf("--account %q: want NAME[:TIER]=TOKEN[,TOKEN...]", redact(v))
	}
	name, tier, _ := strings.Cut(head, ":")
	return docrsim.Account{Name: name, Tier: tier, Tokens: strings.Split(toks, ",")}, nil
}

// redact keeps tokens out of error messages.
func redact(v string) string {
	if head, _, ok := strings.Cut(v, "="); ok {
		return head + "=…"
	}
	return "…"
}

func parsePhases(v string, p *docrsim.GCPhases) error {
	if v == "" {
		return nil
	}
	dst := map[string]*time.Duration{"requested": &p.Requested, "waiting": &p.WaitingForJWTs, "scanning": &p.ScanningManifests,
		"deleting": &p.DeletingBlobs, "cancelling": &p.Cancelling}
	for _, kv := range strings.Split(v, ",") {
		k, d, ok := strings.Cut(strings.TrimSpace(kv), "=")
		target, known := dst[k]
		if !ok || !known {
			return fmt.Errorf("--gc-phases %q: want a comma-separated list of requested|waiting|scanning|deleting|cancelling=DURATION", kv)
		}
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return fmt.Errorf("--gc-phases %s: %q is not a positive duration", k, d)
		}
		*target = dur
	}
	return nil
}
