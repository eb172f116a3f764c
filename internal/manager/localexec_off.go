//go:build !localexec

package manager

import (
	"errors"
	"flag"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
)

// The production build has no --local-exec flag and no local executor
// (build with -tags localexec for development).

func bindLocalExecFlags(*flag.FlagSet, *Options) {}

func setupLocalExec(ctrl.Manager, *rest.Config, Options) error {
	return errors.New("this crmlens is built without the local Job executor (build with -tags localexec)")
}
