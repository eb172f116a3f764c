package input

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// TestLineAmount: amount = quantity × unit price, exactly, chosen by the
// mapping rules of Mapping.resolve.
func TestLineAmount(t *testing.T) {
	cases := []struct {
		name, mapping, data string
		want                []string // amounts of accepted rows
		rejects             []string // "line:detail" substrings
		err                 string
	}{
		{"auto: quantity and UnitPrice", "", "customer,time,Quantity,UnitPrice\na,2024-01-01,3,0.333\na,2024-01-01,-2,1.69\n",
			[]string{"0.9990", "-3.3800"}, nil, ""},
		{"auto: amount wins over price", "", "customer,time,quantity,price,amount\na,2024-01-01,3,2.00,5.50\n",
			[]string{"5.5000"}, nil, ""},
		{"auto: price without quantity is the line amount", "", "customer,time,price\na,2024-01-01,2.25\n",
			[]string{"2.2500"}, nil, ""},
		{"explicit", "customer=1,time=2,quantity=3,price=4", "c,t,q,p\na,2024-01-01,1000,12345.6789\n",
			[]string{"12345678.9000"}, nil, ""},
		{"sub-cent price", "", "customer,time,qty,unit_price\na,2024-01-01,7,0.001\n",
			[]string{"0.0070"}, nil, ""},
		{"empty quantity is malformed", "", "customer,time,quantity,unitprice\na,2024-01-01,,2.00\n",
			nil, []string{"2:malformed:column quantity: empty"}, ""},
		{"bad price is malformed", "", "customer,time,quantity,unitprice\na,2024-01-01,1,abc\n",
			nil, []string{"2:malformed:column price: invalid decimal"}, ""},
		{"overflow", "", "customer,time,quantity,unitprice\na,2024-01-01,999999999,99999999999\n",
			nil, []string{"2:malformed:column price: amount out of range"}, ""},
		{"price mapped without quantity", "customer=customer,time=time,price=p", "customer,time,p\na,2024-01-01,1\n",
			nil, nil, "price needs quantity"},
		{"nothing to make an amount", "", "customer,time,quantity\na,2024-01-01,1\n",
			nil, nil, "quantity=COL,price=COL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m Mapping
			if tc.mapping != "" {
				var err error
				if m, err = ParseMapping(tc.mapping); err != nil {
					if tc.err != "" && strings.Contains(err.Error(), tc.err) {
						return
					}
					t.Fatal(err)
				}
			}
			c := &collect{}
			err := Read(context.Background(), BytesSource("t", []byte(tc.data), Options{Mapping: m}, ""), c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range c.rows {
				got = append(got, r.Amount.String())
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("amounts %v, want %v", got, tc.want)
			}
			if len(c.rejects) != len(tc.rejects) {
				t.Fatalf("rejects %v, want %v", c.rejects, tc.rejects)
			}
			for i, r := range tc.rejects {
				if !strings.Contains(c.rejects[i], r) {
					t.Errorf("reject %q, want %q", c.rejects[i], r)
				}
			}
		})
	}
	if _, err := ParseMapping("amount=a,price=p,quantity=q"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("amount and price: %v", err)
	}
}

// TestParquetStreamDetected: a stream (no random access, no declared
// format) that starts with Parquet's magic bytes is read as Parquet, with
// quantity × unit price from typed columns.
func TestParquetStreamDetected(t *testing.T) {
	type line struct {
		Customer string    `parquet:"customer_id"`
		When     time.Time `parquet:"timestamp,timestamp(millisecond)"`
		Qty      int32     `parquet:"quantity"`
		Price    float64   `parquet:"unit_price"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[line](&buf)
	if _, err := w.Write([]line{{"a", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 3, 1.255}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	src := ReaderSource("body", func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, Options{}, "")
	c := &collect{}
	if err := Read(context.Background(), src, c); err != nil {
		t.Fatal(err)
	}
	if len(c.rows) != 1 || c.rows[0].Amount.String() != "3.7650" {
		t.Fatalf("rows %+v, want one with amount 3 × 1.255 = 3.7650", c.rows)
	}
}
