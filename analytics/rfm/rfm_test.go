package rfm

import (
	"bufio"
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

var asOf = time.Date(2024, 6, 30, 18, 0, 0, 0, time.UTC)

// cust builds a customer whose last purchase was daysAgo days before asOf.
func cust(id string, daysAgo int, orders int64, revenue float64) customer.Customer {
	last := asOf.AddDate(0, 0, -daysAgo).Add(-time.Hour)
	return customer.Customer{ID: id, First: last.AddDate(0, 0, -10), Last: last, Orders: orders, Lines: orders, Revenue: txn.MoneyFromFloat(revenue)}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name      string
		customers []customer.Customer
		want      []Scores
		recency   []int32
	}{
		{
			name: "five distinct values split into fifths",
			customers: []customer.Customer{
				cust("a", 0, 5, 50), cust("b", 10, 4, 40), cust("c", 20, 3, 30), cust("d", 30, 2, 20), cust("e", 40, 1, 10),
			},
			want:    []Scores{{5, 5, 5}, {4, 4, 4}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}},
			recency: []int32{0, 10, 20, 30, 40},
		},
		{
			// n=4: w=0 → 1, w=1 → 1+5/4=2, w=3 → 1+15/4=4.
			name: "ties share the score of the first of their group",
			customers: []customer.Customer{
				cust("a", 5, 1, 10), cust("b", 5, 1, 20), cust("c", 0, 1, 20), cust("d", 100, 3, 30),
			},
			want:    []Scores{{2, 1, 1}, {2, 1, 2}, {4, 1, 2}, {1, 4, 4}},
			recency: []int32{5, 5, 0, 100},
		},
		{
			name:      "single customer scores 1",
			customers: []customer.Customer{cust("a", 3, 7, 99)},
			want:      []Scores{{1, 1, 1}},
			recency:   []int32{3},
		},
		{
			name: "one order each and all on one day: R and F all tied",
			customers: []customer.Customer{
				cust("a", 2, 1, 10), cust("b", 2, 1, 30), cust("c", 2, 1, 20),
			},
			// M: n=3, w=0 → 1, w=2 → 1+10/3=4, w=1 → 1+5/3=2.
			want:    []Scores{{1, 1, 1}, {1, 1, 4}, {1, 1, 2}},
			recency: []int32{2, 2, 2},
		},
		{
			name:      "empty",
			customers: nil,
			want:      []Scores{},
			recency:   []int32{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Score(tt.customers, asOf)
			if len(res.Scores) != len(tt.want) {
				t.Fatalf("got %d scores, want %d", len(res.Scores), len(tt.want))
			}
			for i := range tt.want {
				if res.Scores[i] != tt.want[i] {
					t.Errorf("customer %d scores = %v, want %v", i, res.Scores[i], tt.want[i])
				}
				if res.Recency[i] != tt.recency[i] {
					t.Errorf("customer %d recency = %d, want %d", i, res.Recency[i], tt.recency[i])
				}
			}
		})
	}
}

func TestScoreTenDistinct(t *testing.T) {
	var cs []customer.Customer
	for i := 0; i < 10; i++ {
		cs = append(cs, cust("x", 10-i, int64(i+1), float64(i+1)))
	}
	res := Score(cs, asOf)
	for i, s := range res.Scores {
		want := uint8(i/2 + 1)
		if s != (Scores{want, want, want}) {
			t.Errorf("customer %d = %v, want all %d", i, s, want)
		}
	}
}

func TestStandardMapCoversEveryCodeOnce(t *testing.T) {
	seen := map[string]int{}
	names := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(StandardCSV()))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "code,segment" || line == "" {
			continue
		}
		code, name, ok := strings.Cut(line, ",")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		seen[code]++
		names[name] = true
	}
	for r := '1'; r <= '5'; r++ {
		for f := '1'; f <= '5'; f++ {
			for m := '1'; m <= '5'; m++ {
				code := string([]rune{r, f, m})
				if seen[code] != 1 {
					t.Errorf("code %s mapped %d times, want exactly once", code, seen[code])
				}
			}
		}
	}
	if len(seen) != 125 {
		t.Errorf("%d distinct codes, want 125", len(seen))
	}
	want := []string{"Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost"}
	if len(names) != len(want) {
		t.Errorf("%d segment names, want %d: %v", len(names), len(want), names)
	}
	for _, n := range want {
		if !names[n] {
			t.Errorf("segment %q missing from the standard map", n)
		}
	}
	if got := len(Standard().Names()); got != 11 {
		t.Errorf("Standard() has %d segments, want 11", got)
	}
}

func TestStandardMapMeaning(t *testing.T) {
	m := Standard()
	tests := map[string]string{
		"555": "Champions", "545": "Champions", "444": "Loyal", "341": "Loyal",
		"511": "New", "515": "New", "411": "Promising", "422": "Potential Loyalist", "533": "Potential Loyalist",
		"333": "Need Attention", "311": "About To Sleep", "321": "About To Sleep",
		"133": "At Risk", "241": "At Risk", "155": "Can't Lose Them", "251": "Can't Lose Them",
		"211": "Hibernating", "122": "Hibernating", "111": "Lost", "115": "Lost",
	}
	for code, want := range tests {
		s := Scores{code[0] - '0', code[1] - '0', code[2] - '0'}
		if got := m.Segment(s); got != want {
			t.Errorf("%s → %q, want %q", code, got, want)
		}
	}
}

func TestParseSegmentMap(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr string
		check   map[string]string
	}{
		{name: "default covers the rest", text: "code,segment\n555,Top\n*,Rest\n", check: map[string]string{"555": "Top", "554": "Rest", "111": "Rest"}},
		{name: "comments and spaces", text: "# my map\n555, Top\n*, Rest\n", check: map[string]string{"555": "Top"}},
		{name: "missing codes without default", text: "555,Top\n", wantErr: "124 of 125 codes not mapped"},
		{name: "duplicate code", text: "555,Top\n555,Other\n*,Rest\n", wantErr: "listed twice"},
		{name: "two defaults", text: "*,A\n*,B\n", wantErr: "default '*' given twice"},
		{name: "bad digit", text: "565,Top\n*,Rest\n", wantErr: "want three digits"},
		{name: "short code", text: "55,Top\n*,Rest\n", wantErr: "want three digits"},
		{name: "empty name", text: "555,\n*,Rest\n", wantErr: "empty segment name"},
		{name: "three fields", text: "555,Top,x\n*,Rest\n", wantErr: "want 2 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseSegmentMap(strings.NewReader(tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for code, want := range tt.check {
				if got := m.Segment(Scores{code[0] - '0', code[1] - '0', code[2] - '0'}); got != want {
					t.Errorf("%s → %q, want %q", code, got, want)
				}
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	cs := []customer.Customer{
		cust("a", 0, 5, 50), cust("b", 10, 4, 40), cust("c", 20, 3, 30), cust("d", 30, 2, 20), cust("e", 40, 1, 10),
	}
	m, err := ParseSegmentMap(strings.NewReader("555,Top\n111,Bottom\n*,Middle\n"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Summarize(cs, Score(cs, asOf), m)
	if err != nil {
		t.Fatal(err)
	}
	want := []Segment{
		{Name: "Top", Customers: 1, Revenue: 50, RevenueShare: 50.0 / 150},
		{Name: "Bottom", Customers: 1, Revenue: 10, RevenueShare: 10.0 / 150},
		{Name: "Middle", Customers: 3, Revenue: 90, RevenueShare: 90.0 / 150},
	}
	if len(sum.Segments) != len(want) {
		t.Fatalf("segments = %+v", sum.Segments)
	}
	for i, w := range want {
		g := sum.Segments[i]
		if g.Name != w.Name || g.Customers != w.Customers || g.Revenue != w.Revenue || math.Abs(g.RevenueShare-w.RevenueShare) > 1e-12 {
			t.Errorf("segment %d = %+v, want %+v", i, g, w)
		}
	}
	if len(sum.Heatmap) != 25 {
		t.Fatalf("heat map has %d cells", len(sum.Heatmap))
	}
	// Diagonal cells hold one customer each; R=5,F=5 is the last cell.
	last := sum.Heatmap[24]
	if last.R != 5 || last.F != 5 || last.Customers != 1 || last.MeanMonetary != 50 || last.MeanFrequency != 5 || last.MeanRecency != 0 {
		t.Errorf("cell 5,5 = %+v", last)
	}
	if c := sum.Heatmap[1]; c.R != 1 || c.F != 2 || c.Customers != 0 || c.MeanMonetary != 0 {
		t.Errorf("cell 1,2 = %+v, want empty", c)
	}
	if b := sum.Bounds.Recency; len(b) != 5 || b[0] != (Range{Score: 1, Min: 40, Max: 40, Customers: 1}) {
		t.Errorf("recency bounds = %+v", b)
	}
}

func TestSummarizeEmpty(t *testing.T) {
	sum, err := Summarize(nil, Score(nil, asOf), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Segments) != 11 {
		t.Errorf("%d segments, want all 11 listed with zero customers", len(sum.Segments))
	}
	for _, s := range sum.Segments {
		if s.Customers != 0 || s.Revenue != 0 || s.RevenueShare != 0 {
			t.Errorf("segment %+v not zero", s)
		}
	}
	if len(sum.Bounds.Recency) != 0 {
		t.Errorf("bounds on empty input: %+v", sum.Bounds)
	}
}

func TestSummarizeLengthMismatch(t *testing.T) {
	if _, err := Summarize([]customer.Customer{cust("a", 1, 1, 1)}, Result{}, nil); err == nil {
		t.Fatal("want error for mismatched scoring")
	}
}

// TestScoreMatchesRule checks the fast scoring against the tie rule computed
// by brute force (count of strictly worse values) on data full of ties.
func TestScoreMatchesRule(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 11, 50, 137} {
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = int64((i*7919 + n) % (n/3 + 2)) // many repeats
		}
		out := make([]Scores, n)
		scoreInto(vals, out, func(s *Scores, v uint8) { s.F = v })
		for i, v := range vals {
			w := 0
			for _, u := range vals {
				if u < v {
					w++
				}
			}
			if want := Quintile(w, n); out[i].F != want {
				t.Fatalf("n=%d value %d: score %d, rule says %d", n, v, out[i].F, want)
			}
		}
	}
}
