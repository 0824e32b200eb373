package rig

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"
)

// command is how a child of the rig was started, so it can be started again.
type command struct {
	bin       string
	args, env []string
}

// CoreProcess is the running Crossplane core process (RestartCore replaces it).
func (r *Rig) CoreProcess() *Process {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Core
}

func (r *Rig) startCoreProcess() error {
	p, err := StartProcess("crossplane", r.coreCmd.bin, r.coreCmd.args, r.coreCmd.env, filepath.Join(r.Dir, "logs", "crossplane.log"))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.Core = p
	r.mu.Unlock()
	return nil
}

// RestartCore stops Crossplane core and starts it again with the same arguments, then
// waits until its readiness probe passes. grace 0 is a crash (SIGKILL); otherwise core
// gets SIGTERM and grace to shut down, as in a rollout. Core keeps no state outside the
// API server, so it resumes from the objects.
func (r *Rig) RestartCore(ctx context.Context, grace time.Duration) error {
	old := r.CoreProcess()
	if old == nil {
		return fmt.Errorf("crossplane core is not running")
	}
	if grace == 0 {
		old.Kill()
	} else {
		old.Stop(grace)
	}
	r.logf("crossplane core stopped (grace %s); starting it again", grace)
	if err := r.startCoreProcess(); err != nil {
		return err
	}
	port := ""
	for _, a := range r.coreCmd.args {
		if v, ok := strings.CutPrefix(a, "--health-probe-port="); ok {
			port = v
		}
	}
	if port == "" {
		return nil // no probe to wait for
	}
	c := &http.Client{Timeout: 5 * time.Second}
	return r.Eventually(ctx, 3*time.Minute, "crossplane core ready after its restart", func() (bool, error) {
		rsp, err := c.Get("http://127.0.0.1:" + port + "/readyz")
		if err != nil {
			return false, nil //nolint:nilerr // not listening yet
		}
		_ = rsp.Body.Close()
		return rsp.StatusCode == http.StatusOK, nil
	})
}
