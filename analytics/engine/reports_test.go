package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

// thirteenMonths is order lines from 2024-01 to 2025-01 (13 whole months):
// five customers, each buying two products on the 1st of the months where
// (month + customer) is odd or they are customer 0 — every month has sales.
func thirteenMonths() []byte {
	var b strings.Builder
	b.WriteString("customer_id,order_id,timestamp,amount,product\n")
	order := 0
	for m := 0; m < 13; m++ {
		d := time.Date(2024, time.January+time.Month(m), 1, 12, 0, 0, 0, time.UTC)
		for c := 0; c < 5; c++ {
			if c != 0 && (m+c)%2 == 0 {
				continue
			}
			order++
			fmt.Fprintf(&b, "c%d,o%d,%s,%d.25,bread\n", c, order, d.Format(time.RFC3339), 10+m+c)
			fmt.Fprintf(&b, "c%d,o%d,%s,3.50,butter\n", c, order, d.Format(time.RFC3339))
		}
	}
	return []byte(b.String())
}

// TestThirteenMonthsEveryReport: 13 months of monthly data with every report
// requested delivers every report; the forecast falls back to the trend
// model (fewer than two 12-month seasons), says so in warnings[], and still
// carries a holdout error.
func TestThirteenMonthsEveryReport(t *testing.T) {
	cfg := Config{
		Sources: []input.Source{input.BytesSource("shop.csv", thirteenMonths(), input.Options{}, "")},
		AsOf:    time.Date(2025, 1, 31, 23, 59, 59, 0, time.UTC),
		Reports: Reports,
		VIP:     VIPParams{TopN: 2},
		Basket:  BasketParams{MinSupport: 0.1},
		Now:     fixedClock(),
	}
	doc, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc.KPI == nil || doc.VIP == nil || doc.Pareto == nil || doc.Cohort == nil || doc.Forecast == nil || doc.Basket == nil {
		t.Fatalf("missing report sections; warnings %+v", doc.Warnings)
	}
	f := doc.Forecast
	if f.Points != 13 || f.Seasonality != "none" || f.Fallback != "none" || f.Period != 0 || len(f.Forecast) != 12 {
		t.Errorf("forecast: %d points, seasonality %q, fallback %q, period %d, %d steps", f.Points, f.Seasonality, f.Fallback, f.Period, len(f.Forecast))
	}
	// Holdout: the horizon (one season, 12) capped at a quarter of 13 points.
	if f.Holdout == nil || f.Holdout.Steps != 3 {
		t.Errorf("holdout = %+v, want 3 steps", f.Holdout)
	}
	var fallback bool
	for _, w := range doc.Warnings {
		if w.Failed {
			t.Errorf("report failed: %+v", w)
		}
		if w.Report == "forecast" && strings.Contains(w.Reason, "fallback") && strings.Contains(w.Reason, "Holt linear") && strings.Contains(w.Reason, "13 whole month steps") {
			fallback = true
		}
	}
	if !fallback {
		t.Errorf("no forecast fallback warning in %+v", doc.Warnings)
	}
	// Revenue of the series is exact: month 1 (Jan 2024) has c0..c4 where
	// c0 always buys and c1, c3 buy when m is even: c0 10.25+3.5, c1 11.25+3.5, c3 13.25+3.5.
	if got := f.History[0].Revenue; got != 45.25 {
		t.Errorf("January revenue = %v, want 45.25", got)
	}
}

// TestFailingReportOthersDelivered: a report that cannot be computed (basket
// without a raw transaction source) is named in warnings[] as failed while the
// other reports are delivered; when every requested report fails, the run fails.
func TestFailingReportOthersDelivered(t *testing.T) {
	set := &customer.Set{Customers: []customer.Customer{
		{ID: "a", First: day("2024-01-01"), Last: day("2024-06-01"), Orders: 2, Revenue: 30 * txn.MoneyScale},
		{ID: "b", First: day("2024-03-01"), Last: day("2024-03-01"), Orders: 1, Revenue: 5 * txn.MoneyScale},
	}}
	tests := []struct {
		name    string
		reports []Report
		wantErr bool
	}{
		{"basket fails, kpi and pareto delivered", []Report{Basket, KPI, Pareto}, false},
		{"only basket requested", []Report{Basket}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Reports: tt.reports, AsOf: day("2024-12-31")}
			doc, err := Analyze(context.Background(), cfg, set, nil)
			if tt.wantErr {
				if !errors.Is(err, ErrAllReportsFailed) || !strings.Contains(err.Error(), "report basket: basket rules need a raw transaction source") {
					t.Errorf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if doc.KPI == nil || doc.Pareto == nil || doc.Basket != nil {
				t.Errorf("sections kpi %v pareto %v basket %v", doc.KPI != nil, doc.Pareto != nil, doc.Basket != nil)
			}
			want := result.Warning{Report: "basket", Reason: "basket rules need a raw transaction source", Failed: true}
			if len(doc.Warnings) != 1 || doc.Warnings[0].Report != want.Report || !doc.Warnings[0].Failed || !strings.HasPrefix(doc.Warnings[0].Reason, want.Reason) {
				t.Errorf("warnings = %+v", doc.Warnings)
			}
			if doc.KPI.Revenue != 35 || doc.Segments == nil {
				t.Errorf("kpi revenue %v", doc.KPI.Revenue)
			}
		})
	}
}
