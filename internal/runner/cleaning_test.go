package runner

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/internal/pgtest"
	"github.com/crmlens/crmlens/internal/runplan"
)

// cleaningRows: customer a buys twice on 03-01 and once on 03-05; b buys
// once, and one of b's lines is an outlier above 500.
var cleaningRows = []struct{ customer, order, at, amount string }{
	{"a", "o1", "2024-03-01T09:00:00Z", "10.00"},
	{"a", "o2", "2024-03-01T18:00:00Z", "20.00"},
	{"a", "o3", "2024-03-05T12:00:00Z", "30.00"},
	{"b", "o4", "2024-03-02T12:00:00Z", "40.00"},
	{"b", "o5", "2024-03-03T12:00:00Z", "9999.99"},
}

// TestCleaningMaxAmountAndMergeSameDay proves that cleaning.maxAmount and
// cleaning.mergeSameDay travel through the run plan (JSON round trip) into
// the runner and have their effect on a real run: the outlier is rejected
// with reason aboveMaxAmount, and a's two orders of one day count once.
func TestCleaningMaxAmountAndMergeSameDay(t *testing.T) {
	csv := "customer_id,order_id,timestamp,amount\n"
	for _, r := range cleaningRows {
		csv += r.customer + "," + r.order + "," + r.at + "," + r.amount + "\n"
	}
	cases := []struct {
		name     string
		cleaning runplan.Cleaning
		orders   int64 // KPI orders: the customers' purchase counts summed
		revenue  float64
		rejected map[txn.RejectReason]int64
	}{
		{"neither", runplan.Cleaning{}, 5, 10099.99, map[txn.RejectReason]int64{}},
		{"maxAmount", runplan.Cleaning{MaxAmount: "500"}, 4, 100, map[txn.RejectReason]int64{txn.RejectAboveMaximum: 1}},
		{"mergeSameDay", runplan.Cleaning{MergeSameDay: true}, 4, 10099.99, map[txn.RejectReason]int64{}},
		{"both", runplan.Cleaning{MaxAmount: "40", MinAmount: "10", MergeSameDay: true}, 3, 100, map[txn.RejectReason]int64{txn.RejectAboveMaximum: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "tx"}, Data: map[string]string{"tx.csv": csv}}
			c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(src).Build()
			r := &Runner{Client: c, Log: testr.New(t), Creds: func(string) string { return "" }}
			p := plan(1, 12)
			p.StateConfigMap = ""
			p.Sources = []runplan.Source{{Name: "tx", ConfigMap: &runplan.ConfigMap{Name: "tx", Key: "tx.csv"}, TimeLayout: "RFC3339",
				Columns: map[string]string{"customer": "customer_id", "order": "order_id", "time": "timestamp", "amount": "amount"}}}
			p.Analysis.AsOf = ptr(time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC))
			p.Analysis.Cleaning = tc.cleaning
			// The plan reaches the Job as JSON.
			enc, err := p.Encode()
			if err != nil {
				t.Fatal(err)
			}
			dec, err := runplan.Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if dec.Analysis.Cleaning != tc.cleaning {
				t.Fatalf("cleaning after the JSON round trip = %+v, want %+v", dec.Analysis.Cleaning, tc.cleaning)
			}
			if err := r.Run(context.Background(), dec); err != nil {
				t.Fatal(err)
			}
			cm, _ := resultCM(t, c)
			var doc result.Document
			if err := json.Unmarshal([]byte(cm.Data[runplan.KeyResult]), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.KPI == nil || doc.KPI.Orders != tc.orders || doc.KPI.Revenue != tc.revenue {
				t.Errorf("KPI %+v, want orders %d revenue %v", doc.KPI, tc.orders, tc.revenue)
			}
			if len(doc.Input.Rejected) != len(tc.rejected) || doc.Input.Rejected[txn.RejectAboveMaximum] != tc.rejected[txn.RejectAboveMaximum] {
				t.Errorf("rejected %v, want %v", doc.Input.Rejected, tc.rejected)
			}
		})
	}
	if _, err := EngineConfig(&runplan.Plan{Analysis: runplan.Analysis{Method: "rfm", Cleaning: runplan.Cleaning{MaxAmount: "lots"}}}, nil); err == nil {
		t.Error("maxAmount \"lots\" accepted")
	}
}

// TestCleaningOnPushdown: the same rules applied inside PostgreSQL give the
// same purchase counts and rejects as the file path above.
func TestCleaningOnPushdown(t *testing.T) {
	s := pgtest.Start(t, pgtest.Options{})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE clean_orders (customer_id text, order_id text, "timestamp" timestamptz, amount numeric(12,2))`); err != nil {
		t.Fatal(err)
	}
	for _, r := range cleaningRows {
		if _, err := conn.Exec(ctx, `INSERT INTO clean_orders VALUES ($1, $2, $3::timestamptz, $4::numeric)`, r.customer, r.order, r.at, r.amount); err != nil {
			t.Fatal(err)
		}
	}
	creds := map[string]string{"PGUSER": s.User, "PGPASSWORD": s.Password}
	r := &Runner{Log: logr.Discard(), Creds: func(k string) string { return creds[k] }}
	src := runplan.Source{Name: "wh", Postgres: &runplan.Postgres{Host: s.Host, Port: s.Port, Database: s.Database, SSLMode: "disable",
		Table: "clean_orders", UserEnv: "PGUSER", PasswordEnv: "PGPASSWORD"},
		Columns: map[string]string{"customer": "customer_id", "order": "order_id", "time": "timestamp", "amount": "amount"}}
	for _, tc := range []struct {
		cleaning runplan.Cleaning
		orders   map[string]int64
		above    int64
	}{
		{runplan.Cleaning{}, map[string]int64{"a": 3, "b": 2}, 0},
		{runplan.Cleaning{MaxAmount: "500", MergeSameDay: true}, map[string]int64{"a": 2, "b": 1}, 1},
	} {
		p := &runplan.Plan{Sources: []runplan.Source{src}, Analysis: runplan.Analysis{Method: "rfm", Cleaning: tc.cleaning}}
		cfg, err := EngineConfig(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Method = engine.RFM
		set, err := r.pushdownSet(ctx, p, cfg)
		if err != nil || set == nil {
			t.Fatalf("pushdown: %v, %v", set, err)
		}
		got := map[string]int64{}
		for _, c := range set.Customers {
			got[c.ID] = c.Orders
		}
		if len(got) != len(tc.orders) || got["a"] != tc.orders["a"] || got["b"] != tc.orders["b"] || set.Rejected[txn.RejectAboveMaximum] != tc.above {
			t.Errorf("%+v: orders %v rejected %v, want %v and %d above the maximum", tc.cleaning, got, set.Rejected, tc.orders, tc.above)
		}
	}
}
