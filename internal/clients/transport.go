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
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/utils/clock"
)

// DigitalOceanRequestsPerMinute is DigitalOcean's per-token limit per minute.
const DigitalOceanRequestsPerMinute = 250

// maxHeaderBlock caps how long DigitalOcean's headers may stop a token's
// requests, so that a wrong header cannot stall the provider for longer than
// DigitalOcean's hourly window.
const maxHeaderBlock = 65 * time.Minute

// A limiter is the one client-side rate limiter of one API token. Every godo
// client made for the token sends through it, whichever provider config or
// controller uses it.
//
// It combines a token bucket (sustained rate: requestsPerMinute/60 per second;
// burst: what is left of DigitalOcean's 250 per minute, so that no 60 seconds
// can exceed 250 requests) with a gate that DigitalOcean's headers close:
// ratelimit-remaining 0 closes it until ratelimit-reset, a 429's retry-after
// closes it for that many seconds.
type limiter struct {
	clock  clock.Clock
	bucket *rate.Limiter

	mu      sync.Mutex
	perPC   map[string]int // requested requests per minute, by provider config
	rpm     int
	closed  time.Time // the gate is closed until then
	configs map[string]struct{}
	metrics *Metrics

	// accountChanges: see Client.AccountChanges. Per token, which stands
	// for the account.
	accountChanges atomic.Uint64
}

func newLimiter(c clock.Clock, m *Metrics) *limiter {
	return &limiter{clock: c, perPC: map[string]int{}, configs: map[string]struct{}{}, metrics: m}
}

// use records that provider config pc uses this token and asks for rpm
// requests per minute. The token's rate is the lowest any of its provider
// configs asks for.
func (l *limiter) use(pc string, rpm int) {
	if rpm <= 0 {
		rpm = 200
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.configs[pc] = struct{}{}
	l.perPC[pc] = rpm
	lowest := math.MaxInt
	for _, r := range l.perPC {
		lowest = min(lowest, r)
	}
	if lowest == l.rpm && l.bucket != nil {
		return
	}
	l.rpm = lowest
	burst := max(1, min(lowest, DigitalOceanRequestsPerMinute-lowest))
	if l.bucket == nil {
		l.bucket = rate.NewLimiter(rate.Limit(float64(lowest)/60), burst)
		return
	}
	l.bucket.SetLimit(rate.Limit(float64(lowest) / 60))
	l.bucket.SetBurst(burst)
}

// RateLimitedError is returned instead of waiting past the caller's deadline.
type RateLimitedError struct {
	Until time.Time
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("DigitalOcean rate limit reached: requests with this token are paused until %s", e.Until.UTC().Format(time.RFC3339))
}

// wait blocks until a request may be sent, or fails when that would be after
// ctx's deadline.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	closed, bucket := l.closed, l.bucket
	l.mu.Unlock()
	if d := closed.Sub(l.clock.Now()); d > 0 {
		if dl, ok := ctx.Deadline(); ok && l.clock.Now().Add(d).After(dl) {
			l.metrics.Throttled.WithLabelValues("refused").Inc()
			return &RateLimitedError{Until: closed}
		}
		l.metrics.Throttled.WithLabelValues("waited").Inc()
		t := l.clock.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if bucket == nil {
		return nil
	}
	r := bucket.Reserve()
	if !r.OK() {
		return fmt.Errorf("rate limiter refuses requests")
	}
	d := r.Delay()
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(d).After(dl) {
		r.Cancel()
		l.metrics.Throttled.WithLabelValues("refused").Inc()
		return &RateLimitedError{Until: time.Now().Add(d)}
	}
	l.metrics.Throttled.WithLabelValues("waited").Inc()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// observe reads DigitalOcean's rate-limit headers of a response.
func (l *limiter) observe(resp *http.Response) {
	now := l.clock.Now()
	var until time.Time
	remaining, errR := strconv.Atoi(resp.Header.Get("ratelimit-remaining"))
	reset, errT := strconv.ParseInt(resp.Header.Get("ratelimit-reset"), 10, 64)
	if errR == nil && remaining <= 0 && errT == nil {
		until = time.Unix(reset, 0)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if s, err := strconv.Atoi(resp.Header.Get("retry-after")); err == nil && s >= 0 {
			until = later(until, now.Add(time.Duration(s)*time.Second))
		} else if errT == nil {
			until = later(until, time.Unix(reset, 0))
		}
	}
	l.mu.Lock()
	if until.After(now) {
		l.closed = later(l.closed, earlier(until, now.Add(maxHeaderBlock)))
	}
	configs := make([]string, 0, len(l.configs))
	for pc := range l.configs {
		configs = append(configs, pc)
	}
	l.mu.Unlock()
	if errR == nil {
		for _, pc := range configs {
			l.metrics.RateLimitRemaining.WithLabelValues(pc).Set(float64(remaining))
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// A transport sends every attempt of one godo client. It sits under godo's
// retries, so each attempt waits for the token's limiter and is counted.
type transport struct {
	base    http.RoundTripper
	limiter *limiter
	metrics *Metrics
	secret  []byte
}

// maxErrorBody is the most of an error response body the transport reads to
// remove the token from it.
const maxErrorBody = 1 << 20

// redacted replaces the token wherever it appears.
const redacted = "[REDACTED]"

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.wait(req.Context()); err != nil {
		return nil, err
	}
	op := Operation(req.Method, req.URL.EscapedPath())
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.metrics.Requests.WithLabelValues(op, "error").Inc()
		return nil, err
	}
	t.metrics.Requests.WithLabelValues(op, strconv.Itoa(resp.StatusCode)).Inc()
	t.limiter.observe(resp)
	if resp.StatusCode >= 300 && len(t.secret) > 0 {
		// godo puts an error body's message into its error string. Should a
		// server ever echo the token, it must not reach a log or condition.
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
		if rerr != nil {
			body = nil
		}
		body = bytes.ReplaceAll(body, t.secret, []byte(redacted))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
	}
	return resp, nil
}

// literalSegments of DigitalOcean API paths; every other segment is a name or
// id and becomes a placeholder, so metrics labels stay few.
var literalSegments = map[string]bool{
	"v2": true, "registries": true, "registry": true, "subscription": true, "options": true,
	"validate-name": true, "garbage-collection": true, "garbage-collections": true,
	"repositories": true, "repositoriesV2": true, "tags": true, "digests": true,
	"docker-credentials": true, "kubernetes": true, "clusters": true, "kubeconfig": true,
	"account": true, "credentials": true,
}

// Operation names a request for metrics: its method and path with names and
// ids replaced by {id}, e.g. "GET /v2/registries/{id}".
func Operation(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if !literalSegments[s] {
			segs[i] = "{id}"
		}
	}
	return method + " /" + strings.Join(segs, "/")
}
