package controlplane_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/crossplane-contrib/provider-docr/test/controlplane"
)

// TestRestartAPIServer restarts kube-apiserver under a running client: objects survive, the
// same client keeps working, and an informer started before the restart sees an object
// created after it (its watch was re-established).
func TestRestartAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cp := controlplane.StartForTest(t, controlplane.Options{NoControllerManager: true})
	c, err := kubernetes.NewForConfig(cp.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string) {
		t.Helper()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
		if _, err := c.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create ConfigMap %s: %v", name, err)
		}
	}
	mk("before")

	seen := make(chan string, 16)
	f := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithNamespace("default"))
	inf := f.Core().V1().ConfigMaps().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			seen <- cm.Name
		}
	}}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	f.Start(stop)
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("informer did not sync")
	}

	pid := cp.PIDs()[controlplane.KubeAPIServer]
	if err := cp.RestartAPIServer(ctx); err != nil {
		t.Fatalf("RestartAPIServer: %v", err)
	}
	if got := cp.PIDs()[controlplane.KubeAPIServer]; got == pid {
		t.Fatalf("kube-apiserver still has pid %d after the restart", pid)
	}
	if _, err := c.CoreV1().ConfigMaps("default").Get(ctx, "before", metav1.GetOptions{}); err != nil {
		t.Errorf("ConfigMap created before the restart, read with the same client: %v", err)
	}
	mk("after")
	deadline := time.After(waitFor)
	for {
		select {
		case name := <-seen:
			if name == "after" {
				return
			}
		case <-deadline:
			t.Fatal("the informer started before the restart never saw the ConfigMap created after it")
		}
	}
}
