package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
)

// subCentLines returns 4000 order lines with amounts of three decimals
// (deterministic pseudo-random), their exact total in thousandths and the
// exact total per month (key yyyy-mm).
func subCentLines() ([]byte, int64, map[string]int64) {
	var b strings.Builder
	b.WriteString("customer_id,order_id,timestamp,amount\n")
	var total int64
	months := map[string]int64{}
	x := uint64(7)
	for i := 0; i < 4000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		// Spend varies by customer (Gamma-Gamma needs a spread to fit).
		milli := (int64(x>>33)%9999 + 1) * int64(1+i%40) * int64(1+i%7)
		d := time.Date(2022, 1, 1, 10, 0, 0, 0, time.UTC).AddDate(0, 0, i%730)
		fmt.Fprintf(&b, "c%d,o%d,%s,%d.%03d\n", i%40, i, d.Format(time.DateOnly), milli/1000, milli%1000)
		total += milli
		months[d.Format("2006-01")] += milli
	}
	return []byte(b.String()), total, months
}

func milliString(m int64) string {
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}

// TestMoneySumsExact: money sums in the result document read back as the
// exact decimal sums of sub-cent lines (a plain float sum of the same lines
// shows binary noise), and no money field carries more than four decimals.
func TestMoneySumsExact(t *testing.T) {
	raw, total, months := subCentLines()
	var naive float64
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		v, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ',')+1:], 64)
		naive += v
	}
	if strconv.FormatFloat(naive, 'f', -1, 64) == milliString(total) {
		t.Fatalf("test data too easy: the float sum %v is exact", naive)
	}
	src := []input.Source{input.BytesSource("lines.csv", raw, input.Options{}, "")}
	asOf := time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, method := range []Method{RFM, CLV, KMeans} {
		cfg := Config{Sources: src, Method: method, AsOf: asOf, Reports: []Report{KPI, Forecast, Cohort}, Now: fixedClock()}
		doc, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"revenue":` + milliString(total) + `,`; !strings.Contains(string(js), want) {
			t.Errorf("%s: KPI revenue %v, want %s", method, doc.KPI.Revenue, milliString(total))
		}
		var segSum int64
		for _, s := range doc.Segments {
			segSum += decimals(t, "segment revenue", s.Revenue)
		}
		if segSum != total*10 {
			t.Errorf("%s: segment revenues sum to %d ten-thousandths, want %d", method, segSum, total*10)
		}
		for _, h := range doc.Forecast.History {
			if want := months[h.Start.Format("2006-01")]; decimals(t, "forecast history", h.Revenue) != want*10 {
				t.Errorf("%s: %s revenue %v, want %s", method, h.Start.Format("2006-01"), h.Revenue, milliString(want))
			}
		}
		for _, p := range doc.Forecast.Forecast {
			decimals(t, "forecast value", p.Value)
			decimals(t, "forecast lower", p.Lower)
		}
		decimals(t, "kpi aov", doc.KPI.AverageOrderValue)
		decimals(t, "kpi revenue per customer", doc.KPI.RevenuePerCustomer)
		if k := doc.KMeans; k != nil {
			for f, name := range k.Features {
				for _, c := range k.Clusters {
					if name == "monetary" {
						decimals(t, "kmeans monetary centroid", c.Centroid[f])
					}
				}
			}
		}
		if c := doc.CLV; c != nil {
			if decimals(t, "clv totalHistoric", c.TotalHistoric) != total*10 {
				t.Errorf("clv totalHistoric %v, want %s", c.TotalHistoric, milliString(total))
			}
			decimals(t, "clv meanClv", c.MeanCLV)
			decimals(t, "clv totalClv", c.TotalCLV)
		}
	}
}

// decimals returns v in ten-thousandths and fails when its shortest decimal
// form has more than four decimals (binary noise or unrounded output).
func decimals(t *testing.T, what string, v float64) int64 {
	t.Helper()
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 4 {
		t.Errorf("%s = %s: more than four decimals", what, s)
	}
	return int64(math.Round(v * 1e4))
}
