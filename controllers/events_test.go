package controllers

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// TestAlertAction: each alert gets its own Event action (so the events API
// does not fold two alerts into one series), within the API's 128 bytes.
func TestAlertAction(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, c := range []struct{ a, b string }{{"churn-high", "aov-low"}, {long, long + "y"}} {
		x, y := alertAction(c.a), alertAction(c.b)
		if x == y || len(x) > 128 || len(y) > 128 {
			t.Errorf("actions %q and %q", x, y)
		}
	}
	if alertAction("churn-high") != "Alert:churn-high" {
		t.Errorf("action %q", alertAction("churn-high"))
	}
}

// TestReadyChanged: a DataSource update reaches the models and schedules
// that read it when its Ready condition turns True or False, not on every
// status write (lastProbeTime, lastRead).
func TestReadyChanged(t *testing.T) {
	ds := func(st metav1.ConditionStatus, probes int) *crmv1.DataSource {
		d := &crmv1.DataSource{}
		d.Status.Conditions = []metav1.Condition{{Type: crmv1.ConditionReady, Status: st}}
		d.Status.LastRead = &crmv1.SourceRead{Rows: int64(probes)}
		return d
	}
	p := readyChanged()
	for _, c := range []struct {
		name     string
		old, new *crmv1.DataSource
		want     bool
	}{
		{"recovered", ds(metav1.ConditionFalse, 1), ds(metav1.ConditionTrue, 1), true},
		{"went down", ds(metav1.ConditionTrue, 1), ds(metav1.ConditionFalse, 1), true},
		{"another status write", ds(metav1.ConditionTrue, 1), ds(metav1.ConditionTrue, 2), false},
	} {
		if got := p.Update(event.UpdateEvent{ObjectOld: c.old, ObjectNew: c.new}); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
