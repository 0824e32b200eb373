package docrsim

import (
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

type faultAction int

const (
	faultNone faultAction = iota
	faultStatus
	faultReset
)

type faultInjector struct {
	mu      sync.Mutex
	seed    int64
	profile FaultProfile
	// seen counts requests per "METHOD pattern" for probabilistic rules.
	seen map[string]int
	// scripted counts matching requests per scripted fault (same index as profile.Scripted).
	scripted []int
}

func newFaultInjector(seed int64, p FaultProfile) *faultInjector {
	f := &faultInjector{seed: seed}
	f.set(p)
	return f
}

func (f *faultInjector) set(p FaultProfile) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.profile = p
	f.seen = map[string]int{}
	f.scripted = make([]int, len(p.Scripted))
}

func (f *faultInjector) get() FaultProfile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.profile
}

// decide picks this request's fault, if any, and sleeps for the rule's latency.
func (f *faultInjector) decide(method, pattern, reqPath string) (reply, faultAction) {
	f.mu.Lock()
	var (
		act     = faultNone
		status  int
		latency time.Duration
	)
	for i, sf := range f.profile.Scripted {
		if !faultMatches(sf.Method, sf.Path, method, pattern, reqPath) {
			continue
		}
		f.scripted[i]++
		times := sf.Times
		if times <= 0 {
			times = 1
		}
		if n := f.scripted[i]; act == faultNone && n >= sf.Nth && n < sf.Nth+times {
			if sf.Reset {
				act = faultReset
			} else {
				act, status = faultStatus, sf.Status
			}
		}
	}
	for i, rule := range f.profile.Rules {
		if !faultMatches(rule.Method, rule.Path, method, pattern, reqPath) {
			continue
		}
		key := method + " " + pattern
		n := f.seen[key]
		f.seen[key] = n + 1
		latency = rule.Latency
		if rule.LatencyJitter > 0 {
			latency += time.Duration(unit(f.seed, i, key, n, 1) * float64(rule.LatencyJitter))
		}
		if act != faultNone {
			break
		}
		u := unit(f.seed, i, key, n, 0)
		for _, c := range []struct {
			p    float64
			code int
		}{{rule.Error500, 500}, {rule.Error502, 502}, {rule.Error503, 503}, {rule.Error429, 429}, {rule.Reset, -1}} {
			if u < c.p {
				if c.code < 0 {
					act = faultReset
				} else {
					act, status = faultStatus, c.code
				}
				break
			}
			u -= c.p
		}
		break
	}
	f.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	if act != faultStatus {
		return reply{}, act
	}
	return faultReply(status), act
}

func faultReply(status int) reply {
	switch status {
	case http.StatusTooManyRequests:
		return errReply(status, "too_many_requests", "Too many requests (injected fault)")
	case http.StatusBadGateway:
		return errReply(status, "bad_gateway", "Bad gateway (injected fault)")
	case http.StatusServiceUnavailable:
		return errReply(status, "service_unavailable", "Service unavailable (injected fault)")
	case http.StatusInternalServerError:
		return errReply(status, "server_error", "Server error (injected fault)")
	default:
		return errReply(status, strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_")), "Injected fault")
	}
}

// unit maps (seed, rule, endpoint, n, salt) to a reproducible number in [0, 1).
func unit(seed int64, rule int, key string, n, salt int) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%d|%s|%d|%d", seed, rule, key, n, salt)
	x := h.Sum64()
	// splitmix64 finaliser spreads FNV's low-entropy high bits.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / float64(1<<53)
}

func faultMatches(wantMethod, wantPath, method, pattern, reqPath string) bool {
	if wantMethod != "" && wantMethod != "*" && !strings.EqualFold(wantMethod, method) {
		return false
	}
	if wantPath == "" || wantPath == "*" || wantPath == pattern {
		return true
	}
	if strings.HasSuffix(wantPath, "*") {
		prefix := strings.TrimSuffix(wantPath, "*")
		if strings.HasPrefix(pattern, prefix) || strings.HasPrefix(reqPath, prefix) {
			return true
		}
	}
	m, err := path.Match(wantPath, reqPath)
	return err == nil && m
}

// maxLatency bounds injected latency so a typo cannot hang every client.
const maxLatency = 5 * time.Minute

func validateFaults(p FaultProfile) error {
	for i, r := range p.Rules {
		for _, x := range []float64{r.Error500, r.Error502, r.Error503, r.Error429, r.Reset} {
			if x < 0 || x > 1 {
				return fmt.Errorf("faults: rules[%d]: probabilities must be between 0 and 1", i)
			}
		}
		if sum := r.Error500 + r.Error502 + r.Error503 + r.Error429 + r.Reset; sum > 1.0000001 {
			return fmt.Errorf("faults: rules[%d]: probabilities add up to %.3f, more than 1", i, sum)
		}
		if r.Latency < 0 || r.LatencyJitter < 0 || r.Latency+r.LatencyJitter > maxLatency {
			return fmt.Errorf("faults: rules[%d]: latency plus jitter must be between 0 and %s", i, maxLatency)
		}
		if _, err := path.Match(r.Path, "/"); err != nil {
			return fmt.Errorf("faults: rules[%d].path %q: %w", i, r.Path, err)
		}
	}
	for i, s := range p.Scripted {
		if s.Nth < 1 {
			return fmt.Errorf("faults: scripted[%d].nth must be 1 or more", i)
		}
		if !s.Reset && (s.Status < 400 || s.Status > 599) {
			return fmt.Errorf("faults: scripted[%d].status %d must be a 4xx or 5xx status", i, s.Status)
		}
	}
	return nil
}

// ParseFaults reads the compact fault syntax used by docr-sim's --faults flag:
// entries separated by ";", each either
//
//	METHOD PATH: 500=0.1,502=0.05,503=0.1,429=0.02,reset=0.01,latency=20ms,jitter=10ms
//	METHOD PATH #N=CODE        (fail the Nth matching request with CODE)
//	METHOD PATH #NxT=reset     (reset the connection of the Nth to N+T-1th)
//
// METHOD may be "*"; PATH is a route pattern, a path glob or a prefix ending in "*".
func ParseFaults(spec string) (FaultProfile, error) {
	var p FaultProfile
	for _, entry := range strings.Split(spec, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if head, script, ok := strings.Cut(entry, "#"); ok {
			method, pth, err := methodPath(head)
			if err != nil {
				return FaultProfile{}, fmt.Errorf("fault %q: %w", entry, err)
			}
			nth, what, ok := strings.Cut(strings.TrimSpace(script), "=")
			if !ok {
				return FaultProfile{}, fmt.Errorf("fault %q: want #N=CODE or #N=reset", entry)
			}
			sf := ScriptedFault{Method: method, Path: pth, Times: 1}
			n, times, hasTimes := strings.Cut(nth, "x")
			if sf.Nth, err = strconv.Atoi(n); err != nil {
				return FaultProfile{}, fmt.Errorf("fault %q: N %q is not a number", entry, n)
			}
			if hasTimes {
				if sf.Times, err = strconv.Atoi(times); err != nil || sf.Times < 1 {
					return FaultProfile{}, fmt.Errorf("fault %q: times %q is not a positive number", entry, times)
				}
			}
			if what == "reset" {
				sf.Reset = true
			} else if sf.Status, err = strconv.Atoi(what); err != nil {
				return FaultProfile{}, fmt.Errorf("fault %q: %q is neither a status code nor reset", entry, what)
			}
			p.Scripted = append(p.Scripted, sf)
			continue
		}
		i := strings.LastIndex(entry, ":")
		if i < 0 {
			return FaultProfile{}, fmt.Errorf("fault %q: want 'METHOD PATH: key=value,...'", entry)
		}
		method, pth, err := methodPath(entry[:i])
		if err != nil {
			return FaultProfile{}, fmt.Errorf("fault %q: %w", entry, err)
		}
		rule := FaultRule{Method: method, Path: pth}
		for _, kv := range strings.Split(entry[i+1:], ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return FaultProfile{}, fmt.Errorf("fault %q: %q is not key=value", entry, kv)
			}
			switch k {
			case "latency", "jitter":
				d, err := time.ParseDuration(v)
				if err != nil {
					return FaultProfile{}, fmt.Errorf("fault %q: %s: %w", entry, k, err)
				}
				if k == "latency" {
					rule.Latency = d
				} else {
					rule.LatencyJitter = d
				}
			case "500", "502", "503", "429", "reset":
				x, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return FaultProfile{}, fmt.Errorf("fault %q: %s: %q is not a probability", entry, k, v)
				}
				switch k {
				case "500":
					rule.Error500 = x
				case "502":
					rule.Error502 = x
				case "503":
					rule.Error503 = x
				case "429":
					rule.Error429 = x
				case "reset":
					rule.Reset = x
				}
			default:
				return FaultProfile{}, fmt.Errorf("fault %q: unknown key %q (want 500, 502, 503, 429, reset, latency, jitter)", entry, k)
			}
		}
		p.Rules = append(p.Rules, rule)
	}
	return p, validateFaults(p)
}

func methodPath(s string) (string, string, error) {
	f := strings.Fields(s)
	switch len(f) {
	case 1:
		return "*", f[0], nil
	case 2:
		return strings.ToUpper(f[0]), f[1], nil
	}
	return "", "", fmt.Errorf("want 'METHOD PATH' or 'PATH', got %q", strings.TrimSpace(s))
}

// resetConnection closes the client connection abruptly (RST where possible).
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 or a recorder: the closest is an aborted handler.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) //nolint:errcheck // best effort RST.
	}
	conn.Close()
}

// SetFaults replaces the fault profile and restarts its counters.
func (s *Server) SetFaults(p FaultProfile) error {
	if err := validateFaults(p); err != nil {
		return err
	}
	s.faults.set(p)
	return nil
}

// Faults returns the current fault profile.
func (s *Server) Faults() FaultProfile { return s.faults.get() }
