package engine

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

// TestKMeansFeatures: two groups with the same recency, orders and spend
// but different tenure. Clustered on the default R/F/M features, k = 2 cuts
// across the groups; clustered on tenure and frequency, it finds them.
func TestKMeansFeatures(t *testing.T) {
	asOf := day("2024-12-31")
	var cs []customer.Customer
	for g, firstDaysBefore := range []int{730, 30} {
		for i := 0; i < 20; i++ {
			cs = append(cs, customer.Customer{
				ID:      fmt.Sprintf("g%d-%02d", g, i),
				First:   asOf.AddDate(0, 0, -firstDaysBefore-i%2),
				Last:    asOf.AddDate(0, 0, -5-i%10),
				Orders:  int64(2 + i%5),
				Revenue: txn.MoneyFromFloat(float64(50 + 10*(i%7))),
			})
		}
	}
	tests := []struct {
		name      string
		features  []KMeansFeature
		transform []string
		names     []string
		separated bool
	}{
		{"default R/F/M", nil, []string{"none", "log1p", "log1p"}, []string{"recency", "frequency", "monetary"}, false},
		{"tenure and frequency", []KMeansFeature{FeatureTenure, FeatureFrequency}, []string{"none", "log1p"}, []string{"tenure", "frequency"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Method: KMeans, AsOf: asOf, KMeans: KMeansParams{K: 2, Seed: 1, Features: tt.features}}
			var buf bytes.Buffer
			w, _ := result.NewCSVWriter(&buf, Columns(cfg))
			doc, err := Analyze(context.Background(), cfg, &customer.Set{Customers: cs}, w)
			if err != nil {
				t.Fatal(err)
			}
			recs, _ := csv.NewReader(&buf).ReadAll()
			groups := map[string]map[string]bool{} // cluster → groups in it
			for _, r := range recs[1:] {
				c := r[len(r)-2]
				if groups[c] == nil {
					groups[c] = map[string]bool{}
				}
				groups[c][r[0][:2]] = true
			}
			mixed := false
			for _, g := range groups {
				mixed = mixed || len(g) > 1
			}
			// Every customer of one group has a twin in the other with the
			// same recency, orders and spend, so R/F/M clusters must mix them.
			if mixed == tt.separated {
				t.Errorf("clusters → groups %v; want separated = %v", groups, tt.separated)
			}
			sec := doc.KMeans
			if !reflect.DeepEqual(sec.Transform, tt.transform) || !reflect.DeepEqual(sec.Features, tt.names) {
				t.Errorf("features %v transform %v, want %v %v", sec.Features, sec.Transform, tt.names, tt.transform)
			}
			if tt.separated {
				if !strings.Contains(sec.Clusters[0].Label+sec.Clusters[1].Label, "long-standing") {
					t.Errorf("clusters %+v: want the two tenure groups", sec.Clusters)
				}
				for _, c := range sec.Clusters {
					if d := c.Centroid[0]; !(d > 720 && d < 740) && !(d > 25 && d < 35) {
						t.Errorf("tenure centroid %v days, want about 730 or 30", d)
					}
				}
			}
		})
	}
	bad := Config{Method: KMeans, KMeans: KMeansParams{Features: []KMeansFeature{FeatureRecency, "categoryBreadth"}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `kmeans feature "categoryBreadth"`) {
		t.Errorf("unknown feature: err = %v", err)
	}
}
