package clv

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// ValueParams turns predicted purchases and spend into a discounted value.
type ValueParams struct {
	// Margin is the share of spend kept as profit, in (0, 1]. 0 means 1.
	Margin float64 `json:"margin"`
	// DiscountRate is the discount rate per period (0.01 = 1% per period).
	DiscountRate float64 `json:"discountRate"`
	// Periods is the number of periods in the horizon; 0 means 12.
	Periods int `json:"periods"`
	// PeriodLength is the length of one period in the time unit; 0 means 1.
	PeriodLength float64 `json:"periodLength"`
	// AcquisitionCost is subtracted once from every customer's value (set it to
	// 0 to value existing customers going forward).
	AcquisitionCost float64 `json:"acquisitionCost"`
	// RetentionCost is spent per period on every customer while they are alive;
	// it is weighted by today's P(alive) and discounted like revenue.
	RetentionCost float64 `json:"retentionCost"`
}

func (v ValueParams) withDefaults() (ValueParams, error) {
	if v.Margin == 0 {
		v.Margin = 1
	}
	if v.Periods == 0 {
		v.Periods = 12
	}
	if v.PeriodLength == 0 {
		v.PeriodLength = 1
	}
	switch {
	case !(v.Margin > 0 && v.Margin <= 1):
		return v, fmt.Errorf("clv: margin must be in (0, 1], got %g", v.Margin)
	case v.DiscountRate < 0 || math.IsNaN(v.DiscountRate):
		return v, fmt.Errorf("clv: discount rate must be ≥ 0, got %g", v.DiscountRate)
	case v.Periods < 0 || v.Periods > 10000:
		return v, fmt.Errorf("clv: periods must be in 1..10000, got %d", v.Periods)
	case !(v.PeriodLength > 0):
		return v, fmt.Errorf("clv: period length must be positive, got %g", v.PeriodLength)
	case v.AcquisitionCost < 0 || v.RetentionCost < 0:
		return v, errors.New("clv: costs must be ≥ 0")
	}
	return v, nil
}

// Horizon returns the horizon length in time units.
func (v ValueParams) Horizon() float64 { return float64(v.Periods) * v.PeriodLength }

// CustomerValue holds the per-customer predictions. It is returned apart from
// Result so that summaries never carry per-customer data.
type CustomerValue struct {
	PAlive            float64 `json:"pAlive"`
	ExpectedPurchases float64 `json:"expectedPurchases"` // over the horizon
	ExpectedSpend     float64 `json:"expectedSpend"`     // per purchase
	CLV               float64 `json:"clv"`               // discounted, net of costs
	Historic          float64 `json:"historic"`          // calibration-period spend
	// The model's own inputs (Summary): repeat purchases x, recency t_x and
	// age T in time units, so a customer can be checked against lifetimes
	// or CLVTools.
	X  int     `json:"x"`
	Tx float64 `json:"tx"`
	T  float64 `json:"T"`
}

// Value computes one customer's predictions from fitted models.
func Value(bg BGNBD, gg GammaGamma, s Summary, v ValueParams) (CustomerValue, error) {
	v, err := v.withDefaults()
	if err != nil {
		return CustomerValue{}, err
	}
	return value(bg, gg, s, v, discounts(v)), nil
}

func discounts(v ValueParams) []float64 {
	d := make([]float64, v.Periods+1)
	for i := 1; i <= v.Periods; i++ {
		d[i] = math.Pow(1+v.DiscountRate, -float64(i))
	}
	return d
}

// purchaseTerms returns P(alive), expected purchases over the horizon and the
// discounted expected purchases Σ (E[Y(i·L)] − E[Y((i−1)·L)]) / (1+d)^i.
func purchaseTerms(bg BGNBD, s Summary, v ValueParams, disc []float64) (pAlive, ep, discounted float64) {
	prev := 0.0
	for i := 1; i <= v.Periods; i++ {
		cur := bg.ExpectedPurchases(s.X, s.Tx, s.T, float64(i)*v.PeriodLength)
		discounted += (cur - prev) * disc[i]
		prev = cur
	}
	return bg.PAlive(s.X, s.Tx, s.T), prev, discounted
}

func combine(gg GammaGamma, s Summary, v ValueParams, disc []float64, pAlive, ep, discounted float64) CustomerValue {
	spend := gg.ExpectedSpend(s.X, s.Monetary)
	if s.X > 0 && s.Monetary <= 0 {
		spend = gg.ExpectedSpend(0, 0) // no usable own spend: population mean
	}
	keep := 0.0
	for i := 1; i <= v.Periods; i++ {
		keep += disc[i]
	}
	return CustomerValue{
		PAlive:            pAlive,
		ExpectedPurchases: ep,
		ExpectedSpend:     spend,
		CLV:               v.Margin*spend*discounted - v.RetentionCost*pAlive*keep - v.AcquisitionCost,
		Historic:          s.Historic,
		X:                 s.X,
		Tx:                s.Tx,
		T:                 s.T,
	}
}

func value(bg BGNBD, gg GammaGamma, s Summary, v ValueParams, disc []float64) CustomerValue {
	pa, ep, dp := purchaseTerms(bg, s, v, disc)
	return combine(gg, s, v, disc, pa, ep, dp)
}

// Values computes predictions for every summary in parallel; customers with the
// same (x, t_x, T) share the BG/NBD work, which is most of it.
func Values(bg BGNBD, gg GammaGamma, sums []Summary, v ValueParams, workers int) ([]CustomerValue, error) {
	v, err := v.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := bg.validate(); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	disc := discounts(v)
	out := make([]CustomerValue, len(sums))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := len(sums)*w/workers, len(sums)*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			type key struct {
				x     int
				tx, t float64
			}
			type terms struct{ pAlive, ep, discounted float64 }
			memo := map[key]terms{}
			for i := lo; i < hi; i++ {
				s := sums[i]
				k := key{s.X, s.Tx, s.T}
				m, ok := memo[k]
				if !ok {
					m.pAlive, m.ep, m.discounted = purchaseTerms(bg, s, v, disc)
					memo[k] = m
				}
				out[i] = combine(gg, s, v, disc, m.pAlive, m.ep, m.discounted)
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// Deciles returns 11 values: the minimum, the 10th…90th percentiles (nearest
// rank) and the maximum of xs. It returns nil for an empty input.
func Deciles(xs []float64) []float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	out := make([]float64, 11)
	for i := 0; i <= 10; i++ {
		rank := int(math.Ceil(float64(i) / 10 * float64(len(s))))
		if rank < 1 {
			rank = 1
		}
		out[i] = s[rank-1]
	}
	return out
}
