package rfm

import (
	"strings"
	"testing"
)

// FuzzParseSegmentMap checks that any text either fails with an error or
// yields a map that names a segment for every code.
func FuzzParseSegmentMap(f *testing.F) {
	f.Add(string(StandardCSV()))
	f.Add("555,Top\n*,Rest\n")
	f.Add("code,segment\n\"5\"\"55\",x\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseSegmentMap(strings.NewReader(text))
		if err != nil {
			return
		}
		for r := uint8(1); r <= 5; r++ {
			for fr := uint8(1); fr <= 5; fr++ {
				for mo := uint8(1); mo <= 5; mo++ {
					if m.Segment(Scores{r, fr, mo}) == "" {
						t.Fatalf("code %d%d%d unnamed", r, fr, mo)
					}
				}
			}
		}
	})
}
