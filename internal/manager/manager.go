// Package manager wires the controller manager: scheme, reconcilers, probes, metrics.
package manager

import (
	"context"
	"fmt"
	"os"
)

// Main runs the manager until ctx is cancelled and returns the exit code.
func Main(ctx context.Context, args []string) int {
	fmt.Fprintln(os.Stderr, "crmlens manager: not implemented yet")
	return 2
}
