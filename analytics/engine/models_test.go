package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/result"
)

// withModels replaces registered models for one test and restores the
// originals afterwards.
func withModels(t *testing.T, ms map[string]Model) {
	t.Helper()
	saved := map[string]Model{}
	modelsMu.Lock()
	for name := range ms {
		if m, ok := models[name]; ok {
			saved[name] = m
			delete(models, name)
		}
	}
	modelsMu.Unlock()
	for name, m := range ms {
		Register(name, m)
	}
	t.Cleanup(func() {
		modelsMu.Lock()
		defer modelsMu.Unlock()
		for name := range ms {
			delete(models, name)
			if m, ok := saved[name]; ok {
				models[name] = m
			}
		}
	})
}

// withoutModels unregisters models for one test.
func withoutModels(t *testing.T, names ...string) {
	t.Helper()
	modelsMu.Lock()
	defer modelsMu.Unlock()
	saved := map[string]Model{}
	for _, n := range names {
		saved[n] = models[n]
		delete(models, n)
	}
	t.Cleanup(func() {
		modelsMu.Lock()
		defer modelsMu.Unlock()
		for n, m := range saved {
			models[n] = m
		}
	})
}

func TestRegisteredModels(t *testing.T) {
	var sawHistory bool
	withModels(t, map[string]Model{
		"kmeans": {
			NeedsHistory: true,
			Columns:      []result.Column{result.ColCluster},
			Run: func(_ context.Context, _ *Config, set *customer.Set, _ time.Time) (Output, error) {
				sawHistory = set.Customers[0].History != nil
				return Output{
					Section:  &result.KMeansSection{Seed: 2},
					Segments: []result.Segment{{Name: "cluster 0", Customers: 2}, {Name: "cluster 1", Customers: 1}},
					Fill:     func(i int, r *result.Row) { r.Cluster = i % 2 },
				}, nil
			},
		},
		"forecast": {
			Run: func(context.Context, *Config, *customer.Set, time.Time) (Output, error) {
				return Output{Section: &result.ForecastSection{Unit: "day"}}, nil
			},
		},
		"vip": {
			Run: func(context.Context, *Config, *customer.Set, time.Time) (Output, error) {
				return Output{}, errors.New("boom")
			},
		},
		"basket": {
			Run: func(context.Context, *Config, *customer.Set, time.Time) (Output, error) {
				return Output{Section: map[string]int{"rules": 1}}, nil
			},
		},
	})
	cfg := shopConfig()
	cfg.Method = KMeans
	cfg.Reports = []Report{Forecast}
	var buf bytes.Buffer
	w, err := result.NewCSVWriter(&buf, Columns(cfg))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Run(context.Background(), cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	if !sawHistory {
		t.Error("model asking for history got a set without it")
	}
	if doc.KMeans == nil || doc.KMeans.Seed != 2 || doc.Forecast == nil || doc.Forecast.Unit != "day" || len(doc.Segments) != 2 || doc.RFM != nil {
		t.Errorf("doc = %+v", doc)
	}
	if !strings.HasSuffix(strings.SplitN(buf.String(), "\n", 2)[0], ",cluster") || !strings.Contains(buf.String(), "\nb,") {
		t.Errorf("per-customer = %s", buf.String())
	}
	cfg.Reports = []Report{VIP}
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "report vip: boom") {
		t.Errorf("failing report: err = %v", err)
	}
	cfg.Reports = []Report{Basket}
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "basket: model returned a map[string]int section") {
		t.Errorf("section of the wrong type: err = %v", err)
	}
}

func TestRegisterRefusesBadNames(t *testing.T) {
	for _, name := range []string{"rfm", "weather", "clv"} { // clv: already registered
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			Register(name, Model{Run: func(context.Context, *Config, *customer.Set, time.Time) (Output, error) { return Output{}, nil }})
		}()
	}
}
