package postgres

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/clv"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

// rowsOf collects the per-customer rows the engine streams, printed (NaN, the
// value of customers not scored, compares equal as text).
type rowsOf []string

func (r *rowsOf) Write(row *result.Row) error { *r = append(*r, fmt.Sprintf("%+v", *row)); return nil }
func (r *rowsOf) Close() error                { return nil }

// cleanLines keeps the lines of genCSV data that no default rule rejects, so
// that every row the database groups belongs to a customer who bought.
func cleanLines(data []byte) []byte {
	var b bytes.Buffer
	for i, line := range strings.SplitAfter(string(data), "\n") {
		f := strings.Split(line, ",")
		if i > 0 && (len(f) < 4 || f[0] == "" || f[3] == "" || strings.HasPrefix(f[3], "-") || f[3] == "0.00") {
			continue
		}
		b.WriteString(line)
	}
	return b.Bytes()
}

// TestPushdownCLVEqualsFilePath: with CLV asked for, the database condenses
// each customer's purchase days around the calibration end, so one row per
// customer travels (counted at the seam), and the CLV method gives exactly
// the file path's result: the same summaries, BG/NBD and Gamma-Gamma fits and
// log-likelihoods, deciles, holdout, tiers and per-customer values.
func TestPushdownCLVEqualsFilePath(t *testing.T) {
	s := server(t)
	data := genCSV(3, 400)
	loadCSV(t, s, "clv_tx", data)
	cleanData := cleanLines(data)
	loadCSV(t, s, "clv_clean", cleanData)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		table    string
		data     []byte
		rules    clean.Rules
		loc      *time.Location
		asOf     time.Time // the run's as-of (engine.Config.AsOf and Rules.AsOf, as the runner sets them)
		calEnd   time.Time // engine.Config.CalibrationEnd
		unit     string
		exact    bool // every grouped row belongs to a buying customer
		holdout  bool // the fit has a holdout period
		notScore bool // some customers first bought after the calibration end
	}{
		// Units are day and month: with weeks this data's fit (a ≈ 0.002,
		// b ≈ 1500) makes the engine's conditional-expectation series take
		// seconds per run, which tests nothing more here.
		{name: "clean rows, end = latest purchase day", table: "clv_clean", data: cleanData, unit: "day", exact: true},
		{name: "holdout in Berlin, every rule", table: "clv_tx", data: data, loc: berlin, unit: "day", holdout: true, notScore: true,
			rules:  clean.Rules{DropGifts: true, DedupeOrders: true, Refunds: clean.RefundNet, MinAmount: 1 * txn.MoneyScale},
			asOf:   time.Date(2024, 12, 31, 23, 59, 59, 0, berlin),
			calEnd: time.Date(2024, 9, 30, 0, 0, 0, 0, berlin)},
		{name: "early end: late customers not scored", table: "clv_tx", data: data, unit: "month", holdout: true, notScore: true,
			asOf:   time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC),
			calEnd: time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)},
		{name: "as-of without end, refunds netted", table: "clv_tx", data: data, unit: "month", rules: clean.Rules{Refunds: clean.RefundNet},
			asOf: time.Date(2024, 11, 30, 23, 59, 59, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			ecfg := engine.Config{
				Method: engine.CLV, Location: tt.loc, AsOf: tt.asOf, CalibrationEnd: tt.calEnd, TimeUnit: tt.unit, Workers: 1,
				Rules: tt.rules, Now: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) },
				Sources: []input.Source{input.BytesSource(tt.table+".csv", tt.data, input.Options{Location: tt.loc}, "")},
			}
			var wantRows rowsOf
			want, err := engine.Run(ctx, ecfg, &wantRows)
			if err != nil {
				t.Fatal(err)
			}
			fileSet, err := aggregate.Build(ctx, ecfg.Sources, aggregate.Options{Rules: withAsOf(tt.rules, tt.asOf), History: true, Location: tt.loc, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}

			// As the runner asks: the rules carry the as-of, the end is the one the engine resolves.
			cfg := connCfg(s)
			cfg.Table, cfg.Location = tt.table, tt.loc
			end := tt.calEnd
			if end.IsZero() {
				end = tt.asOf
			}
			got, received, err := aggregateRows(ctx, cfg, AggregateOptions{Rules: withAsOf(tt.rules, tt.asOf), CLV: true, CalibrationEnd: end})
			if err != nil {
				t.Fatal(err)
			}

			// One row per customer at the seam; without CLV summaries the same
			// fit needs a row per customer-day on top.
			_, histRows, err := aggregateRows(ctx, cfg, AggregateOptions{Rules: withAsOf(tt.rules, tt.asOf), History: true})
			if err != nil {
				t.Fatal(err)
			}
			days := 0
			for _, c := range fileSet.Customers {
				days += len(c.History)
			}
			if histRows < int64(len(fileSet.Customers)+days) {
				t.Fatalf("the History query sent %d rows for %d customers and %d customer-days", histRows, len(fileSet.Customers), days)
			}
			// Besides the customers, genCSV data groups into one row of rejected
			// rows and a row per customer with accepted lines but no purchase
			// (refunds only): at most the IDs that are not customers.
			extra := int64(1 + distinctIDs(tt.data) - len(got.Customers))
			if tt.exact {
				extra = 0
			}
			if received < int64(len(got.Customers)) || received > int64(len(got.Customers))+extra {
				t.Errorf("the CLV query sent %d rows for %d customers (%d customer-days), want one per customer (+%d at most)",
					received, len(got.Customers), days, extra)
			}
			if tt.exact && (received != int64(len(got.Customers)) || len(got.Rejected) != 0) {
				t.Errorf("clean data: %d rows for %d customers (rejected %v)", received, len(got.Customers), got.Rejected)
			}
			if len(got.Customers) < 300 {
				t.Fatalf("test data too thin: %d customers", len(got.Customers))
			}
			for i, c := range got.Customers {
				if c.History != nil || c.Summary == nil {
					t.Fatalf("customer %d: history %v, summary %v; want a summary only", i, c.History, c.Summary)
				}
			}
			// The customer figures the other methods use agree as without CLV.
			compareSets(t, stripSummaries(got), stripHistory(fileSet))

			// The condensed days are the file path's, customer by customer.
			wantEnd := customer.DayOf(end)
			if end.IsZero() {
				wantEnd = customer.DayOf(fileSet.AsOf)
			}
			if got.SummaryEnd == nil || *got.SummaryEnd != wantEnd {
				t.Fatalf("summary end %v, want %v", got.SummaryEnd, wantEnd)
			}
			for i, c := range fileSet.Customers {
				ds, err := clv.Condense(c.History, wantEnd)
				if err != nil {
					t.Fatal(err)
				}
				if *got.Customers[i].Summary != ds {
					t.Errorf("customer %s: summary %+v, want %+v", c.ID, *got.Customers[i].Summary, ds)
				}
			}

			// The runner's path: the engine on the pushed-down set.
			var gotRows rowsOf
			doc, err := engine.Analyze(ctx, ecfg, got, &gotRows)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(doc.CLV, want.CLV) {
				t.Errorf("CLV section differs:\n got %+v\nwant %+v", *doc.CLV, *want.CLV)
			}
			if !reflect.DeepEqual(doc.Segments, want.Segments) {
				t.Errorf("segments differ:\n got %+v\nwant %+v", doc.Segments, want.Segments)
			}
			if !reflect.DeepEqual(gotRows, wantRows) {
				t.Errorf("per-customer rows differ (%d vs %d)", len(gotRows), len(wantRows))
				for i := range min(len(gotRows), len(wantRows)) {
					if gotRows[i] != wantRows[i] {
						t.Errorf("first difference:\n got %s\nwant %s", gotRows[i], wantRows[i])
						break
					}
				}
			}
			r := want.CLV.Result
			if r.BGNBD.LogLikelihood == 0 || r.GammaGamma.LogLikelihood == 0 || len(r.PAliveDeciles) != 11 || len(r.CLVDeciles) != 11 || r.RepeatCustomers < 25 {
				t.Errorf("degenerate fit, nothing compared: %+v", r)
			}
			if tt.holdout != (r.Holdout != nil && r.Holdout.Actual > 0) {
				t.Errorf("holdout %+v, want one: %v", r.Holdout, tt.holdout)
			}
			if tt.notScore != (want.CLV.NotScored > 0) {
				t.Errorf("not scored %d, want some: %v", want.CLV.NotScored, tt.notScore)
			}
		})
	}
}

// A set summarised at one calibration end refuses a fit at another, rather
// than fit on a wrong split.
func TestPushdownCLVEndMismatch(t *testing.T) {
	s := server(t)
	loadCSV(t, s, "clv_mismatch", genCSV(4, 50))
	cfg := connCfg(s)
	cfg.Table = "clv_mismatch"
	end := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	set, err := Aggregate(context.Background(), cfg, AggregateOptions{CLV: true, CalibrationEnd: end})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := clv.Summaries(set, end, clv.Week); err != nil {
		t.Fatalf("same end: %v", err)
	}
	_, _, err = clv.Summaries(set, end.AddDate(0, 0, 1), clv.Week)
	if err == nil || !strings.Contains(err.Error(), "2024-06-30") {
		t.Errorf("another end: err %v, want a refusal naming 2024-06-30", err)
	}
}

// The end day is a bind parameter, never part of the SQL text.
func TestPushdownCLVEndIsBound(t *testing.T) {
	s := server(t)
	loadCSV(t, s, "clv_sql", genCSV(5, 5))
	cfg := connCfg(s)
	cfg.Table = "clv_sql"
	end := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	sql, args, err := PushdownSQL(context.Background(), cfg, AggregateOptions{CLV: true, CalibrationEnd: end})
	if err != nil {
		t.Fatal(err)
	}
	day := int32(customer.DayOf(end))
	if strings.Contains(sql, fmt.Sprint(day)) || !strings.Contains(sql, `"clv_sql"`) {
		t.Errorf("end day %d spliced, or table unquoted:\n%s", day, sql)
	}
	found := false
	for _, a := range args {
		found = found || a == any(day)
	}
	if !found {
		t.Errorf("end day %d not among the arguments %v", day, args)
	}
}

func distinctIDs(data []byte) int {
	ids := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		if id, _, _ := strings.Cut(line, ","); i > 0 && id != "" {
			ids[id] = true
		}
	}
	return len(ids)
}

func withAsOf(r clean.Rules, asOf time.Time) clean.Rules {
	if r.AsOf.IsZero() {
		r.AsOf = asOf
	}
	return r
}

func stripSummaries(set *customer.Set) *customer.Set {
	out := *set
	out.Customers = append([]customer.Customer(nil), set.Customers...)
	for i := range out.Customers {
		out.Customers[i].Summary = nil
	}
	out.Daily, out.Channels = nil, nil
	for i := range out.Customers {
		out.Customers[i].Channels = 0
	}
	return &out
}

func stripHistory(set *customer.Set) *customer.Set {
	out := stripSummaries(set)
	for i := range out.Customers {
		out.Customers[i].History = nil
	}
	return out
}
