package main

import (
	"strings"
	"testing"
)

func TestRenderSetsImageEverywhere(t *testing.T) {
	tests := []struct{ image, want string }{
		{"", "ghcr.io/crmlens/crmlens:0.0.0-dev"},
		{"reg.example/crm:v1.2", "reg.example/crm:v1.2"},
		{"reg.example:5000/team/crm:v1", "reg.example:5000/team/crm:v1"},
		{"reg.example:5000/crm", "reg.example:5000/crm:0.0.0-dev"}, // kustomize keeps the tag
		{"reg.example/crm@sha256:" + strings.Repeat("ab", 32), "reg.example/crm@sha256:" + strings.Repeat("ab", 32)},
	}
	for _, tt := range tests {
		out, err := render("../../config/default", tt.image)
		if err != nil {
			t.Fatalf("render(%q): %v", tt.image, err)
		}
		s := string(out)
		// The manager container and its CRMLENS_IMAGE variable, nothing else.
		if n := strings.Count(s, tt.want+"\n"); n != 2 {
			t.Errorf("image %q: %d occurrences of %q, want 2 (image and CRMLENS_IMAGE)", tt.image, n, tt.want)
		}
		if tt.image != "" && strings.Contains(s, "ghcr.io/crmlens/crmlens") {
			t.Errorf("image %q: the default image is still in the output", tt.image)
		}
	}
}

func TestRenderRefusesBadImage(t *testing.T) {
	for _, image := range []string{":v1", "reg.example/crm:v1 --evil", `a"b`} {
		if _, err := render("../../config/default", image); err == nil {
			t.Errorf("render accepted image %q", image)
		}
	}
}
