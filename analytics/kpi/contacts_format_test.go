package kpi

import (
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// TestReadContactsWith: declared columns, delimiter and layout replace the
// guessed header; a declared column the header lacks is an error.
func TestReadContactsWith(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	f := ContactFormat{Customer: "Kunde", Time: "Kontakt", Cost: "Kosten", Comma: ';', Parser: input.TimeParser{Layout: "02.01.2006", Location: berlin}}
	text := "Kunde;customer_id;Kontakt;Kosten\nc1;x;05.03.2024;1.50\nc2;y;31.02.2024;1\n;z;01.01.2024;1\n"
	cs, rep, err := ReadContactsWith(strings.NewReader(text), "k.csv", f)
	if err != nil {
		t.Fatal(err)
	}
	want := Contact{Customer: "c1", Time: time.Date(2024, 3, 5, 0, 0, 0, 0, berlin), Cost: txn.Money(15 * txn.MoneyScale / 10)}
	if len(cs) != 1 || cs[0].Customer != want.Customer || !cs[0].Time.Equal(want.Time) || cs[0].Cost != want.Cost {
		t.Errorf("contacts %+v, want [%+v]", cs, want)
	}
	if rep.Rows != 3 || rep.Rejected != 2 {
		t.Errorf("report %+v", rep)
	}
	for _, bad := range []ContactFormat{{Customer: "client"}, {Cost: "price"}} {
		if _, _, err := ReadContactsWith(strings.NewReader("customer_id,contact_time,cost\nc1,2024-01-01,1\n"), "c.csv", bad); err == nil {
			t.Errorf("%+v: header without the declared column accepted", bad)
		}
	}
}
