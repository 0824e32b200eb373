// Package docrsim is a stateful simulator of the DigitalOcean Container Registry API
// (the multi-registry /v2/registries family, the legacy /v2/registry family and the DOKS
// registry integration endpoints), checked against DigitalOcean's OpenAPI spec and godo.
//
// Use it in-process from tests (NewTestServer) or as the docr-sim command. It listens on
// loopback only. Time comes from Options.Clock, so a test can drive garbage collection
// and rate-limit windows with a fake clock.
package docrsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"
)

const (
	defaultMaxBody = 1 << 20
	adminPrefix    = "/_sim/"
)

// Server is a running (or runnable) simulator.
type Server struct {
	opts Options
	clk  clock.PassiveClock

	// mu guards w and tokens: the whole simulated DigitalOcean.
	mu     sync.Mutex
	w      *world
	tokens map[string]string // bearer token → account name
	// pendingGC names registries whose last garbage collection is not applied yet.
	pendingGC map[string]bool

	limiter *rateLimiter
	faults  *faultInjector
	stats   *statsCounter
	journal journal
	kube    *kubeWriter

	api   *http.ServeMux
	admin *http.ServeMux

	reqSeq atomic.Uint64

	srvMu   sync.Mutex
	httpSrv *http.Server
	url     string
}

// New builds a simulator from opts; it does not listen until Start (or use Handler).
func New(opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBody
	}
	opts.GCPhases = opts.GCPhases.withDefaults()
	if err := validateFaults(opts.Faults); err != nil {
		return nil, err
	}
	s := &Server{
		opts:    opts,
		clk:     opts.Clock,
		limiter: newRateLimiter(opts.RateLimit),
		faults:  newFaultInjector(opts.Seed, opts.Faults),
		stats:   newStatsCounter(),
		kube:    newKubeWriter(),
	}
	w, err := s.initialWorld()
	if err != nil {
		return nil, err
	}
	s.setWorld(w)
	s.routes()
	return s, nil
}

// initialWorld is the state file's content when there is one, else the seed data.
func (s *Server) initialWorld() (*world, error) {
	if s.opts.StateFile != "" {
		w, ok, err := loadState(s.opts.StateFile)
		if err != nil {
			return nil, err
		}
		if ok {
			return w, nil
		}
	}
	return buildWorld(s.opts, s.clk.Now())
}

func (s *Server) setWorld(w *world) {
	s.w = w
	s.pendingGC = map[string]bool{}
	for _, r := range w.Registries {
		if n := len(r.GCs); n > 0 && !r.GCs[n-1].Applied {
			s.pendingGC[r.Name] = true
		}
	}
	s.tokens = map[string]string{}
	for _, a := range w.Accounts {
		for _, t := range a.Tokens {
			s.tokens[t] = a.Name
		}
	}
}

// Handler serves the API and the admin API (under /_sim/).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Start listens on addr, which must be a loopback address ("127.0.0.1:0" picks a free
// port), and serves in the background. It returns the base URL, e.g. http://127.0.0.1:41234.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("listen address %q: the simulator listens on loopback only (127.0.0.1, ::1 or localhost)", addr)
	}
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("simulator already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listening on %s: %w", addr, err)
	}
	s.httpSrv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	s.url = "http://" + ln.Addr().String()
	go s.httpSrv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close.
	return s.url, nil
}

// URL is the base URL after Start ("" before).
func (s *Server) URL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	return s.url
}

// Close stops listening and writes the state file, if any.
func (s *Server) Close() error {
	s.srvMu.Lock()
	srv := s.httpSrv
	s.httpSrv = nil
	s.srvMu.Unlock()
	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
	}
	if s.opts.StateFile != "" {
		s.mu.Lock()
		errs = append(errs, saveState(s.opts.StateFile, s.w))
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Now is the simulator's current time.
func (s *Server) Now() time.Time { return s.clk.Now() }

// serveHTTP is the entry point: path hygiene, admin or API routing, stats.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w, pattern: "unmatched"}
	defer func() {
		if sw.hijacked {
			s.stats.add(r.Method, sw.pattern, 0)
		} else {
			s.stats.add(r.Method, sw.pattern, sw.status())
		}
		if s.opts.Logf != nil {
			s.opts.Logf("%s %s -> %d", r.Method, r.URL.Path, sw.status())
		}
	}()
	if msg := badPath(r); msg != "" {
		s.writeReply(sw, r, errReply(http.StatusBadRequest, "bad_request", msg))
		return
	}
	s.api.ServeHTTP(sw, r)
}

// badPath refuses paths a router might clean or misread: dot segments, empty segments,
// control characters, encoded dots or backslashes.
func badPath(r *http.Request) string {
	raw := r.URL.EscapedPath()
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		return "request path must be absolute"
	}
	if strings.Contains(p, "//") {
		return "request path has an empty segment"
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return "request path has a dot segment"
		}
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "request path has a control character or backslash"
		}
	}
	low := strings.ToLower(raw)
	if strings.Contains(low, "%2e%2e") || strings.Contains(low, "%5c") || strings.Contains(low, "%00") {
		return "request path has an encoded dot segment, backslash or NUL"
	}
	return ""
}

// statusWriter remembers the status and the route pattern for Stats.
type statusWriter struct {
	http.ResponseWriter
	code     int
	pattern  string
	hijacked bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection (for resets).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// call is one authenticated API request being served.
type call struct {
	s    *Server
	r    *http.Request
	acct *account
	now  time.Time
	body []byte
}

// reply is what a handler answers; it is written after the lock is released.
type reply struct {
	status  int
	body    any
	raw     []byte
	ctype   string
	changed bool // the world changed: persist it
}

// apiError is DigitalOcean's error body.
type apiError struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

func errReply(status int, id, msg string) reply {
	return reply{status: status, body: &apiError{ID: id, Message: msg}}
}

func notFound(msg string) reply { return errReply(http.StatusNotFound, "not_found", msg) }
func badRequest(msg string) reply {
	return errReply(http.StatusBadRequest, "bad_request", msg)
}
func unprocessable(msg string) reply {
	return errReply(http.StatusUnprocessableEntity, "unprocessable_entity", msg)
}
func conflict(msg string) reply { return errReply(http.StatusConflict, "conflict", msg) }
func precondition(msg string) reply {
	return errReply(http.StatusPreconditionFailed, "precondition_failed", msg)
}

func ok(body any) reply      { return reply{status: http.StatusOK, body: body} }
func created(body any) reply { return reply{status: http.StatusCreated, body: body, changed: true} }
func noContent(changed bool) reply {
	return reply{status: http.StatusNoContent, changed: changed}
}

type routeFlags int

const (
	// selfLocking handlers take s.mu themselves (they call out, e.g. to Kubernetes).
	selfLocking routeFlags = 1 << iota
)

type apiFunc func(c *call) reply

// handle registers an API route; path uses the spec's templates and parameter names.
func (s *Server) handle(method, path string, h apiFunc, flags ...routeFlags) {
	var f routeFlags
	for _, x := range flags {
		f |= x
	}
	pattern := method + " " + path
	s.api.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if sw, ok := w.(*statusWriter); ok {
			sw.pattern = path
		}
		s.serveAPI(w, r, h, f)
	})
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, h apiFunc, flags routeFlags) {
	token, hasToken := bearerToken(r)
	s.mu.Lock()
	acctName, known := s.tokens[token]
	s.mu.Unlock()
	now := s.clk.Now()
	var injected, limited bool
	idx, seq := s.journal.begin(JournalEntry{Time: now, Kind: JournalRequest, Account: acctName, Method: r.Method, Pattern: patternOf(w),
		Registry: r.PathValue("registry_name")})
	defer func() {
		status := 0
		if sw, ok := w.(*statusWriter); ok && !sw.hijacked {
			status = sw.status()
		}
		s.journal.end(idx, seq, status, injected, limited)
	}()
	if !hasToken || !known {
		s.limiter.headers(w, now)
		s.writeReply(w, r, errReply(http.StatusUnauthorized, "unauthorized", "Unable to authenticate you"))
		return
	}
	if rep, lim := s.limiter.allow(w, token, now); lim {
		limited = true
		s.writeReply(w, r, rep)
		return
	}
	if rep, act := s.faults.decide(r.Method, patternOf(w), r.URL.Path); act != faultNone {
		injected = true
		if act == faultReset {
			resetConnection(w)
			if sw, ok := w.(*statusWriter); ok {
				sw.hijacked = true
			}
			return
		}
		if rep.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		s.writeReply(w, r, rep)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeReply(w, r, errReply(http.StatusRequestEntityTooLarge, "request_entity_too_large",
				fmt.Sprintf("request body is larger than %d bytes", s.opts.MaxBodyBytes)))
			return
		}
		s.writeReply(w, r, badRequest("could not read request body"))
		return
	}
	c := &call{s: s, r: r, body: body}
	var rep reply
	if flags&selfLocking != 0 {
		rep = s.serveUnlocked(c, now, acctName, h)
	} else {
		rep = s.serveLocked(c, acctName, h)
	}
	s.writeReply(w, r, rep)
}

// serveUnlocked runs a handler that takes the lock itself, answering 500 on a panic.
func (s *Server) serveUnlocked(c *call, now time.Time, acctName string, h apiFunc) (rep reply) {
	defer s.recoverTo(c, &rep)
	c.now = now
	c.acct = s.accountSnapshot(acctName)
	if c.acct == nil {
		return errReply(http.StatusUnauthorized, "unauthorized", "Unable to authenticate you")
	}
	return h(c)
}

func (s *Server) recoverTo(c *call, rep *reply) {
	if p := recover(); p != nil {
		if s.opts.Logf != nil {
			s.opts.Logf("docrsim: handler panic on %s %s: %v", c.r.Method, c.r.URL.Path, p)
		}
		*rep = errReply(http.StatusInternalServerError, "server_error", "internal simulator error")
	}
}

// serveLocked runs a handler under the lock. A bug that panics answers 500 in
// DigitalOcean's shape and never leaves the lock held (which would hang every client).
func (s *Server) serveLocked(c *call, acctName string, h apiFunc) (rep reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.recoverTo(c, &rep)
	c.now = s.clk.Now()
	s.settleLocked(c.now)
	c.acct = s.w.Accounts[acctName]
	if c.acct == nil {
		return errReply(http.StatusUnauthorized, "unauthorized", "Unable to authenticate you")
	}
	rep = h(c)
	if rep.changed {
		s.persistLocked()
	}
	return rep
}

// accountSnapshot copies an account for handlers that do not hold the lock.
func (s *Server) accountSnapshot(name string) *account {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.Accounts[name]
	if a == nil {
		return nil
	}
	cp := *a
	return &cp
}

// persistLocked writes the state file when configured; failures are logged, not fatal.
func (s *Server) persistLocked() {
	if s.opts.StateFile == "" {
		return
	}
	if err := saveState(s.opts.StateFile, s.w); err != nil && s.opts.Logf != nil {
		s.opts.Logf("persisting state: %v", err)
	}
}

func patternOf(w http.ResponseWriter) string {
	if sw, ok := w.(*statusWriter); ok {
		return sw.pattern
	}
	return ""
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}

func (s *Server) requestID() string {
	const digits = "0123456789abcdef"
	var b [20]byte
	copy(b[:], "sim-")
	n := s.reqSeq.Add(1)
	for i := 19; i >= 4; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

func (s *Server) writeReply(w http.ResponseWriter, r *http.Request, rep reply) {
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	rid := s.requestID()
	w.Header()["X-Request-Id"] = []string{rid}
	if e, ok := rep.body.(*apiError); ok {
		e.RequestID = rid
	}
	switch {
	case rep.status == http.StatusNoContent:
		w.WriteHeader(rep.status)
		return
	case rep.raw != nil:
		ct := rep.ctype
		if ct == "" {
			ct = "application/json; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.raw)))
		w.WriteHeader(rep.status)
		w.Write(rep.raw) //nolint:errcheck // the client went away.
		return
	}
	b, err := json.Marshal(rep.body)
	if err != nil {
		rep.status = http.StatusInternalServerError
		b, _ = json.Marshal(&apiError{ID: "server_error", Message: "encoding the response failed", RequestID: rid})
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(rep.status)
	w.Write(b) //nolint:errcheck // the client went away.
}

// unmatched answers requests no route matches: 405 when the path exists for another
// method, else 404, both in DigitalOcean's error shape.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	s.limiter.headers(w, s.clk.Now())
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pat := s.api.Handler(probe); pat != "" && pat != "/" {
			s.writeReply(w, r, errReply(http.StatusMethodNotAllowed, "method_not_allowed",
				fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)))
			return
		}
	}
	s.writeReply(w, r, notFound("The resource you were accessing could not be found."))
}
