package clv

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
)

// A set carrying condensed days (as the database pushdown sends them) gives
// the very summaries its histories give, at several calibration ends; a set
// condensed at another end, or a customer with neither, is refused.
func TestSummariesFromCondensedDays(t *testing.T) {
	ids, hist := loadCDNOW(t)
	full := &customer.Set{}
	for _, id := range ids {
		full.Customers = append(full.Customers, customer.Customer{ID: fmt.Sprint(id), History: hist[id]})
	}
	for _, end := range []customer.Day{customer.DayOf(cdnowCalEnd), customer.DayOf(cdnowCalEnd) - 200, customer.DayOf(cdnowCalEnd) + 150} {
		condensed := &customer.Set{SummaryEnd: &end}
		for _, c := range full.Customers {
			ds, err := Condense(c.History, end)
			if err != nil {
				t.Fatal(err)
			}
			condensed.Customers = append(condensed.Customers, customer.Customer{ID: c.ID, Summary: &ds})
		}
		wantIDs, want, err := Summaries(full, end.Time(), Week)
		if err != nil {
			t.Fatal(err)
		}
		gotIDs, got, err := Summaries(condensed, end.Time(), Week)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotIDs, wantIDs) || !reflect.DeepEqual(got, want) {
			t.Errorf("end %s: condensed summaries differ (%d vs %d customers)", end.Time().Format("2006-01-02"), len(got), len(want))
		}
		if end < customer.DayOf(cdnowCalEnd) && len(want) == len(full.Customers) {
			t.Errorf("end %s: every customer scored, want some entering later", end.Time().Format("2006-01-02"))
		}
		if _, _, err := Summaries(condensed, (end + 1).Time(), Week); err == nil || !strings.Contains(err.Error(), "summarised at") {
			t.Errorf("another end: %v", err)
		}
		condensed.Customers[0].Summary = nil
		if _, _, err := Summaries(condensed, end.Time(), Week); err == nil {
			t.Error("a customer without summary or history was accepted")
		}
	}
}
