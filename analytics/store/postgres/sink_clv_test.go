package postgres

import (
	"context"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/analytics/result"
)

// TestSinkCLVInputsOnOlderTable: a table made before the CLV input columns
// existed gets them added, and the model inputs and expected spend land at
// full precision (NULL for a customer the model could not score).
func TestSinkCLVInputsOnOlderTable(t *testing.T) {
	s := server(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The table as an older version created it: no CLV input columns.
	if _, err := conn.Exec(ctx, `CREATE TABLE public.clvold (run_id text NOT NULL, customer_id text NOT NULL, recency_days integer, frequency bigint,
		monetary numeric(20,4), aov double precision, first_purchase timestamptz, last_purchase timestamptz, r smallint, f smallint, m smallint,
		segment text, stage text, cluster integer, p_alive double precision, expected_purchases double precision, clv double precision,
		PRIMARY KEY (run_id, customer_id))`); err != nil {
		t.Fatal(err)
	}
	cols := []result.Column{result.ColCustomer, result.ColPAlive, result.ColExpectedPurchases, result.ColCLV,
		result.ColRepeatPurchases, result.ColRecencyTx, result.ColAgeT, result.ColExpectedSpend}
	nan := math.NaN()
	rows := []result.Row{
		{Customer: "1", PAlive: 0.1234567890123, ExpectedPurchases: 1.2345678901234, CLV: 3.3, RepeatPurchases: 2, RecencyTx: 30.428571428571427, AgeT: 38.857142857142854, ExpectedSpend: 35.0797},
		{Customer: "2", PAlive: nan, ExpectedPurchases: nan, CLV: nan, RepeatPurchases: nan, RecencyTx: nan, AgeT: nan, ExpectedSpend: nan},
	}
	if err := writeRun(ctx, connCfg(s), SinkOptions{Table: "public.clvold", RunID: "r1", Columns: cols}, rows); err != nil {
		t.Fatal(err)
	}
	var x *int32
	var tx, age, spend, pa *float64
	q := "SELECT repeat_purchases, recency_tx, age_t, expected_spend, p_alive FROM public.clvold WHERE customer_id = $1"
	if err := conn.QueryRow(ctx, q, "1").Scan(&x, &tx, &age, &spend, &pa); err != nil {
		t.Fatal(err)
	}
	if x == nil || *x != 2 || tx == nil || *tx != 30.428571428571427 || age == nil || *age != 38.857142857142854 || spend == nil || *spend != 35.0797 || pa == nil || *pa != 0.1234567890123 {
		t.Errorf("customer 1: x %v t_x %v T %v spend %v pAlive %v", x, tx, age, spend, pa)
	}
	if err := conn.QueryRow(ctx, q, "2").Scan(&x, &tx, &age, &spend, &pa); err != nil {
		t.Fatal(err)
	}
	if x != nil || tx != nil || age != nil || spend != nil || pa != nil {
		t.Errorf("unscored customer: want NULLs, got %v %v %v %v %v", x, tx, age, spend, pa)
	}
}
