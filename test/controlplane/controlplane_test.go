package controlplane_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// Generous: a shared, loaded 2-core machine. These are bounds, not assertions on speed.
const waitFor = 3 * time.Minute

var widgets = schema.GroupVersionResource{Group: "harness.docr.test", Version: "v1", Resource: "widgets"}

// TestLifecycle proves the whole control plane works: RBAC and both authentication paths,
// CRDs, owner-reference GC and namespace deletion (kube-controller-manager), and that Stop
// leaves no process and no temp dir behind.
func TestLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	alice := controlplane.User{Name: "alice", Groups: []string{"team-a"}}
	cp, err := controlplane.Start(ctx, controlplane.Options{Users: []controlplane.User{alice}, Logf: t.Logf})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			if t.Failed() {
				var b strings.Builder
				cp.DumpLogs(&b, 40)
				t.Log(b.String())
			}
			_ = cp.Stop()
		}
	}()
	if cp.StartupTime <= 0 {
		t.Errorf("StartupTime = %s, want > 0", cp.StartupTime)
	}
	t.Logf("startup time: %s", cp.StartupTime)
	pids := cp.PIDs()
	if diff := cmp.Diff([]string{"etcd", "kube-apiserver", "kube-controller-manager"}, sortedKeys(pids)); diff != "" {
		t.Fatalf("PIDs(): -want +got:\n%s", diff)
	}

	// The kubeconfig written for humans and tools works and is admin.
	kc, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}
	admin := kubernetes.NewForConfigOrDie(kc)

	const ns = "lifecycle"
	if err := cp.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := cp.CreateNamespace(ctx, ns); err != nil {
		t.Fatalf("CreateNamespace must accept an existing namespace: %v", err)
	}

	// RBAC is on: a limited user is refused, whether it authenticates by token (kubeconfig
	// context) or by client certificate (RESTConfigFor), and gets the identity we gave it.
	aliceCert, err := cp.RESTConfigFor(alice)
	if err != nil {
		t.Fatal(err)
	}
	aliceToken, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: cp.Kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: "alice"}).ClientConfig()
	if err != nil {
		t.Fatalf("alice context: %v", err)
	}
	for name, cfg := range map[string]*rest.Config{"cert": aliceCert, "token": aliceToken} {
		_, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if !kerrors.IsForbidden(err) {
			t.Errorf("%s: alice listing configmaps: got %v, want Forbidden", name, err)
		} else if !strings.Contains(err.Error(), `"alice"`) {
			t.Errorf("%s: Forbidden error does not name user alice: %v", name, err)
		}
	}

	// A CRD and an object of it.
	names, err := cp.InstallCRDs(ctx, "testdata/crds")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"widgets.harness.docr.test"}, names); diff != "" {
		t.Errorf("InstallCRDs: -want +got:\n%s", diff)
	}
	if _, err := cp.InstallCRDs(ctx, "testdata/crds/widgets.yaml"); err != nil {
		t.Errorf("InstallCRDs must update an existing CRD: %v", err)
	}
	dyn, err := cp.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "harness.docr.test/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w1"}, "spec": map[string]any{"size": int64(3)},
	}}
	if _, err := dyn.Resource(widgets).Namespace(ns).Create(ctx, w, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create widget: %v", err)
	}

	// Owner-reference garbage collection: deleting the owner removes the dependent.
	owner, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dependent", OwnerReferences: []metav1.OwnerReference{{
		APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID,
	}}}}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := admin.CoreV1().ConfigMaps(ns).Delete(ctx, "owner", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "dependent ConfigMap garbage-collected", func() (bool, error) {
		_, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, "dependent", metav1.GetOptions{})
		return kerrors.IsNotFound(err), ignoreNotFound(err)
	})

	// Namespace deletion, which only the namespace controller can finish.
	if err := admin.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "namespace deleted", func() (bool, error) {
		_, err := admin.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return kerrors.IsNotFound(err), ignoreNotFound(err)
	})
	if _, err := dyn.Resource(widgets).Namespace(ns).Get(ctx, "w1", metav1.GetOptions{}); !kerrors.IsNotFound(err) {
		t.Errorf("widget after namespace deletion: got %v, want NotFound", err)
	}

	dir := cp.Dir
	stopped = true
	if err := cp.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := cp.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	assertGone(t, pids)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp dir %s still exists after Stop (stat: %v)", dir, err)
	}
}

// TestRestartKeepsState is what `make dev` relies on: a control plane restarted on a kept Dir
// has the same objects, and credentials from before the restart still work.
func TestRestartKeepsState(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()

	first := controlplane.StartForTest(t, controlplane.Options{Dir: dir})
	if err := first.CreateNamespace(ctx, "survivor"); err != nil {
		t.Fatal(err)
	}
	before := first.RESTConfig()
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "etcd")); err != nil {
		t.Fatalf("Stop removed a kept Dir: %v", err)
	}

	second := controlplane.StartForTest(t, controlplane.Options{Dir: dir})
	before.Host = second.Host // the port may differ if the old one was taken meanwhile
	c, err := kubernetes.NewForConfig(before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Namespaces().Get(ctx, "survivor", metav1.GetOptions{}); err != nil {
		t.Errorf("namespace created before the restart, read with the old credentials: %v", err)
	}
}

// TestNoProcessLeftBehind kills or crashes a process that runs a control plane, in every
// way a test binary can end badly, and checks that none of its children survives.
func TestNoProcessLeftBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane: skipped with -short")
	}
	cases := map[string]struct {
		mode       string
		signal     syscall.Signal // sent once the control plane is up; 0 = the child ends itself
		dirRemoved bool           // whether the child had a chance to clean its temp dir
		wantOutput string         // proves the failure path, e.g. the log dump
	}{
		"SIGKILL":     {mode: "wait", signal: syscall.SIGKILL},
		"SIGTERM":     {mode: "wait", signal: syscall.SIGTERM, dirRemoved: true},
		"SIGINT":      {mode: "wait", signal: syscall.SIGINT, dirRemoved: true},
		"panic":       {mode: "panic", wantOutput: "deliberate panic"},
		"failed test": {mode: "fail", dirRemoved: true, wantOutput: "===== last 40 lines of kube-apiserver"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			out := filepath.Join(tmp, "child.json")
			logPath := filepath.Join(tmp, "child.log")
			logf, err := os.Create(logPath)
			if err != nil {
				t.Fatal(err)
			}
			defer logf.Close() //nolint:errcheck // test log
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "DOCR_CP_CHILD="+tc.mode, "DOCR_CP_CHILD_OUT="+out)
			cmd.Stdout, cmd.Stderr = logf, logf
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var info childInfo
			defer func() {
				_ = cmd.Process.Kill()
				if info.Dir != "" {
					_ = os.RemoveAll(info.Dir)
				}
				if t.Failed() {
					t.Logf("child output:\n%s", mustRead(logPath))
				}
			}()

			deadline := time.After(waitFor + time.Minute)
			var exitErr error
			childDone := false
		wait:
			for {
				if b, err := os.ReadFile(out); err == nil {
					if err := json.Unmarshal(b, &info); err != nil {
						t.Fatalf("child wrote %q: %v", b, err)
					}
					break
				}
				select {
				case exitErr = <-exited:
					childDone = true
					if b, err := os.ReadFile(out); err == nil && json.Unmarshal(b, &info) == nil {
						break wait
					}
					t.Fatalf("child exited (%v) before reporting its control plane", exitErr)
				case <-deadline:
					t.Fatal("child did not report its control plane in time")
				case <-time.After(200 * time.Millisecond):
				}
			}
			if len(info.PIDs) != 3 {
				t.Fatalf("child reported PIDs %v, want etcd, kube-apiserver and kube-controller-manager", info.PIDs)
			}
			if tc.signal != 0 {
				if err := cmd.Process.Signal(tc.signal); err != nil {
					t.Fatal(err)
				}
			}
			if !childDone {
				select {
				case exitErr = <-exited:
				case <-time.After(2 * time.Minute):
					t.Fatal("child did not exit")
				}
			}
			if exitErr == nil {
				t.Errorf("child exited successfully; want it killed or failed")
			}
			if tc.signal != 0 {
				var ee *exec.ExitError
				if !errors.As(exitErr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != tc.signal {
					t.Errorf("child exit = %v, want death by %v (the signal must keep its default effect)", exitErr, tc.signal)
				}
			}
			assertGone(t, info.PIDs)
			_, err = os.Stat(info.Dir)
			if removed := errors.Is(err, os.ErrNotExist); removed != tc.dirRemoved {
				t.Errorf("temp dir removed = %v, want %v", removed, tc.dirRemoved)
			}
			if tc.wantOutput != "" && !strings.Contains(mustRead(logPath), tc.wantOutput) {
				t.Errorf("child output lacks %q", tc.wantOutput)
			}
		})
	}
}

type childInfo struct {
	Dir  string         `json:"dir"`
	PIDs map[string]int `json:"pids"`
}

// TestHelperChild is not a test: TestNoProcessLeftBehind runs the test binary again with
// DOCR_CP_CHILD set, and this function then plays the doomed parent of a control plane.
func TestHelperChild(t *testing.T) {
	mode := os.Getenv("DOCR_CP_CHILD")
	if mode == "" {
		t.Skip("helper process for TestNoProcessLeftBehind")
	}
	var cp *controlplane.ControlPlane
	if mode == "fail" {
		cp = controlplane.StartForTest(t, controlplane.Options{})
	} else {
		var err error
		if cp, err = controlplane.Start(context.Background(), controlplane.Options{Logf: t.Logf}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(childInfo{Dir: cp.Dir, PIDs: cp.PIDs()})
	out := os.Getenv("DOCR_CP_CHILD_OUT")
	if err := os.WriteFile(out+".tmp", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(out+".tmp", out); err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "panic":
		panic("deliberate panic")
	case "fail":
		t.Fatal("deliberate failure")
	default:
		select {} // until the parent kills us
	}
}

// assertGone waits until none of the processes exists any more. A zombie (killed, waiting
// for init to reap it) counts as gone, and so does a pid now used by another program.
func assertGone(t *testing.T, pids map[string]int) {
	t.Helper()
	var alive []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		alive = alive[:0]
		for name, pid := range pids {
			if running(pid, name) {
				alive = append(alive, fmt.Sprintf("%s (pid %d)", name, pid))
			}
		}
		if len(alive) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(alive) > 0 {
		t.Errorf("processes still alive: %s", strings.Join(alive, ", "))
	}
}

func running(pid int, name string) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Format: pid (comm) state ...; comm may contain spaces, so split after the last ')'.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 && (s[i+2] == 'Z' || s[i+2] == 'X') {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(string(cmdline), name)
}

func eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for: %s (last error: %v)", waitFor, what, last)
}

func ignoreNotFound(err error) error {
	if kerrors.IsNotFound(err) {
		return nil
	}
	return err
}

func sortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// BenchmarkStartStop measures a full control plane start (until every component is ready)
// and stop, reporting the startup time as start-ms.
func BenchmarkStartStop(b *testing.B) {
	if testing.Short() {
		b.Skip("needs the local control plane: skipped with -short")
	}
	var total time.Duration
	for b.Loop() {
		cp, err := controlplane.Start(context.Background(), controlplane.Options{Logf: func(string, ...any) {}})
		if err != nil {
			b.Fatal(err)
		}
		total += cp.StartupTime
		if err := cp.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "start-ms")
}
