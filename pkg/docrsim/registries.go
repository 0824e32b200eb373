package docrsim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-docr/internal/regions"
)

// Errors returned by the test methods; wrap-checked with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid")
	ErrConflict = errors.New("conflict")
	// ErrReadOnly means a garbage collection is active on the registry.
	ErrReadOnly = errors.New("registry is read-only while garbage collection is active")
	// ErrLimit means the account's subscription tier does not allow it.
	ErrLimit = errors.New("subscription limit")
)

var registryNameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validateRegistryName applies DigitalOcean's rules and says which one is broken.
func validateRegistryName(name string) string {
	switch {
	case name == "":
		return "name is required"
	case len(name) > 63:
		return fmt.Sprintf("name %q is longer than 63 characters", name)
	case registryNameRE.MatchString(name):
		return ""
	case name[0] < 'a' || name[0] > 'z':
		return fmt.Sprintf("name %q must start with a lowercase letter", name)
	case strings.HasSuffix(name, "-"):
		return fmt.Sprintf("name %q must end with a letter or digit", name)
	}
	return fmt.Sprintf("name %q may contain only lowercase letters, digits and hyphens", name)
}

type wireRegistry struct {
	UUID                       string            `json:"uuid"`
	Name                       string            `json:"name"`
	Region                     string            `json:"region"`
	CreatedAt                  string            `json:"created_at"`
	StorageUsageBytes          int64             `json:"storage_usage_bytes"`
	StorageUsageBytesUpdatedAt string            `json:"storage_usage_bytes_updated_at"`
	Subscription               *wireSubscription `json:"subscription,omitempty"`
}

func (s *Server) registryWire(r *registry) *wireRegistry {
	return &wireRegistry{UUID: r.UUID, Name: r.Name, Region: r.Region, CreatedAt: rfc3339(r.CreatedAt),
		StorageUsageBytes: r.storageBytes(), StorageUsageBytesUpdatedAt: rfc3339(r.UsageUpdatedAt)}
}

// accountRegistries lists an account's registries sorted by name.
func (s *Server) accountRegistries(acct string) []*registry {
	var out []*registry
	for _, r := range s.w.Registries {
		if r.Account == acct {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookupRegistry finds a registry of the caller's account by name or UUID. Registries of
// other accounts are reported as not found, as DigitalOcean does.
func (c *call) lookupRegistry(ref string) (*registry, reply, bool) {
	r := c.s.w.Registries[ref]
	if r == nil {
		for _, x := range c.s.w.Registries {
			if x.UUID == ref {
				r = x
				break
			}
		}
	}
	if r == nil || r.Account != c.acct.Name {
		return nil, notFound(fmt.Sprintf("registry %q not found", ref)), false
	}
	return r, reply{}, true
}

// listRegistries serves GET /v2/registries (and godo's ListByUUID, ?uuid=).
func (s *Server) listRegistries(c *call) reply {
	uuid := c.r.URL.Query().Get("uuid")
	out := []*wireRegistry{}
	var total int64
	for _, r := range s.accountRegistries(c.acct.Name) {
		if uuid != "" && r.UUID != uuid {
			continue
		}
		wr := s.registryWire(r)
		total += wr.StorageUsageBytes
		out = append(out, wr)
	}
	return ok(map[string]any{"registries": out, "total_storage_usage_bytes": total})
}

func (s *Server) getRegistry(c *call) reply {
	r, rep, found := c.lookupRegistry(c.r.PathValue("registry_name"))
	if !found {
		return rep
	}
	return ok(map[string]any{"registry": s.registryWire(r)})
}

type createRegistryRequest struct {
	Name                 string `json:"name"`
	SubscriptionTierSlug string `json:"subscription_tier_slug"`
	Region               string `json:"region"`
}

// createRegistry serves POST /v2/registries.
func (s *Server) createRegistry(c *call) reply {
	var req createRegistryRequest
	if rep, bad := c.decode(&req, true); bad {
		return rep
	}
	return s.createRegistryLocked(c, req, false)
}

// createRegistryLocked is shared by both families; legacy refuses a second registry with 422.
func (s *Server) createRegistryLocked(c *call, req createRegistryRequest, legacy bool) reply {
	if msg := validateRegistryName(req.Name); msg != "" {
		return unprocessable(msg)
	}
	region := req.Region
	if region == "" {
		region = defaultRegion()
	} else if !regions.IsRegistry(region) {
		return unprocessable(fmt.Sprintf("region %q does not offer container registries; available: %s", region, strings.Join(regions.Registry(), ", ")))
	}
	if req.SubscriptionTierSlug != "" {
		if _, ok := tierBySlug(req.SubscriptionTierSlug); !ok {
			return unprocessable(fmt.Sprintf("subscription_tier_slug %q is not a valid tier; one of: %s", req.SubscriptionTierSlug, tierSlugs()))
		}
	}
	if _, taken := s.w.Registries[req.Name]; taken {
		return conflict(fmt.Sprintf("registry name %q is already taken", req.Name))
	}
	own := s.accountRegistries(c.acct.Name)
	if legacy && len(own) > 0 {
		return unprocessable("user already has a registry")
	}
	// An account without a subscription signs up with the requested tier, or basic as
	// doctl does by default (choice); an existing subscription is left as it is.
	if c.acct.Tier == "" {
		slug := req.SubscriptionTierSlug
		if slug == "" {
			slug = TierBasic
		}
		if rep, bad := s.setTierLocked(c.acct, slug, c.now); bad {
			return rep
		}
	}
	t, _ := tierBySlug(c.acct.Tier)
	if len(own) >= t.MaxRegistries {
		return unprocessable(fmt.Sprintf("registry limit reached: the %s tier allows %d registr%s; the professional tier allows 10",
			t.Slug, t.MaxRegistries, map[bool]string{true: "y", false: "ies"}[t.MaxRegistries == 1]))
	}
	r := &registry{UUID: s.w.nextID(), Name: req.Name, Account: c.acct.Name, Region: region, CreatedAt: c.now, UsageUpdatedAt: c.now,
		Repos: map[string]*repository{}, Blobs: map[string]int64{}}
	s.w.Registries[r.Name] = r
	s.journal.add(JournalEntry{Time: c.now, Kind: JournalRegistryCreated, Account: r.Account, Registry: r.Name, Region: r.Region})
	wr := s.registryWire(r)
	if legacy {
		wr.Subscription = s.subscriptionWire(c.acct)
	}
	return created(map[string]any{"registry": wr})
}

func defaultRegion() string {
	if regions.IsRegistry("nyc3") {
		return "nyc3"
	}
	return regions.Registry()[0]
}

// deleteRegistry serves DELETE /v2/registries/{registry_name}: it deletes every image
// and takes the registry out of every cluster integration.
func (s *Server) deleteRegistry(c *call) reply {
	r, rep, found := c.lookupRegistry(c.r.PathValue("registry_name"))
	if !found {
		return rep
	}
	s.deleteRegistryLocked(r)
	return noContent(true)
}

func (s *Server) deleteRegistryLocked(r *registry) {
	delete(s.w.Registries, r.Name)
	s.journal.add(JournalEntry{Time: s.clk.Now(), Kind: JournalRegistryDeleted, Account: r.Account, Registry: r.Name, Region: r.Region})
	for _, cl := range s.w.Clusters {
		cl.Registries = slices.DeleteFunc(cl.Registries, func(n string) bool { return n == r.Name })
	}
}

type validateNameRequest struct {
	Name string `json:"name"`
}

// validateName serves POST .../validate-name: 204 when free, 409 when anyone has it.
func (s *Server) validateName(c *call) reply {
	var req validateNameRequest
	if rep, bad := c.decode(&req, true); bad {
		return rep
	}
	if msg := validateRegistryName(req.Name); msg != "" {
		return unprocessable(msg)
	}
	if _, taken := s.w.Registries[req.Name]; taken {
		return conflict(fmt.Sprintf("registry name %q is already taken", req.Name))
	}
	return noContent(false)
}

// dockerCredentials serves GET .../docker-credentials. The credentials are a fresh
// random token, never the API token. Read-write credentials are refused while a
// garbage collection makes the registry read-only.
func (s *Server) dockerCredentials(c *call) reply {
	r, rep, found := c.lookupRegistry(c.r.PathValue("registry_name"))
	if !found {
		return rep
	}
	return s.credentialsLocked(c, r)
}

func (s *Server) credentialsLocked(c *call, r *registry) reply {
	q := c.r.URL.Query()
	readWrite := false
	if v := q.Get("read_write"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest(fmt.Sprintf("read_write %q is not a boolean", v))
		}
		readWrite = b
	}
	var expires time.Time
	if v := q.Get("expiry_seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return badRequest(fmt.Sprintf("expiry_seconds %q is not a non-negative integer", v))
		}
		if n > 0 {
			expires = c.now.Add(time.Duration(n) * time.Second)
		}
	}
	if readWrite && r != nil && s.activeGCLocked(r) != nil {
		return precondition(fmt.Sprintf("registry %q is read-only while garbage collection is active: read-write credentials are not issued", r.Name))
	}
	buf := make([]byte, 16)
	rand.Read(buf) //nolint:errcheck // crypto/rand does not fail.
	secret := "dop_sim_" + hex.EncodeToString(buf)
	auth := base64.StdEncoding.EncodeToString([]byte(secret + ":" + secret))
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{RegistryHost: map[string]string{"auth": auth}}})
	e := JournalEntry{Time: c.now, Kind: JournalCredentialsIssued, Account: c.acct.Name, ExpiresAt: expires, ReadWrite: readWrite, Credential: secret, Auth: auth}
	if r != nil {
		e.Registry = r.Name
	}
	s.journal.add(e)
	return reply{status: http.StatusOK, raw: b}
}

// RegistryHost is the registry server every DigitalOcean registry lives on.
const RegistryHost = "registry.digitalocean.com"

// Legacy single-registry family.

// legacyRegistry finds the account's only registry: 412 when it has several, 404 none.
func (c *call) legacyRegistry() (*registry, reply, bool) {
	own := c.s.accountRegistries(c.acct.Name)
	switch len(own) {
	case 0:
		return nil, notFound("no registry: create one first"), false
	case 1:
		return own[0], reply{}, true
	}
	return nil, precondition("This API is not supported if you have created multiple registries. Please use '/v2/registries/{registry_name}' instead"), false
}

func (s *Server) legacyGet(c *call) reply {
	r, rep, found := c.legacyRegistry()
	if !found {
		return rep
	}
	wr := s.registryWire(r)
	wr.Subscription = s.subscriptionWire(c.acct)
	return ok(map[string]any{"registry": wr})
}

func (s *Server) legacyCreate(c *call) reply {
	var req createRegistryRequest
	if rep, bad := c.decode(&req, true); bad {
		return rep
	}
	return s.createRegistryLocked(c, req, true)
}

func (s *Server) legacyDelete(c *call) reply {
	r, rep, found := c.legacyRegistry()
	if !found {
		return rep
	}
	s.deleteRegistryLocked(r)
	return noContent(true)
}

// legacyCredentials serves GET /v2/registry/docker-credentials: one credential for the
// registry host, valid for all the account's registries.
func (s *Server) legacyCredentials(c *call) reply {
	own := s.accountRegistries(c.acct.Name)
	if len(own) == 0 {
		return notFound("no registry: create one first")
	}
	readWrite, _ := strconv.ParseBool(c.r.URL.Query().Get("read_write"))
	if readWrite {
		for _, r := range own {
			if s.activeGCLocked(r) != nil {
				return s.credentialsLocked(c, r)
			}
		}
	}
	return s.credentialsLocked(c, nil)
}

// namedRegistry resolves {registry_name} on both families' per-registry paths; the
// legacy ones behave like the multi-registry ones (choice: the spec documents no 412
// there).
func (c *call) namedRegistry() (*registry, reply, bool) {
	return c.lookupRegistry(c.r.PathValue("registry_name"))
}
