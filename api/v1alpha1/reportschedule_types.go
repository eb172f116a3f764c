package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConcurrencyPolicy says what happens when a run is due while another runs.
// +kubebuilder:validation:Enum=Allow;Forbid;Replace
type ConcurrencyPolicy string

// Concurrency policies, as in CronJob.
const (
	ConcurrencyAllow   ConcurrencyPolicy = "Allow"
	ConcurrencyForbid  ConcurrencyPolicy = "Forbid"
	ConcurrencyReplace ConcurrencyPolicy = "Replace"
)

// ReportType names a report.
// +kubebuilder:validation:Enum=KPI;VIP;Pareto;Cohort;Forecast;Basket
type ReportType string

// Report types.
const (
	ReportKPI      ReportType = "KPI"
	ReportVIP      ReportType = "VIP"
	ReportPareto   ReportType = "Pareto"
	ReportCohort   ReportType = "Cohort"
	ReportForecast ReportType = "Forecast"
	ReportBasket   ReportType = "Basket"
)

// Report is one report of a run. Only the parameter block of its type may be
// set; an absent block means its defaults.
// +kubebuilder:validation:XValidation:rule="!has(self.kpi) || self.type == 'KPI'",message="kpi parameters may only be set when type is KPI",fieldPath=".kpi"
// +kubebuilder:validation:XValidation:rule="!has(self.vip) || self.type == 'VIP'",message="vip parameters may only be set when type is VIP",fieldPath=".vip"
// +kubebuilder:validation:XValidation:rule="!has(self.pareto) || self.type == 'Pareto'",message="pareto parameters may only be set when type is Pareto",fieldPath=".pareto"
// +kubebuilder:validation:XValidation:rule="!has(self.cohort) || self.type == 'Cohort'",message="cohort parameters may only be set when type is Cohort",fieldPath=".cohort"
// +kubebuilder:validation:XValidation:rule="!has(self.forecast) || self.type == 'Forecast'",message="forecast parameters may only be set when type is Forecast",fieldPath=".forecast"
// +kubebuilder:validation:XValidation:rule="!has(self.basket) || self.type == 'Basket'",message="basket parameters may only be set when type is Basket",fieldPath=".basket"
type Report struct {
	// type of the report: KPI (active customers, churn and repurchase rate,
	// average order value, recency distribution, campaign response and ROI),
	// VIP (what high-value customers do), Pareto (which share of customers
	// brings which share of revenue), Cohort (retention by first-purchase
	// cohort), Forecast (seasonal sales forecast) or Basket (product
	// associations).
	// +required
	Type ReportType `json:"type"`

	// kpi parameters, only with type KPI.
	// +optional
	KPI *KPIParams `json:"kpi,omitempty"`

	// vip parameters, only with type VIP.
	// +optional
	VIP *VIPParams `json:"vip,omitempty"`

	// pareto parameters, only with type Pareto.
	// +optional
	Pareto *ParetoParams `json:"pareto,omitempty"`

	// cohort parameters, only with type Cohort.
	// +optional
	Cohort *CohortParams `json:"cohort,omitempty"`

	// forecast parameters, only with type Forecast.
	// +optional
	Forecast *ForecastParams `json:"forecast,omitempty"`

	// basket parameters, only with type Basket.
	// +optional
	Basket *BasketParams `json:"basket,omitempty"`
}

// KPIParams tune the KPI report. Its periods are whole days.
// +kubebuilder:validation:XValidation:rule="!self.activeWithin.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || !self.churnedAfter.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self.activeWithin) <= duration(self.churnedAfter)",message="kpi.activeWithin must not exceed churnedAfter",fieldPath=".activeWithin"
type KPIParams struct {
	// activeWithin: customers who bought within this Go duration are active.
	// +optional
	// +kubebuilder:default="2160h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('24h') && duration(self).getSeconds() % 86400 == 0)",message="must be a whole number of days (a multiple of 24h, at least 24h), such as 720h"
	ActiveWithin *metav1.Duration `json:"activeWithin,omitempty"`

	// churnedAfter: customers with no purchase for this long count as churned
	// in the churn rate.
	// +optional
	// +kubebuilder:default="4320h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('24h') && duration(self).getSeconds() % 86400 == 0)",message="must be a whole number of days (a multiple of 24h, at least 24h), such as 720h"
	ChurnedAfter *metav1.Duration `json:"churnedAfter,omitempty"`

	// campaignSourceRef names a DataSource with content Campaigns; with it
	// the report adds campaign response rate and ROI.
	// +optional
	CampaignSourceRef *LocalObjectReference `json:"campaignSourceRef,omitempty"`

	// responseWindow: a purchase within this long after a contact counts as
	// a response.
	// +optional
	// +kubebuilder:default="336h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('24h') && duration(self).getSeconds() % 86400 == 0)",message="must be a whole number of days (a multiple of 24h, at least 24h), such as 720h"
	ResponseWindow *metav1.Duration `json:"responseWindow,omitempty"`
}

// VIPParams tune the VIP report. VIPs are the top share of customers by
// spend, or the customers in the named segments of the referenced model.
// +kubebuilder:validation:XValidation:rule="!has(self.topFraction) || !has(self.segments)",message="vip: set at most one of topFraction or segments",fieldPath=".segments"
// +kubebuilder:validation:XValidation:rule="!has(self.spendBuckets) || [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].all(i, i + 1 >= self.spendBuckets.size() || !self.spendBuckets[i].matches('^[0-9]+([.][0-9]{1,4})?$') || !self.spendBuckets[i + 1].matches('^[0-9]+([.][0-9]{1,4})?$') || double(self.spendBuckets[i]) < double(self.spendBuckets[i + 1]))",message="vip.spendBuckets must be strictly ascending upper bounds, such as [\"50\", \"100\", \"250\"]",fieldPath=".spendBuckets"
type VIPParams struct {
	// topFraction of customers by spend are VIPs, such as "0.05" for the top
	// 5%. The default when segments is unset.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0([.][0-9]+)?|1([.]0+)?)$') || double(self) > 0.0",message="vip.topFraction must be above 0 (and at most 1)"
	TopFraction *Fraction `json:"topFraction,omitempty"`

	// segments of the referenced SegmentationModel whose customers are VIPs,
	// such as ["Champions"]. Needs spec.modelRef.
	// +optional
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=20
	// +listType=set
	// +kubebuilder:validation:items:MaxLength=63
	Segments []string `json:"segments,omitempty"`

	// spendBuckets are the upper bounds of the spend distribution buckets, in
	// increasing order; an open bucket above the last is added.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	SpendBuckets []Money `json:"spendBuckets,omitempty"`
}

// ParetoParams tune the Pareto report.
type ParetoParams struct {
	// revenueShare whose smallest customer set is reported, such as "0.8":
	// "x% of customers bring 80% of revenue".
	// +optional
	// +kubebuilder:default="0.8"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0([.][0-9]+)?|1([.]0+)?)$') || double(self) > 0.0",message="pareto.revenueShare must be above 0 (and at most 1)"
	RevenueShare Fraction `json:"revenueShare,omitempty"`
}

// Period is a calendar period.
// +kubebuilder:validation:Enum=Week;Month;Quarter
type Period string

// CohortParams tune the cohort retention report.
type CohortParams struct {
	// period groups customers by the calendar period of their first purchase
	// and measures retention in the same periods: Week (ISO weeks, labelled
	// "2024-W05"), Month ("2024-01") or Quarter ("2024-Q1"), in the analysis
	// time zone.
	// +optional
	// +kubebuilder:default=Month
	Period Period `json:"period,omitempty"`

	// periods is N: the N most recent cohorts (the period of the analysis
	// date and the N-1 before it), each followed for N periods counting its
	// first (period 0), as far as the analysis date reaches.
	// +optional
	// +kubebuilder:default=12
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=60
	Periods int32 `json:"periods,omitempty"`
}

// ForecastParams tune the seasonal sales forecast.
// +kubebuilder:validation:XValidation:rule="!(has(self.seasonLength) && self.seasonLength == 0 && has(self.seasonality) && self.seasonality == 'Multiplicative')",message="seasonality Multiplicative needs a season: set seasonLength to 2..53, or drop seasonality for the trend model of seasonLength 0"
type ForecastParams struct {
	// period of the forecast series.
	// +optional
	// +kubebuilder:default=Month
	Period Period `json:"period,omitempty"`

	// horizon is how many periods ahead are forecast.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=24
	Horizon int32 `json:"horizon,omitempty"`

	// seasonLength is the number of periods in one season (12 for monthly
	// data with yearly seasonality). 0 means no seasonal component: a trend
	// model (Holt's linear method). 1 is not a season and is refused. A
	// series shorter than two seasons falls back to the trend model, named
	// in the result's warnings.
	// +optional
	// +kubebuilder:default=12
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=53
	// +kubebuilder:validation:XValidation:rule="self != 1",message="seasonLength must be 0 (no seasonal component, a trend model) or 2 to 53 periods per season; 1 is not a season"
	SeasonLength *int32 `json:"seasonLength,omitempty"`

	// seasonality is how the season combines with the level: Additive (a
	// season adds the same amount every year) or Multiplicative (it scales
	// with the level; needs revenue in every period). Not with seasonLength 0.
	// +optional
	// +kubebuilder:default=Additive
	Seasonality Seasonality `json:"seasonality,omitempty"`
}

// Seasonality is the seasonal component of a forecast.
// +kubebuilder:validation:Enum=Additive;Multiplicative
type Seasonality string

// Seasonality kinds.
const (
	SeasonalityAdditive       Seasonality = "Additive"
	SeasonalityMultiplicative Seasonality = "Multiplicative"
)

// BasketParams tune product association mining.
type BasketParams struct {
	// level of items: Product or Category.
	// +optional
	// +kubebuilder:default=Category
	// +kubebuilder:validation:Enum=Product;Category
	Level string `json:"level,omitempty"`

	// minSupport is the least share of orders containing an item set.
	// +optional
	// +kubebuilder:default="0.01"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0([.][0-9]+)?|1([.]0+)?)$') || double(self) > 0.0",message="basket.minSupport must be above 0 (and at most 1)"
	MinSupport Fraction `json:"minSupport,omitempty"`

	// minConfidence is the least confidence of a reported rule.
	// +optional
	// +kubebuilder:default="0.2"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0([.][0-9]+)?|1([.]0+)?)$') || double(self) > 0.0",message="basket.minConfidence must be above 0 (and at most 1)"
	MinConfidence Fraction `json:"minConfidence,omitempty"`

	// minLift is the least lift of a reported rule; "0" reports rules of any
	// lift.
	// +optional
	// +kubebuilder:default="1"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('-')",message="basket.minLift must not be negative (0 reports rules of any lift)"
	MinLift Decimal `json:"minLift,omitempty"`

	// maxRules bounds the number of rules reported, by lift.
	// +optional
	// +kubebuilder:default=50
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxRules int32 `json:"maxRules,omitempty"`
}

// ReportOutput says where report results go: a summary ConfigMap per run
// (always; named after the run's Job, kept as long as the Job, and named in
// status.resultConfigMap), an optional store and an optional webhook.
type ReportOutput struct {
	// store receives the full report tables of every run.
	// +optional
	Store *ResultStore `json:"store,omitempty"`

	// pseudonymize replaces customer IDs by keyed hashes wherever they leave
	// the analysis (per-customer store rows, reports).
	// +optional
	Pseudonymize *Pseudonymization `json:"pseudonymize,omitempty"`

	// retention bounds the age of stored runs (next to store keepRuns).
	// +optional
	Retention *Retention `json:"retention,omitempty"`

	// webhook is notified of runs and alerts.
	// +optional
	Webhook *Webhook `json:"webhook,omitempty"`
}

// WebhookEvent is an event a webhook can be notified of.
// +kubebuilder:validation:Enum=RunSucceeded;RunFailed;AlertFiring;AlertResolved
type WebhookEvent string

// Webhook posts a JSON document (KPIs and alerts, never personal data) to a
// URL.
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.urlSecretRef)",message="webhook: set exactly one of url or urlSecretRef"
type Webhook struct {
	// url to POST to, http:// or https://.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s/]+(/\S*)?$`
	URL string `json:"url,omitempty"`

	// urlSecretRef reads the URL from a Secret key, for URLs that embed a
	// token (Slack, Teams).
	// +optional
	URLSecretRef *SecretKeySelector `json:"urlSecretRef,omitempty"`

	// events that are sent: RunSucceeded and RunFailed after each run
	// (with its KPIs, or the failure reason), AlertFiring and AlertResolved
	// when an alert changes state.
	// +optional
	// +kubebuilder:default={AlertFiring,AlertResolved}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=4
	// +listType=set
	Events []WebhookEvent `json:"events,omitempty"`

	// timeout of one POST, as a Go duration.
	// +optional
	// +kubebuilder:default="10s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}

// AlertOperator compares a metric with a threshold.
// +kubebuilder:validation:Enum=GreaterThan;GreaterThanOrEqual;LessThan;LessThanOrEqual;Equal;NotEqual
type AlertOperator string

// Alert operators.
const (
	OpGreaterThan        AlertOperator = "GreaterThan"
	OpGreaterThanOrEqual AlertOperator = "GreaterThanOrEqual"
	OpLessThan           AlertOperator = "LessThan"
	OpLessThanOrEqual    AlertOperator = "LessThanOrEqual"
	OpEqual              AlertOperator = "Equal"
	OpNotEqual           AlertOperator = "NotEqual"
)

// Severity of an alert, as the Prometheus "severity" label.
// +kubebuilder:validation:Enum=info;warning;critical
type Severity string

// Severities.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// AlertRule fires when a report metric crosses a threshold.
type AlertRule struct {
	// name of the rule: lower-case letters, digits and '-', at most 63
	// characters. Unique within the schedule.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// metric is a key of status.kpis, such as churnRate, repurchaseRate,
	// activeCustomers, averageOrderValue, revenue, paretoCustomerShare,
	// campaignResponseRate, campaignROI or forecastNextPeriod. A metric the
	// run did not produce is reported by the reconciler as Degraded=True,
	// reason UnknownMetric, after that run.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][A-Za-z0-9]*$`
	Metric string `json:"metric"`

	// operator compares metric (left) with threshold (right):
	// GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual, Equal or
	// NotEqual.
	// +required
	Operator AlertOperator `json:"operator"`

	// threshold is a decimal such as "0.25".
	// +required
	Threshold Decimal `json:"threshold"`

	// severity: info, warning or critical.
	// +optional
	// +kubebuilder:default=warning
	Severity Severity `json:"severity,omitempty"`

	// forRuns: the comparison must hold for this many consecutive runs before
	// the alert fires.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	ForRuns int32 `json:"forRuns,omitempty"`
}

// DropMeasure is what a VIP's activity drop is measured on.
// +kubebuilder:validation:Enum=Frequency;Spend;Either
type DropMeasure string

// VIPActivityDropRule fires when VIPs buy less often or spend less than
// their own baseline. Needs a VIP report.
// +kubebuilder:validation:XValidation:rule="!self.recent.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || !self.baseline.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self.recent) < duration(self.baseline)",message="vipActivityDrop.recent must be shorter than baseline",fieldPath=".recent"
type VIPActivityDropRule struct {
	// threshold is the relative drop that counts, above 0 and at most 1:
	// "0.5" means the recent rate fell below half the baseline rate.
	// +required
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0([.][0-9]+)?|1([.]0+)?)$') || double(self) > 0.0",message="vipActivityDrop.threshold must be above 0 (and at most 1)"

	Threshold Fraction `json:"threshold"`

	// measure: Frequency (orders per day), Spend (amount per day) or Either.
	// +optional
	// +kubebuilder:default=Either
	Measure DropMeasure `json:"measure,omitempty"`

	// baseline is the period before recent that sets each VIP's own normal
	// rate, as a Go duration.
	// +optional
	// +kubebuilder:default="4320h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('24h') && duration(self).getSeconds() % 86400 == 0)",message="must be a whole number of days (a multiple of 24h, at least 24h), such as 720h"
	Baseline *metav1.Duration `json:"baseline,omitempty"`

	// recent is the period up to the run compared with the baseline.
	// +optional
	// +kubebuilder:default="720h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('24h') && duration(self).getSeconds() % 86400 == 0)",message="must be a whole number of days (a multiple of 24h, at least 24h), such as 720h"
	Recent *metav1.Duration `json:"recent,omitempty"`

	// minCustomers: the alert fires when at least this many VIPs dropped.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	MinCustomers int32 `json:"minCustomers,omitempty"`

	// severity: info, warning or critical.
	// +optional
	// +kubebuilder:default=warning
	Severity Severity `json:"severity,omitempty"`
}

// ReportScheduleSpec declares which reports run when and what raises an
// alarm.
// +kubebuilder:validation:XValidation:rule="has(self.sources) != has(self.modelRef)",message="set exactly one of sources (DataSources read directly) or modelRef (reuse a SegmentationModel's sources, cleaning and segments)"
// +kubebuilder:validation:XValidation:rule="!has(self.modelRef) || !has(self.cleaning)",message="cleaning may only be set with sources; with modelRef the model's cleaning rules apply",fieldPath=".cleaning"
// +kubebuilder:validation:XValidation:rule="!has(self.vipActivityDrop) || self.reports.exists(r, r.type == 'VIP')",message="vipActivityDrop needs a report of type VIP in reports",fieldPath=".vipActivityDrop"
// +kubebuilder:validation:XValidation:rule="has(self.modelRef) || !self.reports.exists(r, has(r.vip) && has(r.vip.segments))",message="reports[].vip.segments needs modelRef: segments come from a SegmentationModel",fieldPath=".reports"
type ReportScheduleSpec struct {
	// schedule in cron format ("0 6 * * 1" is Mondays 06:00: minute 0-59,
	// hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-7 or
	// SUN-SAT; each as *, a value, a range a-b, a step /n or a comma list) or
	// a macro such as @daily. Admission checks each field's values; what it
	// cannot (an @every duration's syntax, a date that never comes such as
	// February 30) the reconciler reports as Ready=False, reason
	// InvalidSchedule.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every \S+|\S+( +\S+){4})$`
	// +kubebuilder:validation:XValidation:rule="self.startsWith('@') || self.matches('(?i)^ *([*]|[0-5]?[0-9](-[0-5]?[0-9])?)(/[0-9]+)?(,([*]|[0-5]?[0-9](-[0-5]?[0-9])?)(/[0-9]+)?)* +([*]|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]+)?(,([*]|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]+)?)* +([*]|[?]|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[0-9]+)?(,([*]|[?]|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[0-9]+)?)* +([*]|(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[0-9]+)?(,([*]|(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[0-9]+)?)* +([*]|[?]|([0-7]|sun|mon|tue|wed|thu|fri|sat)(-([0-7]|sun|mon|tue|wed|thu|fri|sat))?)(/[0-9]+)?(,([*]|[?]|([0-7]|sun|mon|tue|wed|thu|fri|sat)(-([0-7]|sun|mon|tue|wed|thu|fri|sat))?)(/[0-9]+)?)* *$')",message="schedule: want five fields, minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC) and day of week (0-7 or SUN-SAT), each *, a value, a range a-b, a step /n or a comma list; or a macro such as @daily"
	Schedule string `json:"schedule"`

	// timeZone is the IANA time zone of schedule, such as "Europe/Berlin";
	// UTC when unset. Admission checks the name's form and refuses "Local";
	// a name the time zone database does not know is reported by the
	// reconciler as Ready=False, reason InvalidTimeZone.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z][A-Za-z0-9_+\-/]*$`
	// +kubebuilder:validation:XValidation:rule="self.lowerAscii() != 'local'",message="timeZone must be an explicit IANA name such as Europe/Berlin, not Local"
	TimeZone *string `json:"timeZone,omitempty"`

	// suspend stops new runs; running ones finish.
	// +optional
	// +kubebuilder:default=false
	Suspend bool `json:"suspend,omitempty"`

	// concurrencyPolicy when a run is due while one runs: Allow, Forbid
	// (skip the new run, the default) or Replace (stop the running one).
	// +optional
	// +kubebuilder:default=Forbid
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty"`

	// startingDeadlineSeconds: a run missed by more than this many seconds
	// is skipped.
	// +optional
	// +kubebuilder:validation:Minimum=0
	StartingDeadlineSeconds *int64 `json:"startingDeadlineSeconds,omitempty"`

	// successfulRunsHistoryLimit is how many finished successful Jobs are
	// kept.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	SuccessfulRunsHistoryLimit *int32 `json:"successfulRunsHistoryLimit,omitempty"`

	// failedRunsHistoryLimit is how many failed Jobs are kept.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	FailedRunsHistoryLimit *int32 `json:"failedRunsHistoryLimit,omitempty"`

	// sources are read directly; each name at most once. Exactly one of
	// sources or modelRef.
	// +optional
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	Sources []SourceRef `json:"sources,omitempty"`

	// modelRef reuses a SegmentationModel's sources, window, asOf, cleaning,
	// method and segments (the schedule's own window, when set, replaces the
	// model's). Exactly one of sources or modelRef.
	// +optional
	ModelRef *LocalObjectReference `json:"modelRef,omitempty"`

	// window limits reports to transactions within this Go duration before
	// each run; all history when unset (or the model's window with modelRef).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	Window *metav1.Duration `json:"window,omitempty"`

	// cleaning rules, with sources (a model's rules apply with modelRef).
	// +optional
	Cleaning *CleaningRules `json:"cleaning,omitempty"`

	// reports run each time, each type at most once.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=6
	// +listType=map
	// +listMapKey=type
	Reports []Report `json:"reports"`

	// output says where results go.
	// +optional
	Output ReportOutput `json:"output,omitempty"`

	// alerts are threshold rules on report metrics; names are unique.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	Alerts []AlertRule `json:"alerts,omitempty"`

	// vipActivityDrop fires when VIPs buy less than their own baseline.
	// +optional
	VIPActivityDrop *VIPActivityDropRule `json:"vipActivityDrop,omitempty"`

	// job shapes the report Jobs.
	// +optional
	Job *JobSettings `json:"job,omitempty"`
}

// FiringAlert is an alert that currently fires.
type FiringAlert struct {
	// name of the alert rule (vip-activity-drop for the VIP rule).
	Name string `json:"name"`
	// metric compared.
	// +optional
	Metric string `json:"metric,omitempty"`
	// value of the metric in the last run, as a decimal string.
	Value string `json:"value"`
	// threshold it was compared with.
	Threshold string `json:"threshold"`
	// severity of the rule.
	Severity Severity `json:"severity"`
	// since is when the alert started firing.
	Since metav1.Time `json:"since"`
	// message for people.
	// +optional
	Message string `json:"message,omitempty"`
}

// ReportScheduleStatus is the observed state of a ReportSchedule.
type ReportScheduleStatus struct {
	// conditions: Ready, Progressing, Degraded, AlertFiring.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the spec generation the controller has
	// processed (whether or not its runs can start; conditions say).
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// retry is set while the last run failed: attempts and the next retry
	// (a retry is skipped when the next scheduled run comes first).
	// +optional
	Retry *RetryStatus `json:"retry,omitempty"`

	// lastScheduleTime is when a run was last started.
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// nextScheduleTime is when the next run is due.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`

	// lastSuccessfulTime is when a run last succeeded.
	// +optional
	LastSuccessfulTime *metav1.Time `json:"lastSuccessfulTime,omitempty"`

	// active are the running Jobs.
	// +optional
	// +listType=atomic
	Active []corev1.ObjectReference `json:"active,omitempty"`

	// lastRunName is the name of the last run's Job.
	// +optional
	LastRunName string `json:"lastRunName,omitempty"`

	// resultConfigMap names the summary ConfigMap of the last result.
	// +optional
	ResultConfigMap string `json:"resultConfigMap,omitempty"`

	// kpis of the last successful run, metric name to decimal string.
	// +optional
	KPIs map[string]string `json:"kpis,omitempty"`

	// alerts firing after the last run.
	// +optional
	// +listType=map
	// +listMapKey=name
	Alerts []FiringAlert `json:"alerts,omitempty"`

	// firingAlerts is the number of firing alerts, for printing.
	// +optional
	FiringAlerts int32 `json:"firingAlerts,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=crmrs,categories=crm
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.schedule`
// +kubebuilder:printcolumn:name="Suspend",type=boolean,JSONPath=`.spec.suspend`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Degraded",type=string,JSONPath=`.status.conditions[?(@.type=="Degraded")].status`
// +kubebuilder:printcolumn:name="Alerts",type=integer,JSONPath=`.status.firingAlerts`
// +kubebuilder:printcolumn:name="Next Run",type=string,JSONPath=`.status.nextScheduleTime`
// +kubebuilder:printcolumn:name="Last Success",type=date,JSONPath=`.status.lastSuccessfulTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ReportSchedule declares which reports run when, and what raises an alarm.
type ReportSchedule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired schedule.
	// +required
	Spec ReportScheduleSpec `json:"spec"`

	// status is the observed state of the schedule.
	// +optional
	Status ReportScheduleStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ReportScheduleList is a list of ReportSchedules.
type ReportScheduleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ReportSchedules.
	Items []ReportSchedule `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ReportSchedule{}, &ReportScheduleList{})
}
