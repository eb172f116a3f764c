package alerts

import (
	"reflect"
	"testing"
	"time"
)

var (
	t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
)

func names(s []State) []string {
	var n []string
	for _, x := range s {
		n = append(n, x.Name)
	}
	return n
}

func TestEvaluateTransitions(t *testing.T) {
	churn := Rule{Name: "high-churn", Metric: "kpi.churnRate", Operator: ">", Threshold: "0.25", Severity: "critical"}
	aov := Rule{Name: "low-aov", Metric: "kpi.averageOrderValue", Operator: "LessThan", Threshold: "20"}
	cases := []struct {
		name         string
		rules        []Rule
		metrics      map[string]float64
		previous     []State
		wantFiring   []string
		wantStarted  []string
		wantResolved []string
		wantSince    map[string]time.Time
		wantProblems int
	}{
		{
			name: "starts firing", rules: []Rule{churn, aov},
			metrics:    map[string]float64{"kpi.churnRate": 0.31, "kpi.averageOrderValue": 25},
			wantFiring: []string{"high-churn"}, wantStarted: []string{"high-churn"},
			wantSince: map[string]time.Time{"high-churn": t1},
		},
		{
			name: "stays firing keeps since", rules: []Rule{churn},
			metrics:    map[string]float64{"kpi.churnRate": 0.4},
			previous:   []State{{Name: "high-churn", Firing: true, Since: t0}},
			wantFiring: []string{"high-churn"},
			wantSince:  map[string]time.Time{"high-churn": t0},
		},
		{
			name: "threshold is exclusive for >", rules: []Rule{churn},
			metrics:      map[string]float64{"kpi.churnRate": 0.25},
			previous:     []State{{Name: "high-churn", Firing: true, Since: t0}},
			wantResolved: []string{"high-churn"},
			wantSince:    map[string]time.Time{"high-churn": t1},
		},
		{
			name: "missing metric keeps previous state", rules: []Rule{churn},
			metrics:      map[string]float64{},
			previous:     []State{{Name: "high-churn", Firing: true, Since: t0}},
			wantFiring:   []string{"high-churn"},
			wantSince:    map[string]time.Time{"high-churn": t0},
			wantProblems: 1,
		},
		{
			name: "bad threshold and operator are problems", rules: []Rule{
				{Name: "a", Metric: "kpi.churnRate", Operator: ">", Threshold: "1/4"},
				{Name: "b", Metric: "kpi.churnRate", Operator: "about", Threshold: "1"},
			},
			metrics:      map[string]float64{"kpi.churnRate": 0.3},
			wantProblems: 2,
		},
		{
			name: "less-or-equal", rules: []Rule{{Name: "few-active", Metric: "kpi.activeCustomers", Operator: "<=", Threshold: "100"}},
			metrics:    map[string]float64{"kpi.activeCustomers": 100},
			wantFiring: []string{"few-active"}, wantStarted: []string{"few-active"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Evaluate(c.rules, nil, c.metrics, nil, c.previous, t1)
			if got := o.Firing(); !reflect.DeepEqual(got, c.wantFiring) {
				t.Errorf("firing = %v, want %v", got, c.wantFiring)
			}
			if got := names(o.Started); !reflect.DeepEqual(got, c.wantStarted) {
				t.Errorf("started = %v, want %v", got, c.wantStarted)
			}
			if got := names(o.Resolved); !reflect.DeepEqual(got, c.wantResolved) {
				t.Errorf("resolved = %v, want %v", got, c.wantResolved)
			}
			for _, s := range o.States {
				if w, ok := c.wantSince[s.Name]; ok && !s.Since.Equal(w) {
					t.Errorf("%s since = %v, want %v", s.Name, s.Since, w)
				}
			}
			if len(o.Problems) != c.wantProblems {
				t.Errorf("problems = %v, want %d", o.Problems, c.wantProblems)
			}
		})
	}
}

func TestVIPDrop(t *testing.T) {
	rule := VIPDropRule{Name: "vip-activity-drop", Metric: "vipDropped", MinCustomers: 3}
	cases := []struct {
		name       string
		cur, prev  map[string]float64
		wantFiring bool
		wantMsg    string
	}{
		{"below minimum", map[string]float64{"vipDropped": 2}, nil, false, "2 VIPs dropped against their baseline (alert from 3)"},
		{"at minimum fires", map[string]float64{"vipDropped": 3}, map[string]float64{"vipDropped": 1}, true, "3 VIPs dropped against their baseline (alert from 3); previous run: 1"},
		{"no VIP report", map[string]float64{}, nil, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Evaluate(nil, []VIPDropRule{rule}, c.cur, c.prev, nil, t1)
			if c.wantMsg == "" {
				if len(o.States) != 0 || len(o.Problems) != 1 {
					t.Fatalf("states = %+v problems = %v", o.States, o.Problems)
				}
				return
			}
			if len(o.States) != 1 {
				t.Fatalf("states = %+v", o.States)
			}
			s := o.States[0]
			if s.Firing != c.wantFiring || s.Message != c.wantMsg || s.Threshold != "3" {
				t.Errorf("state = %+v, want firing=%v msg=%q", s, c.wantFiring, c.wantMsg)
			}
		})
	}
}

func TestForRuns(t *testing.T) {
	rule := Rule{Name: "churn", Metric: "churnRate", Operator: "GreaterThan", Threshold: "0.25", ForRuns: 2}
	var prev []State
	want := []bool{false, true, true, false, false, true}
	vals := []float64{0.3, 0.3, 0.5, 0.1, 0.3, 0.3}
	for i, v := range vals {
		o := Evaluate([]Rule{rule}, nil, map[string]float64{"churnRate": v}, nil, prev, t0.Add(time.Duration(i)*time.Hour))
		if got := o.States[0].Firing; got != want[i] {
			t.Fatalf("run %d (value %v): firing = %v, want %v", i+1, v, got, want[i])
		}
		prev = o.States
	}
}

func TestParseOperator(t *testing.T) {
	for in, want := range map[string]Operator{">": GreaterThan, "GreaterThanOrEqual": GreaterThanOrEqual, "lt": LessThan, "Equals": Equal, "!=": NotEqual} {
		got, err := ParseOperator(in)
		if err != nil || got != want {
			t.Errorf("ParseOperator(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseOperator("=>"); err == nil {
		t.Error("=> accepted")
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{1380740.51234: "1380740.5123", 0.513554: "0.5136", 2: "2", -0.00001: "0", 1e-5: "0", -0.2: "-0.2"} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
}
