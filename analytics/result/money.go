package result

import (
	"math"

	"github.com/crmlens/crmlens/analytics/txn"
)

// Money in the summary is written as JSON numbers that read back as exact
// decimals. Sums are accumulated in txn.Money (fixed point) where they are
// computed and converted once, so their shortest float encoding is the
// decimal itself (8310477.054, never 8310477.053999997). Averages and model
// outputs are rounded here to txn.Money's four decimals. Shares, rates and
// model parameters are not money and keep full precision.

// Round4 rounds v to four decimal places, the grid of txn.Money; NaN, ±Inf
// and magnitudes beyond exact float grid (|v| ≥ 1e11) pass unchanged.
func Round4(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e11 {
		return v
	}
	return float64(txn.MoneyFromFloat(v)) / txn.MoneyScale
}

func round4All(vs []float64) {
	for i := range vs {
		vs[i] = Round4(vs[i])
	}
}

// TidyMoney rounds every money field of d to four decimals. It is idempotent
// and leaves sums converted from txn.Money unchanged.
func TidyMoney(d *Document) {
	for i := range d.Segments {
		d.Segments[i].Revenue = Round4(d.Segments[i].Revenue)
	}
	if k := d.KPI; k != nil {
		k.Revenue = Round4(k.Revenue)
		k.AverageOrderValue = Round4(k.AverageOrderValue)
		k.RevenuePerCustomer = Round4(k.RevenuePerCustomer)
		if c := k.Campaign; c != nil {
			c.Cost = Round4(c.Cost)
			c.AttributedRevenue = Round4(c.AttributedRevenue)
		}
	}
	if r := d.RFM; r != nil {
		for i := range r.Segments {
			r.Segments[i].Revenue = Round4(r.Segments[i].Revenue)
		}
		for i := range r.Heatmap {
			r.Heatmap[i].MeanMonetary = Round4(r.Heatmap[i].MeanMonetary)
		}
		for i := range r.Bounds.Monetary {
			r.Bounds.Monetary[i].Min = Round4(r.Bounds.Monetary[i].Min)
			r.Bounds.Monetary[i].Max = Round4(r.Bounds.Monetary[i].Max)
		}
	}
	if v := d.ValueMatrix; v != nil {
		v.AOVThreshold = Round4(v.AOVThreshold)
		for i := range v.Quadrants {
			q := &v.Quadrants[i]
			q.Revenue, q.MeanAOV = Round4(q.Revenue), Round4(q.MeanAOV)
		}
	}
	if l := d.Lifecycle; l != nil {
		for i := range l.Stages {
			l.Stages[i].Revenue = Round4(l.Stages[i].Revenue)
		}
	}
	if c := d.Cohort; c != nil {
		for i := range c.Cohorts {
			round4All(c.Cohorts[i].Revenue)
		}
	}
	if c := d.CLV; c != nil {
		c.TotalCLV, c.MeanCLV, c.TotalHistoric = Round4(c.TotalCLV), Round4(c.MeanCLV), Round4(c.TotalHistoric)
		c.GammaGamma.MeanSpend = Round4(c.GammaGamma.MeanSpend)
		round4All(c.CLVDeciles)
	}
	if k := d.KMeans; k != nil {
		// Centroids are in original units: the money features' values are
		// model outputs in currency.
		for f, name := range k.Features {
			if !moneyFeature(name) {
				continue
			}
			for i := range k.Clusters {
				if c := k.Clusters[i].Centroid; f < len(c) {
					c[f] = Round4(c[f])
				}
			}
		}
	}
	if v := d.VIP; v != nil {
		v.MinValue, v.Value = Round4(v.MinValue), Round4(v.Value)
		if p := v.Profile; p != nil {
			p.Revenue = Round4(p.Revenue)
			for i := range p.Categories {
				p.Categories[i].Revenue = Round4(p.Categories[i].Revenue)
			}
			for i := range p.Channels {
				p.Channels[i].Revenue = Round4(p.Channels[i].Revenue)
			}
		}
	}
	if f := d.Forecast; f != nil {
		f.RMSE = Round4(f.RMSE)
		if h := f.Holdout; h != nil {
			h.RMSE = Round4(h.RMSE)
		}
		for i := range f.Forecast {
			p := &f.Forecast[i]
			p.Value, p.Lower, p.Upper = Round4(p.Value), Round4(p.Lower), Round4(p.Upper)
		}
		for i := range f.History {
			f.History[i].Revenue = Round4(f.History[i].Revenue)
		}
	}
}

// moneyFeature reports whether a K-means feature is an amount of money.
func moneyFeature(name string) bool {
	switch name {
	case "monetary", "aov", "revenue", "averageOrderValue":
		return true
	}
	return false
}
