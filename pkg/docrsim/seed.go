package docrsim

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-docr/internal/regions"
	"sigs.k8s.io/yaml"
)

// LoadSeedFile reads a seed file, YAML or JSON (JSON is YAML), with the fields of SeedData:
//
//	accounts:   [{name, tokens: [...], tier}]
//	registries: [{name, account, region, repositories: [{name, images: [{tags, layers: [{size, digest}], pushedAt}]}]}]
//	clusters:   [{id, name, region, account, kubeconfig, registries: [...]}]
func LoadSeedFile(path string) (SeedData, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return SeedData{}, fmt.Errorf("reading seed file: %w", err)
	}
	var d SeedData
	if err := yaml.UnmarshalStrict(b, &d); err != nil {
		return SeedData{}, fmt.Errorf("decoding seed file %s: %w", path, err)
	}
	return d, nil
}

// buildWorld turns options' seed data into a world, validating it like the API would.
func buildWorld(o Options, now time.Time) (*world, error) {
	w := newWorld()
	tokens := map[string]string{}
	for i, a := range o.Accounts {
		if a.Name == "" {
			return nil, fmt.Errorf("accounts[%d].name is required", i)
		}
		if w.Accounts[a.Name] != nil {
			return nil, fmt.Errorf("accounts[%d]: account %q is listed twice", i, a.Name)
		}
		if a.Tier != "" {
			if _, ok := tierBySlug(a.Tier); !ok {
				return nil, fmt.Errorf("accounts[%d].tier %q is not one of %s", i, a.Tier, tierSlugs())
			}
		}
		for _, t := range a.Tokens {
			if strings.TrimSpace(t) == "" {
				return nil, fmt.Errorf("accounts[%d].tokens has an empty token", i)
			}
			if other, dup := tokens[t]; dup {
				return nil, fmt.Errorf("accounts[%d].tokens: a token is shared with account %q", i, other)
			}
			tokens[t] = a.Name
		}
		acct := &account{Name: a.Name, Tokens: append([]string{}, a.Tokens...), Tier: a.Tier}
		if a.Tier != "" {
			acct.SubscribedAt, acct.SubUpdatedAt = now, now
		}
		w.Accounts[a.Name] = acct
	}
	for i, sr := range o.Registries {
		if msg := validateRegistryName(sr.Name); msg != "" {
			return nil, fmt.Errorf("registries[%d]: %s", i, msg)
		}
		if w.Registries[sr.Name] != nil {
			return nil, fmt.Errorf("registries[%d]: registry %q is listed twice (names are global)", i, sr.Name)
		}
		acct := w.Accounts[sr.Account]
		if acct == nil {
			return nil, fmt.Errorf("registries[%d].account %q is not a seeded account", i, sr.Account)
		}
		if acct.Tier == "" {
			// A registry implies a subscription; seed data without one gets basic, like the API.
			acct.Tier, acct.SubscribedAt, acct.SubUpdatedAt = TierBasic, now, now
		}
		region := sr.Region
		if region == "" {
			region = defaultRegion()
		}
		if !regions.IsRegistry(region) {
			return nil, fmt.Errorf("registries[%d].region %q does not offer registries (%s)", i, region, strings.Join(regions.Registry(), ", "))
		}
		created := sr.CreatedAt
		if created.IsZero() {
			created = now
		}
		id := sr.UUID
		if id == "" {
			id = w.nextID()
		}
		w.Registries[sr.Name] = &registry{UUID: id, Name: sr.Name, Account: sr.Account, Region: region, CreatedAt: created, UsageUpdatedAt: created,
			Repos: map[string]*repository{}, Blobs: map[string]int64{}}
	}
	// Images are pushed once every registry exists, through the same code as PushImage
	// (and so within tier limits).
	s := &Server{w: w, clk: fixedClock{now}}
	for i, sr := range o.Registries {
		reg := w.Registries[sr.Name]
		for _, repo := range sr.Repositories {
			for k, img := range repo.Images {
				if _, err := s.pushLocked(reg, repo.Name, img, now); err != nil {
					return nil, fmt.Errorf("registries[%d] %s/%s images[%d]: %w", i, sr.Name, repo.Name, k, err)
				}
			}
		}
		if len(sr.Repositories) > 0 {
			reg.UsageUpdatedAt = now
		}
	}
	for i, cl := range o.Clusters {
		if err := addCluster(w, cl, now); err != nil {
			return nil, fmt.Errorf("clusters[%d]: %w", i, err)
		}
	}
	return w, nil
}

// fixedClock is a PassiveClock stopped at one instant (for seeding).
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                  { return c.t }
func (c fixedClock) Since(t time.Time) time.Duration { return c.t.Sub(t) }
