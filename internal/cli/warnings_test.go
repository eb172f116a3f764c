package cli

import (
	"fmt"
	"strings"
	"testing"
)

// threeMonths: two customers over three months — enough for KPI, not for a
// forecast (a trend model needs four whole steps).
func threeMonths() string {
	var b strings.Builder
	b.WriteString("customer_id,order_id,timestamp,amount\n")
	for m := 1; m <= 3; m++ {
		fmt.Fprintf(&b, "a,a%d,2024-%02d-01,10.5\nb,b%d,2024-%02d-15,4.25\n", m, m, m, m)
	}
	return b.String()
}

// TestFailingReportExitZero: a report that cannot be computed leaves the
// others delivered, is named in warnings[] and on stderr, and the exit status
// is 0; when it is the only report requested the run fails (exit 1).
func TestFailingReportExitZero(t *testing.T) {
	f := writeFile(t, "shop.csv", threeMonths())
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"json", []string{"-f", f, "--as-of", "2024-03-31", "--report", "kpi,forecast"}, 0},
		{"table", []string{"-f", f, "--as-of", "2024-03-31", "--report", "kpi,forecast", "-o", "table", "-q"}, 0},
		{"only the failing report", []string{"-f", f, "--as-of", "2024-03-31", "--report", "forecast"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := analyze(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, errs)
			}
			if tt.wantCode != 0 {
				if !strings.Contains(errs, "every requested report failed: report forecast: 3 whole month steps") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
					t.Errorf("stderr = %q", errs)
				}
				return
			}
			if !strings.Contains(errs, "crmlens analyze: warning: report forecast not delivered: 3 whole month steps of revenue") {
				t.Errorf("stderr lacks the warning: %q", errs)
			}
			if tt.name == "table" {
				if !strings.Contains(out, "WARNING report forecast not delivered") || !strings.Contains(out, "Revenue") && !strings.Contains(out, "revenue") {
					t.Errorf("table:\n%s", out)
				}
				return
			}
			doc := decode(t, out)
			if doc.KPI == nil || doc.KPI.Revenue != 44.25 || doc.Forecast != nil {
				t.Errorf("kpi %+v forecast %v", doc.KPI, doc.Forecast != nil)
			}
			if len(doc.Warnings) != 1 || doc.Warnings[0].Report != "forecast" || !doc.Warnings[0].Failed {
				t.Errorf("warnings = %+v", doc.Warnings)
			}
		})
	}
}

// TestSeasonLengthZero: --season-length 0 fits the trend model (no season),
// as seasonLength: 0 does in the API; 1 is refused.
func TestSeasonLengthZero(t *testing.T) {
	f := writeFile(t, "shop.csv", threeMonths()+"a,a9,2024-04-01,7\n")
	code, out, errs := analyze(t, "-f", f, "--as-of", "2024-04-30", "--report", "forecast", "--season-length", "0", "--forecast-horizon", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc := decode(t, out)
	if doc.Forecast == nil || doc.Forecast.Seasonality != "none" || doc.Forecast.Fallback != "" || len(doc.Forecast.Forecast) != 2 {
		t.Errorf("forecast = %+v", doc.Forecast)
	}
	code, _, errs = analyze(t, "-f", f, "--report", "forecast", "--season-length", "1")
	if code != 2 || !strings.Contains(errs, "--season-length 1: want 0 (no season, a trend model) or 2 or more") {
		t.Errorf("--season-length 1: exit %d, %q", code, errs)
	}
}

// TestThirteenMonthsEveryReportCLI: 13 whole months of order lines with every
// report requested: exit 0, every section present, and the forecast's
// fallback to the trend model named in warnings[] and on stderr.
func TestThirteenMonthsEveryReportCLI(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,order_id,timestamp,amount,product\n")
	for m := 0; m < 13; m++ {
		for c := 0; c < 4; c++ {
			fmt.Fprintf(&b, "c%d,o%d-%d,%d-%02d-01,%d.125,bread\nc%d,o%d-%d,%d-%02d-01,2.5,butter\n",
				c, m, c, 2024+m/12, m%12+1, 10+c, c, m, c, 2024+m/12, m%12+1)
		}
	}
	f := writeFile(t, "lines.csv", b.String())
	code, out, errs := analyze(t, "-f", f, "--as-of", "2025-01-31", "--report", "kpi,vip,pareto,cohort,forecast,basket", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc := decode(t, out)
	if doc.KPI == nil || doc.VIP == nil || doc.Pareto == nil || doc.Cohort == nil || doc.Forecast == nil || doc.Basket == nil {
		t.Fatalf("missing sections; warnings %+v", doc.Warnings)
	}
	if doc.Forecast.Points != 13 || doc.Forecast.Fallback != "none" || doc.Forecast.Holdout == nil {
		t.Errorf("forecast: %d points, fallback %q, holdout %+v", doc.Forecast.Points, doc.Forecast.Fallback, doc.Forecast.Holdout)
	}
	// Each month: 4 × 2.5 + (10 + 11 + 12 + 13) + 4 × 0.125 = 56.5; 13 months.
	if doc.KPI.Revenue != 734.5 || doc.Forecast.History[0].Revenue != 56.5 {
		t.Errorf("revenue %v, first month %v", doc.KPI.Revenue, doc.Forecast.History[0].Revenue)
	}
	if len(doc.Warnings) == 0 || doc.Warnings[0].Report != "forecast" || !strings.Contains(doc.Warnings[0].Reason, "Holt linear") || doc.Warnings[0].Failed {
		t.Errorf("warnings = %+v", doc.Warnings)
	}
	if !strings.Contains(errs, "crmlens analyze: warning: forecast: fallback: 13 whole month steps") {
		t.Errorf("stderr = %q", errs)
	}
}
