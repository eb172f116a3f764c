package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// The committed reference must be what the generator makes of the committed
// CRDs, so a type change without `make docs` fails CI even where make does not
// run.
func TestCommittedReferenceIsCurrent(t *testing.T) {
	want, err := generate(filepath.Join("..", "..", "config", "crd", "bases"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "docs", "api-reference.md"))
	if err != nil {
		t.Fatalf("reading the committed reference: %v (run `make docs`)", err)
	}
	if string(got) == string(want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("docs/api-reference.md is stale (run `make docs`); first difference at line %d:\ncommitted: %s\ngenerated: %s", i+1, g, w)
		}
	}
}

// testCRD is a small CRD written by hand with one of each feature the
// reference renders.
const testCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.io
spec:
  group: example.io
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
    shortNames: [wd]
    categories: [toys]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - jsonPath: .spec.size
      name: Size
      type: integer
    schema:
      openAPIV3Schema:
        description: |-
          Widget is a thing
          on two lines.
        type: object
        required: [spec]
        properties:
          apiVersion:
            type: string
          spec:
            description: spec is the desired widget.
            type: object
            required: [size]
            x-kubernetes-validations:
            - rule: "!has(self.colour) || self.size > 1"
              message: "colour needs size > 1"
              fieldPath: .colour
            properties:
              size:
                description: size in <units> | cm.
                type: integer
                format: int32
                minimum: 1
                maximum: 10
              colour:
                type: string
                default: red
                enum: [red, blue]
              parts:
                type: array
                maxItems: 4
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name:
                      type: string
                      pattern: '^[a-z]+$'
                      maxLength: 8
              tags:
                type: array
                items:
                  type: string
              labels:
                type: object
                additionalProperties:
                  type: string
              window:
                anyOf:
                - type: integer
                - type: string
                x-kubernetes-int-or-string: true
              opts:
                type: object
                default: {}
                properties:
                  fast:
                    type: boolean
                    default: true
          status:
            type: object
            properties:
              count:
                description: count of parts.
                type: integer
                format: int64
`

func TestRender(t *testing.T) {
	crd, err := parseCRD([]byte(testCRD))
	if err != nil {
		t.Fatal(err)
	}
	out, err := render([]*apiextensionsv1.CustomResourceDefinition{crd})
	if err != nil {
		t.Fatal(err)
	}
	doc := string(out)
	for _, tc := range []struct{ name, want string }{
		{"toc", "- [Widget](#widget)"},
		{"kind description joined", "Widget is a thing on two lines."},
		{"short names", "| Short names | `wd` |"},
		{"categories", "| Categories | `toys` |"},
		{"printer column", "| Size | integer | `.spec.size` |"},
		{"bounds, required, escaping", "| `spec.size` | integer (int32) |  | **required**; value ≥ 1, ≤ 10 | size in &lt;units&gt; \\| cm. |"},
		{"default and enum, with a rule", "| `spec.colour` | string | `\"red\"` | one of `\"red\"`, `\"blue\"` |  |"},
		{"list map", "| `spec.parts` | []object |  | items ≤ 4; list map keyed by `name` |  |"},
		{"list item field", "| `spec.parts[].name` | string |  | **required**; pattern `^[a-z]+$`; length ≤ 8 |  |"},
		{"scalar list", "| `spec.tags` | []string |  |  |  |"},
		{"map", "| `spec.labels` | map[string]string |  |  |  |"},
		{"int or string", "| `spec.window` | int or string |"},
		{"object default", "| `spec.opts` | object | `{}` |"},
		{"nested default", "| `spec.opts.fast` | boolean | `true` |"},
		{"status", "| `status.count` | integer (int64) |  |  | count of parts. |"},
		{"CEL rule", "| `spec` | `!has(self.colour) \\|\\| self.size > 1` | colour needs size &gt; 1 | `spec.colour` |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(doc, tc.want) {
				t.Errorf("output lacks\n%s\n--- output ---\n%s", tc.want, doc)
			}
		})
	}
	// The spec itself is described in prose, not repeated as a row; scalar
	// list items without constraints add no row of their own.
	for _, unwanted := range []string{"| `spec` | object", "`spec.tags[]`", "apiVersion"} {
		if strings.Contains(doc, unwanted) {
			t.Errorf("output contains %q", unwanted)
		}
	}
	// Rows follow alphabetical field order, depth first.
	order := []string{"`spec.colour`", "`spec.labels`", "`spec.opts`", "`spec.opts.fast`", "`spec.parts`", "`spec.parts[].name`", "`spec.size`", "`spec.tags`", "`spec.window`"}
	last := -1
	for _, o := range order {
		i := strings.Index(doc, "| "+o+" |")
		if i < last {
			t.Errorf("%s is out of order", o)
		}
		last = i
	}
}

func TestGenerateErrors(t *testing.T) {
	notCRD := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty directory", nil, "no CRD manifests"},
		{"not a CRD", map[string]string{"cm.yaml": notCRD}, "unknown field"},
		{"wrong kind", map[string]string{"crd.yaml": "kind: Deployment\n"}, `kind "Deployment"`},
		{"no versions", map[string]string{"crd.yaml": "kind: CustomResourceDefinition\nspec:\n  group: x\n"}, "no version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := generate(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
