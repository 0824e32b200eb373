package docrsim

import "time"

// FaultProfile injects failures. Decisions are a pure function of Options.Seed, the
// rule, the request's method and route pattern and how many matching requests came
// before it, so two runs sending the same requests per endpoint fail the same ones,
// whatever the interleaving between endpoints.
type FaultProfile struct {
	Rules    []FaultRule     `json:"rules,omitempty"`
	Scripted []ScriptedFault `json:"scripted,omitempty"`
}

// FaultRule applies probabilistic faults to the requests it matches. The first
// matching rule decides; probabilities are cumulative in the order 500, 502, 503, 429,
// reset and must add up to at most 1.
type FaultRule struct {
	// Method matches the HTTP method; "" or "*" matches any.
	Method string `json:"method,omitempty"`
	// Path matches the route pattern (as reported by Stats, e.g.
	// "/v2/registries/{registry_name}") exactly, or the request path with path.Match
	// globbing, or, ending in "*", as a prefix of either. "" matches any.
	Path     string  `json:"path,omitempty"`
	Error500 float64 `json:"error500,omitempty"`
	Error502 float64 `json:"error502,omitempty"`
	Error503 float64 `json:"error503,omitempty"`
	Error429 float64 `json:"error429,omitempty"`
	// Reset is the probability of closing the connection without an answer.
	Reset float64 `json:"reset,omitempty"`
	// Latency is added (wall clock) to every matching request, plus a seeded share of
	// LatencyJitter.
	Latency       time.Duration `json:"latency,omitempty"`
	LatencyJitter time.Duration `json:"latencyJitter,omitempty"`
}

// ScriptedFault fails the Nth (1-based) request matching Method and Path, and the
// Times-1 matching requests after it.
type ScriptedFault struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Nth    int    `json:"nth"`
	// Times defaults to 1.
	Times int `json:"times,omitempty"`
	// Status is the HTTP status to answer (e.g. 503); ignored when Reset is set.
	Status int  `json:"status,omitempty"`
	Reset  bool `json:"reset,omitempty"`
}
