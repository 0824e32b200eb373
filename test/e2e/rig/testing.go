package rig

import (
	"strings"
	"sync"
	"testing"
)

// TestLog is an io.Writer that sends the rig's progress lines to t.Log until Close, so
// background goroutines never log to a finished test.
type TestLog struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

// NewTestLog returns a TestLog for t, closed by t.Cleanup.
func NewTestLog(t testing.TB) *TestLog {
	l := &TestLog{t: t}
	t.Cleanup(l.Close)
	return l
}

func (l *TestLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// Close stops forwarding.
func (l *TestLog) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

// StartForTest starts a rig's core for a test: it skips under -short, stops everything
// when the test ends (also after a panic or t.Fatal) and prints every log's tail when the
// test failed.
func StartForTest(t *testing.T, opts Options) *Rig {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: needs the control plane and Crossplane binaries; skipped with -short")
	}
	if opts.Log == nil {
		opts.Log = NewTestLog(t)
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("rig logs:" + r.Logs(80))
		}
		r.Stop()
	})
	if err := r.StartCore(t.Context()); err != nil {
		t.Fatalf("cannot start the rig: %v", err)
	}
	return r
}
