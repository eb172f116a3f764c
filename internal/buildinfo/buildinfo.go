// Package buildinfo names the build: the version (one variable,
// engine.Version, so result documents, `crmlens version`, the manager's log
// and the crmlens_build_info metric can never disagree), the source revision
// and the Go version. Both are stamped at build time:
//
//	go build -ldflags "-X github.com/crmlens/crmlens/analytics/engine.Version=0.1.0 \
//	  -X github.com/crmlens/crmlens/internal/buildinfo.Revision=$(git rev-parse HEAD)"
package buildinfo

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/crmlens/crmlens/analytics/engine"
)

// Revision is the source commit; set with -ldflags -X. When empty, the VCS
// revision Go records itself (go build with -buildvcs) is used, else "unknown".
var Revision = ""

// Info is what a build says about itself.
type Info struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	GoVersion string `json:"goVersion"`
}

// Get returns this binary's build information.
func Get() Info {
	return Info{Version: engine.Version, Revision: revision(), GoVersion: runtime.Version()}
}

func revision() string {
	if Revision != "" {
		return Revision
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// String is the one-line form `crmlens version` prints.
func (i Info) String() string {
	return fmt.Sprintf("crmlens %s (revision %s, %s)", i.Version, i.Revision, i.GoVersion)
}

// Main runs `crmlens version [-o json]` and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	asJSON := false
	switch {
	case len(args) == 0:
	case len(args) == 2 && args[0] == "-o" && args[1] == "json", len(args) == 1 && args[0] == "-o=json":
		asJSON = true
	case len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help"):
		_, _ = fmt.Fprintln(stdout, "usage: crmlens version [-o json]")
		return 0
	default:
		_, _ = fmt.Fprintf(stderr, "crmlens version: unexpected arguments %q\nusage: crmlens version [-o json]\n", args)
		return 2
	}
	i := Get()
	if asJSON {
		b, _ := json.Marshal(i)
		_, _ = fmt.Fprintln(stdout, string(b))
		return 0
	}
	_, _ = fmt.Fprintln(stdout, i.String())
	return 0
}
