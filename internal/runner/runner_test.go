package runner

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/internal/runplan"
)

func TestMigrate(t *testing.T) {
	prev := NewTracker("uid")
	for c, s := range map[string]string{"a": "Champions", "b": "Champions", "c": "Lost", "d": "At Risk", "gone": "Lost"} {
		prev.Add(c, s)
	}
	cur := NewTracker("uid")
	for c, s := range map[string]string{"a": "Champions", "b": "At Risk", "c": "Lost", "d": "Lost", "new1": "New", "new2": "New"} {
		cur.Add(c, s)
	}
	// Round trip through the stored form first.
	b, err := prev.Assignments().Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodeAssignments(b)
	if err != nil {
		t.Fatal(err)
	}
	got := Migrate(p, cur.Assignments())
	want := []runplan.Migration{
		{From: "", To: "New", Customers: 2},
		{From: "At Risk", To: "Lost", Customers: 1},
		{From: "Champions", To: "At Risk", Customers: 1},
		{From: "Lost", To: "", Customers: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Migrate = %+v\nwant %+v", got, want)
	}
	// A different key (another model) cannot follow the same customers.
	other := NewTracker("other-uid")
	other.Add("a", "Champions")
	if m := Migrate(other.Assignments(), cur.Assignments()); len(m) == 0 || m[0].From != "" {
		t.Errorf("hashes not keyed: %+v", m)
	}
}

func TestSegmentMapFirstMatchWins(t *testing.T) {
	sm, err := SegmentMap([]runplan.RFMSegment{
		{Segment: "Top", Recency: "5", Frequency: "5", Monetary: "4-5"},
		{Segment: "Recent", Recency: "4-5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r, f, m uint8
		want    string
	}{{5, 5, 5, "Top"}, {5, 5, 4, "Top"}, {5, 5, 3, "Recent"}, {4, 1, 1, "Recent"}, {3, 5, 5, "Other"}, {1, 1, 1, "Other"}} {
		if got := sm.Segment(rfm.Scores{R: c.r, F: c.f, M: c.m}); got != c.want {
			t.Errorf("%d%d%d → %q, want %q", c.r, c.f, c.m, got, c.want)
		}
	}
	if _, err := SegmentMap([]runplan.RFMSegment{{Segment: "x", Recency: "5-3"}}); err == nil {
		t.Error("descending range accepted")
	}
}

func plan(seed int64, months int) *runplan.Plan {
	return &runplan.Plan{
		APIVersion: runplan.Version,
		Owner:      runplan.Owner{APIVersion: "analytics.crmlens.io/v1alpha1", Kind: "SegmentationModel", Namespace: "shop", Name: "rfm", UID: "u-1"},
		Run:        "rfm-g1", ResultConfigMap: "rfm-result", StateConfigMap: "rfm-state",
		Sources:  []runplan.Source{{Name: "sample", Sample: &runplan.Sample{Customers: 300, Seed: seed, Months: months}}},
		Analysis: runplan.Analysis{Method: "RFM", Reports: []string{"KPI"}, Cleaning: runplan.Cleaning{DropGifts: true, DedupeOrders: true}},
		Created:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestRunWritesResultAndMigration(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r := &Runner{Client: c, Log: testr.New(t), Creds: func(string) string { return "" }}
	ctx := context.Background()

	if err := r.Run(ctx, plan(7, 24)); err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "rfm-result"}, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Labels[runplan.LabelRun] != "rfm-g1" || cm.Labels[runplan.LabelOwnerName] != "rfm" || len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != "u-1" {
		t.Errorf("meta = %+v", cm.ObjectMeta)
	}
	var doc result.Document
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyResult]), &doc); err != nil {
		t.Fatal(err)
	}
	var out runplan.Outcome
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyOutcome]), &out); err != nil {
		t.Fatal(err)
	}
	if doc.Input.Customers == 0 || doc.Input.Customers > 300 || len(doc.Segments) == 0 || doc.KPI == nil {
		t.Fatalf("document: customers=%d segments=%d kpi=%v", doc.Input.Customers, len(doc.Segments), doc.KPI != nil)
	}
	if !out.Succeeded || out.MigrationNote == "" || len(out.Migrations) != 0 {
		t.Errorf("first outcome = %+v", out)
	}
	if out.Metrics["churnRate"] != doc.KPI.ChurnRate || out.Metrics["customers"] != float64(doc.Input.Customers) {
		t.Errorf("metrics = %v", out.Metrics)
	}
	var sum int64
	for _, s := range doc.Segments {
		sum += s.Customers
	}
	if sum != doc.Input.Customers {
		t.Errorf("segments hold %d customers, input %d", sum, doc.Input.Customers)
	}

	// Same data again: nobody moves.
	p := plan(7, 24)
	p.Run = "rfm-g2"
	if err := r.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "rfm-result"}, &cm); err != nil {
		t.Fatal(err)
	}
	out = runplan.Outcome{}
	_ = json.Unmarshal([]byte(cm.Data[runplan.KeyOutcome]), &out)
	if len(out.Migrations) != 0 || out.MigrationNote != "" || cm.Labels[runplan.LabelRun] != "rfm-g2" {
		t.Errorf("second outcome = %+v (labels %v)", out, cm.Labels)
	}

	// Half the history: customers move between segments; every customer of
	// the new run is accounted for exactly once (moved, new or unchanged).
	p = plan(7, 12)
	p.Run = "rfm-g3"
	if err := r.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	_ = c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "rfm-result"}, &cm)
	out = runplan.Outcome{}
	_ = json.Unmarshal([]byte(cm.Data[runplan.KeyOutcome]), &out)
	if len(out.Migrations) == 0 {
		t.Fatal("no migration after the data changed")
	}
	for _, m := range out.Migrations {
		if m.From == m.To || m.Customers <= 0 {
			t.Errorf("bad migration %+v", m)
		}
	}
}

func TestRunFailureKeepsPreviousResult(t *testing.T) {
	prevCM := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "rfm-result"}, Data: map[string]string{runplan.KeyResult: "previous"}}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(prevCM).Build()
	r := &Runner{Client: c, Log: logr.Discard(), Creds: func(string) string { return "" }}
	p := plan(1, 12)
	p.Sources = []runplan.Source{{Name: "inline", ConfigMap: &runplan.ConfigMap{Name: "missing", Key: "data.csv"}}}
	err := r.Run(context.Background(), p)
	if err == nil {
		t.Fatal("run with a missing ConfigMap succeeded")
	}
	if got := Reason(err); got != "SourceNotFound" {
		t.Errorf("reason = %q", got)
	}
	if err := r.RecordFailure(context.Background(), p, Reason(err), err); err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	_ = c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "rfm-result"}, &cm)
	if cm.Data[runplan.KeyResult] != "previous" {
		t.Error("failed run overwrote the previous result")
	}
	var f runplan.Outcome
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyFailure]), &f); err != nil || f.Run != "rfm-g1" || f.Reason != "SourceNotFound" || f.Succeeded {
		t.Errorf("failure outcome = %+v (%v)", f, err)
	}
}
