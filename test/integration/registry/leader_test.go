/*
Copyright 2026 The provider-docr Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package registry

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-docr/test/env"
)

type replica struct {
	cmd  *exec.Cmd
	log  string
	done chan error
}

func (r *replica) leads() bool {
	b, _ := os.ReadFile(r.log)
	return strings.Contains(strings.ToLower(string(b)), "successfully acquired lease")
}

// TestLeaderElection runs two replicas of the binary: only the leader acts (one
// create request for one Registry), and when it stops the other takes over.
func TestLeaderElection(t *testing.T) {
	e := env.Start(t, env.Options{NoProvider: true})
	bin := buildProvider(t)
	var replicas []*replica
	for i := range 2 {
		log := filepath.Join(t.TempDir(), "replica.log")
		f, err := os.Create(log)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--leader-election", "--leader-election-namespace="+e.Namespace, "--poll=2s",
			"--metrics-bind-address=0", "--health-probe-bind-address=0", "--kubeconfig="+e.CP.Kubeconfig)
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := &replica{cmd: cmd, log: log, done: make(chan error, 1)}
		go func() { r.done <- cmd.Wait(); f.Close() }()
		replicas = append(replicas, r)
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		_ = i
	}

	var leader, follower *replica
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) {
		for i, r := range replicas {
			if r.leads() {
				leader, follower = r, replicas[1-i]
				return true, ""
			}
		}
		b, _ := os.ReadFile(replicas[0].log)
		return false, "a replica acquiring the lease; replica 0 log:\n" + tailString(string(b), 1500)
	})
	lease := &coordinationv1.Lease{}
	if err := e.Kube.Get(context.Background(), client.ObjectKey{Namespace: e.Namespace, Name: "crossplane-leader-election-provider-docr"}, lease); err != nil || lease.Spec.HolderIdentity == nil {
		t.Fatalf("lease: %v %+v", err, lease.Spec)
	}

	r := newRegistry("led-one", "nyc3")
	e.Create(t, r)
	e.WaitForCondition(t, r, xpv2.TypeReady, corev1.ConditionTrue)
	time.Sleep(6 * time.Second) // several polls of both replicas
	if n := e.Sim.Stats().Count("POST", "/v2/registries", 0); n != 1 {
		t.Errorf("%d create requests for one Registry with two replicas, want 1", n)
	}
	if follower.leads() {
		t.Fatal("both replicas acquired the lease")
	}

	// The leader stops gracefully (releasing the lease); the follower takes over.
	_ = leader.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-leader.done:
		if err != nil {
			t.Errorf("leader exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("leader did not stop within 60s of SIGTERM")
	}
	env.Eventually(t, env.DefaultTimeout, func() (bool, string) { return follower.leads(), "the follower taking over" })
	r2 := newRegistry("led-two", "nyc3")
	e.Create(t, r2)
	e.WaitForCondition(t, r2, xpv2.TypeReady, corev1.ConditionTrue)
	// Clean up while a replica still runs.
	for _, x := range []client.Object{r, r2} {
		e.Delete(t, x)
		e.WaitGone(t, x)
	}
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
