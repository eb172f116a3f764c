package aggregate

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// TestEveryRejectReason plants one row per reason (two for malformed) and
// checks the counts and that each reason keeps a sample with the right line.
func TestEveryRejectReason(t *testing.T) {
	data := `customer,order,time,amount,gift
c1,o1,2024-03-01,10,0
c1,o1,2024-03-01,xx,0
c1,o2,2024-03-01
,o3,2024-03-01,10,0
c2,o4,2024-03-01,0,0
c2,o5,2024-03-01,5,1
c2,o6,2024-03-01,10,0
c2,o6,2024-03-01,10,0
c3,o7,2024-03-01,-10,0
c3,o8,2023-12-31,10,0
c3,o9,2024-03-01,0.5,0
c4,o10,2024-03-02,10,0
`
	rules := clean.Rules{DropGifts: true, MinAmount: 10000, DedupeOrders: true, WindowStart: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	set, err := Build(context.Background(), []input.Source{input.BytesSource("r.csv", []byte(data), input.Options{}, "")}, Options{Rules: rules, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[txn.RejectReason]string{
		txn.RejectMalformed:       "2@3,4",
		txn.RejectMissingCustomer: "1@5",
		txn.RejectNonPositive:     "1@6",
		txn.RejectGift:            "1@7",
		txn.RejectDuplicate:       "1@9",
		txn.RejectRefund:          "1@10",
		txn.RejectOutOfWindow:     "1@11",
		txn.RejectBelowMinimum:    "1@12",
	}
	got := map[txn.RejectReason]string{}
	for reason, n := range set.Rejected {
		var lines []string
		for _, s := range set.Samples {
			if s.Reason == reason {
				if s.Source != "r.csv" || s.Detail == "" || strings.Contains(s.Detail, "xx") {
					t.Errorf("sample %+v", s)
				}
				lines = append(lines, fmt.Sprint(s.Line))
			}
		}
		got[reason] = fmt.Sprintf("%d@%s", n, strings.Join(lines, ","))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rejected\n got %v\nwant %v", got, want)
	}
	if set.Rows != 12 || set.Transactions != 3 || len(set.Customers) != 3 {
		t.Fatalf("rows %d transactions %d customers %d", set.Rows, set.Transactions, len(set.Customers))
	}
}

// TestSamplesCapped keeps only the first SamplesPerReason samples per reason.
func TestSamplesCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer,time,amount\n")
	for i := range 50 {
		fmt.Fprintf(&b, "c%d,2024-01-01,-%d\n", i, i+1)
	}
	set, err := Build(context.Background(), []input.Source{input.BytesSource("s", []byte(b.String()), input.Options{}, "")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if set.Rejected[txn.RejectRefund] != 50 || len(set.Samples) != clean.SamplesPerReason || set.Samples[4].Line != 6 {
		t.Fatalf("rejected %v samples %v", set.Rejected, set.Samples)
	}
}
