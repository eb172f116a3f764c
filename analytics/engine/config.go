// Package engine runs one analysis: it reads and cleans the sources into a
// per-customer view (analytics/aggregate), runs the chosen segmentation
// method and the requested reports, streams the per-customer part to a
// result.CustomerWriter and returns the bounded summary document.
//
// It knows nothing about command lines or Kubernetes: the `crmlens analyze`
// CLI and the operator's Job runner both fill a Config and call Run (or
// Analyze, for a customer.Set built elsewhere, e.g. aggregated in SQL).
//
// Every method and report is an adapter around its package registered with
// Register (see Model): RFM, value matrix, lifecycle, KPI, Pareto and
// cohort in models_builtin.go, K-means, CLV, VIP, basket and forecast in
// models_*.go; analyze dispatches all of them the same way, and a name
// without a registered model fails with ErrNotAvailable before any data is
// read. The VIP profile and basket rules read the raw
// sources a second time (aggregate.Scan), so a set built elsewhere (Analyze)
// gets them only when cfg.Sources can be opened.
package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/lifecycle"
	"github.com/crmlens/crmlens/analytics/pareto"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/valuematrix"
)

// Version names the engine in result documents; set at build time with
// -ldflags "-X github.com/crmlens/crmlens/analytics/engine.Version=…".
var Version = "dev"

// Method is a segmentation method.
type Method string

// The methods.
const (
	RFM         Method = "rfm"
	ValueMatrix Method = "valuematrix"
	Lifecycle   Method = "lifecycle"
	KMeans      Method = "kmeans"
	CLV         Method = "clv"
)

// Methods lists every method name, in documentation order.
var Methods = []Method{RFM, KMeans, ValueMatrix, Lifecycle, CLV}

// Report is an optional report.
type Report string

// The reports.
const (
	KPI      Report = "kpi"
	VIP      Report = "vip"
	Pareto   Report = "pareto"
	Cohort   Report = "cohort"
	Forecast Report = "forecast"
	Basket   Report = "basket"
)

// Reports lists every report name, in documentation order.
var Reports = []Report{KPI, VIP, Pareto, Cohort, Forecast, Basket}

// ErrNotAvailable marks a method or report whose package is not wired into
// the engine yet.
var ErrNotAvailable = errors.New("not available yet")

// TimeUnits are the accepted TimeUnit values.
var TimeUnits = []string{"day", "week", "month"}

// Config is everything one run needs.
type Config struct {
	Sources []input.Source
	// Rules are the cleaning rules; Rules.AsOf is set from AsOf when zero.
	Rules clean.Rules
	// Location is the analysis time zone (calendar days, months); nil = UTC.
	Location *time.Location
	// Workers parse one CSV file in parallel; 0 = GOMAXPROCS.
	Workers int

	Method  Method   // "" means RFM
	Reports []Report // in any order; duplicates are ignored

	// AsOf is the reference time for recency and the upper bound of the data
	// window. Zero: Rules.AsOf, else the end of the last purchase day found.
	AsOf time.Time
	// CalibrationEnd ends the CLV fitting period (zero: AsOf).
	CalibrationEnd time.Time
	// TimeUnit is the CLV time unit: day, week (default) or month.
	TimeUnit string

	// Method and report parameters; zero values take each package's defaults.
	SegmentMap     *rfm.SegmentMap // nil: the standard 11-segment map
	RFM            rfm.Options     // method rfm: the monetary basis
	ValueMatrix    valuematrix.Params
	Lifecycle      lifecycle.Params
	PreviousStages map[string]lifecycle.Stage // previous lifecycle assignment, for transitions
	KPI            kpi.Params
	Contacts       []kpi.Contact // campaign contacts; nil: no campaign KPIs
	// Exclude, when set, names customers left out of the analysis entirely
	// (the suppression list of erased customers).
	Exclude func(id string) bool
	// ContactsReport, when set, is what reading Contacts refused; it is
	// copied into the campaign KPIs.
	ContactsReport *kpi.ContactsReport
	Pareto         pareto.Params
	Cohort         cohort.Params  // report cohort: period and count
	CLV            CLVParams      // method clv
	KMeans         KMeansParams   // method kmeans
	VIP            VIPParams      // report vip
	Basket         BasketParams   // report basket
	Forecast       ForecastParams // report forecast

	// MaxSummaryBytes bounds the summary document; 0 = result.DefaultMaxBytes.
	MaxSummaryBytes int

	// Progress, when set, receives progress events (from one goroutine at a time).
	Progress func(Event)
	// Now is the clock for run metadata; nil = time.Now.
	Now func() time.Time

	// segmentOf is the method's segment of customer i, set by the engine
	// before the reports run (nil when the method assigns none).
	segmentOf func(i int) string
}

// Event reports progress of a run.
type Event struct {
	Stage string // "read", "analyze", "write", "done"
	Rows  int64  // rows read so far (read stage)
	Msg   string // human-readable detail
}

func (c *Config) method() Method {
	if c.Method == "" {
		return RFM
	}
	return c.Method
}

// reports returns the requested reports, deduplicated, in Reports order.
func (c *Config) reports() []Report {
	var out []Report
	for _, r := range Reports {
		if slices.Contains(c.Reports, r) {
			out = append(out, r)
		}
	}
	return out
}

func (c *Config) has(r Report) bool { return slices.Contains(c.Reports, r) }

// needsHistory reports whether the customer set must keep purchase days.
func (c *Config) needsHistory() bool {
	if c.has(KPI) && c.Contacts != nil {
		return true // campaign responses need purchase days
	}
	names := []string{string(c.method())}
	for _, r := range c.Reports {
		names = append(names, string(r))
	}
	for _, n := range names {
		if m, ok := model(n); ok && m.NeedsHistory {
			return true
		}
	}
	return false
}

// Validate checks names and parameters without reading any data.
func (c *Config) Validate() error {
	if !slices.Contains(Methods, c.method()) {
		return fmt.Errorf("method %q: want one of %s", c.Method, join(Methods))
	}
	for _, r := range c.Reports {
		if !slices.Contains(Reports, r) {
			return fmt.Errorf("report %q: want one of %s", r, join(Reports))
		}
	}
	if c.TimeUnit != "" && !slices.Contains(TimeUnits, c.TimeUnit) {
		return fmt.Errorf("time unit %q: want day, week or month", c.TimeUnit)
	}
	if !c.CalibrationEnd.IsZero() && !c.AsOf.IsZero() && c.CalibrationEnd.After(c.AsOf) {
		return fmt.Errorf("calibration end %s is after as-of %s", c.CalibrationEnd.Format(time.DateOnly), c.AsOf.Format(time.DateOnly))
	}
	if err := c.Lifecycle.Validate(); err != nil {
		return err
	}
	if err := c.RFM.Validate(); err != nil {
		return err
	}
	if err := c.Cohort.Validate(); err != nil {
		return err
	}
	if err := c.KPI.WithDefaults().Validate(); err != nil {
		return err
	}
	if err := c.validateModels(); err != nil {
		return err
	}
	if err := c.Rules.Validate(); err != nil {
		return fmt.Errorf("cleaning rules: %w", err)
	}
	for i, s := range c.Sources {
		if err := s.Options.Validate(); err != nil {
			return fmt.Errorf("source %d (%s): %w", i+1, s.Name, err)
		}
	}
	return nil
}

// available reports whether a method or report can run: registered with
// Register (every one is, from this package's init functions).
func available(name string) error {
	if _, ok := model(name); !ok {
		return fmt.Errorf("%s: %w (its package is not wired into the engine)", name, ErrNotAvailable)
	}
	return nil
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
