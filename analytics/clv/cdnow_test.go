package clv

import (
	"bufio"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

const cdnowDir = "../../../shared/data/cdnow/"

var cdnowCalEnd = time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)

// loadCDNOW parses CDNOW_sample.txt into per-customer same-day-merged
// histories, keyed by the sample id (column 2), in file order.
func loadCDNOW(t *testing.T) (ids []int, hist map[int][]customer.DayAmount) {
	t.Helper()
	f, err := os.Open(cdnowDir + "CDNOW_sample.txt")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CDNOW data missing: %v", err)
		}
		t.Skipf("CDNOW data missing: %v", err)
	}
	defer f.Close()
	hist = map[int][]customer.DayAmount{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			t.Fatalf("line %d: %d fields", line, len(fs))
		}
		id, err1 := strconv.Atoi(fs[1])
		day, err2 := time.Parse("20060102", fs[2])
		amt, err3 := strconv.ParseFloat(fs[4], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("line %d: %v %v %v", line, err1, err2, err3)
		}
		h, seen := hist[id]
		if !seen {
			ids = append(ids, id)
		}
		d := customer.DayOf(day)
		if n := len(h); n > 0 && h[n-1].Day == d {
			h[n-1].Amount += txn.MoneyFromFloat(amt)
			h[n-1].Orders++
		} else {
			if n > 0 && h[n-1].Day > d {
				t.Fatalf("line %d: dates not ascending within customer", line)
			}
			h = append(h, customer.DayAmount{Day: d, Amount: txn.MoneyFromFloat(amt), Orders: 1})
		}
		hist[id] = h
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ids, hist
}

func cdnowSummaries(t *testing.T) (ids []int, sums []Summary) {
	t.Helper()
	ids, hist := loadCDNOW(t)
	for _, id := range ids {
		s, ok, err := SummaryFrom(customer.Customer{History: hist[id]}, cdnowCalEnd, Week)
		if err != nil || !ok {
			t.Fatalf("customer %d: ok=%v err=%v", id, ok, err)
		}
		sums = append(sums, s)
	}
	return ids, sums
}

// TestCDNOWSummaryMatchesPublished reproduces cdnow_customers_summary.csv exactly.
func TestCDNOWSummaryMatchesPublished(t *testing.T) {
	ids, sums := cdnowSummaries(t)
	f, err := os.Open(cdnowDir + "cdnow_customers_summary.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows = rows[1:]
	if len(rows) != len(ids) {
		t.Fatalf("published summary has %d customers, data has %d", len(rows), len(ids))
	}
	byID := map[int]Summary{}
	for i, id := range ids {
		byID[id] = sums[i]
	}
	for _, r := range rows {
		id, _ := strconv.Atoi(r[0])
		want := r[1:]
		s, ok := byID[id]
		if !ok {
			t.Fatalf("customer %d missing", id)
		}
		got := []string{strconv.Itoa(s.X), strconv.FormatFloat(s.Tx, 'f', 2, 64), strconv.FormatFloat(s.T, 'f', 2, 64)}
		for j := range got {
			w, _ := strconv.ParseFloat(want[j], 64)
			g, _ := strconv.ParseFloat(got[j], 64)
			if w != g {
				t.Errorf("customer %d: got %v, published %v", id, got, want)
				break
			}
		}
	}
}

func sig3(t *testing.T, name string, got, want float64) {
	t.Helper()
	// Three significant digits: agree when both round to the same 3-digit value.
	digits := math.Floor(math.Log10(math.Abs(want)))
	scale := math.Pow(10, 2-digits)
	if math.Round(got*scale) != math.Round(want*scale) {
		t.Errorf("%s = %.6g, published %.6g (3 significant digits)", name, got, want)
	}
}

func TestCDNOWPublishedFits(t *testing.T) {
	_, sums := cdnowSummaries(t)
	bg, err := FitBGNBD(sums, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BG/NBD %+v", bg)
	sig3(t, "r", bg.R, 0.2426)
	sig3(t, "alpha", bg.Alpha, 4.4136)
	sig3(t, "a", bg.A, 0.7929)
	sig3(t, "b", bg.B, 2.4259)
	sig3(t, "LL", bg.LogLikelihood, -9582.43)

	gg, err := FitGammaGamma(sums, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Gamma-Gamma %+v", gg)
	if gg.Customers != 946 {
		t.Errorf("Gamma-Gamma fitted on %d customers, published 946", gg.Customers)
	}
	sig3(t, "p", gg.P, 6.25)
	sig3(t, "q", gg.Q, 3.74)
	sig3(t, "gamma", gg.Gamma, 15.44)
	sig3(t, "GG LL", gg.LogLikelihood, -4055.92)

	// Published example customer, evaluated at the published parameters and the fit.
	pub := BGNBD{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}
	sig3(t, "E[Y(39)] published params", pub.ExpectedPurchases(2, 30.43, 38.86, 39), 1.226)
	sig3(t, "E[Y(39)] fitted params", bg.ExpectedPurchases(2, 30.43, 38.86, 39), 1.226)
}
