//go:build localexec

package manager

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/crmlens/crmlens/internal/localexec"
)

// The local Job executor is compiled in only with `-tags localexec`: the
// production manager cannot run analysis as its own processes.

func bindLocalExecFlags(fs *flag.FlagSet, o *Options) {
	fs.BoolVar(&o.LocalExec, "local-exec", o.LocalExec,
		"DEVELOPMENT ONLY: run analysis Jobs as local processes and record their outcome in Job status (no kubelet needed)")
	fs.StringVar(&o.LocalExecBinary, "local-exec-binary", o.LocalExecBinary,
		"crmlens binary the local executor runs; this executable when empty")
}

// setupLocalExec adds the development Job executor; its processes reach the
// API server through a kubeconfig written from the manager's own config.
func setupLocalExec(mgr ctrl.Manager, cfg *rest.Config, o Options) error {
	dir, err := os.MkdirTemp("", "crmlens-localexec-")
	if err != nil {
		return fmt.Errorf("local executor: %w", err)
	}
	kc := filepath.Join(dir, "kubeconfig")
	if err := localexec.WriteKubeconfig(cfg, kc); err != nil {
		return fmt.Errorf("local executor: %w", err)
	}
	ex := &localexec.Executor{Binary: o.LocalExecBinary, Env: []string{"KUBECONFIG=" + kc}}
	if err := ex.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("local executor: %w", err)
	}
	// The kubeconfig holds the manager's credentials: it goes when the
	// manager stops, after the last local Job has exited.
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		ex.Wait()
		return os.RemoveAll(dir)
	})); err != nil {
		return fmt.Errorf("local executor: %w", err)
	}
	ctrl.Log.WithName("setup").Info("DEVELOPMENT MODE: analysis Jobs run as local processes (--local-exec)")
	return nil
}
