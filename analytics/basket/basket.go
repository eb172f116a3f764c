// Package basket mines association rules ("customers who buy X also buy Y")
// from baskets of item IDs with the Apriori algorithm, reporting each rule's
// support, confidence and lift.
//
// Memory is bounded by configuration, not by the data: only the MaxItems most
// frequent items (that pass MinSupport) enter itemset counting, itemsets grow to
// at most MaxLen items, each level keeps at most MaxCandidates candidate
// itemsets (beyond that mining stops at the previous level and the result says
// so), and at most MaxRules rules are returned. The baskets themselves are held
// as small integer slices of the kept items.
package basket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Config sets the rule thresholds and memory bounds. Zero fields take the
// defaults in brackets.
type Config struct {
	MinSupport    float64 `json:"minSupport"`    // share of baskets holding the whole itemset [0.01]
	MinConfidence float64 `json:"minConfidence"` // P(consequent | antecedent) [0.1]
	MinLift       float64 `json:"minLift"`       // confidence / P(consequent) [0: no filter]
	MaxLen        int     `json:"maxLen"`        // items per itemset (antecedent + consequent) [3]
	MaxItems      int     `json:"maxItems"`      // distinct frequent items considered [1000]
	MaxCandidates int     `json:"maxCandidates"` // candidate itemsets per level [200000]
	MaxRules      int     `json:"maxRules"`      // rules returned, best lift first [1000]
}

func (c Config) withDefaults() (Config, error) {
	if c.MinSupport == 0 {
		c.MinSupport = 0.01
	}
	if c.MinConfidence == 0 {
		c.MinConfidence = 0.1
	}
	if c.MaxLen == 0 {
		c.MaxLen = 3
	}
	if c.MaxItems == 0 {
		c.MaxItems = 1000
	}
	if c.MaxCandidates == 0 {
		c.MaxCandidates = 200000
	}
	if c.MaxRules == 0 {
		c.MaxRules = 1000
	}
	switch {
	case !(c.MinSupport > 0 && c.MinSupport <= 1):
		return c, fmt.Errorf("basket: minSupport must be in (0, 1], got %g", c.MinSupport)
	case !(c.MinConfidence > 0 && c.MinConfidence <= 1):
		return c, fmt.Errorf("basket: minConfidence must be in (0, 1], got %g", c.MinConfidence)
	case c.MinLift < 0:
		return c, fmt.Errorf("basket: minLift must be ≥ 0, got %g", c.MinLift)
	case c.MaxLen < 2:
		return c, fmt.Errorf("basket: maxLen must be ≥ 2, got %d", c.MaxLen)
	case c.MaxItems < 2 || c.MaxCandidates < 1 || c.MaxRules < 1:
		return c, errors.New("basket: maxItems must be ≥ 2, maxCandidates and maxRules ≥ 1")
	}
	return c, nil
}

// Rule is an association rule Antecedent → Consequent.
type Rule struct {
	Antecedent []string `json:"antecedent"`
	Consequent []string `json:"consequent"`
	Count      int      `json:"count"`      // baskets holding both sides
	Support    float64  `json:"support"`    // Count / baskets
	Confidence float64  `json:"confidence"` // Count / baskets holding the antecedent
	Lift       float64  `json:"lift"`       // Confidence / support of the consequent
}

// Result is the mining summary. Item IDs are product identifiers, not
// personal data.
type Result struct {
	Config        Config `json:"config"`
	Baskets       int    `json:"baskets"`
	Items         int    `json:"items"`         // distinct items seen
	FrequentItems int    `json:"frequentItems"` // items that entered counting
	Itemsets      int    `json:"itemsets"`      // frequent itemsets of size ≥ 2
	Rules         []Rule `json:"rules"`
	// Truncated lists the bounds that cut the result short ("maxItems",
	// "maxCandidates", "maxRules").
	Truncated []string `json:"truncated,omitempty"`
}

type itemset struct {
	items []int32
	count int
}

func key(items []int32) string {
	b := make([]byte, 4*len(items))
	for i, v := range items {
		binary.BigEndian.PutUint32(b[4*i:], uint32(v))
	}
	return string(b)
}

// Mine finds the rules in baskets. Duplicate items within a basket count once.
func Mine(baskets [][]string, cfg Config) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	res := Result{Config: cfg, Baskets: len(baskets)}
	if len(baskets) == 0 {
		return res, nil
	}
	n := float64(len(baskets))
	// Small epsilon so that e.g. 0.6·5 = 3 is not rounded up to 4 by float error.
	minCount := int(math.Ceil(cfg.MinSupport*n - 1e-9))
	counts := map[string]int{}
	for _, b := range baskets {
		for i, it := range b {
			if slices.Index(b[:i], it) >= 0 {
				continue
			}
			counts[it]++
		}
	}
	res.Items = len(counts)
	var names []string
	for it, c := range counts {
		if c >= minCount {
			names = append(names, it)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if counts[names[i]] != counts[names[j]] {
			return counts[names[i]] > counts[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) > cfg.MaxItems {
		names = names[:cfg.MaxItems]
		res.Truncated = append(res.Truncated, "maxItems")
	}
	slices.Sort(names)
	res.FrequentItems = len(names)
	id := make(map[string]int32, len(names))
	for i, nm := range names {
		id[nm] = int32(i)
	}
	single := make([]int, len(names))
	enc := make([][]int32, 0, len(baskets))
	for _, b := range baskets {
		var e []int32
		for _, it := range b {
			if v, ok := id[it]; ok && !slices.Contains(e, v) {
				e = append(e, v)
			}
		}
		if len(e) >= 2 {
			slices.Sort(e)
			enc = append(enc, e)
		}
		for _, v := range e {
			single[v]++
		}
	}
	freq := map[string]int{} // all frequent itemsets (size ≥ 1) by key
	for i, c := range single {
		freq[key([]int32{int32(i)})] = c
	}
	level := make([]itemset, 0, len(names))
	for i := range names {
		level = append(level, itemset{items: []int32{int32(i)}, count: single[i]})
	}
	var all []itemset
	for k := 2; k <= cfg.MaxLen && len(level) > 1; k++ {
		cands, ok := candidates(level, freq, cfg.MaxCandidates)
		if !ok {
			res.Truncated = append(res.Truncated, "maxCandidates")
			break
		}
		if len(cands) == 0 {
			break
		}
		countCandidates(enc, cands, k)
		level = level[:0:0]
		for kk, c := range cands {
			if *c >= minCount {
				items := make([]int32, k)
				for i := range items {
					items[i] = int32(binary.BigEndian.Uint32([]byte(kk[4*i:])))
				}
				level = append(level, itemset{items: items, count: *c})
				freq[kk] = *c
			}
		}
		sort.Slice(level, func(i, j int) bool { return slices.Compare(level[i].items, level[j].items) < 0 })
		all = append(all, level...)
	}
	res.Itemsets = len(all)
	res.Rules = rules(all, freq, names, n, cfg)
	if len(res.Rules) > cfg.MaxRules {
		res.Rules = res.Rules[:cfg.MaxRules]
		res.Truncated = append(res.Truncated, "maxRules")
	}
	return res, nil
}

// candidates joins frequent (k−1)-itemsets sharing their first k−2 items and
// keeps those whose every (k−1)-subset is frequent (the Apriori property).
func candidates(level []itemset, freq map[string]int, limit int) (map[string]*int, bool) {
	out := map[string]*int{}
	for i := 0; i < len(level); i++ {
		a := level[i].items
		for j := i + 1; j < len(level); j++ {
			b := level[j].items
			if !slices.Equal(a[:len(a)-1], b[:len(b)-1]) {
				break // level is sorted: no later itemset shares the prefix
			}
			c := append(slices.Clone(a), b[len(b)-1])
			if !allSubsetsFrequent(c, freq) {
				continue
			}
			if len(out) >= limit {
				return nil, false
			}
			out[key(c)] = new(int)
		}
	}
	return out, true
}

func allSubsetsFrequent(c []int32, freq map[string]int) bool {
	sub := make([]int32, 0, len(c)-1)
	for skip := range c {
		sub = sub[:0]
		for i, v := range c {
			if i != skip {
				sub = append(sub, v)
			}
		}
		if _, ok := freq[key(sub)]; !ok {
			return false
		}
	}
	return true
}

// countCandidates adds one to every candidate k-itemset contained in each
// basket, enumerating the basket's k-subsets.
func countCandidates(baskets [][]int32, cands map[string]*int, k int) {
	buf := make([]byte, 4*k)
	pick := make([]int, k)
	for _, b := range baskets {
		if len(b) < k {
			continue
		}
		for i := range pick {
			pick[i] = i
		}
		for {
			for i, p := range pick {
				binary.BigEndian.PutUint32(buf[4*i:], uint32(b[p]))
			}
			if c, ok := cands[string(buf)]; ok {
				*c++
			}
			// Next combination in lexicographic order.
			i := k - 1
			for i >= 0 && pick[i] == len(b)-k+i {
				i--
			}
			if i < 0 {
				break
			}
			pick[i]++
			for j := i + 1; j < k; j++ {
				pick[j] = pick[j-1] + 1
			}
		}
	}
}

func rules(sets []itemset, freq map[string]int, names []string, n float64, cfg Config) []Rule {
	var out []Rule
	for _, s := range sets {
		k := len(s.items)
		// Every non-empty proper subset (bitmask) is an antecedent.
		for mask := 1; mask < (1<<k)-1; mask++ {
			var ante, cons []int32
			for i, v := range s.items {
				if mask&(1<<i) != 0 {
					ante = append(ante, v)
				} else {
					cons = append(cons, v)
				}
			}
			conf := float64(s.count) / float64(freq[key(ante)])
			lift := conf / (float64(freq[key(cons)]) / n)
			if conf < cfg.MinConfidence-1e-12 || lift < cfg.MinLift-1e-12 {
				continue
			}
			out = append(out, Rule{Antecedent: label(ante, names), Consequent: label(cons, names), Count: s.count,
				Support: float64(s.count) / n, Confidence: conf, Lift: lift})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Lift != b.Lift {
			return a.Lift > b.Lift
		}
		if a.Confidence != b.Confidence {
			return a.Confidence > b.Confidence
		}
		if a.Support != b.Support {
			return a.Support > b.Support
		}
		as, bs := strings.Join(a.Antecedent, "\x00")+"\x01"+strings.Join(a.Consequent, "\x00"), strings.Join(b.Antecedent, "\x00")+"\x01"+strings.Join(b.Consequent, "\x00")
		return as < bs
	})
	return out
}

func label(ids []int32, names []string) []string {
	out := make([]string, len(ids))
	for i, v := range ids {
		out[i] = names[v]
	}
	return out
}
