// Command bench-models times the crmlens statistical models on synthetic data
// and writes the same data (CSV) and its results (JSON) to a directory, so
// that compare.py can run scikit-learn and statsmodels on identical input.
//
// Usage: go run ./hack/bench-models -out DIR
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/crmlens/crmlens/analytics/clv"
	"github.com/crmlens/crmlens/analytics/forecast"
	"github.com/crmlens/crmlens/analytics/kmeans"
)

func main() {
	out := flag.String("out", "", "directory for data and results (required)")
	n := flag.Int("n", 1_000_000, "customers / points")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "bench-models: -out is required")
		os.Exit(2)
	}
	if err := run(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "bench-models:", err)
		os.Exit(1)
	}
}

func run(dir string, n int) error {
	results := map[string]any{}
	trueBG := clv.BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	trueGG := clv.GammaGamma{P: 6, Q: 4, Gamma: 15}
	for _, c := range []struct {
		name string
		grid float64
	}{{"continuous", 0}, {"day-granular", 1.0 / 7}} {
		sums, err := clv.Simulate(clv.SimConfig{BG: trueBG, GG: trueGG, N: n, MinT: 26, MaxT: 104, Grid: c.grid, Seed: 1})
		if err != nil {
			return err
		}
		t0 := time.Now()
		bg, err := clv.FitBGNBD(sums, clv.FitOptions{})
		if err != nil {
			return err
		}
		t1 := time.Now()
		gg, err := clv.FitGammaGamma(sums, clv.FitOptions{})
		if err != nil {
			return err
		}
		t2 := time.Now()
		if _, err := clv.Values(bg, gg, sums, clv.ValueParams{Margin: 0.3, DiscountRate: 0.01, Periods: 12, PeriodLength: 4}, 0); err != nil {
			return err
		}
		t3 := time.Now()
		fmt.Printf("CLV %-12s n=%d  fit BG/NBD %.2fs (r=%.4f α=%.4f a=%.4f b=%.4f) + Gamma-Gamma %.2fs (p=%.3f q=%.3f γ=%.3f) = %.2fs; per-customer CLV (12 periods) %.2fs\n",
			c.name, n, t1.Sub(t0).Seconds(), bg.R, bg.Alpha, bg.A, bg.B, t2.Sub(t1).Seconds(), gg.P, gg.Q, gg.Gamma, t2.Sub(t0).Seconds(), t3.Sub(t2).Seconds())
		results["clv_"+c.name] = map[string]any{"fitSeconds": t2.Sub(t0).Seconds(), "valuesSeconds": t3.Sub(t2).Seconds(), "bgnbd": bg, "gammaGamma": gg}
	}

	x := kmeans.SyntheticRFM(n, 8, 1)
	if err := writeMatrix(filepath.Join(dir, "kmeans.csv"), x, 3); err != nil {
		return err
	}
	t0 := time.Now()
	km, _, err := kmeans.Fit(x, kmeans.Config{Features: kmeans.RFMFeatures, K: 8, Seed: 1})
	if err != nil {
		return err
	}
	sec := time.Since(t0).Seconds()
	fmt.Printf("K-means n=%d d=3 k=8  %.2fs  inertia %.1f  iterations %d\n", n, sec, km.Inertia, km.Iterations)
	results["kmeans"] = map[string]any{"seconds": sec, "inertia": km.Inertia, "iterations": km.Iterations}

	const period, horizon = 52, 52
	y := forecast.SyntheticSeries(156, period, 1)
	if err := writeMatrix(filepath.Join(dir, "series.csv"), y, 1); err != nil {
		return err
	}
	truth := make([]float64, horizon)
	for i := range truth {
		truth[i] = forecast.SyntheticMean(len(y)+i, period)
	}
	hw := map[string]any{"period": period, "horizon": horizon, "truth": truth}
	for _, s := range []forecast.Seasonality{forecast.Additive, forecast.Multiplicative} {
		t0 := time.Now()
		m, err := forecast.Fit(y, forecast.Config{Period: period, Seasonality: s})
		if err != nil {
			return err
		}
		fc, err := m.Forecast(horizon, 0.95)
		if err != nil {
			return err
		}
		sec := time.Since(t0).Seconds()
		vals := make([]float64, len(fc))
		for i, p := range fc {
			vals[i] = p.Value
		}
		fmt.Printf("Holt-Winters %-14s 156 weekly points  %.4fs  α=%.3f β=%.3f γ=%.3f SSE=%.1f\n", s, sec, m.Params.Alpha, m.Params.Beta, m.Params.Gamma, m.SSE)
		hw[string(s)] = map[string]any{"seconds": sec, "params": m.Params, "sse": m.SSE, "forecast": vals,
			"initialLevel": m.InitialLevel, "initialTrend": m.InitialTrend, "initialSeasonal": m.InitialSeasonal}
	}
	results["holtWinters"] = hw
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go-results.json"), b, 0o644)
}

func writeMatrix(path string, x []float64, d int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	row := make([]string, d)
	for i := 0; i+d <= len(x); i += d {
		for j := range row {
			row[j] = strconv.FormatFloat(x[i+j], 'g', -1, 64)
		}
		if err := w.Write(row); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
