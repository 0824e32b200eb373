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

// Package clients is the one place that makes DigitalOcean API clients: godo
// clients shared per (token, API URL, retry settings) across reconciles and
// controllers, one rate limiter per token, retries, metrics, error helpers, and
// the provider config lookup every controller's Connect uses.
//
// The token never appears in a log, event, condition, status or error: it is
// kept only in memory, identified by a hash, sent only in the Authorization
// header, and removed from error bodies before godo reads them.
package clients

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
	"k8s.io/utils/clock"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// DefaultAPIURL is DigitalOcean's API.
const DefaultAPIURL = "https://api.digitalocean.com/"

// Defaults of the retry settings.
const (
	DefaultMaxRetries = 4
	DefaultWaitMin    = 1 * time.Second
	DefaultWaitMax    = 30 * time.Second
	// attemptTimeout bounds one HTTP attempt.
	attemptTimeout = 30 * time.Second
	// idleAfter: clients unused this long are dropped (rotated tokens).
	idleAfter = 2 * time.Hour
)

// Config says how to reach DigitalOcean with one token.
type Config struct {
	// Token is the DigitalOcean API token. Never log or print it.
	Token string
	// APIURL of the DigitalOcean API; DefaultAPIURL when empty.
	APIURL string
	// RequestsPerMinute allowed for the token; DefaultRequestsPerMinute when 0.
	RequestsPerMinute int
	// MaxRetries of requests answered 429 or 5xx; negative disables retries,
	// 0 means DefaultMaxRetries.
	MaxRetries int
	// WaitMin and WaitMax bound the wait between retries.
	WaitMin, WaitMax time.Duration
	// ProviderConfig names the provider config, e.g. "ClusterProviderConfig/default"
	// or "ProviderConfig/team-a/default"; it labels the metrics.
	ProviderConfig string
}

// String never prints the token.
func (c Config) String() string {
	return "clients.Config{ProviderConfig: " + c.ProviderConfig + ", APIURL: " + c.APIURL + ", Token: " + redacted + "}"
}

// GoString never prints the token either (%#v).
func (c Config) GoString() string { return c.String() }

// DefaultRequestsPerMinute stays below DigitalOcean's 250 per minute.
const DefaultRequestsPerMinute = 200

// Client is a godo client plus what this provider adds. Its services
// (Registries, Kubernetes, ...) are godo's.
type Client struct {
	*godo.Client
	lim *limiter
}

// AccountChanges counts the account-wide changes (e.g. a subscription tier)
// this process made with the client's token. Controllers remember it with a
// refusal that such a change can lift (a registry limit) and retry when it
// moved.
func (c *Client) AccountChanges() uint64 {
	if c.lim == nil {
		return 0
	}
	return c.lim.accountChanges.Load()
}

// NoteAccountChange records an account-wide change made with the token.
func (c *Client) NoteAccountChange() {
	if c.lim != nil {
		c.lim.accountChanges.Add(1)
	}
}

// A Factory makes and caches godo clients. Use one per process.
type Factory struct {
	base    http.RoundTripper
	metrics *Metrics
	clock   clock.Clock
	ua      string

	mu       sync.Mutex
	clients  map[string]*entry
	limiters map[string]*limiter
}

type entry struct {
	client   *Client
	lastUsed time.Time
}

// An Option configures a Factory.
type Option func(*Factory)

// WithBaseTransport sets the transport under the limiter (default: a pooled
// http.Transport shared by all clients).
func WithBaseTransport(rt http.RoundTripper) Option { return func(f *Factory) { f.base = rt } }

// WithMetrics sets the metrics (default: DefaultMetrics()).
func WithMetrics(m *Metrics) Option { return func(f *Factory) { f.metrics = m } }

// WithClock sets the clock of rate-limit headers and cache expiry (default:
// the real clock). Rate limiting is about wall time at DigitalOcean: tests that
// drive controllers with a fake clock normally leave this alone.
func WithClock(c clock.Clock) Option { return func(f *Factory) { f.clock = c } }

// WithUserAgent sets the User-Agent sent to DigitalOcean.
func WithUserAgent(ua string) Option { return func(f *Factory) { f.ua = ua } }

// NewFactory makes a Factory.
func NewFactory(o ...Option) *Factory {
	f := &Factory{clock: clock.RealClock{}, ua: "provider-docr", clients: map[string]*entry{}, limiters: map[string]*limiter{}}
	for _, fn := range o {
		fn(f)
	}
	if f.metrics == nil {
		f.metrics = DefaultMetrics()
	}
	if f.base == nil {
		f.base = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        100,
			MaxIdleConnsPerHost: 20,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}
	}
	return f
}

// hash identifies a secret without revealing it.
func hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// ValidateAPIURL checks an API URL: http(s), a host, and no credentials in it
// (they would show in error messages).
func ValidateAPIURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("apiURL is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("apiURL must start with http:// or https://")
	}
	if u.Host == "" {
		return errors.New("apiURL has no host")
	}
	if u.User != nil {
		return errors.New("apiURL must not contain credentials; put the token in the provider config's credentials")
	}
	return nil
}

func (c *Config) defaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.RequestsPerMinute <= 0 {
		c.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.WaitMin <= 0 {
		c.WaitMin = DefaultWaitMin
	}
	if c.WaitMax <= 0 {
		c.WaitMax = DefaultWaitMax
	}
	if c.WaitMax < c.WaitMin {
		c.WaitMax = c.WaitMin
	}
}

// Client returns the shared client for cfg, making it on first use.
func (f *Factory) Client(cfg Config) (*Client, error) {
	cfg.Token = strings.TrimSpace(cfg.Token)
	if cfg.Token == "" {
		return nil, errors.New("the DigitalOcean API token is empty")
	}
	cfg.defaults()
	if err := ValidateAPIURL(cfg.APIURL); err != nil {
		return nil, err
	}
	tokenID := hash(cfg.Token)
	key := hash(cfg.Token, cfg.APIURL, strings.Join([]string{
		strconv.Itoa(cfg.MaxRetries), cfg.WaitMin.String(), cfg.WaitMax.String()}, ","))

	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	f.expire(now)

	l, ok := f.limiters[tokenID]
	if !ok {
		l = newLimiter(f.clock, f.metrics)
		f.limiters[tokenID] = l
	}
	l.use(cfg.ProviderConfig, cfg.RequestsPerMinute)

	if e, ok := f.clients[key]; ok {
		e.lastUsed = now
		return e.client, nil
	}
	c, err := f.newClient(cfg, l)
	if err != nil {
		return nil, err
	}
	f.clients[key] = &entry{client: c, lastUsed: now}
	return c, nil
}

// expire drops clients unused for a long time (e.g. after a token rotation).
// Limiters stay: they are small, and a token returning keeps its history.
func (f *Factory) expire(now time.Time) {
	for k, e := range f.clients {
		if now.Sub(e.lastUsed) > idleAfter {
			delete(f.clients, k)
		}
	}
}

func (f *Factory) newClient(cfg Config, l *limiter) (*Client, error) {
	rt := &transport{base: f.base, limiter: l, metrics: f.metrics, secret: []byte(cfg.Token)}
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: cfg.Token, TokenType: "Bearer"})
	// godo's retry support needs an oauth2 client (with http.DefaultClient it
	// panics): give it one whose base transport is ours.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rt, Timeout: attemptTimeout})
	oc := oauth2.NewClient(ctx, ts)
	opts := []godo.ClientOpt{godo.SetBaseURL(cfg.APIURL), godo.SetUserAgent(f.ua)}
	if cfg.MaxRetries > 0 {
		opts = append(opts, godo.WithRetryAndBackoffs(godo.RetryConfig{
			RetryMax:     cfg.MaxRetries,
			RetryWaitMin: godo.PtrTo(cfg.WaitMin.Seconds()),
			RetryWaitMax: godo.PtrTo(cfg.WaitMax.Seconds()),
		}))
	}
	gc, err := godo.New(oc, opts...)
	if err != nil {
		return nil, errors.Wrap(err, "cannot make a DigitalOcean API client")
	}
	if cfg.MaxRetries > 0 {
		// godo replaced our client with a retrying one whose innermost
		// transport is its own: put ours under the retries, so that each
		// attempt waits for the limiter and is counted.
		ot, ok := gc.HTTPClient.Transport.(*oauth2.Transport)
		if !ok {
			return nil, errors.New("unexpected godo transport: cannot install the rate limiter")
		}
		rr, ok := ot.Base.(*retryablehttp.RoundTripper)
		if !ok || rr.Client == nil || rr.Client.HTTPClient == nil {
			return nil, errors.New("unexpected godo retry transport: cannot install the rate limiter")
		}
		rr.Client.HTTPClient.Transport = rt
		rr.Client.HTTPClient.Timeout = attemptTimeout
		rr.Client.Logger = nil
	}
	return &Client{Client: gc, lim: l}, nil
}
