package controllers

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	"github.com/crmlens/crmlens/analytics/result"
)

// ReasonReportWarning is the Event reason of a result document's warning: a
// report that could not be computed (the run delivered the others) or a fit
// to read with care.
const ReasonReportWarning = "ReportWarning"

// warningText is one warning as a sentence.
func warningText(w result.Warning) string {
	if w.Failed {
		return fmt.Sprintf("report %s not delivered: %s", w.Report, w.Reason)
	}
	return fmt.Sprintf("%s: %s", w.Report, w.Reason)
}

// warningsNote is the suffix of a success condition's message that names the
// run's warnings ("" without any), bounded in length.
func warningsNote(doc *result.Document) string {
	if doc == nil || len(doc.Warnings) == 0 {
		return ""
	}
	parts := make([]string, len(doc.Warnings))
	for i, w := range doc.Warnings {
		parts[i] = warningText(w)
	}
	s := fmt.Sprintf("; %d warning(s): %s", len(parts), strings.Join(parts, "; "))
	if len(s) > 1024 {
		s = s[:1021] + "..."
	}
	return s
}

// warningEvent emits one Warning Event naming every warning of doc, about
// obj and the run's Job. One Event, not one per warning: the events API folds
// Events of the same object, reason and action into a series and keeps only
// the first note.
func warningEvent(rec events.EventRecorder, obj, job runtime.Object, run, action string, doc *result.Document) {
	if doc == nil || len(doc.Warnings) == 0 {
		return
	}
	parts := make([]string, len(doc.Warnings))
	for i, w := range doc.Warnings {
		parts[i] = warningText(w)
	}
	note := fmt.Sprintf("run %s: %s", run, strings.Join(parts, "; "))
	if len(note) > 1000 { // the events API refuses notes over 1 kB
		note = note[:997] + "..."
	}
	rec.Eventf(obj, job, corev1.EventTypeWarning, ReasonReportWarning, action, "%s", note)
}
