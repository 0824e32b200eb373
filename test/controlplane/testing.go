package controlplane

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// shared is the one control plane of an integration test package (see Main and Shared).
var shared struct {
	mu      sync.Mutex
	main    bool
	opts    Options
	started bool
	cp      *ControlPlane
	err     error
}

// Main runs a package's tests with one control plane shared by the package, started on
// the first call to Shared (so `-run` filters and -short start nothing) and stopped when
// the tests finish. If any test failed, the components' last log lines go to stderr.
//
//	func TestMain(m *testing.M) { controlplane.Main(m, controlplane.Options{}) }
func Main(m *testing.M, o Options) {
	if !flag.Parsed() {
		flag.Parse()
	}
	shared.mu.Lock()
	shared.main, shared.opts = true, o
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	cp := shared.cp
	shared.mu.Unlock()
	if cp != nil {
		if code != 0 {
			cp.DumpLogs(os.Stderr, 40)
		}
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// Shared returns the package's control plane, starting it on first use. It skips the test
// under -short and fails it when the control plane cannot start. Requires Main in TestMain.
func Shared(t testing.TB) *ControlPlane {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local control plane: skipped with -short")
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.main {
		t.Fatal("controlplane.Shared needs controlplane.Main in the package's TestMain")
	}
	if !shared.started {
		shared.started = true
		o := shared.opts
		if o.Logf == nil {
			// Not t.Logf: the control plane outlives the test that happened to start it.
			o.Logf = stderrLogf
		}
		shared.cp, shared.err = Start(context.Background(), o)
	}
	if shared.err != nil {
		t.Fatalf("cannot start the control plane: %v", shared.err)
	}
	return shared.cp
}

// StartForTest starts a control plane owned by one test: it skips under -short, stops the
// control plane in t.Cleanup and logs the components' last lines if the test failed.
func StartForTest(t testing.TB, o Options) *ControlPlane {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local control plane: skipped with -short")
	}
	if o.Logf == nil {
		o.Logf = t.Logf
	}
	cp, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("cannot start the control plane: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			var b strings.Builder
			cp.DumpLogs(&b, 40)
			t.Log(b.String())
		}
		if err := cp.Stop(); err != nil {
			t.Error(err)
		}
	})
	return cp
}

func stderrLogf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "controlplane: "+format+"\n", args...)
}
