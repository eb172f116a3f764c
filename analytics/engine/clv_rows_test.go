package engine

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"strconv"
	"testing"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
)

// TestCLVRowsCheckableAgainstCDNOW: the per-customer output carries the
// model's inputs at full precision, so any customer can be checked by hand.
// CDNOW customer 1 has x = 2, t_x = 30.43, T = 38.86 weeks (the published
// summary); with the published fit it expects 1.226 purchases in the next 39
// weeks (Fader, Hardie & Lee 2005). Recomputing from the row's own values and
// the document's fit must give the row's prediction and the published number.
func TestCLVRowsCheckableAgainstCDNOW(t *testing.T) {
	opts := input.Options{Delimiter: "whitespace", NoHeader: true, TimeLayout: "20060102"}
	var err error
	if opts.Mapping, err = input.ParseMapping("customer=2,time=3,amount=5"); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Sources:        []input.Source{input.FileSource("../../../shared/data/cdnow/CDNOW_sample.txt", opts, "")},
		Method:         CLV,
		CalibrationEnd: day("1997-09-30"),
	}
	var buf bytes.Buffer
	w, err := result.NewCSVWriter(&buf, Columns(cfg))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Run(context.Background(), cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.CLV.Degenerate) != 0 || len(doc.Warnings) != 0 {
		t.Errorf("sound CDNOW fit flagged: %q, warnings %+v", doc.CLV.Degenerate, doc.Warnings)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var row []string
	for _, r := range recs[1:] {
		if r[col["customer"]] == "1" || r[col["customer"]] == "0001" || r[col["customer"]] == "00001" {
			row = r
		}
	}
	if row == nil {
		t.Fatalf("customer 1 not in the output; first row %v", recs[1])
	}
	num := func(name string) float64 {
		v, err := strconv.ParseFloat(row[col[name]], 64)
		if err != nil {
			t.Fatalf("column %s: %v", name, err)
		}
		return v
	}
	x, tx, T := num("repeatPurchases"), num("recencyTx"), num("ageT")
	if x != 2 || math.Abs(tx-30.43) > 0.005 || math.Abs(T-38.86) > 0.005 {
		t.Errorf("inputs x=%v t_x=%v T=%v, published 2, 30.43, 38.86", x, tx, T)
	}
	bg := doc.CLV.BGNBD
	if got := bg.ExpectedPurchases(int(x), tx, T, 39); math.Abs(got-1.226) > 0.0005 {
		t.Errorf("E[purchases in 39 weeks] = %.4f, published 1.226", got)
	}
	// The row's prediction, from its own printed inputs: full precision
	// makes the recomputation agree to rounding error.
	if want := bg.ExpectedPurchases(int(x), tx, T, doc.CLV.Horizon); math.Abs(num("expectedPurchases")-want) > 1e-12 {
		t.Errorf("expectedPurchases %v, recomputed %v", num("expectedPurchases"), want)
	}
	if want := bg.PAlive(int(x), tx, T); num("pAlive") != want {
		t.Errorf("pAlive %v, recomputed %v", num("pAlive"), want)
	}
	if !(num("expectedSpend") > 0) {
		t.Errorf("expectedSpend %v", num("expectedSpend"))
	}
}
