package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// KPIs are published in three metrics, one unit each, so no query or panel
// ever adds customers to euros (docs/operations.md, "Metrics").
var (
	// KPICount holds the KPIs that count customers, orders or transactions.
	KPICount = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "crmlens_kpi_count",
		Help: "KPIs of the last successful run that count things (customers, transactions, orders, VIPs).",
	}, []string{"kind", "namespace", "name", "kpi"})
	// KPIRatio holds the KPIs that are ratios (0..1; ROI may exceed 1 or be negative).
	KPIRatio = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "crmlens_kpi_ratio",
		Help: "KPIs of the last successful run that are ratios: 0..1 for rates and shares, any real number for campaignROI.",
	}, []string{"kind", "namespace", "name", "kpi"})
	// KPIMoney holds the KPIs in money, in the unit of the currency label.
	KPIMoney = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "crmlens_kpi_money",
		Help: "KPIs of the last successful run in money, in the DataSource's currency (ISO 4217; XXX when none is set).",
	}, []string{"kind", "namespace", "name", "currency", "kpi"})
)

// Units of KPIs.
const (
	UnitCount = "count"
	UnitRatio = "ratio"
	UnitMoney = "money"
)

// kpiUnits names the unit of every KPI the runner reports (runner.Metrics).
var kpiUnits = map[string]string{
	"customers": UnitCount, "transactions": UnitCount, "activeCustomers": UnitCount,
	"churnedCustomers": UnitCount, "orders": UnitCount, "vipCustomers": UnitCount,
	"vipDropped": UnitCount, "vipFrequencyDropped": UnitCount, "vipSpendDropped": UnitCount,
	"churnRate": UnitRatio, "repurchaseRate": UnitRatio, "campaignResponseRate": UnitRatio,
	"campaignROI": UnitRatio, "paretoCustomerShare": UnitRatio, "vipValueShare": UnitRatio,
	"revenue": UnitMoney, "averageOrderValue": UnitMoney, "revenuePerCustomer": UnitMoney,
	"forecastNextPeriod": UnitMoney,
}

// KPIUnit is the unit a KPI is published in: count, ratio or money. A KPI
// this table does not know is a count, the only unit that needs no
// qualification; TestEveryRunnerKPIHasAUnit keeps the table complete.
func KPIUnit(kpi string) string {
	if u, ok := kpiUnits[kpi]; ok {
		return u
	}
	return UnitCount
}

// NoCurrency is ISO 4217's code for "no currency involved", used when the
// DataSource names none.
const NoCurrency = "XXX"

// moneyCurrency remembers the currency each resource's money KPIs were last
// published in (under pubMu), so a changed currency drops the old series.
var moneyCurrency = map[string]string{}

// SetKPIs replaces a resource's KPI series, each in the metric of its unit;
// money KPIs carry currency (NoCurrency when empty).
func SetKPIs(kind, namespace, name, currency string, kpis map[string]float64) {
	if currency == "" {
		currency = NoCurrency
	}
	byUnit := map[string]map[string]float64{UnitCount: {}, UnitRatio: {}, UnitMoney: {}}
	for k, v := range kpis {
		byUnit[KPIUnit(k)][k] = v
	}
	replace(KPICount, "kpi_count", []string{kind, namespace, name}, byUnit[UnitCount])
	replace(KPIRatio, "kpi_ratio", []string{kind, namespace, name}, byUnit[UnitRatio])

	res := "\x00" + namespace + "\x00" + name
	pubMu.Lock()
	old, had := moneyCurrency[kind+res]
	moneyCurrency[kind+res] = currency
	if had && old != currency {
		delete(published, "kpi_money\x00"+kind+res+"\x00"+old)
	}
	pubMu.Unlock()
	if had && old != currency {
		KPIMoney.DeletePartialMatch(prometheus.Labels{"kind": kind, "namespace": namespace, "name": name, "currency": old})
	}
	replace(KPIMoney, "kpi_money", []string{kind, namespace, name, currency}, byUnit[UnitMoney])
}
