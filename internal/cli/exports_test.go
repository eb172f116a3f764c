package cli

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// retailExport is the shape of a public online-retail export: invoice,
// product, quantity, unit price, time, customer, country; cancellations are
// invoices starting with C with negative quantities; some lines have no
// customer. Order 536365's lines are scattered (the file is sorted by
// product), and 536367 is a return without the prefix.
const retailExport = `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,21730,LANTERN,6,2010-12-01 08:26:00,4.25,17850,United Kingdom
536366,22633,HAND WARMER,6,2010-12-01 08:28:00,1.85,17850,United Kingdom
536370,22728,ALARM CLOCK,24,2010-12-01 08:45:00,3.75,12583,France
536365,22752,NESTING BOXES,2,2010-12-01 08:26:00,7.65,17850,United Kingdom
C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527,United Kingdom
536380,22961,JAM JAR,24,2010-12-01 09:41:00,1.45,14527,United Kingdom
536381,22139,RETROSPOT,1,2010-12-01 09:45:00,4.95,,United Kingdom
C536383,35004C,SET OF 3,-1,2010-12-01 09:49:00,4.65,15311,United Kingdom
536384,82484,WOOD FRAME,3,2010-12-01 09:53:00,6.45,15311,United Kingdom
536365,84406B,CREAM CUPID,8,2010-12-01 08:26:00,2.75,17850,United Kingdom
536367,84879,BIRD ORNAMENT,-2,2010-12-02 10:00:00,1.69,12583,France
`

// Hand-computed, refunds netted (the default), prefix C:
//
//	17850: 536365 = 6×4.25 + 2×7.65 + 8×2.75 = 25.50 + 15.30 + 22.00 = 62.80,
//	       536366 = 6×1.85 = 11.10 → 2 orders, 73.90
//	12583: 536370 = 24×3.75 = 90.00, return 536367 = −2×1.69 = −3.38 → 1 order, 86.62
//	14527: 536380 = 24×1.45 = 34.80, C536379 = −27.50 → 1 order, 7.30
//	15311: 536384 = 3×6.45 = 19.35, C536383 = −4.65 → 1 order, 14.70
//	one line without a customer.
var retailWant = map[string]struct {
	frequency string
	monetary  string
}{
	"17850": {"2", "73.9000"},
	"12583": {"1", "86.6200"},
	"14527": {"1", "7.3000"},
	"15311": {"1", "14.7000"},
}

func customersCSV(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	head := strings.Split(lines[0], ",")
	out := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		out[f[0]] = f
	}
	out[""] = head
	return out
}

func col(row, head []string, name string) string {
	for i, h := range head {
		if h == name && i < len(row) {
			return row[i]
		}
	}
	return "?"
}

func TestRetailExportAutoMapped(t *testing.T) {
	in := writeFile(t, "retail.csv", retailExport)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"auto-mapped", nil},
		{"explicit map", []string{"--map", "customer=CustomerID,order=InvoiceNo,time=InvoiceDate,quantity=Quantity,price=UnitPrice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "c.csv")
			args := append([]string{"-q", "-f", in, "--cancellation-prefix", "C", "--report", "kpi,cohort", "--customers-out", out}, tc.args...)
			code, stdout, stderr := analyze(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			doc := decode(t, stdout)
			if doc.Input.Rejected["missingCustomer"] != 1 || doc.Input.Netted["cancellation"] != 2 || doc.Input.Netted["return"] != 1 {
				t.Errorf("rejected %v netted %v; want missingCustomer 1, cancellation 2, return 1", doc.Input.Rejected, doc.Input.Netted)
			}
			if doc.Input.OrderUnit != "order" {
				t.Errorf("orderUnit %q, want order", doc.Input.OrderUnit)
			}
			if doc.KPI.Orders != 5 || doc.KPI.Customers != 4 {
				t.Errorf("KPI orders %d customers %d, want 5 and 4", doc.KPI.Orders, doc.KPI.Customers)
			}
			var cells float64
			for _, c := range doc.Cohort.Cohorts {
				for _, v := range c.Revenue {
					cells += v
				}
			}
			// 73.90 + 86.62 + 7.30 + 14.70
			if r := doc.KPI.Revenue; r < 182.5199 || r > 182.5201 || cells < 182.5199 || cells > 182.5201 {
				t.Errorf("KPI revenue %v, cohort cells %v; want 182.52 both", r, cells)
			}
			rows := customersCSV(t, out)
			head := rows[""]
			for id, w := range retailWant {
				r := rows[id]
				if col(r, head, "frequency") != w.frequency || col(r, head, "monetary") != w.monetary {
					t.Errorf("customer %s: frequency %s monetary %s, want %s and %s", id, col(r, head, "frequency"), col(r, head, "monetary"), w.frequency, w.monetary)
				}
			}
		})
	}
	t.Run("refunds dropped", func(t *testing.T) {
		code, stdout, stderr := analyze(t, "-q", "-f", in, "--cancellation-prefix", "C", "--refunds", "drop", "--report", "kpi")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		doc := decode(t, stdout)
		if doc.Input.Rejected["cancellation"] != 2 || doc.Input.Rejected["return"] != 1 || doc.Input.Netted != nil {
			t.Errorf("rejected %v netted %v; want cancellation 2, return 1 rejected", doc.Input.Rejected, doc.Input.Netted)
		}
		// 62.80 + 11.10 + 90.00 + 34.80 + 19.35
		if r := doc.KPI.Revenue; r < 218.0499 || r > 218.0501 {
			t.Errorf("revenue %v, want 218.05", r)
		}
	})
}

// TestQuantityPriceNotLineAmount: a file with quantity and price columns is
// never read as if the price were the line amount (3.75 instead of 12.50).
func TestQuantityPriceNotLineAmount(t *testing.T) {
	for _, header := range []string{"customer_id,order_id,timestamp,quantity,price", "customer_id,order_id,timestamp,qty,UnitPrice"} {
		in := writeFile(t, "q.csv", header+"\nA,1,2024-01-01,2,3.75\nA,1,2024-01-01,1,5.00\n")
		code, stdout, stderr := analyze(t, "-q", "-f", in, "--report", "kpi")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", header, code, stderr)
		}
		if r := decode(t, stdout).KPI.Revenue; r != 12.5 {
			t.Errorf("%s: revenue %v, want 12.50 (2×3.75 + 1×5.00)", header, r)
		}
	}
}

// TestScatteredOrderLines: the lines of one order spread through a file
// (sorted by product) count as one order, with one worker or several.
func TestScatteredOrderLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,order_id,timestamp,amount,product\n")
	// Customer A: orders o1, o2, o3 with 4 lines each, written product by
	// product so every order's lines are 3 lines apart; B: one order.
	for p := 0; p < 4; p++ {
		for o := 1; o <= 3; o++ {
			b.WriteString("A,o" + string(rune('0'+o)) + ",2024-01-0" + string(rune('0'+o)) + "T10:00:00Z,1.00,p" + string(rune('0'+p)) + "\n")
		}
		b.WriteString("B,b1,2024-01-05T10:00:00Z,2.00,p" + string(rune('0'+p)) + "\n")
	}
	in := writeFile(t, "s.csv", b.String())
	for _, workers := range []string{"1", "4"} {
		out := filepath.Join(t.TempDir(), "c.csv")
		code, _, stderr := analyze(t, "-q", "-f", in, "--workers", workers, "--customers-out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rows := customersCSV(t, out)
		if f := col(rows["A"], rows[""], "frequency"); f != "3" {
			t.Errorf("workers %s: A frequency %s, want 3 (o1, o2, o3)", workers, f)
		}
		if f := col(rows["B"], rows[""], "frequency"); f != "1" {
			t.Errorf("workers %s: B frequency %s, want 1", workers, f)
		}
	}
}

type pqLine struct {
	Customer string    `parquet:"customer_id"`
	Order    string    `parquet:"order_id"`
	When     time.Time `parquet:"timestamp,timestamp(millisecond)"`
	Qty      int32     `parquet:"quantity"`
	Price    float64   `parquet:"unit_price"`
}

// TestFormatDetected: Parquet (by magic bytes, whatever the file is called)
// and gzip-compressed CSV are read without --format.
func TestFormatDetected(t *testing.T) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqLine](&buf)
	ts := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	if _, err := w.Write([]pqLine{{"A", "1", ts, 2, 3.75}, {"A", "1", ts, 1, 5}, {"B", "2", ts, 4, 0.5}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte("customer_id,order_id,timestamp,quantity,unit_price\nA,1,2024-05-01,2,3.75\nA,1,2024-05-01,1,5\nB,2,2024-05-01,4,0.5\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, data, format string }{
		{"lines.parquet", buf.String(), "parquet"},
		{"export.dat", buf.String(), "parquet"},
		{"lines.csv.gz", gz.String(), "csv"},
	} {
		in := writeFile(t, tc.name, tc.data)
		code, stdout, stderr := analyze(t, "-q", "-f", in, "--report", "kpi")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.name, code, stderr)
		}
		doc := decode(t, stdout)
		if doc.Input.Sources[0].Format != tc.format || doc.KPI.Revenue != 14.5 || doc.KPI.Orders != 2 {
			t.Errorf("%s: format %s revenue %v orders %d; want %s, 14.50 (2×3.75 + 5 + 4×0.5), 2", tc.name, doc.Input.Sources[0].Format, doc.KPI.Revenue, doc.KPI.Orders, tc.format)
		}
	}
}

// TestNoAcceptedRows: an input whose every row is refused is an empty
// result (exit 0) with the refusals counted, not an error.
func TestNoAcceptedRows(t *testing.T) {
	in := writeFile(t, "none.csv", "customer_id,order_id,timestamp,amount\n,1,2024-01-01,5\nA,2,notadate,5\nB,3,2024-01-01,abc\n")
	for _, o := range []string{"json", "table"} {
		code, stdout, stderr := analyze(t, "-q", "-f", in, "-o", o, "--report", "kpi,pareto,cohort")
		if code != 0 {
			t.Fatalf("-o %s: exit %d: %s", o, code, stderr)
		}
		if o == "json" {
			doc := decode(t, stdout)
			if doc.Input.Customers != 0 || doc.Input.Rejected["missingCustomer"] != 1 || doc.Input.Rejected["malformed"] != 2 {
				t.Errorf("input %+v", doc.Input)
			}
		}
	}
}

// TestBadInvocations: every failure exits non-zero with exactly one line on
// stderr (no stack trace, nothing on stdout), in every output mode.
func TestBadInvocations(t *testing.T) {
	good := writeFile(t, "ok.csv", "customer_id,order_id,timestamp,amount\nA,1,2024-01-01,5\n")
	noCust := writeFile(t, "nocust.csv", "who,order_id,timestamp,amount\nA,1,2024-01-01,5\n")
	badPq := writeFile(t, "broken.parquet", "PAR1 not really parquet")
	empty := writeFile(t, "empty.csv", "")
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no input", nil, 2, "no input"},
		{"missing file", []string{"-f", filepath.Join(t.TempDir(), "nope.csv")}, 1, "no such file"},
		{"unknown flag", []string{"-f", good, "--frobnicate"}, 2, "frobnicate"},
		{"amount and price", []string{"-f", good, "--map", "amount=amount,price=amount,quantity=order_id"}, 2, "not both"},
		{"price without quantity", []string{"-f", good, "--map", "price=amount"}, 2, "price needs quantity"},
		{"bad refunds", []string{"-f", good, "--refunds", "keep"}, 2, "--refunds"},
		{"empty cancellation prefix", []string{"-f", good, "--cancellation-prefix", ""}, 2, "--cancellation-prefix"},
		{"bad format", []string{"-f", good, "--format", "xml"}, 2, "format"},
		{"bad method", []string{"-f", good, "--method", "magic"}, 2, "method"},
		{"unmapped customer", []string{"-f", noCust}, 1, "customer is not mapped"},
		{"broken parquet", []string{"-f", badPq}, 1, "parquet"},
		{"empty file", []string{"-f", empty}, 1, "empty input"},
		{"bad date", []string{"-f", good, "--as-of", "yesterday"}, 2, "--as-of"},
	}
	for _, tc := range cases {
		for _, o := range []string{"json", "table"} {
			t.Run(tc.name+"/"+o, func(t *testing.T) {
				code, stdout, stderr := analyze(t, append([]string{"-q", "-o", o}, tc.args...)...)
				if code != tc.code {
					t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout %q, want nothing", stdout)
				}
				if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") || !strings.HasPrefix(stderr, "crmlens analyze: ") {
					t.Errorf("stderr %q: want one line starting with \"crmlens analyze: \"", stderr)
				}
				if !strings.Contains(stderr, tc.msg) || strings.Contains(stderr, "goroutine") {
					t.Errorf("stderr %q: want it to mention %q", stderr, tc.msg)
				}
			})
		}
	}
}
