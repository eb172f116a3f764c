package runner

import (
	"context"
	"net"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/clv"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/internal/pgtest"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
)

// tokyoRows are zone-less Asia/Tokyo wall-clock purchases straddling
// midnight in Tokyo or in UTC (Tokyo is UTC+9 all year).
var tokyoRows = []struct{ customer, order, at, amount string }{
	{"a", "o1", "2024-03-10 23:30:00", "10.00"}, // UTC 03-10 14:30
	{"a", "o2", "2024-03-11 00:30:00", "20.00"}, // UTC 03-10 15:30: one UTC day, two Tokyo days
	{"b", "o3", "2024-03-11 08:30:00", "30.00"}, // UTC 03-10 23:30
	{"b", "o4", "2024-03-11 09:30:00", "40.00"}, // UTC 03-11 00:30: two UTC days, one Tokyo day
	{"c", "o5", "2024-03-01 12:00:00", "5.00"},
	{"c", "o6", "2024-03-12 00:30:00", "50.00"}, // UTC 03-11 15:30: after the asOf day in Tokyo only
}

// rowsCollector keeps the per-customer rows of an engine run.
type rowsCollector struct{ rows []result.Row }

func (c *rowsCollector) Write(r *result.Row) error { c.rows = append(c.rows, *r); return nil }
func (c *rowsCollector) Close() error              { return nil }

// TestCalendarDaysInSourceZone runs one data set through the three paths —
// SQL pushdown, the postgres raw-row stream and a file — with a DataSource in
// Asia/Tokyo, and checks each against days counted by hand in Tokyo: same-day
// merge, daily revenue, the asOf window and RFM recency all follow the
// declared zone, so the paths agree.
func TestCalendarDaysInSourceZone(t *testing.T) {
	s := pgtest.Start(t, pgtest.Options{})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE tokyo_orders (customer_id text, order_id text, "timestamp" timestamp without time zone, amount numeric(12,2))`); err != nil {
		t.Fatal(err)
	}
	csv := "customer_id,order_id,timestamp,amount\n"
	for _, r := range tokyoRows {
		if _, err := conn.Exec(ctx, `INSERT INTO tokyo_orders VALUES ($1, $2, $3::timestamp, $4::numeric)`, r.customer, r.order, r.at, r.amount); err != nil {
			t.Fatal(err)
		}
		csv += r.customer + "," + r.order + "," + r.at + "," + r.amount + "\n"
	}

	creds := map[string]string{"PGUSER": s.User, "PGPASSWORD": s.Password}
	r := &Runner{Log: logr.Discard(), Creds: func(k string) string { return creds[k] }}
	cols := map[string]string{"customer": "customer_id", "order": "order_id", "time": "timestamp", "amount": "amount"}
	pgSrc := runplan.Source{Name: "wh", TimeZone: "Asia/Tokyo", Columns: cols, Postgres: &runplan.Postgres{
		Host: s.Host, Port: s.Port, Database: s.Database, SSLMode: "disable", Table: "tokyo_orders", UserEnv: "PGUSER", PasswordEnv: "PGPASSWORD"}}
	fileSrc := runplan.Source{Name: "file", TimeZone: "Asia/Tokyo", Columns: cols, TimeLayout: time.DateTime, ConfigMap: &runplan.ConfigMap{Name: "orders", Key: "csv"}}
	cm := func(context.Context, string, string) ([]byte, error) { return []byte(csv), nil }
	asOf := time.Date(2024, 3, 11, 23, 59, 59, 0, time.UTC) // how the reconciler writes asOf: 2024-03-11
	plan := func(src runplan.Source) *runplan.Plan {
		return &runplan.Plan{Sources: []runplan.Source{src}, Analysis: runplan.Analysis{Method: "rfm", AsOf: &asOf}}
	}
	config := func(src runplan.Source) engine.Config {
		t.Helper()
		srcs, err := sources.Build(ctx, src, r.Creds, cm)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := EngineConfig(plan(src), srcs)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	// build aggregates the way engine.Run does.
	build := func(cfg engine.Config) *customer.Set {
		t.Helper()
		rules := cfg.Rules
		rules.AsOf = cfg.AsOf
		set, err := aggregate.Build(ctx, cfg.Sources, aggregate.Options{Rules: rules, History: true, Location: cfg.Location, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return set
	}

	pgCfg, fileCfg := config(pgSrc), config(fileSrc)
	clvCfg := pgCfg
	clvCfg.Method = engine.CLV // the pushed-down set condenses the purchase days for CLV
	pushed, err := r.pushdownSet(ctx, plan(pgSrc), clvCfg)
	if err != nil || pushed == nil {
		t.Fatalf("pushdown: set %v, error %v", pushed != nil, err)
	}
	// The calibration end is the asOf's Tokyo day, as the engine resolves it.
	if pushed.SummaryEnd == nil || *pushed.SummaryEnd != customer.DayOf(time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("summary end %v, want 2024-03-11", pushed.SummaryEnd)
	}
	paths := []struct {
		name  string
		set   *customer.Set
		daily bool
	}{
		{"pushdown", pushed, false},
		{"postgres raw rows", build(pgCfg), true},
		{"file", build(fileCfg), true},
	}

	day := func(d int) customer.Day { return customer.DayOf(time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC)) }
	money := func(s string) txn.Money {
		f, _ := strconv.ParseFloat(s, 64)
		return txn.Money(f * float64(txn.MoneyScale))
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h, m int) time.Time { return time.Date(2024, 3, d, h, m, 0, 0, tokyo) }
	want := []customer.Customer{
		{ID: "a", First: at(10, 23, 30), Last: at(11, 0, 30), Orders: 2, Revenue: money("30"),
			History: []customer.DayAmount{{Day: day(10), Amount: money("10"), Orders: 1}, {Day: day(11), Amount: money("20"), Orders: 1}}},
		{ID: "b", First: at(11, 8, 30), Last: at(11, 9, 30), Orders: 2, Revenue: money("70"),
			History: []customer.DayAmount{{Day: day(11), Amount: money("70"), Orders: 2}}},
		{ID: "c", First: at(1, 12, 0), Last: at(1, 12, 0), Orders: 1, Revenue: money("5"),
			History: []customer.DayAmount{{Day: day(1), Amount: money("5"), Orders: 1}}},
	}
	wantDaily := []customer.DailyRevenue{{Day: day(1), Revenue: money("5"), Orders: 1}, {Day: day(10), Revenue: money("10"), Orders: 1}, {Day: day(11), Revenue: money("90"), Orders: 3}}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			if p.set.Transactions != 5 || p.set.Rejected[txn.RejectOutOfWindow] != 1 {
				t.Errorf("accepted %d, out of window %d; want 5 and 1 (Tokyo 03-12 00:30 is after asOf 03-11)", p.set.Transactions, p.set.Rejected[txn.RejectOutOfWindow])
			}
			if len(p.set.Customers) != len(want) {
				t.Fatalf("%d customers, want %d", len(p.set.Customers), len(want))
			}
			for i, w := range want {
				g := p.set.Customers[i]
				days := reflect.DeepEqual(g.History, w.History)
				if p.set.SummaryEnd != nil { // the pushdown sends the days condensed, not the days
					ds, err := clv.Condense(w.History, *p.set.SummaryEnd)
					days = err == nil && g.History == nil && g.Summary != nil && *g.Summary == ds
				}
				if g.ID != w.ID || !g.First.Equal(w.First) || !g.Last.Equal(w.Last) || g.Orders != w.Orders || g.Revenue != w.Revenue ||
					!days || g.Last.Location().String() != "Asia/Tokyo" {
					t.Errorf("customer %s:\n got %+v (summary %+v)\nwant %+v", w.ID, g, g.Summary, w)
				}
			}
			if p.daily && !reflect.DeepEqual(p.set.Daily, wantDaily) {
				t.Errorf("daily revenue %+v, want %+v", p.set.Daily, wantDaily)
			}
		})
	}

	// The whole engine on both ends: RFM recency counts Tokyo days from asOf.
	var push, file rowsCollector
	if _, err := engine.Analyze(ctx, pgCfg, pushed, &push); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Run(ctx, fileCfg, &file); err != nil {
		t.Fatal(err)
	}
	wantRecency := map[string]int32{"a": 0, "b": 0, "c": 10}
	for _, rows := range [][]result.Row{push.rows, file.rows} {
		if len(rows) != len(wantRecency) {
			t.Fatalf("%d rows, want %d", len(rows), len(wantRecency))
		}
		for _, row := range rows {
			if row.RecencyDays != wantRecency[row.Customer] {
				t.Errorf("customer %s: recency %d days, want %d", row.Customer, row.RecencyDays, wantRecency[row.Customer])
			}
		}
	}
	for i := range push.rows {
		p, f := push.rows[i], file.rows[i]
		if p.Customer != f.Customer || p.RecencyDays != f.RecencyDays || p.Frequency != f.Frequency || p.Monetary != f.Monetary ||
			p.R != f.R || p.F != f.F || p.M != f.M || p.Segment != f.Segment || !p.LastPurchase.Equal(f.LastPurchase) {
			t.Errorf("row %d: pushdown %+v, file %+v", i, p, f)
		}
	}
}

// TestAnalysisLocation checks which zone a plan's calendar days use and how
// the reconciler's UTC-encoded dates are read in it.
func TestAnalysisLocation(t *testing.T) {
	attrs := runplan.Source{Name: "people", Content: "Customers", TimeZone: "Europe/Berlin"}
	tests := []struct {
		name    string
		sources []runplan.Source
		want    string
		wantErr bool
	}{
		{"none declared", []runplan.Source{{Name: "a"}}, "UTC", false},
		{"first transaction source decides", []runplan.Source{attrs, {Name: "a", TimeZone: "America/New_York"}, {Name: "b", TimeZone: "Asia/Tokyo"}}, "America/New_York", false},
		{"no transaction source", []runplan.Source{attrs}, "UTC", false},
		{"unknown zone", []runplan.Source{{Name: "a", TimeZone: "Mars/Olympus"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := AnalysisLocation(&runplan.Plan{Sources: tt.sources})
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && loc.String() != tt.want {
				t.Errorf("zone %s, want %s", loc, tt.want)
			}
		})
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	got := wallClockIn(time.Date(2024, 7, 31, 23, 59, 59, 0, time.UTC), ny)
	if want := time.Date(2024, 8, 1, 3, 59, 59, 0, time.UTC); !got.Equal(want) || got.Location() != ny {
		t.Errorf("end of 2024-07-31 in New York = %v, want %v", got, want)
	}
}

// TestSourceFailsBeforeSink checks that with one unreachable server behind
// both the source and the sink, a run that streams raw rows fails as a
// source problem, not a store one.
func TestSourceFailsBeforeSink(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	pg := runplan.Postgres{Host: "127.0.0.1", Port: port, Database: "shop", SSLMode: "disable", Table: "orders"}
	for _, tc := range []struct {
		name    string
		reports []string
	}{
		{"pushdown", nil},
		{"raw rows for the basket report", []string{"basket"}},
		{"raw rows for cohorts", []string{"cohort"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Runner{Log: logr.Discard(), Creds: func(string) string { return "" }}
			p := &runplan.Plan{
				Run:      "r1",
				Sources:  []runplan.Source{{Name: "wh", Postgres: &pg}},
				Analysis: runplan.Analysis{Method: "rfm", Reports: tc.reports},
				Store:    &runplan.Store{Postgres: &runplan.PostgresSink{Postgres: runplan.Postgres{Host: "127.0.0.1", Port: port, Database: "shop", SSLMode: "disable", Table: "results"}}},
			}
			err := r.Run(context.Background(), p)
			if got := Reason(err); got != "SourceUnreachable" {
				t.Errorf("reason %q (%v), want SourceUnreachable", got, err)
			}
		})
	}
}
