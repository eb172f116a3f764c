package controllers

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"

	"github.com/crmlens/crmlens/analytics/result"
)

func TestWarningsNoteAndEvent(t *testing.T) {
	doc := result.New()
	if warningsNote(doc) != "" {
		t.Errorf("note without warnings = %q", warningsNote(doc))
	}
	doc.Warnings = []result.Warning{
		{Report: "basket", Reason: "basket rules need a raw transaction source", Failed: true},
		{Report: "forecast", Reason: "fallback: 13 whole month steps are fewer than two seasons (24)"},
	}
	want := "; 2 warning(s): report basket not delivered: basket rules need a raw transaction source; forecast: fallback: 13 whole month steps are fewer than two seasons (24)"
	if got := warningsNote(doc); got != want {
		t.Errorf("note = %q\nwant %q", got, want)
	}
	rec := events.NewFakeRecorder(10)
	obj := &corev1.ConfigMap{}
	warningEvent(rec, obj, nil, "run-1", "Analyze", doc)
	warningEvent(rec, obj, nil, "run-2", "Analyze", result.New())
	close(rec.Events)
	var got []string
	for e := range rec.Events {
		got = append(got, e)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "Warning ReportWarning run run-1: report basket not delivered: ") || !strings.Contains(got[0], "; forecast: fallback") {
		t.Errorf("events = %q", got)
	}
	doc.Warnings = []result.Warning{{Report: "clv", Reason: strings.Repeat("x", 3000)}}
	if n := len(warningsNote(doc)); n > 1024 {
		t.Errorf("note of %d bytes", n)
	}
}
