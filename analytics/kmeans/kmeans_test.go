package kmeans

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
)

var feats3 = []Feature{{Name: "a"}, {Name: "b"}, {Name: "c"}}

// blobs returns n points per centre with a small uniform spread, and the true
// centre index of every point.
func blobs(centres [][]float64, n int, spread float64, seed uint64) ([]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var x []float64
	var truth []int
	for i := 0; i < n; i++ {
		for c, ctr := range centres {
			for _, v := range ctr {
				x = append(x, v+spread*(2*rng.Float64()-1))
			}
			truth = append(truth, c)
		}
	}
	return x, truth
}

// samePartition reports whether two labelings group points identically.
func samePartition(a, b []int) bool {
	ab, ba := map[int]int{}, map[int]int{}
	for i := range a {
		if v, ok := ab[a[i]]; ok && v != b[i] {
			return false
		}
		if v, ok := ba[b[i]]; ok && v != a[i] {
			return false
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
	return true
}

func TestWellSeparatedFoundExactly(t *testing.T) {
	cases := []struct {
		name    string
		centres [][]float64
		perBlob int
	}{
		{"4 blobs small", [][]float64{{0, 0, 0}, {10, 0, 0}, {0, 10, 0}, {0, 0, 10}}, 50},
		{"6 blobs large (parallel path)", [][]float64{{0, 0, 0}, {10, 0, 0}, {0, 10, 0}, {0, 0, 10}, {10, 10, 10}, {-10, 5, 0}}, 5000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, truth := blobs(c.centres, c.perBlob, 1, 42)
			for seed := uint64(1); seed <= 5; seed++ {
				res, labels, err := Fit(x, Config{Features: feats3, K: len(c.centres), Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				if !samePartition(labels, truth) {
					t.Fatalf("seed %d: clusters differ from the blobs", seed)
				}
				for _, cl := range res.Clusters {
					if cl.Size != c.perBlob {
						t.Errorf("seed %d: cluster size %d, want %d", seed, cl.Size, c.perBlob)
					}
					// Centroid in original units is near one true centre (spread ±1 averages out).
					near := false
					for _, ctr := range c.centres {
						d := 0.0
						for f := range ctr {
							d += (cl.Centroid[f] - ctr[f]) * (cl.Centroid[f] - ctr[f])
						}
						near = near || d < 0.1
					}
					if !near {
						t.Errorf("centroid %v is no blob centre", cl.Centroid)
					}
				}
			}
		})
	}
}

func TestAutoKPicksTrueK(t *testing.T) {
	for _, k := range []int{3, 5} {
		var centres [][]float64
		for i := 0; i < k; i++ {
			centres = append(centres, []float64{float64(12 * i), float64(7 * (i % 2)), float64(-9 * (i % 3))})
		}
		x, truth := blobs(centres, 400, 1, 7)
		res, labels, err := Fit(x, Config{Features: feats3, MinK: 2, MaxK: 8, Seed: 3, SilhouetteSample: 500})
		if err != nil {
			t.Fatal(err)
		}
		if res.K != k {
			t.Errorf("auto k = %d, want %d (candidates %+v)", res.K, k, res.Candidates)
		}
		if !samePartition(labels, truth) {
			t.Errorf("k=%d: partition differs from the blobs", k)
		}
		if len(res.Candidates) != 7 || res.Silhouette < 0.7 {
			t.Errorf("candidates %d, silhouette %v", len(res.Candidates), res.Silhouette)
		}
	}
}

func TestSameSeedSameResult(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	x := make([]float64, 3*20000)
	for i := range x {
		x[i] = rng.NormFloat64() // no structure: the result depends on the seed
	}
	r1, l1, err := Fit(x, Config{Features: feats3, K: 6, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	r2, l2, _ := Fit(x, Config{Features: feats3, K: 6, Seed: 11})
	if !reflect.DeepEqual(r1, r2) || !reflect.DeepEqual(l1, l2) {
		t.Error("same seed, different result")
	}
	r3, _, _ := Fit(x, Config{Features: feats3, K: 6, Seed: 12})
	if reflect.DeepEqual(r1.Clusters, r3.Clusters) {
		t.Log("different seeds happened to agree (allowed, but unexpected on unstructured data)")
	}
	// Inertia reported equals the sum of squared z-distances to the centroids.
	z, _, _, _ := standardise(x, 3)
	sum := 0.0
	for i, l := range l1 {
		sum += sqDist(z[i*3:i*3+3], r1.Clusters[l].CentroidZ)
	}
	if math.Abs(sum-r1.Inertia) > 1e-6*sum {
		t.Errorf("inertia %v, recomputed %v", r1.Inertia, sum)
	}
}

func TestStandardiseAndUnits(t *testing.T) {
	// Two blobs on very different scales: standardisation lets both features count.
	x := []float64{1, 1000, 1, 1000, 2, 3000, 2, 3000}
	res, labels, err := Fit(x, Config{Features: []Feature{{Name: "f"}, {Name: "m"}}, K: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if labels[0] != labels[1] || labels[2] != labels[3] || labels[0] == labels[2] {
		t.Fatalf("labels %v", labels)
	}
	if !reflect.DeepEqual(res.Mean, []float64{1.5, 2000}) || !reflect.DeepEqual(res.Std, []float64{0.5, 1000}) {
		t.Errorf("mean %v std %v", res.Mean, res.Std)
	}
	lo := res.Clusters[labels[0]]
	if !reflect.DeepEqual(lo.Centroid, []float64{1, 1000}) || lo.Label != "low f, low m" {
		t.Errorf("cluster %+v", lo)
	}
}

func TestLabel(t *testing.T) {
	cases := []struct {
		z    []float64
		want string
	}{
		{[]float64{-1.2, 0.8, 1.5}, "recent, frequent, high spend"},
		{[]float64{1.0, -0.6, -0.2}, "lapsed, infrequent"},
		{[]float64{0.1, -0.4, 0.49}, "average"},
	}
	for _, c := range cases {
		if got := Label(RFMFeatures, c.z, 0.5); got != c.want {
			t.Errorf("Label(%v) = %q, want %q", c.z, got, c.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		x    []float64
		cfg  Config
	}{
		{"ragged", []float64{1, 2, 3, 4}, Config{Features: feats3, K: 1}},
		{"nan", []float64{1, 2, math.NaN()}, Config{Features: feats3, K: 1}},
		{"k too big", []float64{1, 2, 3}, Config{Features: feats3, K: 2}},
		{"no features", []float64{1}, Config{K: 1}},
		{"bad range", []float64{1, 2, 3, 4, 5, 6}, Config{Features: feats3, MinK: 3, MaxK: 2}},
	}
	for _, c := range cases {
		if _, _, err := Fit(c.x, c.cfg); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestRFMMatrix(t *testing.T) {
	day := func(s string) time.Time { tm, _ := time.Parse("2006-01-02", s); return tm }
	set := &customer.Set{AsOf: day("2024-03-31"), Customers: []customer.Customer{
		{ID: "a", Last: day("2024-03-01"), Orders: 4, Revenue: 1234500},
		{ID: "b", Last: day("2024-03-31"), Orders: 1, Revenue: 10000},
	}}
	want := []float64{30, 4, 123.45, 0, 1, 1}
	if got := RFMMatrix(set); !reflect.DeepEqual(got, want) {
		t.Errorf("RFMMatrix = %v, want %v", got, want)
	}
}
