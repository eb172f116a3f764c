// Package cli implements the analyst-facing `crmlens analyze` command.
package cli

import (
	"context"
	"fmt"
	"io"
)

// Analyze runs the engine on local files and prints the result document.
// It returns the process exit code.
func Analyze(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "crmlens analyze: not implemented yet")
	return 2
}
