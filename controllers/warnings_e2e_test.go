package controllers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// monthlyCSV has one purchase on the first of each month of 2025-01..06.
func monthlyCSV() string {
	var b strings.Builder
	b.WriteString("customer_id,order_id,timestamp,amount\n")
	for m := 1; m <= 6; m++ {
		fmt.Fprintf(&b, "c%d,o%d,2025-%02d-01T10:00:00Z,%d.50\nc9,p%d,2025-%02d-01T11:00:00Z,3.25\n", m, m, m, 10*m, m, m)
	}
	return b.String()
}

// TestScheduleReportWarnings: a forecast with a 12-month season on a short
// series does not take the KPI report down: the run succeeds, the result
// carries the forecast's warning, the schedule's Degraded=False message names
// it and a ReportWarning Event is recorded. seasonLength 0 fits the trend
// model (no seasonal component) without a fallback, and seasonality
// Multiplicative reaches the engine.
func TestScheduleReportWarnings(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-warnings")
	h.startManager(true, nil)
	mixed := schedule(ns, "mixed", "@yearly", crmv1.ConcurrencyForbid)
	mixed.Spec.Sources = []crmv1.SourceRef{{Name: "tx"}}
	mixed.Spec.Reports = []crmv1.Report{{Type: crmv1.ReportKPI}, {Type: crmv1.ReportForecast, Forecast: &crmv1.ForecastParams{}}}
	zero := int32(0)
	trend := schedule(ns, "trend", "@yearly", crmv1.ConcurrencyForbid)
	trend.Spec.Sources = []crmv1.SourceRef{{Name: "tx"}}
	trend.Spec.Reports = []crmv1.Report{{Type: crmv1.ReportForecast, Forecast: &crmv1.ForecastParams{SeasonLength: &zero}}}
	two := int32(2)
	mult := schedule(ns, "mult", "@yearly", crmv1.ConcurrencyForbid)
	mult.Spec.Sources = []crmv1.SourceRef{{Name: "tx"}}
	mult.Spec.Reports = []crmv1.Report{{Type: crmv1.ReportForecast, Forecast: &crmv1.ForecastParams{SeasonLength: &two, Seasonality: crmv1.SeasonalityMultiplicative}}}
	for _, rs := range []*crmv1.ReportSchedule{mixed, trend, mult} {
		rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	}
	h.create(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shopdata"}, Data: map[string]string{"tx.csv": monthlyCSV()}},
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tx"}, Spec: crmv1.DataSourceSpec{Schema: txSchema(), ConfigMap: &crmv1.ConfigMapSource{Name: "shopdata", Key: "tx.csv"}}},
		mixed, trend, mult)

	_, doc := h.waitScheduleResult(ns, "mixed")
	if doc.KPI == nil || len(doc.Warnings) == 0 || doc.Warnings[0].Report != "forecast" {
		t.Fatalf("kpi %v, warnings %+v", doc.KPI != nil, doc.Warnings)
	}
	h.eventually(30*time.Second, "warning in the condition and an Event", func() error {
		c := cond(h.rs(ns, "mixed").Status.Conditions, crmv1.ConditionDegraded)
		if c == nil || c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "warning(s): ") || !strings.Contains(c.Message, "forecast") {
			return fmt.Errorf("Degraded %+v", c)
		}
		if n := h.eventReasons(ns, "mixed")["ReportWarning"]; n != 1 {
			return fmt.Errorf("%d ReportWarning Events", n)
		}
		return nil
	})

	_, doc = h.waitScheduleResult(ns, "trend")
	if f := doc.Forecast; f == nil || f.Seasonality != "none" || f.Period != 0 || f.Fallback != "" {
		t.Errorf("trend forecast = %+v (warnings %+v)", f, doc.Warnings)
	}
	_, doc = h.waitScheduleResult(ns, "mult")
	if f := doc.Forecast; f == nil || f.Seasonality != "multiplicative" || f.Period != 2 {
		t.Errorf("multiplicative forecast = %+v (warnings %+v)", f, doc.Warnings)
	}
}
