package lifecycle

import (
	"slices"
	"strings"
	"testing"
)

// FuzzReadAssignments checks that no input crashes the reader and that every
// stage read is a real stage.
func FuzzReadAssignments(f *testing.F) {
	f.Add("customer,stage\na,new\nb,churned\n")
	f.Add("stage,customer\n\"x\"\"y\",atRisk\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ReadAssignments(strings.NewReader(text))
		if err != nil {
			return
		}
		for id, s := range m {
			if !slices.Contains(Stages, s) {
				t.Fatalf("customer %q has stage %q", id, s)
			}
		}
	})
}
