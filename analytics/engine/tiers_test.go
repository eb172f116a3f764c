package engine

import (
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/crmlens/crmlens/analytics/clv"
)

// stableTiers is tiers as it was: a stable sort of indices by CLV, descending.
func stableTiers(values []clv.CustomerValue, n int) []int {
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return values[idx[a]].CLV > values[idx[b]].CLV })
	out := make([]int, len(values))
	for q, i := range idx {
		out[i] = q * n / len(values)
	}
	return out
}

// TestTiersAsStableSort: on values with many ties (few distinct values) and
// without, tiers gives every customer the tier the stable sort gave.
func TestTiersAsStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		n, distinct, tiers int
	}{
		{1, 1, 4}, {10, 3, 4}, {1000, 5, 5}, {1000, 0, 3}, {20000, 50, 10}, {20000, 0, 5},
	} {
		values := make([]clv.CustomerValue, tc.n)
		for i := range values {
			if tc.distinct > 0 {
				values[i].CLV = float64(rng.IntN(tc.distinct))
			} else {
				values[i].CLV = rng.Float64() * 1000
			}
		}
		if got, want := tiers(values, tc.tiers), stableTiers(values, tc.tiers); !reflect.DeepEqual(got, want) {
			t.Errorf("n=%d distinct=%d tiers=%d: differs from the stable sort", tc.n, tc.distinct, tc.tiers)
		}
	}
}
