package docrsim

import "testing"

// NewTestServer starts a simulator on 127.0.0.1 with a free port and closes it when
// the test ends. It fails the test if the options are invalid.
func NewTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("docrsim: %v", err)
	}
	if _, err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("docrsim: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("docrsim: closing: %v", err)
		}
	})
	return s
}
