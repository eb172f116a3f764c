package input

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/txn"
)

// collect is a Handler that keeps everything it is given.
type collect struct {
	rows    []txn.Transaction
	lines   []int64
	rejects []string // "line:reason:detail"
}

func (c *collect) Record(r *Record) error {
	var t txn.Transaction
	r.Transaction(&t)
	c.rows = append(c.rows, t)
	c.lines = append(c.lines, r.Line)
	return nil
}

func (c *collect) Reject(line int64, reason txn.RejectReason, detail string) {
	c.rejects = append(c.rejects, fmt.Sprintf("%d:%s:%s", line, reason, detail))
}

func readString(t *testing.T, data string, opts Options) *collect {
	t.Helper()
	c := &collect{}
	if err := Read(context.Background(), BytesSource("test", []byte(data), opts, "web"), c); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return c
}

func mustMap(t *testing.T, s string) Mapping {
	t.Helper()
	m, err := ParseMapping(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func TestDelimitersAndFraming(t *testing.T) {
	want := []txn.Transaction{
		{Customer: "c1", Order: "o1", Time: utc(2024, 1, 2, 0, 0, 0), Amount: 125000, Channel: "web"},
		{Customer: "c2", Order: "o2", Time: utc(2024, 1, 3, 0, 0, 0), Amount: 5, Channel: "web"},
	}
	cases := []struct {
		name  string
		data  string
		delim string
	}{
		{"comma", "customer,order,time,amount\nc1,o1,2024-01-02,12.5\nc2,o2,2024-01-03,0.0005\n", ","},
		{"semicolon", "customer;order;time;amount\nc1;o1;2024-01-02;12.5\nc2;o2;2024-01-03;0.0005\n", ";"},
		{"tab", "customer\torder\ttime\tamount\nc1\to1\t2024-01-02\t12.5\nc2\to2\t2024-01-03\t0.0005\n", "\t"},
		{"pipe", "customer|order|time|amount\nc1|o1|2024-01-02|12.5\nc2|o2|2024-01-03|0.0005\n", "|"},
		{"whitespace runs", "  customer   order time\tamount\n c1  o1 \t 2024-01-02   12.5  \n\nc2 o2 2024-01-03 0.0005", "whitespace"},
		{"crlf", "customer,order,time,amount\r\nc1,o1,2024-01-02,12.5\r\nc2,o2,2024-01-03,0.0005\r\n", ","},
		{"no final newline", "customer,order,time,amount\nc1,o1,2024-01-02,12.5\nc2,o2,2024-01-03,0.0005", ","},
		{"quoted", "\"customer\",order,time,amount\n\"c1\",\"o1\",\"2024-01-02\",\"12.5\"\r\nc2,o2,2024-01-03,0.0005\n", ","},
		{"blank lines skipped", "customer,order,time,amount\n\nc1,o1,2024-01-02,12.5\n\r\n\nc2,o2,2024-01-03,0.0005\n\n", ","},
		{"bom and spaced header", "\ufeff Customer , ORDER,time ,amount\nc1,o1,2024-01-02,12.5\nc2,o2,2024-01-03,0.0005\n", ","},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := readString(t, tc.data, Options{Delimiter: tc.delim, Mapping: mustMap(t, "customer=customer,order=order,time=time,amount=amount")})
			if len(c.rejects) > 0 {
				t.Fatalf("rejects: %v", c.rejects)
			}
			if fmt.Sprint(c.rows) != fmt.Sprint(want) {
				t.Fatalf("rows\n got %v\nwant %v", c.rows, want)
			}
		})
	}
}

func TestQuotedFields(t *testing.T) {
	data := "id,amount,time,product\n" +
		"\"a,1\",\"1,5\",2024-05-01,\"say \"\"hi\"\"\"\n" +
		"b,2,2024-05-02,\"two\nlines\"\n" +
		"c,3,2024-05-03,x\n"
	c := readString(t, data, Options{DecimalSeparator: ',', Mapping: mustMap(t, "customer=id,amount=amount,time=time,product=product")})
	if len(c.rejects) > 0 {
		t.Fatalf("rejects: %v", c.rejects)
	}
	if len(c.rows) != 3 {
		t.Fatalf("got %d rows: %v", len(c.rows), c.rows)
	}
	if c.rows[0].Customer != "a,1" || c.rows[0].Amount != 15000 || c.rows[0].Product != `say "hi"` {
		t.Errorf("row 1 = %+v", c.rows[0])
	}
	if c.rows[1].Product != "two\nlines" {
		t.Errorf("row 2 product = %q", c.rows[1].Product)
	}
	// Physical lines: the quoted newline makes row 3 start on line 5.
	if fmt.Sprint(c.lines) != "[2 3 5]" {
		t.Errorf("lines = %v, want [2 3 5]", c.lines)
	}
}

func TestQuoteProblems(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"text after closing quote", "c,t,a\n\"x\"y,2024-01-01,1\nz,2024-01-01,2\n", "2:malformed:text after a closing quote"},
		{"unclosed quote", "c,t,a\nz,2024-01-01,2\n\"x,2024-01-01,1\nw,2024-01-01,3\n", "3:malformed:quoted field not closed before end of input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := readString(t, tc.data, Options{Mapping: mustMap(t, "customer=c,time=t,amount=a")})
			if len(c.rejects) != 1 || c.rejects[0] != tc.want {
				t.Fatalf("rejects %v, want [%s]", c.rejects, tc.want)
			}
			if len(c.rows) != 1 {
				t.Fatalf("rows %v, want the one good row", c.rows)
			}
		})
	}
}

func TestHeaderAndMapping(t *testing.T) {
	body := "x,c9,20240102,7\n"
	cases := []struct {
		name string
		data string
		opts Options
	}{
		{"by name", "a,cust,when,amt\n" + body, Options{Mapping: mustMap(t, "customer=cust,time=when,amount=amt")}},
		{"by index with header", "a,cust,when,amt\n" + body, Options{Mapping: mustMap(t, "customer=2,time=3,amount=4")}},
		{"by index without header", body, Options{NoHeader: true, Mapping: mustMap(t, "customer=2,time=3,amount=4")}},
		{"default names", "x,customer_id,timestamp,amount\n" + body, Options{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := readString(t, tc.data, tc.opts)
			if len(c.rows) != 1 || c.rows[0].Customer != "c9" || !c.rows[0].Time.Equal(utc(2024, 1, 2, 0, 0, 0)) || c.rows[0].Amount != 70000 {
				t.Fatalf("rows %v rejects %v", c.rows, c.rejects)
			}
			if c.lines[0] != int64(strings.Count(tc.data, "\n")) {
				t.Errorf("line %d", c.lines[0])
			}
		})
	}
}

func TestMappingErrors(t *testing.T) {
	cases := []struct {
		name, data, mapping string
		noHeader            bool
		want                string
	}{
		{"unknown header", "a,b,c\n1,2,3\n", "customer=a,time=b,amount=zz", false, `amount="zz": no such header column`},
		{"name without header", "1,2,3\n", "customer=a,time=2,amount=3", true, "has no header"},
		{"index beyond header", "a,b,c\n1,2,3\n", "customer=1,time=2,amount=9", false, "only 3 columns"},
		{"required unmapped", "a,b,c\n1,2,3\n", "customer=1,time=2", false, "column amount is not mapped"},
		{"empty input", "", "customer=1,time=2,amount=3", false, "no header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := mustMap(t, tc.mapping)
			err := Read(context.Background(), BytesSource("f.csv", []byte(tc.data), Options{NoHeader: tc.noHeader, Mapping: m}, ""), &collect{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.csv") {
				t.Fatalf("err = %v, want it to mention %q and the source", err, tc.want)
			}
		})
	}
}

func TestParseMapping(t *testing.T) {
	m, err := ParseMapping(" customer=2, order=Order ID ,time=3,amount=5,channel=ch,category=cat,product=p,quantity=q,gift=g")
	if err != nil {
		t.Fatal(err)
	}
	want := Mapping{Customer: Column{Index: 2}, Order: Column{Name: "Order ID"}, Time: Column{Index: 3}, Amount: Column{Index: 5},
		Channel: Column{Name: "ch"}, Category: Column{Name: "cat"}, Product: Column{Name: "p"}, Quantity: Column{Name: "q"}, Gift: Column{Name: "g"}}
	if m != want {
		t.Fatalf("got %+v", m)
	}
	if back, _ := ParseMapping(m.String()); back != m {
		t.Fatalf("round trip %q gave %+v", m.String(), back)
	}
	for _, bad := range []string{"customer", "shoe=1", "customer=1,customer=2", "time="} {
		if _, err := ParseMapping(bad); err == nil {
			t.Errorf("ParseMapping(%q) accepted", bad)
		}
	}
}

func TestTimeLayouts(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal("no tzdata:", err) // Go falls back to its own zoneinfo.zip
	}
	cases := []struct {
		in     string
		layout string
		loc    *time.Location
		want   time.Time
	}{
		{"2024-03-05T14:22:10Z", "", nil, utc(2024, 3, 5, 14, 22, 10)},
		{"2024-03-05T14:22:10.25+02:00", "", nil, time.Date(2024, 3, 5, 12, 22, 10, 250000000, time.UTC)},
		{"2024-03-05 14:22:10-05:30", "", nil, time.Date(2024, 3, 5, 19, 52, 10, 0, time.UTC)},
		{"2024-03-05", "", nil, utc(2024, 3, 5, 0, 0, 0)},
		{"20240305", "", nil, utc(2024, 3, 5, 0, 0, 0)},
		{"2024-03-05 14:22:10", "", nil, utc(2024, 3, 5, 14, 22, 10)},
		{"2024-03-05T14:22:10", "", nil, utc(2024, 3, 5, 14, 22, 10)},
		{"1709648530", "", nil, utc(2024, 3, 5, 14, 22, 10)},
		{"-86400", "", nil, utc(1969, 12, 31, 0, 0, 0)},
		{"2024-02-29", "", nil, utc(2024, 2, 29, 0, 0, 0)},
		{"2024-03-05 14:22:10", "", ny, time.Date(2024, 3, 5, 19, 22, 10, 0, time.UTC)},
		{"2024-07-05", "", ny, time.Date(2024, 7, 5, 4, 0, 0, 0, time.UTC)},
		{"2024-03-05T14:22:10Z", "", ny, utc(2024, 3, 5, 14, 22, 10)},
		{"05/03/2024 14:22", "02/01/2006 15:04", nil, utc(2024, 3, 5, 14, 22, 0)},
		{"05/03/2024", "02/01/2006", ny, time.Date(2024, 3, 5, 5, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		got, err := TimeParser{Layout: tc.layout, Location: tc.loc}.Parse([]byte(tc.in))
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("Parse(%q, %q, %v) = %v, %v; want %v", tc.in, tc.layout, tc.loc, got, err, tc.want)
		}
		if tc.loc != nil && got.Location() != tc.loc {
			t.Errorf("Parse(%q) location %v, want %v", tc.in, got.Location(), tc.loc)
		}
	}
	for _, bad := range []string{"", "2024-13-01", "2023-02-29", "2024-01-32", "2024-01-01T25:00:00Z", "2024-01-01T10:00:00+0200",
		"2024/01/01", "yesterday", "2024-01-01T10:00", "12345678901234", "2024-01-01T10:00:00.Z"} {
		if got, err := (TimeParser{}).Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseAmount(t *testing.T) {
	cases := []struct {
		in        string
		dec, thou byte
		want      txn.Money
		err       error
	}{
		{"12", 0, 0, 120000, nil},
		{"12.5", 0, 0, 125000, nil},
		{"-3.25", 0, 0, -32500, nil},
		{"+0.1", 0, 0, 1000, nil},
		{".5", 0, 0, 5000, nil},
		{"5.", 0, 0, 50000, nil},
		{" 7.00 ", 0, 0, 70000, nil},
		{"0.00005", 0, 0, 1, nil},   // half away from zero
		{"0.00004", 0, 0, 0, nil},   // rounded down
		{"-0.00005", 0, 0, -1, nil}, // symmetric
		{"1.23456789", 0, 0, 12346, nil},
		{"1,234.50", 0, ',', 12345000, nil},
		{"1,234,567.5", 0, ',', 12345675000, nil},
		{"1.234,50", ',', '.', 12345000, nil},
		{"12,5", ',', 0, 125000, nil},
		{"1 234,5", ',', ' ', 12345000, nil},
		{"1,234.50", 0, 0, 0, errAmountSyntax},     // undeclared thousands separator
		{"1,23.5", 0, ',', 0, errAmountGrouping},   // group of 2
		{"1234,567", 0, ',', 0, errAmountGrouping}, // 4 leading digits
		{",123", 0, ',', 0, errAmountGrouping},
		{"1,2345", 0, ',', 0, errAmountGrouping},
		{"", 0, 0, 0, errAmountEmpty},
		{"-", 0, 0, 0, errAmountSyntax},
		{".", 0, 0, 0, errAmountSyntax},
		{"1e3", 0, 0, 0, errAmountSyntax},
		{"$5", 0, 0, 0, errAmountSyntax},
		{"1.2.3", 0, 0, 0, errAmountSyntax},
		{"NaN", 0, 0, 0, errAmountSyntax},
		{"99999999999999999999", 0, 0, 0, errAmountOverflow},
		{"922337203685477.5807", 0, 0, 9223372036854775807, nil},
	}
	for _, tc := range cases {
		got, err := ParseAmount([]byte(tc.in), tc.dec, tc.thou)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseAmount(%q, %q, %q) = %v, %v; want %v, %v", tc.in, tc.dec, tc.thou, got, err, tc.want, tc.err)
		}
	}
}

func TestOptionalColumnsAndRejects(t *testing.T) {
	data := "c,o,t,a,ch,cat,p,q,g\n" +
		"c1,o1,2024-01-01,10,store,books,P1,2,no\n" +
		"c2,o2,2024-01-01,10,,books,P1,,\n" + // empty channel falls back to the source label
		"c3,o3,2024-01-01,abc,store,books,P1,1,0\n" +
		"c4,o4,not-a-date,1,store,books,P1,1,0\n" +
		"c5,o5,2024-01-01,1,store,books,P1,1.5,0\n" +
		"c6,o6,2024-01-01,1,store,books,P1,1,maybe\n" +
		"c7,o7,2024-01-01\n" +
		"c8,o8,2024-01-01,0,store,books,P1,1,YES\n"
	c := readString(t, data, Options{Mapping: mustMap(t, "customer=c,order=o,time=t,amount=a,channel=ch,category=cat,product=p,quantity=q,gift=g")})
	want := []string{
		"4:malformed:column amount: invalid decimal",
		"5:malformed:column time: unrecognised timestamp layout",
		"6:malformed:column quantity: invalid integer",
		"7:malformed:column gift: invalid flag (want true/false, yes/no, 1/0)",
		"8:malformed:row has 3 columns, need 9",
	}
	if fmt.Sprint(c.rejects) != fmt.Sprint(want) {
		t.Fatalf("rejects\n got %v\nwant %v", c.rejects, want)
	}
	if len(c.rows) != 3 {
		t.Fatalf("rows %v", c.rows)
	}
	r := c.rows[0]
	if r.Channel != "store" || r.Category != "books" || r.Product != "P1" || r.Quantity != 2 || r.Gift {
		t.Errorf("row 1 = %+v", r)
	}
	if c.rows[1].Channel != "web" {
		t.Errorf("row 2 channel %q, want the source label", c.rows[1].Channel)
	}
	if !c.rows[2].Gift || c.rows[2].Amount != 0 {
		t.Errorf("row 8 = %+v", c.rows[2])
	}
}

func TestAllRowsBad(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer,time,amount\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "c%d,never,%d\n", i, i)
	}
	c := readString(t, b.String(), Options{})
	if len(c.rows) != 0 || len(c.rejects) != 1000 {
		t.Fatalf("rows %d rejects %d", len(c.rows), len(c.rejects))
	}
}

func TestOptionsValidate(t *testing.T) {
	bad := []Options{
		{Format: "xlsx"},
		{Delimiter: "::"},
		{DecimalSeparator: ';'},
		{ThousandsSeparator: '.'}, // same as the default decimal separator
		{ThousandsSeparator: 'x'},
	}
	for _, o := range bad {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", o)
		}
	}
	if err := (Options{Delimiter: "whitespace", ThousandsSeparator: ',', DecimalSeparator: '.'}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestLongLinesAndBufferGrowth(t *testing.T) {
	// A product name longer than the read buffer forces the buffer to grow.
	long := strings.Repeat("x", 3*bufSize)
	data := "customer,time,amount,product\nc1,2024-01-01,1," + long + "\nc2,2024-01-01,2,\"" + long + "\"\n"
	c := readString(t, data, Options{Mapping: mustMap(t, "product=product")})
	if len(c.rows) != 2 || c.rows[0].Product != long || c.rows[1].Product != long {
		t.Fatalf("got %d rows, rejects %v", len(c.rows), c.rejects)
	}
}

func TestWhitespaceQuoted(t *testing.T) {
	data := "  \"big spender\"   2024-01-01\t\"5\"  \r\n\"x\"\"y\" 2024-01-02 6\n   \n"
	c := readString(t, data, Options{Delimiter: "whitespace", NoHeader: true, Mapping: mustMap(t, "customer=1,time=2,amount=3")})
	if len(c.rejects) != 0 || len(c.rows) != 2 || c.rows[0].Customer != "big spender" || c.rows[0].Amount != 50000 || c.rows[1].Customer != `x"y` {
		t.Fatalf("rows %v rejects %v", c.rows, c.rejects)
	}
	if fmt.Sprint(c.lines) != "[1 2]" {
		t.Fatalf("lines %v", c.lines)
	}
}
