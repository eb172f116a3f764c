package objectstore

import (
	"io"
	"math"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/crmlens/crmlens/analytics/result"
)

// parquetRow is the Parquet schema of the per-customer part; column names are
// the result contract's. Columns the method did not fill are null.
type parquetRow struct {
	Customer          string     `parquet:"customer"`
	RecencyDays       *int32     `parquet:"recencyDays,optional"`
	Frequency         *int64     `parquet:"frequency,optional"`
	Monetary          *int64     `parquet:"monetary,optional,decimal(4:18)"`
	AOV               *float64   `parquet:"aov,optional"`
	FirstPurchase     *time.Time `parquet:"firstPurchase,optional,timestamp(millisecond)"`
	LastPurchase      *time.Time `parquet:"lastPurchase,optional,timestamp(millisecond)"`
	R                 *int32     `parquet:"r,optional"`
	F                 *int32     `parquet:"f,optional"`
	M                 *int32     `parquet:"m,optional"`
	RFM               *string    `parquet:"rfm,optional"`
	Segment           *string    `parquet:"segment,optional"`
	Stage             *string    `parquet:"stage,optional"`
	Cluster           *int32     `parquet:"cluster,optional"`
	PAlive            *float64   `parquet:"pAlive,optional"`
	ExpectedPurchases *float64   `parquet:"expectedPurchases,optional"`
	CLV               *float64   `parquet:"clv,optional"`
	RepeatPurchases   *int64     `parquet:"repeatPurchases,optional"`
	RecencyTx         *float64   `parquet:"recencyTx,optional"`
	AgeT              *float64   `parquet:"ageT,optional"`
	ExpectedSpend     *float64   `parquet:"expectedSpend,optional"`
}

// parquetWriter buffers a row group at a time (parquet-go's default) and
// streams finished groups to w.
type parquetWriter struct {
	w   *parquet.GenericWriter[parquetRow]
	on  map[result.Column]bool
	buf [1]parquetRow
}

func newParquetWriter(w io.Writer, cols []result.Column) *parquetWriter {
	on := map[result.Column]bool{}
	for _, c := range cols {
		on[c] = true
	}
	return &parquetWriter{w: parquet.NewGenericWriter[parquetRow](w), on: on}
}

func ptr[T any](on bool, v T) *T {
	if !on {
		return nil
	}
	return &v
}

func fptr(on bool, v float64) *float64 {
	if !on || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// iptr is a whole number carried as a float (NaN when absent).
func iptr(on bool, v float64) *int64 {
	if !on || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	i := int64(v)
	return &i
}

func (p *parquetWriter) Write(r *result.Row) error {
	on := p.on
	row := parquetRow{
		Customer:          r.Customer,
		RecencyDays:       ptr(on[result.ColRecencyDays], r.RecencyDays),
		Frequency:         ptr(on[result.ColFrequency], r.Frequency),
		Monetary:          ptr(on[result.ColMonetary], int64(r.Monetary)),
		AOV:               fptr(on[result.ColAOV], r.AOV),
		FirstPurchase:     ptr(on[result.ColFirstPurchase] && !r.FirstPurchase.IsZero(), r.FirstPurchase),
		LastPurchase:      ptr(on[result.ColLastPurchase] && !r.LastPurchase.IsZero(), r.LastPurchase),
		R:                 ptr(on[result.ColR], int32(r.R)),
		F:                 ptr(on[result.ColF], int32(r.F)),
		M:                 ptr(on[result.ColM], int32(r.M)),
		RFM:               ptr(on[result.ColRFM], string([]byte{'0' + r.R, '0' + r.F, '0' + r.M})),
		Segment:           ptr(on[result.ColSegment], r.Segment),
		Stage:             ptr(on[result.ColStage], r.Stage),
		Cluster:           ptr(on[result.ColCluster], int32(r.Cluster)),
		PAlive:            fptr(on[result.ColPAlive], r.PAlive),
		ExpectedPurchases: fptr(on[result.ColExpectedPurchases], r.ExpectedPurchases),
		CLV:               fptr(on[result.ColCLV], r.CLV),
		RepeatPurchases:   iptr(on[result.ColRepeatPurchases], r.RepeatPurchases),
		RecencyTx:         fptr(on[result.ColRecencyTx], r.RecencyTx),
		AgeT:              fptr(on[result.ColAgeT], r.AgeT),
		ExpectedSpend:     fptr(on[result.ColExpectedSpend], r.ExpectedSpend),
	}
	p.buf[0] = row
	_, err := p.w.Write(p.buf[:])
	return err
}

func (p *parquetWriter) Close() error { return p.w.Close() }
