package metrics

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Each KPI lands in the metric of its unit; money carries the currency, and
// a changed currency leaves no series behind in the old one.
func TestSetKPIsOneUnitPerMetric(t *testing.T) {
	defer Forget(KindSchedule, "shop", "weekly")
	SetKPIs(KindSchedule, "shop", "weekly", "EUR", map[string]float64{
		"customers": 150, "churnRate": 0.25, "revenue": 1234.5, "averageOrderValue": 41.15, "campaignROI": -0.2,
	})
	want := `
# HELP crmlens_kpi_count KPIs of the last successful run that count things (customers, transactions, orders, VIPs).
# TYPE crmlens_kpi_count gauge
crmlens_kpi_count{kind="ReportSchedule",kpi="customers",name="weekly",namespace="shop"} 150
# HELP crmlens_kpi_money KPIs of the last successful run in money, in the DataSource's currency (ISO 4217; XXX when none is set).
# TYPE crmlens_kpi_money gauge
crmlens_kpi_money{currency="EUR",kind="ReportSchedule",kpi="averageOrderValue",name="weekly",namespace="shop"} 41.15
crmlens_kpi_money{currency="EUR",kind="ReportSchedule",kpi="revenue",name="weekly",namespace="shop"} 1234.5
# HELP crmlens_kpi_ratio KPIs of the last successful run that are ratios: 0..1 for rates and shares, any real number for campaignROI.
# TYPE crmlens_kpi_ratio gauge
crmlens_kpi_ratio{kind="ReportSchedule",kpi="campaignROI",name="weekly",namespace="shop"} -0.2
crmlens_kpi_ratio{kind="ReportSchedule",kpi="churnRate",name="weekly",namespace="shop"} 0.25
`
	if err := testutil.CollectAndCompare(KPICount, strings.NewReader(section(want, "crmlens_kpi_count"))); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(KPIRatio, strings.NewReader(section(want, "crmlens_kpi_ratio"))); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(KPIMoney, strings.NewReader(section(want, "crmlens_kpi_money"))); err != nil {
		t.Error(err)
	}

	// The DataSource's currency changes to USD, revenue is gone: one money series, in USD.
	SetKPIs(KindSchedule, "shop", "weekly", "USD", map[string]float64{"customers": 151, "averageOrderValue": 40})
	if n := testutil.CollectAndCount(KPIMoney); n != 1 {
		t.Errorf("%d money series, want 1", n)
	}
	if v := testutil.ToFloat64(KPIMoney.WithLabelValues(KindSchedule, "shop", "weekly", "USD", "averageOrderValue")); v != 40 {
		t.Errorf("averageOrderValue in USD = %v", v)
	}
	if n := testutil.CollectAndCount(KPIRatio); n != 0 {
		t.Errorf("%d ratio series left after the run dropped them", n)
	}
	// No currency on the DataSource: ISO 4217's XXX.
	SetKPIs(KindSchedule, "shop", "weekly", "", map[string]float64{"revenue": 1})
	if v := testutil.ToFloat64(KPIMoney.WithLabelValues(KindSchedule, "shop", "weekly", "XXX", "revenue")); v != 1 {
		t.Errorf("revenue without currency = %v", v)
	}
	Forget(KindSchedule, "shop", "weekly")
	for name, n := range map[string]int{"count": testutil.CollectAndCount(KPICount), "ratio": testutil.CollectAndCount(KPIRatio), "money": testutil.CollectAndCount(KPIMoney)} {
		if n != 0 {
			t.Errorf("%d %s series after Forget", n, name)
		}
	}
}

// section returns one metric's HELP, TYPE and samples from an exposition.
func section(expo, metric string) string {
	var b strings.Builder
	for _, l := range strings.Split(expo, "\n") {
		if strings.Contains(l, metric+" ") || strings.HasPrefix(l, metric+"{") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// Every KPI the runner writes (runner.Metrics: m["name"] and the map
// literal) has a unit in kpiUnits, so none falls to the count default by
// accident.
func TestEveryRunnerKPIHasAUnit(t *testing.T) {
	src, err := os.ReadFile("../runner/runner.go")
	if err != nil {
		t.Fatal(err)
	}
	body := string(src)
	i := strings.Index(body, "func Metrics(")
	if i < 0 {
		t.Fatal("runner.Metrics not found; update this test")
	}
	body = body[i:]
	if j := strings.Index(body[1:], "\nfunc "); j > 0 {
		body = body[:j+1]
	}
	keys := regexp.MustCompile(`m\["([A-Za-z]+)"\]\s*=|\n\s*"([A-Za-z]+)":\s*float64`).FindAllStringSubmatch(body, -1)
	if len(keys) < 15 {
		t.Fatalf("found only %d KPI names in runner.Metrics; update this test", len(keys))
	}
	for _, k := range keys {
		name := k[1] + k[2]
		if _, ok := kpiUnits[name]; !ok {
			t.Errorf("KPI %q has no unit in kpiUnits", name)
		}
	}
}
