package kpi

import (
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/txn"
)

func TestReadContacts(t *testing.T) {
	text := "Customer_ID,contact_time,cost,extra\n" +
		"a,2024-06-01,1.50,x\n" +
		"b,2024-06-02T10:00:00Z,,y\n" +
		",2024-06-02,1,z\n" +
		"c,yesterday,1,z\n" +
		"d,2024-06-03,-2,z\n" +
		"e\n" +
		"f,20240604,0.25,z\n"
	cs, rep, err := ReadContacts(strings.NewReader(text), "contacts.csv", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want := []Contact{
		{Customer: "a", Time: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), Cost: txn.MoneyFromFloat(1.5)},
		{Customer: "b", Time: time.Date(2024, 6, 2, 10, 0, 0, 0, time.UTC)},
		{Customer: "f", Time: time.Date(2024, 6, 4, 0, 0, 0, 0, time.UTC), Cost: txn.MoneyFromFloat(0.25)},
	}
	if len(cs) != len(want) {
		t.Fatalf("contacts = %+v", cs)
	}
	for i := range want {
		if cs[i].Customer != want[i].Customer || !cs[i].Time.Equal(want[i].Time) || cs[i].Cost != want[i].Cost {
			t.Errorf("contact %d = %+v, want %+v", i, cs[i], want[i])
		}
	}
	if rep.Rows != 7 || rep.Rejected != 4 || len(rep.Samples) != 4 {
		t.Errorf("report = %+v", rep)
	}
	wantLines := []int64{4, 5, 6, 7}
	for i, s := range rep.Samples {
		if s.Line != wantLines[i] || s.Reason != txn.RejectMalformed || strings.Contains(s.Detail, "yesterday") {
			t.Errorf("sample %d = %+v", i, s)
		}
	}
}

func TestReadContactsHeader(t *testing.T) {
	for _, text := range []string{"", "customer,cost\na,1\n", "when,cost\n"} {
		if _, _, err := ReadContacts(strings.NewReader(text), "c.csv", nil); err == nil {
			t.Errorf("ReadContacts(%q) accepted", text)
		}
	}
}
