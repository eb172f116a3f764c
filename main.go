// Command crmlens is one binary with several roles, so the operator's image can
// run both the manager and the analysis Jobs it creates:
//
//	crmlens [manager] [flags]   run the controller manager (the default)
//	crmlens run [flags]         run one analysis inside a Job pod
//	crmlens analyze [flags]     run the analytics engine on local files
//	crmlens report [flags]      render a result document as a self-contained HTML page
//	crmlens erase [flags] FILE  erase customers from result files (right to be forgotten)
//	crmlens version [-o json]   print the version, source revision and Go version
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/crmlens/crmlens/internal/buildinfo"
	"github.com/crmlens/crmlens/internal/cli"
	"github.com/crmlens/crmlens/internal/manager"
	"github.com/crmlens/crmlens/internal/memlimit"
	"github.com/crmlens/crmlens/internal/runner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	args := os.Args[1:]
	role := "manager"
	if len(args) > 0 && (args[0] == "manager" || args[0] == "analyze" || args[0] == "run" || args[0] == "report" || args[0] == "erase" || args[0] == "version") {
		role, args = args[0], args[1:]
	}
	if role == "analyze" || role == "run" {
		// Analyses hold large tables to the end of the read: collect more
		// often near the container's limit than let the heap double.
		memlimit.FromCgroup()
	}
	var code int
	switch role {
	case "analyze":
		stopProfile := startProfile()
		code = cli.Analyze(ctx, args, os.Stdout, os.Stderr)
		stopProfile()
	case "report":
		code = cli.Report(ctx, args, os.Stdout, os.Stderr)
	case "erase":
		code = cli.Erase(ctx, args, os.Stdout, os.Stderr)
	case "version":
		code = buildinfo.Main(args, os.Stdout, os.Stderr)
	case "run":
		code = runner.Main(ctx, args)
	default:
		code = manager.Main(ctx, args)
	}
	os.Exit(code)
}

// startProfile writes a CPU profile of `crmlens analyze` to the file named by
// CRMLENS_CPUPROFILE, if set: how docs/benchmarks.md's profiles were taken.
func startProfile() (stop func()) {
	path := os.Getenv("CRMLENS_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crmlens: CPU profile:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "crmlens: CPU profile:", err)
		}
	}
}
