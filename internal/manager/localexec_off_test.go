//go:build !localexec

package manager

import (
	"flag"
	"io"
	"testing"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// TestProductionHasNoLocalExec: without the localexec build tag the manager
// refuses --local-exec, and the executor package is not linked in.
func TestProductionHasNoLocalExec(t *testing.T) {
	log.SetLogger(logr.Discard())
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := DefaultOptions()
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--local-exec"}); err == nil {
		t.Error("--local-exec accepted by a production build")
	}
	if err := setupLocalExec(nil, nil, Options{LocalExec: true}); err == nil {
		t.Error("the local executor can be set up in a production build")
	}
}
