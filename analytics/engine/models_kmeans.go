package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/kmeans"
	"github.com/crmlens/crmlens/analytics/result"
)

func init() {
	Register(string(KMeans), Model{
		Columns: []result.Column{result.ColCluster, result.ColSegment},
		Run:     runKMeans,
	})
}

// KMeansFeature names a per-customer feature the kmeans method can cluster.
type KMeansFeature string

// The k-means features.
const (
	// FeatureRecency is whole days from the last purchase day to as-of.
	FeatureRecency KMeansFeature = "recency"
	// FeatureFrequency is the customer's orders.
	FeatureFrequency KMeansFeature = "frequency"
	// FeatureMonetary is the customer's revenue.
	FeatureMonetary KMeansFeature = "monetary"
	// FeatureAverageOrderValue is revenue / orders.
	FeatureAverageOrderValue KMeansFeature = "averageOrderValue"
	// FeatureTenure is whole days from the first purchase day to as-of.
	FeatureTenure KMeansFeature = "tenure"
	// FeatureInterPurchaseTime is the mean days between orders, (last -
	// first) / (orders - 1); for a one-order customer, days since that order
	// (the gap so far).
	FeatureInterPurchaseTime KMeansFeature = "interPurchaseTime"
)

// KMeansFeatures lists every feature, in documentation order.
var KMeansFeatures = []KMeansFeature{FeatureRecency, FeatureFrequency, FeatureMonetary, FeatureAverageOrderValue, FeatureTenure, FeatureInterPurchaseTime}

// DefaultKMeansFeatures are clustered when KMeansParams.Features is empty.
var DefaultKMeansFeatures = []KMeansFeature{FeatureRecency, FeatureFrequency, FeatureMonetary}

// kmeansFeature is how one feature is measured, transformed and worded.
type kmeansFeature struct {
	words kmeans.Feature
	// log clusters the feature on log(1 + x): orders and money are heavily
	// right-skewed (a few big customers would otherwise get clusters of
	// their own).
	log   bool
	value func(c *customer.Customer, asOf customer.Day) float64
}

var kmeansFeatureDefs = map[KMeansFeature]kmeansFeature{
	FeatureRecency: {kmeans.Feature{Name: "recency", High: "lapsed", Low: "recent"}, false,
		func(c *customer.Customer, asOf customer.Day) float64 { return float64(asOf - customer.DayOf(c.Last)) }},
	FeatureFrequency: {kmeans.Feature{Name: "frequency", High: "frequent", Low: "infrequent"}, true,
		func(c *customer.Customer, _ customer.Day) float64 { return float64(c.Orders) }},
	FeatureMonetary: {kmeans.Feature{Name: "monetary", High: "high spend", Low: "low spend"}, true,
		func(c *customer.Customer, _ customer.Day) float64 { return c.Revenue.Float() }},
	FeatureAverageOrderValue: {kmeans.Feature{Name: "averageOrderValue", High: "large baskets", Low: "small baskets"}, true,
		func(c *customer.Customer, _ customer.Day) float64 {
			if c.Orders <= 0 {
				return 0
			}
			return c.Revenue.Float() / float64(c.Orders)
		}},
	FeatureTenure: {kmeans.Feature{Name: "tenure", High: "long-standing", Low: "new"}, false,
		func(c *customer.Customer, asOf customer.Day) float64 { return float64(asOf - customer.DayOf(c.First)) }},
	FeatureInterPurchaseTime: {kmeans.Feature{Name: "interPurchaseTime", High: "long gaps", Low: "short gaps"}, false,
		func(c *customer.Customer, asOf customer.Day) float64 {
			if c.Orders <= 1 {
				return float64(asOf - customer.DayOf(c.Last))
			}
			return float64(customer.DayOf(c.Last)-customer.DayOf(c.First)) / float64(c.Orders-1)
		}},
}

func (p KMeansParams) features() []KMeansFeature {
	if len(p.Features) == 0 {
		return DefaultKMeansFeatures
	}
	return p.Features
}

// runKMeans clusters customers on the configured features (see
// kmeansFeatureDefs for each one's measure and transform); each cluster is a
// segment named by its index and plain label.
func runKMeans(_ context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
	cs := set.Customers
	if len(cs) == 0 {
		return Output{}, fmt.Errorf("no customers to cluster")
	}
	p := cfg.KMeans
	feats := p.features()
	defs := make([]kmeansFeature, len(feats))
	words := make([]kmeans.Feature, len(feats))
	transform := make([]string, len(feats))
	for j, f := range feats {
		defs[j] = kmeansFeatureDefs[f]
		words[j] = defs[j].words
		transform[j] = "none"
		if defs[j].log {
			transform[j] = "log1p"
		}
	}
	kc := kmeans.Config{Features: words, K: p.K, MinK: p.MinK, MaxK: p.MaxK, Seed: p.Seed, Restarts: p.Restarts, MaxIter: p.MaxIterations, Workers: cfg.Workers}
	if kc.K == 0 && kc.MaxK == 0 {
		kc.MaxK = max(8, kc.MinK)
	}
	if kc.K == 0 && len(cs) < max(kc.MinK, 2) {
		kc.K = len(cs) // too few customers for a choice: one cluster each
	} else if kc.K == 0 && kc.MaxK > len(cs) {
		kc.MaxK = len(cs)
	}
	if kc.K > len(cs) {
		return Output{}, fmt.Errorf("k = %d exceeds the %d customers", kc.K, len(cs))
	}
	today := customer.DayOf(asOf) // recency counts to the resolved as-of
	d := len(feats)
	x := make([]float64, 0, d*len(cs))
	for i := range cs {
		for _, f := range defs {
			v := f.value(&cs[i], today)
			if f.log {
				v = math.Log1p(max(v, 0)) // net refunds can make money negative
			}
			x = append(x, v)
		}
	}
	res, labels, err := kmeans.Fit(x, kc)
	if err != nil {
		return Output{}, err
	}
	for j := range res.Clusters {
		c := res.Clusters[j].Centroid
		for f := range defs {
			if defs[f].log {
				c[f] = math.Expm1(c[f]) // back to orders and currency
			}
		}
	}
	segs := make([]result.Segment, len(res.Clusters))
	for j, c := range res.Clusters {
		segs[j].Name = fmt.Sprintf("%d: %s", c.Index, c.Label)
	}
	var total float64
	for i := range cs {
		rev := cs[i].Revenue.Float()
		total += rev
		segs[labels[i]].Customers++
		segs[labels[i]].Revenue += rev
	}
	for j := range segs {
		if total > 0 {
			segs[j].RevenueShare = segs[j].Revenue / total
		}
	}
	return Output{
		Section:  &result.KMeansSection{Result: res, Seed: p.Seed, Transform: transform},
		Segments: segs,
		Fill: func(i int, r *result.Row) {
			r.Cluster = labels[i]
			r.Segment = segs[labels[i]].Name
		},
	}, nil
}

func (p KMeansParams) validateFeatures() error {
	fs := p.features()
	if len(fs) < 2 {
		return fmt.Errorf("kmeans features %v: want at least two", fs)
	}
	for i, f := range fs {
		if _, ok := kmeansFeatureDefs[f]; !ok {
			return fmt.Errorf("kmeans feature %q: want one of %s", f, join(KMeansFeatures))
		}
		if slices.Contains(fs[:i], f) {
			return fmt.Errorf("kmeans feature %q listed twice", f)
		}
	}
	if p.Restarts < 0 || p.MaxIterations < 0 {
		return fmt.Errorf("kmeans restarts %d and max iterations %d: want ≥ 1 (0: the defaults)", p.Restarts, p.MaxIterations)
	}
	return nil
}
