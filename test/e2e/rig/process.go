package rig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// Process is one child of the rig (Crossplane core, the provider, the function) with its
// log file. Children get Pdeathsig=SIGKILL and their own process group, as in
// test/controlplane: the kernel kills them when the test binary dies, however it dies,
// and Stop kills whatever they forked.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	log     *os.File
	done    chan struct{}
}

// StartProcess starts bin with args and env (added to the rig's environment), appending
// its output to logPath.
func StartProcess(name, bin string, args, env []string, logPath string) (*Process, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open log of %s: %w", name, err)
	}
	fmt.Fprintf(lf, "\n[rig] %s starting %s %s\n", time.Now().Format(time.RFC3339), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := controlplane.Spawn(cmd); err != nil {
		_ = lf.Close()
		return nil, fmt.Errorf("cannot start %s: %w", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, log: lf, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		state := "unknown"
		if cmd.ProcessState != nil {
			state = cmd.ProcessState.String()
		} else if err != nil {
			state = err.Error()
		}
		fmt.Fprintf(lf, "[rig] %s %s exited: %s\n", time.Now().Format(time.RFC3339), name, state)
		close(p.done)
	}()
	return p, nil
}

// Pid of the process.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process has been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Stop sends SIGTERM to the process group, waits up to grace, then kills the group.
func (p *Process) Stop(grace time.Duration) {
	if p == nil {
		return
	}
	if !p.Exited() {
		_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.done
	_ = p.log.Close()
}

// Kill sends SIGKILL to the process group (a crash, as the chaos scenarios want it) and
// waits until it is reaped.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.done
	_ = p.log.Close()
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string { return tailFile(p.LogPath, n) }

func tailFile(path string, n int) string {
	f, err := os.Open(path) //nolint:gosec // our own log files
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close() //nolint:errcheck // read-only
	const window = 512 << 10
	if st, err := f.Stat(); err == nil && st.Size() > window {
		_, _ = f.Seek(st.Size()-window, io.SeekStart)
	}
	b, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
