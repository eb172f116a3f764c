package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/store/postgres"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/internal/pgtest"
	"github.com/crmlens/crmlens/internal/runplan"
)

// lineItems is an order-line export in the shape of public retail data:
// invoice, product, quantity, unit price, time, customer. Orders 1001 and
// 2001 have lines scattered through the file; C1003 and C3001 are
// cancellations (prefix C, negative quantity); 2002 is a return (negative
// quantity, no prefix); one line has no customer; one has a bad quantity.
const lineItems = `invoice,stock_code,quantity,unit_price,invoice_date,customer_id
1001,P1,2,1.25,2024-01-05T10:00:00Z,A
2001,P7,10,0.85,2024-01-20T09:00:00Z,B
1002,P2,4,2.50,2024-02-10T11:00:00Z,A
1001,P2,3,0.125,2024-01-05T10:00:00Z,A
9001,P1,1,9.99,2024-02-01T08:00:00Z,
2002,P8,-1,1.50,2024-01-25T12:00:00Z,B
C1003,P2,-4,2.50,2024-02-11T15:00:00Z,A
3001,P9,1,168469.60,2024-03-15T10:00:00Z,C
2001,P8,1,1.50,2024-01-20T09:00:00Z,B
4001,P3,3,0.333,2024-03-20T10:00:00Z,D
C3001,P9,-1,168469.60,2024-03-15T16:00:00Z,C
2003,P1,2,3.00,2024-03-01T10:00:00Z,B
1001,P3,1,5.00,2024-01-05T10:00:00Z,A
4002,P4,1,2,2024-03-20T18:00:00Z,D
5001,P5,1,50,2024-03-30T10:00:00Z,E
5002,P5,x,50,2024-03-30T11:00:00Z,E
`

// wantLineItems are the hand-computed customers of lineItems with refunds
// netted: distinct orders of purchase lines, net amounts (quantity × price).
var wantLineItems = map[string]struct {
	orders  int64
	revenue string
}{
	"A": {2, "7.8750"},  // 1001: 2.50+0.375+5.00, 1002: 10.00, C1003: −10.00
	"B": {2, "14.5000"}, // 2001: 8.50+1.50, return −1.50, 2003: 6.00
	"C": {1, "0.0000"},  // bought 168,469.60 and cancelled it the same day
	"D": {2, "2.9990"},  // 0.999 + 2
	"E": {1, "50.0000"}, // 5002 does not parse
}

type rowsCapture struct{ rows map[string]result.Row }

func (c *rowsCapture) Write(r *result.Row) error { c.rows[r.Customer] = *r; return nil }
func (c *rowsCapture) Close() error              { return nil }

// TestSameRowsEveryPath runs the same rows through a file, a ConfigMap, HTTP,
// Postgres pushdown and Postgres raw rows (COPY) and compares what each gives per customer:
// frequency, monetary and RFM segment must be identical, and equal to the
// hand-computed values; so must the counts of refused and netted lines.
func TestSameRowsEveryPath(t *testing.T) {
	ctx := context.Background()
	cols := map[string]string{"customer": "customer_id", "order": "invoice", "time": "invoice_date",
		"quantity": "quantity", "price": "unit_price", "product": "stock_code"}
	plan := runplan.Source{Name: "lines", Columns: cols}
	opts, err := Options(plan)
	if err != nil {
		t.Fatal(err)
	}
	rules := clean.Defaults()
	rules.CancellationPrefix = "C"
	asOf := time.Date(2024, 3, 31, 23, 59, 59, 0, time.UTC)
	cfg := engine.Config{Rules: rules, AsOf: asOf, Reports: []engine.Report{engine.KPI, engine.Pareto, engine.Cohort}}

	run := func(t *testing.T, set *customer.Set, srcs []input.Source) (*result.Document, map[string]result.Row) {
		t.Helper()
		c := cfg
		c.Sources = srcs
		var err error
		if set == nil {
			w := &rowsCapture{rows: map[string]result.Row{}}
			doc, err := engine.Run(ctx, c, w)
			if err != nil {
				t.Fatal(err)
			}
			return doc, w.rows
		}
		w := &rowsCapture{rows: map[string]result.Row{}}
		doc, err := engine.Analyze(ctx, c, set, w)
		if err != nil {
			t.Fatal(err)
		}
		return doc, w.rows
	}

	type outcome struct {
		doc  *result.Document
		rows map[string]result.Row
	}
	paths := map[string]outcome{}

	// File.
	path := filepath.Join(t.TempDir(), "lines.csv")
	if err := os.WriteFile(path, []byte(lineItems), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, rows := run(t, nil, []input.Source{input.FileSource(path, opts, "")})
	paths["file"] = outcome{doc, rows}

	// ConfigMap, through the same Build the runner uses.
	cm := func(_ context.Context, name, key string) ([]byte, error) {
		if name != "orders" || key != "lines.csv" {
			return nil, fmt.Errorf("no ConfigMap %s key %s", name, key)
		}
		return []byte(lineItems), nil
	}
	p := plan
	p.ConfigMap = &runplan.ConfigMap{Name: "orders", Key: "lines.csv"}
	srcs, err := Build(ctx, p, func(string) string { return "" }, cm)
	if err != nil {
		t.Fatal(err)
	}
	doc, rows = run(t, nil, srcs)
	paths["configMap"] = outcome{doc, rows}

	// HTTP.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, lineItems) }))
	defer srv.Close()
	p = plan
	p.HTTP = &runplan.HTTP{URL: srv.URL + "/lines.csv"}
	srcs, err = Build(ctx, p, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, rows = run(t, nil, srcs)
	paths["http"] = outcome{doc, rows}

	// Postgres pushdown: the same rows in a table, the product computed in SQL.
	pg := pgServer(t)
	loadLineItems(t, pg)
	pcfg := PostgresConfig(&runplan.Postgres{Host: pg.Host, Port: pg.Port, Database: pg.Database, SSLMode: "disable", Table: "lines",
		UserEnv: "U", PasswordEnv: "P"}, func(n string) string {
		return map[string]string{"U": pg.User, "P": pg.Password}[n]
	}, opts, "")
	r := rules
	r.AsOf = asOf
	set, err := postgres.Aggregate(ctx, pcfg, postgres.AggregateOptions{Rules: r, History: true, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	doc, rows = run(t, set, nil)
	paths["postgres"] = outcome{doc, rows}

	// Postgres raw rows (COPY), the path of reports that need single lines.
	copySrc, err := postgres.Source(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	doc, rows = run(t, nil, []input.Source{copySrc})
	paths["postgresRows"] = outcome{doc, rows}

	// CLV inputs condensed in SQL are net too: each customer's calibration
	// spend equals its net History from the file.
	fileSet, err := aggregate.Build(ctx, []input.Source{input.FileSource(path, opts, "")}, aggregate.Options{Rules: r, History: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	clvSet, err := postgres.Aggregate(ctx, pcfg, postgres.AggregateOptions{Rules: r, CLV: true, CalibrationEnd: asOf})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range fileSet.Customers {
		var net txn.Money
		for _, d := range c.History {
			net += d.Amount
		}
		sc := clvSet.Customers[i]
		if sc.ID != c.ID || sc.Summary == nil || sc.Summary.CalSpend != net || net != c.Revenue || int(sc.Summary.CalDays) != len(c.History) {
			t.Errorf("customer %s: SQL CLV summary %+v, file History %v (net %s, revenue %s)", c.ID, sc.Summary, c.History, net, c.Revenue)
		}
	}

	for name, o := range paths {
		if len(o.rows) != len(wantLineItems) {
			t.Errorf("%s: %d customers, want %d", name, len(o.rows), len(wantLineItems))
		}
		for id, w := range wantLineItems {
			got := o.rows[id]
			if got.Frequency != w.orders || got.Monetary.String() != w.revenue {
				t.Errorf("%s: customer %s: frequency %d monetary %s, want %d and %s", name, id, got.Frequency, got.Monetary, w.orders, w.revenue)
			}
		}
		in := o.doc.Input
		if in.Rejected["missingCustomer"] != 1 || in.Netted["cancellation"] != 2 || in.Netted["return"] != 1 || in.OrderUnit != result.OrderUnitOrder || in.NonPositiveNetCustomers != 1 {
			t.Errorf("%s: rejected %v netted %v orderUnit %q nonPositive %d; want missingCustomer 1, cancellation 2, return 1, order, 1",
				name, in.Rejected, in.Netted, in.OrderUnit, in.NonPositiveNetCustomers)
		}
		if !strings.HasPrefix(name, "postgres") && in.Rejected["malformed"] != 1 {
			t.Errorf("%s: malformed %d, want 1", name, in.Rejected["malformed"])
		}
		// One netting rule: KPI revenue, cohort cells and segments agree.
		var cells float64
		for _, c := range o.doc.Cohort.Cohorts {
			for _, v := range c.Revenue {
				cells += v
			}
		}
		if rev := o.doc.KPI.Revenue; fmt.Sprintf("%.4f", rev) != "75.3740" || fmt.Sprintf("%.4f", cells) != "75.3740" || o.doc.KPI.Orders != 8 {
			t.Errorf("%s: KPI revenue %.4f, cohort cells %.4f, orders %d; want 75.3740 both, 8 orders", name, rev, cells, o.doc.KPI.Orders)
		}
	}
	base := paths["file"]
	for name, o := range paths {
		for id, want := range base.rows {
			got := o.rows[id]
			if got.Frequency != want.Frequency || got.Monetary != want.Monetary || got.Segment != want.Segment || got.RecencyDays != want.RecencyDays {
				t.Errorf("%s differs from file for %s: %+v vs %+v", name, id, got, want)
			}
		}
	}
}

func loadLineItems(t *testing.T, s *pgtest.Server) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	stmts := []string{"DROP TABLE IF EXISTS lines",
		"CREATE TABLE lines (invoice text, stock_code text, quantity integer, unit_price numeric(12,3), invoice_date timestamptz, customer_id text)"}
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for i, line := range strings.Split(strings.TrimSpace(lineItems), "\n")[1:] {
		f := strings.Split(line, ",")
		if f[2] == "x" {
			continue // a typed column cannot hold it: SQL has no malformed rows
		}
		var cust any = f[5]
		if f[5] == "" {
			cust = nil
		}
		if _, err := conn.Exec(ctx, "INSERT INTO lines VALUES ($1, $2, $3::integer, $4::numeric, $5::timestamptz, $6)", f[0], f[1], f[2], f[3], f[4], cust); err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
	}
}

// pgServer starts PostgreSQL for the test; a missing server fails under CI
// and skips otherwise.
func pgServer(t *testing.T) *pgtest.Server {
	t.Helper()
	s, err := pgtest.New(pgtest.Options{})
	if errors.Is(err, pgtest.ErrNoServer) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true)", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
