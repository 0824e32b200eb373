package docrsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-docr/internal/regions"
)

// tier is a subscription tier as /v2/registries/options describes it.
type tier struct {
	Slug                 string
	Name                 string
	IncludedRepositories int64 // 0 = unlimited
	IncludedStorageBytes int64
	AllowStorageOverage  bool
	IncludedBandwidth    int64
	MonthlyPriceInCents  int64
	OveragePriceInCents  int64
	MaxRegistries        int
}

const mib = 1 << 20

var tiers = []tier{
	{Slug: TierStarter, Name: "Starter", IncludedRepositories: 1, IncludedStorageBytes: 500 * mib, IncludedBandwidth: 500 * mib, MaxRegistries: 1},
	{Slug: TierBasic, Name: "Basic", IncludedRepositories: 5, IncludedStorageBytes: 5 * 1024 * mib, AllowStorageOverage: true, IncludedBandwidth: 5 * 1024 * mib, MonthlyPriceInCents: 500, OveragePriceInCents: 2, MaxRegistries: 1},
	{Slug: TierProfessional, Name: "Professional", IncludedRepositories: 0, IncludedStorageBytes: 100 * 1024 * mib, AllowStorageOverage: true, IncludedBandwidth: 100 * 1024 * mib, MonthlyPriceInCents: 2000, OveragePriceInCents: 2, MaxRegistries: 10},
}

func tierBySlug(slug string) (tier, bool) {
	i := slices.IndexFunc(tiers, func(t tier) bool { return t.Slug == slug })
	if i < 0 {
		return tier{}, false
	}
	return tiers[i], true
}

func tierSlugs() string {
	s := make([]string, len(tiers))
	for i, t := range tiers {
		s[i] = t.Slug
	}
	return strings.Join(s, ", ")
}

// Wire types: the union of the spec's and godo's fields.
type wireTier struct {
	Name                       string   `json:"name"`
	Slug                       string   `json:"slug"`
	IncludedRepositories       int64    `json:"included_repositories"`
	IncludedStorageBytes       int64    `json:"included_storage_bytes"`
	AllowStorageOverage        bool     `json:"allow_storage_overage"`
	IncludedBandwidthBytes     int64    `json:"included_bandwidth_bytes"`
	MonthlyPriceInCents        int64    `json:"monthly_price_in_cents"`
	StorageOveragePriceInCents int64    `json:"storage_overage_price_in_cents"`
	Eligible                   *bool    `json:"eligible,omitempty"`
	EligibilityReasons         []string `json:"eligibility_reasons,omitempty"`
}

type wireSubscription struct {
	Tier      *wireTier `json:"tier"`
	CreatedAt string    `json:"created_at"`
	UpdatedAt string    `json:"updated_at"`
}

func (t tier) wire() *wireTier {
	return &wireTier{Name: t.Name, Slug: t.Slug, IncludedRepositories: t.IncludedRepositories, IncludedStorageBytes: t.IncludedStorageBytes,
		AllowStorageOverage: t.AllowStorageOverage, IncludedBandwidthBytes: t.IncludedBandwidth, MonthlyPriceInCents: t.MonthlyPriceInCents,
		StorageOveragePriceInCents: t.OveragePriceInCents}
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// usage is what an account consumes, for eligibility.
type usage struct {
	registries   int
	repositories int64
	storage      int64
}

func (s *Server) usageLocked(acct string) usage {
	var u usage
	for _, r := range s.w.Registries {
		if r.Account != acct {
			continue
		}
		u.registries++
		u.repositories += int64(len(r.Repos))
		u.storage += r.storageBytes()
	}
	return u
}

// eligibility lists why an account's usage does not fit a tier (OverRepositoryLimit,
// OverStorageLimit) plus OverRegistryLimit, which DigitalOcean reports on downgrades.
func eligibility(t tier, u usage) (reasons []string, overRegistries bool) {
	if t.IncludedRepositories > 0 && u.repositories > t.IncludedRepositories {
		reasons = append(reasons, "OverRepositoryLimit")
	}
	if !t.AllowStorageOverage && u.storage > t.IncludedStorageBytes {
		reasons = append(reasons, "OverStorageLimit")
	}
	return reasons, u.registries > t.MaxRegistries
}

func (s *Server) subscriptionWire(a *account) *wireSubscription {
	t, ok := tierBySlug(a.Tier)
	if !ok {
		return nil
	}
	return &wireSubscription{Tier: t.wire(), CreatedAt: rfc3339(a.SubscribedAt), UpdatedAt: rfc3339(a.SubUpdatedAt)}
}

// getOptions serves GET /v2/registries/options and /v2/registry/options.
func (s *Server) getOptions(c *call) reply {
	u := s.usageLocked(c.acct.Name)
	out := make([]*wireTier, 0, len(tiers))
	for _, t := range tiers {
		wt := t.wire()
		reasons, _ := eligibility(t, u)
		el := len(reasons) == 0
		wt.Eligible, wt.EligibilityReasons = &el, reasons
		if reasons == nil {
			wt.EligibilityReasons = []string{}
		}
		out = append(out, wt)
	}
	return ok(map[string]any{"options": map[string]any{"subscription_tiers": out, "available_regions": regions.Registry()}})
}

// getSubscription serves GET .../subscription. With no subscription DigitalOcean
// answers 200 with a null subscription? It is undocumented; we answer 404 not_found,
// which godo surfaces as an error the caller can branch on (choice).
func (s *Server) getSubscription(c *call) reply {
	sub := s.subscriptionWire(c.acct)
	if sub == nil {
		return notFound("no subscription: create one with POST /v2/registries/subscription")
	}
	return ok(map[string]any{"subscription": sub})
}

type subscriptionRequest struct {
	TierSlug string `json:"tier_slug"`
}

// updateSubscription serves POST .../subscription: the tier is account-wide.
func (s *Server) updateSubscription(c *call) reply {
	var req subscriptionRequest
	if rep, bad := c.decode(&req, true); bad {
		return rep
	}
	if rep, bad := s.setTierLocked(c.acct, req.TierSlug, c.now); bad {
		return rep
	}
	return reply{status: http.StatusOK, body: map[string]any{"subscription": s.subscriptionWire(c.acct)}, changed: true}
}

// setTierLocked changes an account's tier, refusing tiers its usage does not fit.
func (s *Server) setTierLocked(a *account, slug string, now time.Time) (reply, bool) {
	if slug == "" {
		return unprocessable("tier_slug is required; one of: " + tierSlugs()), true
	}
	t, ok := tierBySlug(slug)
	if !ok {
		return unprocessable(fmt.Sprintf("tier_slug %q is not a valid tier; one of: %s", slug, tierSlugs())), true
	}
	reasons, overRegs := eligibility(t, s.usageLocked(a.Name))
	if overRegs {
		reasons = append([]string{"OverRegistryLimit"}, reasons...)
	}
	if len(reasons) > 0 {
		return precondition(fmt.Sprintf("registry is not eligible for tier because: [%s]", strings.Join(reasons, " "))), true
	}
	if a.Tier == "" {
		a.SubscribedAt = now
	}
	if a.Tier != slug || a.SubUpdatedAt.IsZero() {
		a.SubUpdatedAt = now
	}
	a.Tier = slug
	return reply{}, false
}

// SetTier sets an account's subscription tier, with the same eligibility checks as the API.
func (s *Server) SetTier(accountName, slug string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.Accounts[accountName]
	if a == nil {
		return fmt.Errorf("account %q: %w", accountName, ErrNotFound)
	}
	if rep, bad := s.setTierLocked(a, slug, s.clk.Now()); bad {
		return fmt.Errorf("%s: %w", rep.body.(*apiError).Message, ErrInvalid)
	}
	s.persistLocked()
	return nil
}
