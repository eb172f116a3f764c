//go:build localexec

package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/testenv"
)

// TestNamespacedManagerAndKubeconfigCleanup starts the manager with
// --watch-namespaces and the local executor: a DataSource in the watched
// namespace is probed, one elsewhere is never touched, and the kubeconfig
// the executor wrote is gone once the manager stops.
func TestNamespacedManagerAndKubeconfigCleanup(t *testing.T) {
	e := testenv.Start(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	o := DefaultOptions()
	o.MetricsAddr, o.ProbeAddr = "0", "0"
	o.WatchNamespaces = []string{"watched"}
	o.LocalExec = true
	o.skipNameValidation = true // TestManagerAgainstAPIServer ran one before
	mgr, err := New(e.Config, o)
	if err != nil {
		t.Fatal(err)
	}
	kcs, _ := filepath.Glob(filepath.Join(tmp, "crmlens-localexec-*", "kubeconfig"))
	if len(kcs) != 1 {
		t.Fatalf("kubeconfigs written: %v", kcs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()

	for _, ns := range []string{"watched", "other"} {
		if err := e.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
		if err := e.Client.Create(ctx, &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns},
			Spec: crmv1.DataSourceSpec{Sample: &crmv1.SampleSource{}}}); err != nil {
			t.Fatal(err)
		}
	}
	ready := func(ns string) bool {
		var ds crmv1.DataSource
		if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop"}, &ds); err != nil {
			t.Fatal(err)
		}
		return meta.FindStatusCondition(ds.Status.Conditions, crmv1.ConditionReady) != nil
	}
	for !ready("watched") {
		select {
		case <-ctx.Done():
			t.Fatal("the watched namespace's DataSource was never probed")
		case <-time.After(100 * time.Millisecond):
		}
	}
	time.Sleep(2 * time.Second)
	if ready("other") {
		t.Error("a DataSource outside --watch-namespaces was reconciled")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("manager: %v", err)
	}
	if _, err := os.Stat(kcs[0]); !os.IsNotExist(err) {
		t.Errorf("kubeconfig %s still there after the manager stopped (%v)", kcs[0], err)
	}
}
