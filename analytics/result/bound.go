package result

import (
	"encoding/json"
	"fmt"
	"slices"
)

// DefaultMaxBytes is the default size budget of the summary: half of a
// ConfigMap's 1 MiB limit, leaving room for other keys and metadata.
const DefaultMaxBytes = 512 << 10

// Shrinker is implemented by sections with lists Bound may shorten: Shrink
// cuts the section's longest list by about half and reports whether anything
// was cut.
type Shrinker interface {
	Shrink() bool
}

// Size returns the length of the document's JSON encoding.
func (d *Document) Size() (int, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return 0, fmt.Errorf("encode result document: %w", err)
	}
	return len(b), nil
}

// Bound cuts lists until the JSON encoding fits maxBytes (DefaultMaxBytes when
// maxBytes ≤ 0), setting Truncated and naming each cut list in
// TruncatedFields. Cuts, in order, until it fits: reject samples to 10, the
// oldest half of the cohorts, every other Lorenz point, the forecast history,
// basket rules and VIP profile lists (halving), then the forecast, basket and
// VIP sections, then all reject samples. Aggregate counts are never cut. It
// fails only when even that is not enough.
func Bound(d *Document, maxBytes int) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	for {
		n, err := d.Size()
		if err != nil {
			return err
		}
		if n <= maxBytes {
			return nil
		}
		if !d.cutOne() {
			return fmt.Errorf("result document is %d bytes after every cut, over the %d byte budget", n, maxBytes)
		}
	}
}

func (d *Document) mark(field string) {
	d.Truncated = true
	if !slices.Contains(d.TruncatedFields, field) {
		d.TruncatedFields = append(d.TruncatedFields, field)
	}
}

// cutOne makes the next cut and reports whether there was one to make.
func (d *Document) cutOne() bool {
	const keepSamples = 10
	if len(d.Input.RejectSamples) > keepSamples {
		d.Input.RejectSamples = d.Input.RejectSamples[:keepSamples]
		d.mark("input.rejectSamples")
		return true
	}
	if d.Cohort != nil && len(d.Cohort.Cohorts) > 1 {
		c := d.Cohort.Cohorts
		d.Cohort.Cohorts = c[len(c)/2:] // keep the newest half
		d.mark("cohort.cohorts")
		return true
	}
	if d.Pareto != nil && len(d.Pareto.Lorenz) > 11 {
		l := d.Pareto.Lorenz
		kept := l[:0:0]
		for i := 0; i < len(l); i += 2 {
			kept = append(kept, l[i])
		}
		if (len(l)-1)%2 != 0 {
			kept = append(kept, l[len(l)-1]) // always keep the (1, 1) end
		}
		d.Pareto.Lorenz = kept
		d.mark("pareto.lorenz")
		return true
	}
	// Shrink, in order, the forecast history, the weakest basket rules and
	// the VIP profile lists; then drop those sections whole.
	shrinkers := []struct {
		name string
		s    Shrinker
	}{{"forecast", d.Forecast}, {"basket", d.Basket}, {"vip", d.VIP}}
	for _, x := range shrinkers {
		if x.s.Shrink() { // nil sections report false
			d.mark(x.name)
			return true
		}
	}
	switch {
	case d.Forecast != nil:
		d.Forecast = nil
		d.mark("forecast")
		return true
	case d.Basket != nil:
		d.Basket = nil
		d.mark("basket")
		return true
	case d.VIP != nil:
		d.VIP = nil
		d.mark("vip")
		return true
	}
	if len(d.Input.RejectSamples) > 0 {
		d.Input.RejectSamples = d.Input.RejectSamples[:0]
		d.mark("input.rejectSamples")
		return true
	}
	return false
}
