package objectstore

import (
	"bytes"
	"math"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/crmlens/crmlens/analytics/result"
)

// TestParquetCLVInputs: the CLV model inputs and expected spend are Parquet
// columns of the same names, at full precision, null for unscored customers.
func TestParquetCLVInputs(t *testing.T) {
	cols := []result.Column{result.ColCustomer, result.ColPAlive, result.ColRepeatPurchases, result.ColRecencyTx, result.ColAgeT, result.ColExpectedSpend}
	var buf bytes.Buffer
	w := newParquetWriter(&buf, cols)
	nan := math.NaN()
	in := []result.Row{
		{Customer: "1", PAlive: 1e-9, RepeatPurchases: 2, RecencyTx: 30.428571428571427, AgeT: 38.857142857142854, ExpectedSpend: 35.07975},
		{Customer: "2", PAlive: nan, RepeatPurchases: nan, RecencyTx: nan, AgeT: nan, ExpectedSpend: nan},
	}
	for i := range in {
		if err := w.Write(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[parquetRow](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.RepeatPurchases == nil || *r.RepeatPurchases != 2 || *r.RecencyTx != in[0].RecencyTx || *r.AgeT != in[0].AgeT || *r.ExpectedSpend != 35.07975 || *r.PAlive != 1e-9 {
		t.Errorf("row 1 = %+v", r)
	}
	if u := rows[1]; u.RepeatPurchases != nil || u.RecencyTx != nil || u.AgeT != nil || u.ExpectedSpend != nil || u.PAlive != nil {
		t.Errorf("unscored row = %+v", u)
	}
}
