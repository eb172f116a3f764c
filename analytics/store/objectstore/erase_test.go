package objectstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/store/retention"
)

// TestErase writes a CSV run and a Parquet run of 4 customers each plus an
// attached report naming one of them, erases two customers: their lines go
// from both formats (the others stay, decoded), the report is deleted, the
// marker's count drops by 2, and a second erase changes nothing.
func TestErase(t *testing.T) {
	_, cfg, cl := setup(t, false)
	ctx := context.Background()
	rows := func() []result.Row {
		var out []result.Row
		for _, id := range []string{"alice", "bob", "carol", "dave"} {
			out = append(out, result.Row{Customer: id, R: 3, F: 2, M: 1, Segment: "Loyal"})
		}
		return out
	}
	csvCfg := sinkCfg(cfg, "run-csv")
	csvCfg.KeepRuns = 5
	if err := writeRun(ctx, csvCfg, rows()); err != nil {
		t.Fatal(err)
	}
	pqCfg := sinkCfg(cfg, "run-pq")
	pqCfg.KeepRuns, pqCfg.Format = 5, "parquet"
	w, err := OpenRun(ctx, pqCfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows() {
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Attach("report.html", []byte("<td>bob</td>")); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(result.New()); err != nil {
		t.Fatal(err)
	}

	sc := sinkCfg(cfg, "erase")
	res, err := Erase(ctx, sc, []string{"bob", "dave", "zed"})
	if err != nil {
		t.Fatal(err)
	}
	// 2 lines in each customers file, 1 for the report; 3 objects.
	if res.Lines != 5 || res.Objects != 3 {
		t.Errorf("erase = %+v, want 5 lines in 3 objects", res)
	}
	csvBody := string(get(t, cl, "results/shop-ns/rfm-model/run-csv/customers.csv"))
	if csvBody != "customer,r,f,m,segment\nalice,3,2,1,Loyal\ncarol,3,2,1,Loyal\n" {
		t.Errorf("customers.csv =\n%s", csvBody)
	}
	pq := get(t, cl, "results/shop-ns/rfm-model/run-pq/customers.parquet")
	got, err := parquet.Read[parquetRow](bytes.NewReader(pq), int64(len(pq)))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.Customer)
	}
	if fmt.Sprint(ids) != "[alice carol]" || got[0].Segment == nil || *got[0].Segment != "Loyal" {
		t.Errorf("parquet rows = %+v", got)
	}
	if k := keys(t, cl, "results/shop-ns/rfm-model/run-pq/report.html"); len(k) != 0 {
		t.Errorf("report naming an erased customer kept: %v", k)
	}
	var marker map[string]any
	if err := json.Unmarshal(get(t, cl, "results/shop-ns/rfm-model/run-pq/_COMPLETE"), &marker); err != nil || marker["customers"] != float64(2) {
		t.Errorf("marker = %v, %v", marker, err)
	}
	if res, err := Erase(ctx, sc, []string{"bob", "dave"}); err != nil || res != (EraseResult{}) {
		t.Errorf("second erase = %+v, %v; want nothing", res, err)
	}
}

// TestScrubJSON removes array entries naming a customer and blanks other
// mentions; unrelated values stay.
func TestScrubJSON(t *testing.T) {
	in := `{"vip":{"drops":[{"id":"bob","flagged":true},{"id":"amy","flagged":false}]},"ids":["bob","cy"],"owner":"bob","n":3,"note":"bobby"}`
	out, n, err := ScrubJSON([]byte(in), []string{"bob"})
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	_ = json.Unmarshal(out, &got)
	_ = json.Unmarshal([]byte(`{"vip":{"drops":[{"id":"amy","flagged":false}]},"ids":["cy"],"owner":"","n":3,"note":"bobby"}`), &want)
	if fmt.Sprint(got) != fmt.Sprint(want) || n != 3 {
		t.Errorf("scrubbed (%d) = %s", n, out)
	}
}

// TestApplyRetention publishes three runs and applies maxAge at a "now"
// just past the second run's completion plus maxAge: exactly the two older
// runs go, whole folders, and the newest stays.
func TestApplyRetention(t *testing.T) {
	_, cfg, cl := setup(t, false)
	ctx := context.Background()
	for _, run := range []string{"r1", "r2", "r3"} {
		sc := sinkCfg(cfg, run)
		sc.KeepRuns = 10
		if err := writeRun(ctx, sc, []result.Row{{Customer: "amy", Segment: "Loyal"}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // object times have whole seconds
	}
	runs, err := CompleteRuns(ctx, sinkCfg(cfg, "x"))
	if err != nil || len(runs) != 3 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	at := map[string]time.Time{}
	for _, r := range runs {
		at[r.ID] = r.FinishedAt
	}
	dropped, err := ApplyRetention(ctx, sinkCfg(cfg, "x"), retention.Policy{MaxAge: time.Hour}, at["r2"].Add(time.Hour+time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dropped) != "[r2 r1]" {
		t.Errorf("dropped %v, want [r2 r1]", dropped)
	}
	for _, run := range []string{"r1", "r2"} {
		if k := keys(t, cl, "results/shop-ns/rfm-model/"+run+"/"); len(k) != 0 {
			t.Errorf("%s left: %v", run, k)
		}
	}
	if k := keys(t, cl, "results/shop-ns/rfm-model/r3/"); len(k) < 2 {
		t.Errorf("r3 = %v", k)
	}
}
