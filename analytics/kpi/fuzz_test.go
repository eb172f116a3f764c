package kpi

import (
	"strings"
	"testing"
)

// FuzzReadContacts checks that no input crashes the contacts reader and that
// every data row is either a contact or counted as rejected.
func FuzzReadContacts(f *testing.F) {
	f.Add("customer_id,contact_time,cost\na,2024-06-01,1.50\n,x,\n")
	f.Add("customer,time\n\"a\nb\",20240101\n")
	f.Fuzz(func(t *testing.T, text string) {
		cs, rep, err := ReadContacts(strings.NewReader(text), "fuzz.csv", nil)
		if err != nil {
			return
		}
		if int64(len(cs))+rep.Rejected != rep.Rows {
			t.Fatalf("%d contacts + %d rejected != %d rows", len(cs), rep.Rejected, rep.Rows)
		}
		for _, c := range cs {
			if c.Customer == "" || c.Cost < 0 {
				t.Fatalf("bad contact %+v", c)
			}
		}
	})
}
