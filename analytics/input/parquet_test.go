package input

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

type pqRow struct {
	Customer string    `parquet:"customer_id"`
	Order    int64     `parquet:"order_id"`
	When     time.Time `parquet:"ts,timestamp(millisecond)"`
	Amount   float64   `parquet:"amount"`
	Text     string    `parquet:"amount_text"`
	Day      string    `parquet:"day"`
	Qty      int32     `parquet:"qty"`
	Gift     bool      `parquet:"gift"`
}

func writeParquet(t *testing.T, rows []pqRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqRow](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParquet(t *testing.T) {
	ts := time.Date(2024, 6, 1, 10, 30, 0, 0, time.UTC)
	data := writeParquet(t, []pqRow{
		{Customer: "a", Order: 7, When: ts, Amount: 19.99, Text: "19.99", Day: "2024-06-01", Qty: 2, Gift: false},
		{Customer: "b", Order: 8, When: ts.Add(time.Hour), Amount: 0.1, Text: "oops", Day: "2024-06-02", Qty: 1, Gift: true},
	})
	cases := []struct {
		name    string
		mapping string
		want    []string
		rejects int
	}{
		{"typed columns", "customer=customer_id,order=order_id,time=ts,amount=amount,quantity=qty,gift=gift",
			[]string{"a 7 2024-06-01 10:30:00 +0000 UTC 19.9900 2 false", "b 8 2024-06-01 11:30:00 +0000 UTC 0.1000 1 true"}, 0},
		{"text columns by index", "customer=1,time=6,amount=5",
			[]string{"a 7 2024-06-01 00:00:00 +0000 UTC 19.9900 2 false"}, 1}, // order, qty and gift found by default names
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := BytesSource("t.parquet", data, Options{Format: "parquet", Mapping: mustMap(t, tc.mapping)}, "")
			c := &collect{}
			if err := Read(context.Background(), src, c); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range c.rows {
				got = append(got, r.Customer+" "+r.Order+" "+r.Time.String()+" "+r.Amount.String()+" "+itoa(r.Quantity)+" "+btoa(r.Gift))
			}
			if len(got) != len(tc.want) || len(c.rejects) != tc.rejects {
				t.Fatalf("rows %q rejects %v", got, c.rejects)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("row %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
			if tc.rejects > 0 && c.rejects[0] != "2:malformed:column amount: invalid decimal" {
				t.Errorf("reject %q", c.rejects[0])
			}
		})
	}
	err := Read(context.Background(), BytesSource("t.parquet", data, Options{Format: "parquet", Mapping: mustMap(t, "customer=nope,time=ts,amount=amount")}, ""), &collect{})
	if err == nil {
		t.Fatal("unknown parquet column accepted")
	}
	err = Read(context.Background(), BytesSource("x.parquet", []byte("not parquet"), Options{Format: "parquet"}, ""), &collect{})
	if err == nil {
		t.Fatal("garbage accepted as parquet")
	}
}

func itoa(n int) string {
	return string(rune('0' + n))
}

func btoa(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestParquetParallel(t *testing.T) {
	var rows []pqRow
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10000 {
		text := fmt.Sprintf("%d.%02d", i%100, i%7)
		if i%997 == 5 {
			text = "bad"
		}
		rows = append(rows, pqRow{Customer: fmt.Sprintf("c%d", i%300), Order: int64(i), When: base.Add(time.Duration(i) * time.Minute), Text: text, Qty: 1})
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqRow](&buf, parquet.MaxRowsPerRowGroup(700))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	src := BytesSource("p.parquet", buf.Bytes(), Options{Format: "parquet", Mapping: mustMap(t, "customer=customer_id,time=ts,amount=amount_text")}, "")
	seq := &collect{}
	if err := Read(context.Background(), src, seq); err != nil {
		t.Fatal(err)
	}
	wantRows, wantRej := flatten([]Part{{Handler: seq}})
	if len(wantRows) != 9989 || len(wantRej) != 11 || !strings.HasPrefix(wantRej[0], "6:malformed") {
		t.Fatalf("sequential: %d rows, rejects %v", len(wantRows), wantRej)
	}
	for _, n := range []int{2, 3, 5} {
		parts, err := ReadParallel(context.Background(), src, n, func() Handler { return &collect{} })
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != n {
			t.Fatalf("n=%d: %d parts", n, len(parts))
		}
		gotRows, gotRej := flatten(parts)
		if !slices.Equal(gotRows, wantRows) || !slices.Equal(gotRej, wantRej) {
			t.Fatalf("n=%d: parallel parquet read differs from sequential", n)
		}
	}
}
