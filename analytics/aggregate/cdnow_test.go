package aggregate

import (
	"context"
	"testing"

	"github.com/crmlens/crmlens/analytics/input"
)

const cdnowPath = "../../../shared/data/cdnow/CDNOW_sample.txt"

func cdnowSource(t testing.TB) input.Source {
	t.Helper()
	m, err := input.ParseMapping("customer=2,time=3,amount=5")
	if err != nil {
		t.Fatal(err)
	}
	return input.FileSource(cdnowPath, input.Options{Delimiter: "whitespace", NoHeader: true, Mapping: m}, "")
}

// TestCDNOW checks the published shape of the CDNOW sample: 6919 lines from
// 2357 customers, and the BTYD calibration facts derived from it.
func TestCDNOW(t *testing.T) {
	set, err := Build(context.Background(), []input.Source{cdnowSource(t)}, Options{History: true})
	if err != nil {
		t.Fatal(err)
	}
	if set.Rows != 6919 || set.Transactions != 6919 || len(set.Customers) != 2357 {
		t.Fatalf("rows %d transactions %d customers %d; want 6919, 6919, 2357 (rejected %v %v)", set.Rows, set.Transactions, len(set.Customers), set.Rejected, set.Samples)
	}
}
