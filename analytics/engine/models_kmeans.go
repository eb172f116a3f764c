package engine

import (
	"context"
	"fmt"
	"math"
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

// kmeansTransform names how each RFM feature is transformed before
// standardising: orders and revenue are heavily right-skewed (a few big
// customers would otherwise get clusters of their own), so they are
// clustered on log(1 + x).
var kmeansTransform = []string{"none", "log1p", "log1p"}

// runKMeans clusters customers on recency (days to as-of), orders and
// revenue (see kmeansTransform); each cluster is a segment named by its
// index and plain label.
func runKMeans(_ context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
	cs := set.Customers
	if len(cs) == 0 {
		return Output{}, fmt.Errorf("no customers to cluster")
	}
	p := cfg.KMeans
	kc := kmeans.Config{Features: kmeans.RFMFeatures, K: p.K, MinK: p.MinK, MaxK: p.MaxK, Seed: p.Seed, Workers: cfg.Workers}
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
	s := *set
	s.AsOf = asOf // recency counts to the resolved as-of
	x := kmeans.RFMMatrix(&s)
	for i := 0; i < len(x); i += 3 {
		x[i+1] = math.Log1p(max(x[i+1], 0))
		x[i+2] = math.Log1p(max(x[i+2], 0)) // net refunds can make revenue negative
	}
	res, labels, err := kmeans.Fit(x, kc)
	if err != nil {
		return Output{}, err
	}
	for j := range res.Clusters {
		c := res.Clusters[j].Centroid
		c[1], c[2] = math.Expm1(c[1]), math.Expm1(c[2]) // back to orders and currency
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
		Section:  &result.KMeansSection{Result: res, Seed: p.Seed, Transform: kmeansTransform},
		Segments: segs,
		Fill: func(i int, r *result.Row) {
			r.Cluster = labels[i]
			r.Segment = segs[labels[i]].Name
		},
	}, nil
}
