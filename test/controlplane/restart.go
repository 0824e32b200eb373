package controlplane

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RestartAPIServer stops kube-apiserver (SIGTERM, SIGKILL after 10 s) and starts it again
// with the same arguments, so on the same port with the same certificates, and waits until
// /readyz passes. Everything lives in etcd, so every object survives; clients (client-go,
// controller-runtime) see their connections and watches drop and re-establish them. The
// chaos suite uses it to restart the API server under the provider and Crossplane.
func (cp *ControlPlane) RestartAPIServer(ctx context.Context) error {
	cp.mu.Lock()
	idx := -1
	for i, p := range cp.procs {
		if p.name == KubeAPIServer {
			idx = i
		}
	}
	if idx < 0 {
		cp.mu.Unlock()
		return fmt.Errorf("%s is not running", KubeAPIServer)
	}
	old := cp.procs[idx]
	cp.mu.Unlock()

	old.stop(10 * time.Second)
	client, err := cp.httpClient()
	if err != nil {
		return err
	}
	var last error
	// The port was ours a moment ago; a socket of the old process may hold it briefly.
	for attempt := 1; attempt <= 5; attempt++ {
		p, err := startProcess(old.name, old.bin, old.args, old.logPath)
		if err != nil {
			return err
		}
		cp.mu.Lock()
		cp.procs[idx] = p
		cp.mu.Unlock()
		last = cp.waitReady(ctx, p, httpCheck(client, cp.Host+"/readyz", cp.adminToken))
		if last == nil || !strings.Contains(last.Error(), "address already in use") || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if last != nil {
		return fmt.Errorf("restarting %s: %w", KubeAPIServer, last)
	}
	cp.logf("%s restarted at %s", KubeAPIServer, cp.Host)
	return nil
}
