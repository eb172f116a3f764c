// Package memlimit gives the Go runtime a soft memory limit (GOMEMLIMIT) from
// the container's cgroup memory limit, when the environment sets none.
//
// Why: the analysis keeps large pointer-free tables alive until the end of
// the read; with the default GOGC=100 the heap may grow to twice what is
// live before a collection, so a Job whose live data fit its memory limit
// could still be OOM-killed. A soft limit at a share of the cgroup's makes
// the collector run more often near the limit instead (measured in
// docs/benchmarks.md: the 1M-customer shop peaks at 432 MiB with a 300 MiB
// limit against 650–820 MiB without).
package memlimit

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Share is the part of the cgroup limit given to the Go heap: the rest is
// for the runtime's own memory, stacks and the page cache of what is read.
const Share = 0.8

// cgroupFiles are the limit files of cgroup v2 and v1, in that order.
var cgroupFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// FromCgroup sets the soft memory limit to Share of the cgroup's memory
// limit unless GOMEMLIMIT is set or no limit is found; it returns the limit
// set (0: none).
func FromCgroup() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	for _, f := range cgroupFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if lim := limitFor(string(b)); lim > 0 {
			debug.SetMemoryLimit(lim)
			return lim
		}
	}
	return 0
}

// limitFor is the soft limit for a cgroup limit file's content: 0 for
// "max", unparsable text or no real limit (cgroup v1 writes a huge number
// for "unlimited").
func limitFor(content string) int64 {
	s := strings.TrimSpace(content)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 {
		return 0
	}
	return int64(float64(n) * Share)
}
