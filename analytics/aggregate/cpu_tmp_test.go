package aggregate

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUTmp(t *testing.T) {
	path := os.Getenv("CPUFILE")
	if path == "" {
		t.Skip()
	}
	for _, w := range []int{2} {
		c0, w0 := cpuNow(), time.Now()
		set, err := Build(context.Background(), []input.Source{input.FileSource(path, input.Options{}, "")}, Options{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("workers=%d wall=%v cpu=%v rows=%d cust=%d", w, time.Since(w0), cpuNow()-c0, set.Rows, len(set.Customers))
	}
}
