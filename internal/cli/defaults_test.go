package cli

import (
	"os"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/crmlens/crmlens/analytics/clean"
)

// TestDefaultsShared: the CLI's cleaning defaults and the SegmentationModel
// CRD's default markers (the generated schema the API server applies) are
// both clean.Defaults, so a model and `crmlens analyze` on the same file
// agree without flags.
func TestDefaultsShared(t *testing.T) {
	want := clean.Defaults()
	if want != (clean.Rules{DropGifts: true, DedupeOrders: true, Refunds: clean.RefundNet}) {
		t.Fatalf("clean.Defaults() = %+v; docs/result-document.md states gifts dropped, dedupe on, refunds net", want)
	}
	o, err := parse([]string{"-f", "orders.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if got := o.cfg.Rules; got != want {
		t.Errorf("CLI default rules %+v, want %+v", got, want)
	}

	raw, err := os.ReadFile("../../config/crd/bases/analytics.crmlens.io_segmentationmodels.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema struct {
						Properties struct {
							Spec struct {
								Properties struct {
									Cleaning struct {
										Properties map[string]struct {
											Default any `json:"default"`
										} `json:"properties"`
									} `json:"cleaning"`
								} `json:"properties"`
							} `json:"spec"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) == 0 {
		t.Fatal("no versions in the CRD")
	}
	props := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties.Spec.Properties.Cleaning.Properties
	refunds := map[string]string{"Net": clean.RefundNet, "Drop": clean.RefundDrop}
	for _, c := range []struct {
		field string
		got   any
		want  any
	}{
		{"dropGifts", props["dropGifts"].Default, want.DropGifts},
		{"dedupeOrders", props["dedupeOrders"].Default, want.DedupeOrders},
		{"refunds", refunds[asString(props["refunds"].Default)], want.Refunds},
	} {
		if c.got != c.want {
			t.Errorf("CRD cleaning.%s default %v, clean.Defaults has %v", c.field, c.got, c.want)
		}
	}
}

func asString(v any) string { s, _ := v.(string); return s }
