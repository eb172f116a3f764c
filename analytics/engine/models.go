package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/lifecycle"
	"github.com/crmlens/crmlens/analytics/pareto"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/valuematrix"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/result"
)

// Model is a method or report: every one (the built-in RFM, value matrix,
// lifecycle, KPI, Pareto and cohort in models_builtin.go, the adapters
// around CLV, K-means, VIP, basket and forecast in models_*.go) is an
// adapter around its package's API registered from init, and analyze runs
// each through the same path.
type Model struct {
	// NeedsHistory asks the aggregation to keep purchase days.
	NeedsHistory bool
	// Columns are the per-customer columns a method fills (reports: none).
	Columns []result.Column
	// Run analyses the set. asOf is the resolved reference time.
	Run func(ctx context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error)
}

// Output is what a Model returns.
type Output struct {
	// Section goes into the document under the model's name: a
	// *result.CLVSection, *result.KMeansSection, *result.VIPSection,
	// *result.BasketSection or *result.ForecastSection.
	Section any
	// Segments is a method's uniform group view (doc.Segments).
	Segments []result.Segment
	// Fill sets a method's per-customer fields of row r for
	// set.Customers[i]; nil for reports.
	Fill func(i int, r *result.Row)
	// Warnings are caveats on a delivered result (a fallback model, a fit
	// at a bound), each a sentence naming the cause; they go to the
	// document's warnings[] under the model's name.
	Warnings []string
}

var (
	modelsMu sync.RWMutex
	models   = map[string]Model{}
)

// Register makes a model available under the name of a method (Methods) or
// report (Reports). It panics on other names or a second registration, as
// both are programming errors.
func Register(name string, m Model) {
	if !slices.Contains(Methods, Method(name)) && !slices.Contains(Reports, Report(name)) {
		panic(fmt.Sprintf("engine.Register: %q is not a method or report", name))
	}
	if m.Run == nil {
		panic(fmt.Sprintf("engine.Register(%q): nil Run", name))
	}
	modelsMu.Lock()
	defer modelsMu.Unlock()
	if _, dup := models[name]; dup {
		panic(fmt.Sprintf("engine.Register: %q registered twice", name))
	}
	models[name] = m
}

func model(name string) (Model, bool) {
	modelsMu.RLock()
	defer modelsMu.RUnlock()
	m, ok := models[name]
	return m, ok
}

// setSection stores a model's section in the document field of its name; the
// section must be that field's type (*result.CLVSection for clv, …).
func setSection(doc *result.Document, name string, v any) error {
	ok := true
	switch name {
	case string(RFM):
		doc.RFM, ok = v.(*rfm.Summary)
	case string(ValueMatrix):
		doc.ValueMatrix, ok = v.(*valuematrix.Summary)
	case string(Lifecycle):
		doc.Lifecycle, ok = v.(*lifecycle.Summary)
	case string(KPI):
		doc.KPI, ok = v.(*kpi.Summary)
	case string(Pareto):
		doc.Pareto, ok = v.(*pareto.Summary)
	case string(Cohort):
		doc.Cohort, ok = v.(*cohort.Summary)
	case string(CLV):
		doc.CLV, ok = v.(*result.CLVSection)
	case string(KMeans):
		doc.KMeans, ok = v.(*result.KMeansSection)
	case string(VIP):
		doc.VIP, ok = v.(*result.VIPSection)
	case string(Basket):
		doc.Basket, ok = v.(*result.BasketSection)
	case string(Forecast):
		doc.Forecast, ok = v.(*result.ForecastSection)
	}
	if !ok {
		return fmt.Errorf("%s: model returned a %T section", name, v)
	}
	return nil
}
