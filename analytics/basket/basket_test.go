package basket

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/txn"
)

// The textbook market-basket example (Tan, Steinbach & Kumar): counts are
// bread 4, milk 4, diaper 4, beer 3, cola 2, eggs 1 out of 5 baskets.
var shop = [][]string{
	{"bread", "milk"},
	{"bread", "diaper", "beer", "eggs"},
	{"milk", "diaper", "beer", "cola"},
	{"bread", "milk", "diaper", "beer"},
	{"bread", "milk", "diaper", "cola", "milk"}, // duplicate line counts once
}

func ruleName(r Rule) string {
	return strings.Join(r.Antecedent, "+") + "->" + strings.Join(r.Consequent, "+")
}

func TestHandComputedRules(t *testing.T) {
	type want struct {
		count            int
		supp, conf, lift float64
	}
	cases := []struct {
		name     string
		cfg      Config
		rules    map[string]want
		itemsets int
	}{
		{"support 60%, confidence 80%, lift 1", Config{MinSupport: 0.6, MinConfidence: 0.8, MinLift: 1},
			map[string]want{"beer->diaper": {3, 0.6, 1, 1.25}}, 4},
		{"support 60%, confidence 70%", Config{MinSupport: 0.6, MinConfidence: 0.7},
			map[string]want{
				"beer->diaper": {3, 0.6, 1, 1.25}, "diaper->beer": {3, 0.6, 0.75, 1.25},
				"bread->milk": {3, 0.6, 0.75, 0.9375}, "milk->bread": {3, 0.6, 0.75, 0.9375},
				"bread->diaper": {3, 0.6, 0.75, 0.9375}, "diaper->bread": {3, 0.6, 0.75, 0.9375},
				"diaper->milk": {3, 0.6, 0.75, 0.9375}, "milk->diaper": {3, 0.6, 0.75, 0.9375},
			}, 4},
		// Support 40%: triples appear. {milk,beer}→diaper holds in baskets 3 and 4,
		// and {milk,beer} only there: confidence 1, lift 1/0.8.
		{"support 40%, confidence 100%, lift 1.2", Config{MinSupport: 0.4, MinConfidence: 1, MinLift: 1.2},
			map[string]want{
				"beer->diaper":       {3, 0.6, 1, 1.25},
				"beer+milk->diaper":  {2, 0.4, 1, 1.25},
				"beer+bread->diaper": {2, 0.4, 1, 1.25},
				"cola->milk":         {2, 0.4, 1, 1.25},
				"cola->diaper":       {2, 0.4, 1, 1.25},
				"cola->diaper+milk":  {2, 0.4, 1, 5.0 / 3},
				"cola+diaper->milk":  {2, 0.4, 1, 1.25},
				"cola+milk->diaper":  {2, 0.4, 1, 1.25},
			}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Mine(shop, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Baskets != 5 || res.Items != 6 {
				t.Errorf("baskets %d items %d", res.Baskets, res.Items)
			}
			if c.itemsets > 0 && res.Itemsets != c.itemsets {
				t.Errorf("itemsets %d, want %d", res.Itemsets, c.itemsets)
			}
			got := map[string]Rule{}
			for _, r := range res.Rules {
				got[ruleName(r)] = r
			}
			if len(got) != len(c.rules) {
				var names []string
				for k := range got {
					names = append(names, k)
				}
				t.Errorf("rules %v, want %d rules", names, len(c.rules))
			}
			for name, w := range c.rules {
				r, ok := got[name]
				if !ok {
					t.Errorf("missing rule %s", name)
					continue
				}
				if r.Count != w.count || math.Abs(r.Support-w.supp) > 1e-12 || math.Abs(r.Confidence-w.conf) > 1e-12 || math.Abs(r.Lift-w.lift) > 1e-12 {
					t.Errorf("%s: %+v, want %+v", name, r, w)
				}
			}
			for i := 1; i < len(res.Rules); i++ {
				if res.Rules[i].Lift > res.Rules[i-1].Lift {
					t.Errorf("rules not sorted by lift")
				}
			}
		})
	}
}

func TestBounds(t *testing.T) {
	res, err := Mine(shop, Config{MinSupport: 0.2, MinConfidence: 0.1, MaxItems: 3, MaxRules: 2, MaxLen: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.FrequentItems != 3 || len(res.Rules) != 2 || !reflect.DeepEqual(res.Truncated, []string{"maxItems", "maxRules"}) {
		t.Errorf("frequent %d rules %d truncated %v", res.FrequentItems, len(res.Rules), res.Truncated)
	}
	for _, r := range res.Rules {
		if len(r.Antecedent)+len(r.Consequent) > 2 {
			t.Errorf("rule longer than maxLen: %+v", r)
		}
	}
	res, _ = Mine(shop, Config{MinSupport: 0.2, MaxCandidates: 3})
	if !reflect.DeepEqual(res.Truncated, []string{"maxCandidates"}) || res.Itemsets != 0 {
		t.Errorf("candidate cap: %+v", res)
	}
	for _, bad := range []Config{{MinSupport: 2}, {MinConfidence: -1}, {MaxLen: 1}, {MinLift: -1}} {
		if _, err := Mine(shop, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestBuilder(t *testing.T) {
	day := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
	lines := []txn.Transaction{
		{Customer: "a", Order: "1", Product: "x", Time: day},
		{Customer: "a", Order: "1", Product: "y", Time: day},
		{Customer: "a", Order: "2", Product: "x", Time: day},
		{Customer: "b", Order: "1", Product: "z", Time: day}, // same order ID, other customer
		{Customer: "c", Category: "books", Time: day},        // no order: per day, category fallback
		{Customer: "c", Product: "pen", Time: day.Add(time.Hour)},
		{Customer: "c", Time: day}, // no item
	}
	var b Builder
	for i := range lines {
		b.Add(&lines[i])
	}
	want := [][]string{{"x", "y"}, {"x"}, {"z"}, {"books", "pen"}}
	if !reflect.DeepEqual(b.Baskets(), want) || b.Skipped != 1 {
		t.Errorf("baskets %v skipped %d", b.Baskets(), b.Skipped)
	}
}
