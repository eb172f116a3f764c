package runplan

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

func i32(v int32) *int32 { return &v }

func dur(s string) *metav1.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return &metav1.Duration{Duration: d}
}

func model(meth crmv1.Method) *crmv1.SegmentationModel {
	return &crmv1.SegmentationModel{Spec: crmv1.SegmentationModelSpec{Sources: []crmv1.SourceRef{{Name: "shop"}}, Method: meth}}
}

// TestKMeansPlan: the documented default k = 4 is what runs; k, a k range,
// features, restarts and maxIterations reach the plan as declared.
func TestKMeansPlan(t *testing.T) {
	tests := []struct {
		name string
		p    *crmv1.KMeansParams
		want KMeans
	}{
		{"no block: k = 4 and CRD defaults", nil, KMeans{K: 4, Seed: 1, Restarts: 10, MaxIterations: 100}},
		{"CRD-defaulted block without k", &crmv1.KMeansParams{Seed: 1, Restarts: 10, MaxIterations: 100,
			Features: []crmv1.KMeansFeature{"Recency", "Frequency", "Monetary"}},
			KMeans{K: 4, Seed: 1, Restarts: 10, MaxIterations: 100, Features: []string{"recency", "frequency", "monetary"}}},
		{"fixed k", &crmv1.KMeansParams{K: i32(6), Seed: 7, Restarts: 3, MaxIterations: 20},
			KMeans{K: 6, Seed: 7, Restarts: 3, MaxIterations: 20}},
		{"k range", &crmv1.KMeansParams{KMin: i32(3), KMax: i32(9), Seed: 1, Restarts: 10, MaxIterations: 100,
			Features: []crmv1.KMeansFeature{"AverageOrderValue", "InterPurchaseTime", "Tenure"}},
			KMeans{MinK: 3, MaxK: 9, Seed: 1, Restarts: 10, MaxIterations: 100, Features: []string{"averageOrderValue", "interPurchaseTime", "tenure"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ModelAnalysis(model(crmv1.Method{Type: crmv1.MethodKMeans, KMeans: tt.p}))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*a.KMeans, tt.want) {
				t.Errorf("kmeans = %+v, want %+v", *a.KMeans, tt.want)
			}
		})
	}
}

func TestModelAnalysisRFMAndDates(t *testing.T) {
	m := model(crmv1.Method{Type: crmv1.MethodRFM, RFM: &crmv1.RFMParams{Monetary: "Average"}})
	asOf := crmv1.Date("2024-02-29")
	m.Spec.AsOf = &asOf
	a, err := ModelAnalysis(m)
	if err != nil {
		t.Fatal(err)
	}
	if a.RFMMonetary != "average" {
		t.Errorf("rfm monetary = %q, want average", a.RFMMonetary)
	}
	if want := time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC); a.AsOf == nil || !a.AsOf.Equal(want) {
		t.Errorf("asOf = %v, want %v (the end of that day)", a.AsOf, want)
	}
	bad := crmv1.Date("2023-02-29")
	m.Spec.AsOf = &bad
	if _, err := ModelAnalysis(m); err == nil || !strings.Contains(err.Error(), `asOf "2023-02-29"`) {
		t.Errorf("impossible asOf: err = %v, want a refusal naming asOf", err)
	}
}

// TestScheduleWithModelRef: the schedule reuses the model's window and
// asOf as documented; its own window replaces the model's.
func TestScheduleWithModelRef(t *testing.T) {
	m := model(crmv1.Method{Type: crmv1.MethodRFM})
	m.Spec.Window = dur("8760h")
	rs := &crmv1.ReportSchedule{Spec: crmv1.ReportScheduleSpec{Schedule: "@daily", ModelRef: &crmv1.LocalObjectReference{Name: "m"},
		Reports: []crmv1.Report{{Type: crmv1.ReportKPI}}}}
	a, err := ScheduleAnalysis(rs, m)
	if err != nil {
		t.Fatal(err)
	}
	if a.WindowSeconds != 8760*3600 {
		t.Errorf("window = %ds, want the model's 8760h", a.WindowSeconds)
	}
	rs.Spec.Window = dur("17520h")
	if a, _ = ScheduleAnalysis(rs, m); a.WindowSeconds != 17520*3600 {
		t.Errorf("window = %ds, want the schedule's own 17520h", a.WindowSeconds)
	}
	m.Spec.Window = nil
	asOf := crmv1.Date("2024-06-30")
	m.Spec.AsOf = &asOf
	rs.Spec.Window = nil
	if a, _ = ScheduleAnalysis(rs, m); a.AsOf == nil || a.AsOf.Format(time.DateOnly) != "2024-06-30" || a.WindowSeconds != 0 {
		t.Errorf("asOf %v window %d, want the model's asOf and no window", a.AsOf, a.WindowSeconds)
	}
}

func TestScheduleCohort(t *testing.T) {
	tests := []struct {
		name string
		p    *crmv1.CohortParams
		want Cohort
	}{
		{"absent block: the API defaults", nil, Cohort{Period: "month", Periods: 12}},
		{"quarters", &crmv1.CohortParams{Period: crmv1.Period("Quarter"), Periods: 8}, Cohort{Period: "quarter", Periods: 8}},
		{"weeks", &crmv1.CohortParams{Period: crmv1.Period("Week"), Periods: 26}, Cohort{Period: "week", Periods: 26}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := &crmv1.ReportSchedule{Spec: crmv1.ReportScheduleSpec{Reports: []crmv1.Report{{Type: crmv1.ReportCohort, Cohort: tt.p}}}}
			a, err := ScheduleAnalysis(rs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Cohort == nil || *a.Cohort != tt.want {
				t.Errorf("cohort = %+v, want %+v", a.Cohort, tt.want)
			}
		})
	}
}
