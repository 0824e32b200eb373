package docrsim

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter keeps, per token, the times of its recent accepted requests and applies
// DigitalOcean's two sliding windows. Times come from the caller (the simulator's
// clock), so a fake clock moves the windows without timers.
type rateLimiter struct {
	mu      sync.Mutex
	cfg     RateLimit
	windows map[string]*tokenWindow
}

type tokenWindow struct {
	minute timeQueue
	hour   timeQueue
}

// timeQueue is a FIFO of request times.
type timeQueue struct {
	t    []time.Time
	head int
}

func (q *timeQueue) len() int { return len(q.t) - q.head }

func (q *timeQueue) oldest() time.Time { return q.t[q.head] }

func (q *timeQueue) push(t time.Time) {
	if q.head > 0 && q.head >= len(q.t)/2 {
		q.t = append(q.t[:0], q.t[q.head:]...)
		q.head = 0
	}
	q.t = append(q.t, t)
}

// expire drops entries that are at least window old.
func (q *timeQueue) expire(now time.Time, window time.Duration) {
	for q.len() > 0 && !now.Before(q.oldest().Add(window)) {
		q.head++
	}
}

func (c RateLimit) withDefaults() RateLimit {
	if c.PerMinute <= 0 {
		c.PerMinute = 250
	}
	if c.PerHour <= 0 {
		c.PerHour = 5000
	}
	return c
}

func newRateLimiter(cfg RateLimit) *rateLimiter {
	return &rateLimiter{cfg: cfg.withDefaults(), windows: map[string]*tokenWindow{}}
}

func (l *rateLimiter) set(cfg RateLimit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cfg = cfg.withDefaults()
}

func (l *rateLimiter) config() RateLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}

func (l *rateLimiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.windows = map[string]*tokenWindow{}
}

// allow records a request by token at now, unless a window is full. It always sets the
// ratelimit-* headers (which, like DigitalOcean's, describe the hourly window); a
// refused request gets a 429 reply with retry-after (seconds).
func (l *rateLimiter) allow(w http.ResponseWriter, token string, now time.Time) (reply, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.Disabled {
		setRateHeaders(w, l.cfg.PerHour, l.cfg.PerHour, now.Add(time.Hour))
		return reply{}, false
	}
	tw := l.windows[token]
	if tw == nil {
		tw = &tokenWindow{}
		l.windows[token] = tw
	}
	tw.minute.expire(now, time.Minute)
	tw.hour.expire(now, time.Hour)
	var retryAt time.Time
	var which string
	switch {
	case tw.hour.len() >= l.cfg.PerHour:
		retryAt, which = tw.hour.oldest().Add(time.Hour), "hour"
	case tw.minute.len() >= l.cfg.PerMinute:
		retryAt, which = tw.minute.oldest().Add(time.Minute), "minute"
	}
	if which != "" {
		l.writeHeaders(w, tw, now)
		secs := int(retryAt.Sub(now).Seconds() + 0.999)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return errReply(http.StatusTooManyRequests, "too_many_requests",
			fmt.Sprintf("API rate limit exceeded: more than %d requests per %s", map[string]int{"hour": l.cfg.PerHour, "minute": l.cfg.PerMinute}[which], which)), true
	}
	tw.minute.push(now)
	tw.hour.push(now)
	l.writeHeaders(w, tw, now)
	return reply{}, false
}

func (l *rateLimiter) writeHeaders(w http.ResponseWriter, tw *tokenWindow, now time.Time) {
	reset := now
	if tw.hour.len() > 0 {
		reset = tw.hour.oldest().Add(time.Hour)
	}
	setRateHeaders(w, l.cfg.PerHour, l.cfg.PerHour-tw.hour.len(), reset)
}

// headers sets the headers for a request that is not counted (unauthenticated).
func (l *rateLimiter) headers(w http.ResponseWriter, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	setRateHeaders(w, l.cfg.PerHour, l.cfg.PerHour, now)
}

func setRateHeaders(w http.ResponseWriter, limit, remaining int, reset time.Time) {
	if remaining < 0 {
		remaining = 0
	}
	// Canonical keys assigned directly: this runs on every request.
	h := w.Header()
	h["Ratelimit-Limit"] = []string{strconv.Itoa(limit)}
	h["Ratelimit-Remaining"] = []string{strconv.Itoa(remaining)}
	h["Ratelimit-Reset"] = []string{strconv.FormatInt(reset.Unix(), 10)}
}
