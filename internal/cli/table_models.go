package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/result"
)

// maxTableRows bounds the basket rules and forecast steps printed.
const maxTableRows = 10

// writeModelTables prints the clv, kmeans, vip, basket and forecast sections.
func writeModelTables(w io.Writer, doc *result.Document) {
	if c := doc.CLV; c != nil {
		bg, gg := c.BGNBD, c.GammaGamma
		fmt.Fprintf(w, "\nCLV, calibration to %s, %d customers (%d repeat), time unit %s\n", c.CalibrationEnd, c.Customers, c.RepeatCustomers, c.Unit)
		fmt.Fprintf(w, "BG/NBD\tr %.4f, alpha %.4f, a %.4f, b %.4f, log-likelihood %.2f\n", bg.R, bg.Alpha, bg.A, bg.B, bg.LogLikelihood)
		fmt.Fprintf(w, "Gamma-Gamma\tp %.4f, q %.4f, gamma %.4f, log-likelihood %.2f\n", gg.P, gg.Q, gg.Gamma, gg.LogLikelihood)
		fmt.Fprintf(w, "predicted value over %.4g %ss\ttotal %.2f, mean %.2f (historic %.2f)\n", c.Horizon, c.Unit, c.TotalCLV, c.MeanCLV, c.TotalHistoric)
		if len(c.PAliveDeciles) == 11 && len(c.CLVDeciles) == 11 {
			fmt.Fprintf(w, "median P(alive), CLV\t%.3f, %.2f\n", c.PAliveDeciles[5], c.CLVDeciles[5])
		}
		if h := c.Holdout; h != nil {
			fmt.Fprintf(w, "holdout (%.4g %ss)\tpredicted %.1f purchases, actual %.0f\n", h.Length, c.Unit, h.Predicted, h.Actual)
		}
		if c.NotScored > 0 {
			fmt.Fprintf(w, "not scored\t%d customers first bought after the calibration end\n", c.NotScored)
		}
	}
	if k := doc.KMeans; k != nil {
		fmt.Fprintf(w, "\nK-means: k = %d", k.K)
		if len(k.Candidates) > 0 {
			fmt.Fprintf(w, " (silhouette %.3f over k = %d…%d)", k.Silhouette, k.Candidates[0].K, k.Candidates[len(k.Candidates)-1].K)
		}
		fmt.Fprintf(w, "\nCLUSTER\tSIZE\t%s\n", strings.ToUpper(strings.Join(k.Features, "\t")))
		for _, c := range k.Clusters {
			fmt.Fprintf(w, "%d: %s\t%d", c.Index, c.Label, c.Size)
			for _, v := range c.Centroid {
				fmt.Fprintf(w, "\t%.1f", v)
			}
			fmt.Fprintln(w)
		}
	}
	if v := doc.VIP; v != nil {
		fmt.Fprintf(w, "\nVIPs: %d of %d customers, %s of %s, from %.2f\n", v.VIPs, v.Customers, pct(v.ValueShare), v.ValueBasis, v.MinValue)
		if d := v.Drops; d != nil {
			fmt.Fprintf(w, "activity drop ≥ %s in the last %d days\t%d of %d judged VIPs (frequency %d, spend %d)\n",
				pct(d.Config.Threshold), d.Config.RecentDays, d.Flagged, d.Judged, d.FrequencyFlag, d.SpendFlag)
		}
		if p := v.Profile; p != nil {
			for _, list := range []struct {
				name string
				n    int
			}{{"categories", len(p.Categories)}, {"channels", len(p.Channels)}} {
				var parts []string
				shares := p.Categories
				if list.name == "channels" {
					shares = p.Channels
				}
				for i := 0; i < min(5, list.n); i++ {
					parts = append(parts, fmt.Sprintf("%s %s", shares[i].Name, pct(shares[i].Share)))
				}
				fmt.Fprintf(w, "top %s\t%s\n", list.name, strings.Join(parts, ", "))
			}
			day, hour, best := 0, 0, int64(-1)
			for d, row := range p.WeekdayHour {
				for h, n := range row {
					if n > best {
						day, hour, best = d, h, n
					}
				}
			}
			if best > 0 {
				fmt.Fprintf(w, "busiest hour\t%s %02d:00 (%d lines)\n", time.Weekday((day+1)%7), hour, best)
			}
		} else if v.ProfileSkipped != "" {
			fmt.Fprintf(w, "profile\tskipped: %s\n", v.ProfileSkipped)
		}
	}
	if b := doc.Basket; b != nil {
		fmt.Fprintf(w, "\nBasket rules (%s, %s customers): %d baskets, %d rules\n", b.Item, b.Scope, b.Baskets, len(b.Rules))
		if len(b.Rules) > 0 {
			fmt.Fprintln(w, "RULE\tSUPPORT\tCONFIDENCE\tLIFT")
			for _, r := range b.Rules[:min(maxTableRows, len(b.Rules))] {
				fmt.Fprintf(w, "%s → %s\t%s\t%s\t%.2f\n", strings.Join(r.Antecedent, " + "), strings.Join(r.Consequent, " + "), pct(r.Support), pct(r.Confidence), r.Lift)
			}
		}
	}
	if f := doc.Forecast; f != nil {
		if f.Seasonality == "none" {
			fmt.Fprintf(w, "\nForecast: Holt linear trend, no season, over %d %ss; alpha %.3f, beta %.3f", f.Points, f.Unit, f.Params.Alpha, f.Params.Beta)
		} else {
			fmt.Fprintf(w, "\nForecast: Holt-Winters, %s seasonality over %d %ss (%d points); alpha %.3f, beta %.3f, gamma %.3f",
				f.Seasonality, f.Period, f.Unit, f.Points, f.Params.Alpha, f.Params.Beta, f.Params.Gamma)
		}
		fmt.Fprintf(w, "; in-sample RMSE %.2f", f.RMSE)
		if h := f.Holdout; h != nil {
			fmt.Fprintf(w, "; holdout (last %d) MAPE %s, RMSE %.2f", h.Steps, pct(h.MAPE), h.RMSE)
		}
		if len(f.Degenerate) > 0 {
			fmt.Fprintf(w, "\nDEGENERATE FIT, not a plain forecast: %s", strings.Join(f.Degenerate, "; "))
		}
		fmt.Fprintf(w, "\n%s\tFORECAST\t%s INTERVAL\n", strings.ToUpper(f.Unit), pct(f.Level))
		for _, p := range f.Forecast[:min(maxTableRows, len(f.Forecast))] {
			fmt.Fprintf(w, "%s\t%.2f\t%.2f … %.2f\n", p.Start.Format(time.DateOnly), p.Value, p.Lower, p.Upper)
		}
	}
}
