// Package result defines the versioned result document of one analysis run
// and the streaming writers for its per-customer part.
//
// The document has two parts:
//   - the summary (Document): aggregates only, never customer IDs or other
//     personal data, bounded in size (Bound) so it always fits a ConfigMap;
//   - the per-customer part: one Row per customer, streamed through a
//     CustomerWriter (CSV or NDJSON) to a file or external store.
//
// Field names are a stable contract, documented in docs/result-document.md.
// Additive changes keep APIVersion; renames or removals need a new version.
package result

import (
	"time"

	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/lifecycle"
	"github.com/crmlens/crmlens/analytics/pareto"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/analytics/valuematrix"
)

// APIVersion and Kind identify the document format.
const (
	APIVersion = "crmlens.io/result/v1"
	Kind       = "AnalysisResult"
)

// Document is the summary part of one run's result.
type Document struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Run        Run    `json:"run"`
	Input      Input  `json:"input"`

	// Segments is the uniform view of the method's groups — RFM segments,
	// value-matrix quadrants, lifecycle stages or K-means clusters — for
	// status and dashboards. Empty groups are listed too.
	Segments []Segment `json:"segments"`

	// Method sections: only the method that ran is present.
	RFM         *rfm.Summary         `json:"rfm,omitempty"`
	ValueMatrix *valuematrix.Summary `json:"valueMatrix,omitempty"`
	Lifecycle   *lifecycle.Summary   `json:"lifecycle,omitempty"`
	CLV         *CLVSection          `json:"clv,omitempty"`
	KMeans      *KMeansSection       `json:"kmeans,omitempty"`

	// Report sections: present when the report was requested.
	KPI      *kpi.Summary     `json:"kpi,omitempty"`
	Pareto   *pareto.Summary  `json:"pareto,omitempty"`
	Cohort   *cohort.Summary  `json:"cohort,omitempty"`
	VIP      *VIPSection      `json:"vip,omitempty"`
	Basket   *BasketSection   `json:"basket,omitempty"`
	Forecast *ForecastSection `json:"forecast,omitempty"`

	// Warnings name reports that could not be computed (the run delivered
	// the others) and fits that ran but should not be read as plain
	// results (fallback models, parameters at a bound). Always a list.
	Warnings []Warning `json:"warnings"`

	// Truncated is true when Bound had to cut lists to fit the size budget;
	// TruncatedFields names what was cut (JSON paths like "cohort.cohorts").
	Truncated       bool     `json:"truncated"`
	TruncatedFields []string `json:"truncatedFields,omitempty"`
}

// Run describes the run that produced the document.
type Run struct {
	Method          string     `json:"method"`  // rfm, valuematrix, lifecycle, kmeans, clv
	Reports         []string   `json:"reports"` // kpi, pareto, cohort, vip, basket, forecast
	AsOf            time.Time  `json:"asOf"`    // reference time for recency
	CalibrationEnd  *time.Time `json:"calibrationEnd,omitempty"`
	TimeUnit        string     `json:"timeUnit,omitempty"` // day, week or month (CLV)
	StartedAt       time.Time  `json:"startedAt"`
	FinishedAt      time.Time  `json:"finishedAt"`
	DurationSeconds float64    `json:"durationSeconds"`
	Engine          string     `json:"engine"` // engine version string
}

// Input describes what was read and what was refused.
type Input struct {
	Sources      []Source `json:"sources"`
	Rows         int64    `json:"rows"`         // rows read, including rejected
	Transactions int64    `json:"transactions"` // accepted lines
	Customers    int64    `json:"customers"`
	// Rejected counts refused rows by reason (keys are txn.RejectReason values).
	Rejected      map[txn.RejectReason]int64 `json:"rejected"`
	RejectSamples []txn.RejectSample         `json:"rejectSamples"`
	// Netted counts accepted refund lines by kind (refund, cancellation,
	// return) when refunds are netted; absent when there were none.
	Netted map[txn.RejectReason]int64 `json:"netted,omitempty"`
	// OrderUnit says what one order is: "order" (a distinct order ID of the
	// customer; a line without one is an order of its own), "line" (no
	// order column: every purchase line) or "day" (merge-same-day: a
	// purchase day).
	OrderUnit string `json:"orderUnit"`
	// NonPositiveNetCustomers counts customers whose net spend (refunds
	// netted) is zero or less; CLV leaves them out of the Gamma-Gamma fit.
	NonPositiveNetCustomers int64 `json:"nonPositiveNetCustomers"`
}

// Order units (Input.OrderUnit).
const (
	OrderUnitOrder = "order"
	OrderUnitLine  = "line"
	OrderUnitDay   = "day"
)

// Source names one input of the run.
type Source struct {
	Name    string `json:"name"`
	Channel string `json:"channel,omitempty"`
	Format  string `json:"format,omitempty"`
}

// Segment is one group of the method with its size and revenue.
type Segment struct {
	Name         string  `json:"name"`
	Customers    int64   `json:"customers"`
	Revenue      float64 `json:"revenue"`
	RevenueShare float64 `json:"revenueShare"`
}

// New returns an empty document with the version fields set and empty lists
// (never null) where the contract promises a list.
func New() *Document {
	return &Document{
		APIVersion: APIVersion,
		Kind:       Kind,
		Run:        Run{Reports: []string{}},
		Input:      Input{Sources: []Source{}, Rejected: map[txn.RejectReason]int64{}, RejectSamples: []txn.RejectSample{}},
		Segments:   []Segment{},
		Warnings:   []Warning{},
	}
}

// Warning is one entry of Document.Warnings.
type Warning struct {
	// Report is the method or report the warning is about (kpi, forecast,
	// clv, …).
	Report string `json:"report"`
	// Reason says what happened and, where known, the likely cause.
	Reason string `json:"reason"`
	// Failed is true when the report is missing from the document because
	// it could not be computed; false for a delivered report with a caveat.
	Failed bool `json:"failed,omitempty"`
}

// Warn appends a warning about report.
func (d *Document) Warn(report, reason string) {
	d.Warnings = append(d.Warnings, Warning{Report: report, Reason: reason})
}
