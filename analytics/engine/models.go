package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/result"
)

// Model is a method or report implemented in another package (CLV, K-means,
// VIP, basket, forecast). Wiring one is a file in this package that calls
// Register from init with an adapter around the package's API.
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

// Register makes a model available under one of the names kmeans, clv, vip,
// basket or forecast. It panics on other names or a second registration, as
// both are programming errors.
func Register(name string, m Model) {
	switch name {
	case string(KMeans), string(CLV), string(VIP), string(Basket), string(Forecast):
	default:
		panic(fmt.Sprintf("engine.Register: %q is not a pluggable method or report", name))
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
