package docrsim

import "sync"

type statKey struct {
	method, pattern string
	status          int
}

type statsCounter struct {
	mu sync.Mutex
	m  map[statKey]int
}

func newStatsCounter() *statsCounter { return &statsCounter{m: map[statKey]int{}} }

// add counts a request; status 0 means the connection was reset without an answer.
func (c *statsCounter) add(method, pattern string, status int) {
	c.mu.Lock()
	c.m[statKey{method, pattern, status}]++
	c.mu.Unlock()
}

func (c *statsCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Stats{Requests: make([]RequestStat, 0, len(c.m))}
	for k, n := range c.m {
		st.Requests = append(st.Requests, RequestStat{Method: k.method, Pattern: k.pattern, Status: k.status, Count: n})
		st.Total += n
	}
	sortStats(st.Requests)
	return st
}

func (c *statsCounter) reset() {
	c.mu.Lock()
	c.m = map[statKey]int{}
	c.mu.Unlock()
}

// Stats reports API request counts by method, route pattern and status since start or
// the last ResetStats. Admin requests are not counted; reset connections count as status 0.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the request counts.
func (s *Server) ResetStats() { s.stats.reset() }
