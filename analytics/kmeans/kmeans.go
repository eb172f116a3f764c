// Package kmeans clusters customers on standardised behavioural features:
// z-scored columns, k-means++ seeding (greedy, deterministic for a seed),
// Lloyd iterations split across workers, and k either fixed or chosen by the
// silhouette over a range. Centroids are reported in original units with a
// plain-words label derived from their z-scores.
package kmeans

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Feature names one input column and the words used for it in cluster labels.
type Feature struct {
	Name string `json:"name"`
	// High and Low describe a centroid well above or below the mean, e.g.
	// "frequent"/"infrequent". Empty means "high <name>"/"low <name>".
	High string `json:"-"`
	Low  string `json:"-"`
}

// Config controls a clustering run. The zero value (with Features set) picks
// k in 2..8 by silhouette.
type Config struct {
	Features []Feature
	// K fixes the number of clusters; 0 chooses it by silhouette in [MinK, MaxK],
	// clustering the full data once per candidate k.
	K          int
	MinK, MaxK int // defaults 2 and 8
	Seed       uint64
	// Restarts is the number of k-means++ initialisations per k; the run
	// with the lowest inertia is kept. Default 1.
	Restarts int
	MaxIter  int     // Lloyd iterations per run; default 300
	Tol      float64 // stop when the total squared centroid shift (z units) is below Tol·features; default 1e-4
	// SilhouetteSample bounds the points used to score each k: the silhouette
	// is O(n²), so it is computed on a seeded random sample of this many points
	// (with their labels from the full clustering). Default 2000.
	SilhouetteSample int
	Workers          int // 0 means GOMAXPROCS
	// LabelThreshold is the |z| from which a centroid counts as high or low; default 0.5.
	LabelThreshold float64
}

// Cluster is one cluster of the result.
type Cluster struct {
	Index     int       `json:"index"`
	Size      int       `json:"size"`
	Share     float64   `json:"share"`     // of all points
	Centroid  []float64 `json:"centroid"`  // original units, in Features order
	CentroidZ []float64 `json:"centroidZ"` // standardised
	Label     string    `json:"label"`
}

// Candidate is the score of one k tried by the automatic choice.
type Candidate struct {
	K          int     `json:"k"`
	Silhouette float64 `json:"silhouette"`
	Inertia    float64 `json:"inertia"`
}

// Result is the clustering summary; per-point assignments are returned apart.
type Result struct {
	K          int         `json:"k"`
	Features   []string    `json:"features"`
	Mean       []float64   `json:"mean"`
	Std        []float64   `json:"std"`
	Inertia    float64     `json:"inertia"` // sum of squared distances in z units
	Iterations int         `json:"iterations"`
	Silhouette float64     `json:"silhouette,omitempty"` // sampled; set when k was chosen automatically
	Candidates []Candidate `json:"candidates,omitempty"`
	Clusters   []Cluster   `json:"clusters"`
}

func (c Config) withDefaults(n int) (Config, error) {
	if len(c.Features) == 0 {
		return c, errors.New("kmeans: no features")
	}
	if c.MinK == 0 {
		c.MinK = 2
	}
	if c.MaxK == 0 {
		c.MaxK = 8
	}
	if c.MaxIter == 0 {
		c.MaxIter = 300
	}
	if c.Restarts == 0 {
		c.Restarts = 1
	}
	if c.Tol == 0 {
		c.Tol = 1e-4
	}
	if c.SilhouetteSample == 0 {
		c.SilhouetteSample = 2000
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.LabelThreshold == 0 {
		c.LabelThreshold = 0.5
	}
	switch {
	case c.K < 0:
		return c, fmt.Errorf("kmeans: k must be ≥ 0, got %d", c.K)
	case c.Restarts < 1 || c.MaxIter < 1:
		return c, fmt.Errorf("kmeans: restarts (%d) and max iterations (%d) must be ≥ 1", c.Restarts, c.MaxIter)
	case c.K > 0 && c.K > n:
		return c, fmt.Errorf("kmeans: k = %d exceeds the %d points", c.K, n)
	case c.K == 0 && (c.MinK < 2 || c.MaxK < c.MinK):
		return c, fmt.Errorf("kmeans: automatic k needs 2 ≤ minK ≤ maxK, got %d..%d", c.MinK, c.MaxK)
	case c.K == 0 && c.MinK > n:
		return c, fmt.Errorf("kmeans: minK = %d exceeds the %d points", c.MinK, n)
	case c.SilhouetteSample < 2:
		return c, errors.New("kmeans: silhouette sample must be ≥ 2")
	}
	if c.K == 0 && c.MaxK > n {
		c.MaxK = n
	}
	return c, nil
}

// Fit clusters the n×d row-major matrix x (d = len(cfg.Features)). It returns
// the summary and the cluster index of every row.
func Fit(x []float64, cfg Config) (Result, []int, error) {
	d := len(cfg.Features)
	if d == 0 || len(x)%d != 0 {
		return Result{}, nil, fmt.Errorf("kmeans: %d values do not form rows of %d features", len(x), d)
	}
	n := len(x) / d
	cfg, err := cfg.withDefaults(n)
	if err != nil {
		return Result{}, nil, err
	}
	if n == 0 {
		return Result{}, nil, errors.New("kmeans: no points")
	}
	z, mean, std, err := standardise(x, d)
	if err != nil {
		return Result{}, nil, err
	}
	res := Result{Mean: mean, Std: std}
	for _, f := range cfg.Features {
		res.Features = append(res.Features, f.Name)
	}
	var best *run
	if cfg.K > 0 {
		best = bestOf(z, d, cfg.K, cfg, cfg.Seed)
	} else {
		sample := sampleIndex(n, cfg.SilhouetteSample, cfg.Seed)
		bestS := math.Inf(-1)
		for k := cfg.MinK; k <= cfg.MaxK; k++ {
			r := bestOf(z, d, k, cfg, cfg.Seed+uint64(k))
			s := silhouette(z, d, r.labels, k, sample)
			res.Candidates = append(res.Candidates, Candidate{K: k, Silhouette: s, Inertia: r.inertia})
			if s > bestS {
				bestS, best = s, r
			}
		}
		res.Silhouette = bestS
	}
	res.K, res.Inertia, res.Iterations = best.k, best.inertia, best.iter
	sizes := make([]int, best.k)
	for _, l := range best.labels {
		sizes[l]++
	}
	for j := 0; j < best.k; j++ {
		cz := append([]float64(nil), best.centers[j*d:(j+1)*d]...)
		c := Cluster{Index: j, Size: sizes[j], Share: float64(sizes[j]) / float64(n), CentroidZ: cz, Centroid: make([]float64, d)}
		for f := range cz {
			c.Centroid[f] = mean[f] + cz[f]*std[f]
		}
		c.Label = Label(cfg.Features, cz, cfg.LabelThreshold)
		res.Clusters = append(res.Clusters, c)
	}
	return res, best.labels, nil
}

// standardise z-scores each column (population standard deviation). A constant
// column gets std 1 so it contributes nothing instead of dividing by zero.
func standardise(x []float64, d int) (z, mean, std []float64, err error) {
	n := len(x) / d
	mean, std = make([]float64, d), make([]float64, d)
	for i := 0; i < n; i++ {
		for f := 0; f < d; f++ {
			v := x[i*d+f]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, nil, fmt.Errorf("kmeans: row %d feature %d is not finite", i, f)
			}
			mean[f] += v
		}
	}
	for f := range mean {
		mean[f] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for f := 0; f < d; f++ {
			dv := x[i*d+f] - mean[f]
			std[f] += dv * dv
		}
	}
	for f := range std {
		std[f] = math.Sqrt(std[f] / float64(n))
		if std[f] == 0 {
			std[f] = 1
		}
	}
	z = make([]float64, len(x))
	for i := 0; i < n; i++ {
		for f := 0; f < d; f++ {
			z[i*d+f] = (x[i*d+f] - mean[f]) / std[f]
		}
	}
	return z, mean, std, nil
}

type run struct {
	k       int
	centers []float64
	labels  []int
	inertia float64
	iter    int
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		t := a[i] - b[i]
		s += t * t
	}
	return s
}

// seedPlusPlus is greedy k-means++ (Arthur & Vassilvitskii 2007, with the
// 2+ln k local trials scikit-learn uses): each new centre is the best of a few
// D²-weighted draws.
func seedPlusPlus(z []float64, d, k int, rng *rand.Rand) []float64 {
	n := len(z) / d
	centers := make([]float64, 0, k*d)
	first := rng.IntN(n)
	centers = append(centers, z[first*d:(first+1)*d]...)
	closest := make([]float64, n)
	pot := 0.0
	for i := 0; i < n; i++ {
		closest[i] = sqDist(z[i*d:(i+1)*d], centers[:d])
		pot += closest[i]
	}
	trials := 2 + int(math.Log(float64(k)))
	cand := make([]float64, n)
	bestD := make([]float64, n)
	for c := 1; c < k; c++ {
		bestPot, bestIdx := math.Inf(1), -1
		for t := 0; t < trials; t++ {
			idx := drawD2(closest, pot, rng)
			cp := 0.0
			cz := z[idx*d : (idx+1)*d]
			for i := 0; i < n; i++ {
				v := min(closest[i], sqDist(z[i*d:(i+1)*d], cz))
				cand[i] = v
				cp += v
			}
			if cp < bestPot {
				bestPot, bestIdx = cp, idx
				copy(bestD, cand)
			}
		}
		centers = append(centers, z[bestIdx*d:(bestIdx+1)*d]...)
		copy(closest, bestD)
		pot = bestPot
	}
	return centers
}

func drawD2(closest []float64, pot float64, rng *rand.Rand) int {
	if pot <= 0 {
		return rng.IntN(len(closest)) // all points coincide with centres
	}
	u := rng.Float64() * pot
	for i, v := range closest {
		u -= v
		if u < 0 {
			return i
		}
	}
	return len(closest) - 1
}

// restartStride spreads the seeds of restarts (the 64-bit golden ratio), so
// restart r of one k never reuses the seed of another k.
const restartStride = 0x9e3779b97f4a7c15

// bestOf runs cfg.Restarts seeded k-means fits and keeps the one with the
// lowest inertia; restart 0 uses seed itself.
func bestOf(z []float64, d, k int, cfg Config, seed uint64) *run {
	var best *run
	for r := 0; r < cfg.Restarts; r++ {
		cur := lloyd(z, d, k, cfg, seed+uint64(r)*restartStride)
		if best == nil || cur.inertia < best.inertia {
			best = cur
		}
	}
	return best
}

// lloyd runs seeded k-means to convergence.
func lloyd(z []float64, d, k int, cfg Config, seed uint64) *run {
	n := len(z) / d
	rng := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d))
	r := &run{k: k, centers: seedPlusPlus(z, d, k, rng), labels: make([]int, n)}
	workers := cfg.Workers
	if n < 10000 {
		workers = 1
	}
	type part struct {
		sums    []float64
		counts  []int
		inertia float64
		changed int
	}
	parts := make([]part, workers)
	for w := range parts {
		parts[w] = part{sums: make([]float64, k*d), counts: make([]int, k)}
	}
	for i := range r.labels {
		r.labels[i] = -1
	}
	assign := func(p *part, lo, hi int) {
		clear(p.sums)
		clear(p.counts)
		p.inertia, p.changed = 0, 0
		cs := r.centers
		for i := lo; i < hi; i++ {
			pt := z[i*d : (i+1)*d]
			best, bd := 0, math.Inf(1)
			for j := 0; j < k; j++ {
				c := cs[j*d : (j+1)*d]
				var s float64
				for f := range pt {
					t := pt[f] - c[f]
					s += t * t
				}
				if s < bd {
					best, bd = j, s
				}
			}
			if r.labels[i] != best {
				r.labels[i] = best
				p.changed++
			}
			p.inertia += bd
			p.counts[best]++
			sum := p.sums[best*d : (best+1)*d]
			for f := range pt {
				sum[f] += pt[f]
			}
		}
	}
	step := func() (inertia float64, changed int, sums []float64, counts []int) {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				assign(&parts[w], n*w/workers, n*(w+1)/workers)
			}(w)
		}
		wg.Wait()
		sums, counts = parts[0].sums, parts[0].counts
		for w := 0; w < workers; w++ {
			if w > 0 {
				for i, v := range parts[w].sums {
					sums[i] += v
				}
				for i, v := range parts[w].counts {
					counts[i] += v
				}
			}
			inertia += parts[w].inertia
			changed += parts[w].changed
		}
		return
	}
	for r.iter = 1; r.iter <= cfg.MaxIter; r.iter++ {
		inertia, changed, sums, counts := step()
		r.inertia = inertia
		if changed == 0 {
			break
		}
		shift := 0.0
		for j := 0; j < k; j++ {
			c := r.centers[j*d : (j+1)*d]
			if counts[j] == 0 {
				// Empty cluster: restart it on the point farthest from its centre.
				far := farthest(z, d, r.labels, r.centers)
				copy(c, z[far*d:(far+1)*d])
				shift = math.Inf(1)
				continue
			}
			for f := range c {
				nv := sums[j*d+f] / float64(counts[j])
				shift += (nv - c[f]) * (nv - c[f])
				c[f] = nv
			}
		}
		if shift <= cfg.Tol*float64(d) {
			// Final assignment against the moved centres, so labels and inertia match them.
			r.inertia, _, _, _ = step()
			break
		}
	}
	if r.iter > cfg.MaxIter {
		r.iter = cfg.MaxIter
	}
	return r
}

func farthest(z []float64, d int, labels []int, centers []float64) int {
	best, bd := 0, -1.0
	for i, l := range labels {
		if v := sqDist(z[i*d:(i+1)*d], centers[l*d:(l+1)*d]); v > bd {
			best, bd = i, v
		}
	}
	return best
}

// sampleIndex returns min(n, m) distinct indices chosen with a seeded shuffle.
func sampleIndex(n, m int, seed uint64) []int {
	if n <= m {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	rng := rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb))
	seen := make(map[int]bool, m)
	idx := make([]int, 0, m)
	for len(idx) < m {
		i := rng.IntN(n)
		if !seen[i] {
			seen[i] = true
			idx = append(idx, i)
		}
	}
	return idx
}

// silhouette is the mean silhouette of the sampled points, with distances taken
// among the sample only (as scikit-learn's silhouette_score with sample_size).
func silhouette(z []float64, d int, labels []int, k int, sample []int) float64 {
	var total float64
	count := 0
	sum := make([]float64, k)
	cnt := make([]int, k)
	for _, i := range sample {
		clear(sum)
		clear(cnt)
		pi := z[i*d : (i+1)*d]
		for _, j := range sample {
			if i == j {
				continue
			}
			sum[labels[j]] += math.Sqrt(sqDist(pi, z[j*d:(j+1)*d]))
			cnt[labels[j]]++
		}
		own := labels[i]
		if cnt[own] == 0 {
			count++ // singleton cluster in the sample: silhouette 0 by convention
			continue
		}
		a := sum[own] / float64(cnt[own])
		b := math.Inf(1)
		for c := 0; c < k; c++ {
			if c != own && cnt[c] > 0 {
				b = min(b, sum[c]/float64(cnt[c]))
			}
		}
		if math.IsInf(b, 1) {
			count++
			continue
		}
		if m := max(a, b); m > 0 {
			total += (b - a) / m
		}
		count++
	}
	if count == 0 {
		return 0
	}
	return total / float64(count)
}
