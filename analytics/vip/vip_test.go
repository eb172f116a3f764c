package vip

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func TestSelect(t *testing.T) {
	values := []float64{5, 50, 20, 50, 1, 30, 7, 8, 9, 10}
	cases := []struct {
		sel  Selection
		want []int
	}{
		{Selection{TopN: 3}, []int{1, 3, 5}},
		{Selection{TopPercent: 20}, []int{1, 3}},
		{Selection{TopPercent: 25}, []int{1, 3, 5}}, // 2.5 rounds up
		{Selection{TopN: 100}, []int{1, 3, 5, 2, 9, 8, 7, 6, 0, 4}},
	}
	for _, c := range cases {
		got, err := Select(values, c.sel)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: got %v %v, want %v", c.sel, got, err, c.want)
		}
	}
	for _, bad := range []Selection{{}, {TopN: 1, TopPercent: 1}, {TopPercent: 101}, {TopN: -1}} {
		if _, err := Select(values, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	r := Summarize(values, []int{1, 3}, Selection{TopPercent: 20})
	if r.VIPs != 2 || r.Value != 100 || r.MinValue != 50 || math.Abs(r.ValueShare-100.0/190) > 1e-12 {
		t.Errorf("summary %+v", r)
	}
}

// history returns purchase days every step days in [from, to] of amount each.
func history(from, to, step int, amount float64) []customer.DayAmount {
	var h []customer.DayAmount
	for d := from; d <= to; d += step {
		h = append(h, customer.DayAmount{Day: customer.Day(d), Amount: txn.MoneyFromFloat(amount), Orders: 1})
	}
	return h
}

func TestActivityDrop(t *testing.T) {
	const asOf = 20000
	recentStart := asOf - 89
	halved := append(history(asOf-455, recentStart-1, 7, 40), history(recentStart+3, asOf, 14, 40)...)
	cheaper := append(history(asOf-455, recentStart-1, 7, 40), history(recentStart+3, asOf, 7, 20)...)
	cases := []struct {
		name          string
		h             []customer.DayAmount
		judged        bool
		freq, spend   bool
		threshold     float64
		wantFreqDrop  float64 // approximate
		wantSpendDrop float64
	}{
		{"frequency halves", halved, true, true, true, 0.4, 0.5, 0.5},
		{"steady", history(asOf-455, asOf, 7, 40), true, false, false, 0.4, 0, 0},
		{"spend halves, frequency steady", cheaper, true, false, true, 0.4, 0, 0.5},
		{"frequency halves, threshold 60%", halved, true, false, false, 0.6, 0.5, 0.5},
		{"too new to judge", history(asOf-120, asOf, 7, 40), false, false, false, 0.4, 0, 0},
	}
	for _, c := range cases {
		drops, sum, err := DetectDrops([]customer.Customer{{ID: "x", History: c.h}}, DropConfig{AsOf: customer.Day(asOf).Time(), RecentDays: 90, Threshold: c.threshold})
		if err != nil {
			t.Fatal(err)
		}
		d := drops[0]
		if d.Judged != c.judged || d.FrequencyFlag != c.freq || d.SpendFlag != c.spend || d.Flagged != (c.freq || c.spend) {
			t.Errorf("%s: %+v", c.name, d)
			continue
		}
		if c.judged && (math.Abs(d.FrequencyDrop-c.wantFreqDrop) > 0.1 || math.Abs(d.SpendDrop-c.wantSpendDrop) > 0.1) {
			t.Errorf("%s: drops %.3f/%.3f, want about %.1f/%.1f", c.name, d.FrequencyDrop, d.SpendDrop, c.wantFreqDrop, c.wantSpendDrop)
		}
		wantFlagged := 0
		if d.Flagged {
			wantFlagged = 1
		}
		if sum.Checked != 1 || sum.Flagged != wantFlagged {
			t.Errorf("%s: summary %+v", c.name, sum)
		}
	}
	// Hand-computed rates: baseline 53 purchases over 366 days, recent 7 over 90.
	drops, _, _ := DetectDrops([]customer.Customer{{ID: "x", History: halved}}, DropConfig{AsOf: customer.Day(asOf).Time()})
	d := drops[0]
	base := float64(len(history(asOf-455, recentStart-1, 7, 40))) / float64(recentStart-(asOf-455)) * 30
	rec := float64(len(history(recentStart+3, asOf, 14, 40))) / 90 * 30
	if math.Abs(d.BaselineFrequency-base) > 1e-12 || math.Abs(d.RecentFrequency-rec) > 1e-12 {
		t.Errorf("rates %v/%v, want %v/%v", d.BaselineFrequency, d.RecentFrequency, base, rec)
	}
	if _, _, err := DetectDrops(nil, DropConfig{}); err == nil {
		t.Error("missing as-of accepted")
	}
}

func TestProfileAddsUp(t *testing.T) {
	loc := time.FixedZone("shop", 2*3600)
	txns := []txn.Transaction{
		{Customer: "v1", Time: time.Date(2024, 3, 4, 9, 15, 0, 0, loc), Amount: txn.MoneyFromFloat(12), Category: "books", Channel: "web"},  // Monday 9h
		{Customer: "v1", Time: time.Date(2024, 3, 4, 9, 59, 0, 0, loc), Amount: txn.MoneyFromFloat(300), Category: "audio", Channel: "web"}, // Monday 9h
		{Customer: "v2", Time: time.Date(2024, 3, 10, 23, 0, 0, 0, loc), Amount: txn.MoneyFromFloat(5), Category: "books", Channel: "shop"}, // Sunday 23h
		{Customer: "v2", Time: time.Date(2024, 3, 6, 0, 30, 0, 0, loc), Amount: txn.MoneyFromFloat(1000), Category: "", Channel: "shop"},    // Wednesday 0h
		{Customer: "n1", Time: time.Date(2024, 3, 6, 0, 30, 0, 0, loc), Amount: txn.MoneyFromFloat(70), Category: "books", Channel: "web"},  // not a VIP
	}
	a, err := NewAccumulator([]string{"v1", "v2"}, AccumulatorConfig{SpendEdges: []float64{10, 100, 1000}})
	if err != nil {
		t.Fatal(err)
	}
	counted := 0
	for i := range txns {
		if a.Add(&txns[i]) {
			counted++
		}
	}
	p := a.Profile()
	if counted != 4 || p.Transactions != 4 || p.VIPs != 2 || p.Revenue != 1317 {
		t.Fatalf("counted %d, profile %+v", counted, p)
	}
	var timing int64
	for _, row := range p.WeekdayHour {
		for _, v := range row {
			timing += v
		}
	}
	if timing != 4 || p.WeekdayHour[0][9] != 2 || p.WeekdayHour[6][23] != 1 || p.WeekdayHour[2][0] != 1 {
		t.Errorf("timing %v", p.WeekdayHour)
	}
	for name, table := range map[string][]Share{"categories": p.Categories, "channels": p.Channels} {
		var n int64
		var rev, share float64
		for _, s := range table {
			n += s.Transactions
			rev += s.Revenue
			share += s.Share
		}
		if n != 4 || rev != 1317 || math.Abs(share-1) > 1e-12 {
			t.Errorf("%s: %d lines, %v revenue, share %v", name, n, rev, share)
		}
	}
	if p.Categories[0].Name != "(none)" || p.Channels[0].Name != "shop" || p.Channels[0].Transactions != 2 {
		t.Errorf("categories %+v channels %+v", p.Categories, p.Channels)
	}
	wantBuckets := []int64{1, 1, 1, 1} // 5 | 12 | 300 | 1000 (upper edge is exclusive)
	for i, b := range p.SpendBuckets {
		if b.Count != wantBuckets[i] {
			t.Errorf("buckets %+v", p.SpendBuckets)
			break
		}
	}
	b, _ := json.Marshal(p)
	if strings.Contains(string(b), "v1") {
		t.Error("profile names a customer")
	}
}

func TestLabelCap(t *testing.T) {
	a, err := NewAccumulator([]string{"v"}, AccumulatorConfig{MaxLabels: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b", "c", "d", "a"} {
		a.Add(&txn.Transaction{Customer: "v", Category: c, Channel: "web", Amount: 1})
	}
	p := a.Profile()
	if _, err := NewAccumulator(nil, AccumulatorConfig{SpendEdges: []float64{5, 1}}); err == nil {
		t.Error("descending edges accepted")
	}
	if len(p.Categories) != 3 {
		t.Fatalf("categories %+v", p.Categories)
	}
	for _, s := range p.Categories {
		if s.Name == OtherLabel && s.Transactions != 2 {
			t.Errorf("other %+v", s)
		}
	}
}

func TestDropConfigValidation(t *testing.T) {
	asOf := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []DropConfig{{AsOf: asOf, Threshold: 1.5}, {AsOf: asOf, RecentDays: -1}, {AsOf: asOf, MinBaselinePurchases: -2}, {AsOf: asOf, BaselineDays: -5}} {
		if _, _, err := DetectDrops(nil, c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestValueBuckets(t *testing.T) {
	values := []float64{5, 50, 20, 50, 1, 30, 700}
	vips := []int{6, 1, 3, 5, 2}
	got, err := ValueBuckets(values, vips, []float64{25, 100})
	if err != nil {
		t.Fatal(err)
	}
	want := []Bucket{{Lower: 0, Upper: 25, Count: 1}, {Lower: 25, Upper: 100, Count: 3}, {Lower: 100, Open: true, Count: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := ValueBuckets(values, vips, []float64{10, 10}); err == nil {
		t.Error("flat edges accepted")
	}
}
