package engine

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
)

// TestSecondPassesTogether: VIP and basket, which each read the sources a
// second time, run at the same time when both are asked for; their sections
// and warnings must be those of each report run on its own (the sequential
// path), in either request order, and Progress is never called concurrently.
func TestSecondPassesTogether(t *testing.T) {
	base := Config{
		Sources: []input.Source{input.BytesSource("shop.csv", thirteenMonths(), input.Options{}, "")},
		AsOf:    time.Date(2025, 1, 31, 23, 59, 59, 0, time.UTC),
		VIP:     VIPParams{TopN: 2},
		Basket:  BasketParams{MinSupport: 0.1},
		Now:     fixedClock(),
	}
	run := func(reps ...Report) *result.Document {
		t.Helper()
		cfg := base
		cfg.Reports = reps
		var inside, overlaps atomic.Int32
		cfg.Progress = func(Event) {
			if inside.Add(1) > 1 {
				overlaps.Add(1)
			}
			time.Sleep(time.Millisecond) // widen the window a concurrent call would hit
			inside.Add(-1)
		}
		doc, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := overlaps.Load(); n > 0 {
			t.Errorf("reports %v: Progress called concurrently %d times", reps, n)
		}
		return doc
	}
	vipAlone, basketAlone := run(VIP), run(Basket)
	if vipAlone.VIP == nil || vipAlone.VIP.Profile == nil || basketAlone.Basket == nil || basketAlone.Basket.Baskets == 0 {
		t.Fatalf("sections alone: vip %+v basket %+v", vipAlone.VIP, basketAlone.Basket)
	}
	for _, reps := range [][]Report{{VIP, Basket}, {Basket, KPI, VIP}} {
		doc := run(reps...)
		if !reflect.DeepEqual(doc.VIP, vipAlone.VIP) {
			t.Errorf("%v: VIP section differs from VIP alone", reps)
		}
		if !reflect.DeepEqual(doc.Basket, basketAlone.Basket) {
			t.Errorf("%v: basket section differs from basket alone", reps)
		}
		for _, w := range doc.Warnings {
			if w.Failed {
				t.Errorf("%v: report failed: %+v", reps, w)
			}
		}
	}
}
