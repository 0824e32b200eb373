package controlplane

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// On SIGINT/SIGTERM the running control planes are killed and their temp dirs removed, then
// the signal is re-raised with its default action so the process ends exactly as it would
// have without us (go test and shells see the same exit). The handler is installed only
// while a control plane runs, so it does not change a program's signal behaviour otherwise.
var signals struct {
	mu  sync.Mutex
	cps map[*ControlPlane]struct{}
	ch  chan os.Signal
}

func register(cp *ControlPlane) {
	signals.mu.Lock()
	defer signals.mu.Unlock()
	if signals.cps == nil {
		signals.cps = map[*ControlPlane]struct{}{}
	}
	signals.cps[cp] = struct{}{}
	if signals.ch == nil {
		ch := make(chan os.Signal, 1)
		signals.ch = ch
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		go handle(ch)
	}
}

func unregister(cp *ControlPlane) {
	signals.mu.Lock()
	defer signals.mu.Unlock()
	delete(signals.cps, cp)
	if len(signals.cps) == 0 && signals.ch != nil {
		signal.Stop(signals.ch)
		close(signals.ch)
		signals.ch = nil
	}
}

func handle(ch chan os.Signal) {
	sig, ok := <-ch
	if !ok {
		return // unregistered: the last control plane stopped
	}
	signals.mu.Lock()
	cps := make([]*ControlPlane, 0, len(signals.cps))
	for cp := range signals.cps {
		cps = append(cps, cp)
	}
	signals.mu.Unlock()
	for _, cp := range cps {
		cp.kill()
	}
	signal.Reset(sig)
	s, _ := sig.(syscall.Signal)
	_ = syscall.Kill(os.Getpid(), s)
	// The default action of SIGINT/SIGTERM ends the process; this is a fallback only.
	time.Sleep(2 * time.Second)
	os.Exit(128 + int(s))
}
