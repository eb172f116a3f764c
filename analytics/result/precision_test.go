package result

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestCLVColumnsFullPrecision: the CLV columns read back as the very same
// float64 (a near-dead customer's P(alive) of 1e-9 is not rounded to 0), and
// a customer the model could not score has empty fields.
func TestCLVColumnsFullPrecision(t *testing.T) {
	cols := []Column{ColCustomer, ColPAlive, ColExpectedPurchases, ColCLV, ColRepeatPurchases, ColRecencyTx, ColAgeT, ColExpectedSpend}
	r := Row{Customer: "1", PAlive: 1.2345678901234567e-9, ExpectedPurchases: 1.2259999999999999, CLV: 0.1 + 0.2,
		RepeatPurchases: 2, RecencyTx: 30.428571428571427, AgeT: 38.857142857142854, ExpectedSpend: 35.07975}
	nan := math.NaN()
	unscored := Row{Customer: "2", PAlive: nan, ExpectedPurchases: nan, CLV: nan, RepeatPurchases: nan, RecencyTx: nan, AgeT: nan, ExpectedSpend: nan}
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf, cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&r); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&unscored); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if lines[0] != "customer,pAlive,expectedPurchases,clv,repeatPurchases,recencyTx,ageT,expectedSpend" || lines[2] != "2,,,,,,," {
		t.Fatalf("csv:\n%s", buf.String())
	}
	f := strings.Split(lines[1], ",")
	for i, want := range []float64{r.PAlive, r.ExpectedPurchases, r.CLV, r.RepeatPurchases, r.RecencyTx, r.AgeT, r.ExpectedSpend} {
		got, err := strconv.ParseFloat(f[i+1], 64)
		if err != nil || got != want {
			t.Errorf("column %s = %q, reads back %v, want %v", cols[i+1], f[i+1], got, want)
		}
	}
	if f[4] != "2" {
		t.Errorf("repeatPurchases = %q, want 2", f[4])
	}
}

func TestRound4(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{8310477.053999997, 8310477.054},
		{0.1 + 0.2, 0.3},
		{-2.00005, -2.0001},
		{12.34566, 12.3457},
		{math.Inf(1), math.Inf(1)},
	}
	for _, tt := range tests {
		if got := Round4(tt.in); got != tt.want {
			t.Errorf("Round4(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := strconv.FormatFloat(Round4(8310477.053999997), 'f', -1, 64); got != "8310477.054" {
		t.Errorf("printed %s", got)
	}
}
