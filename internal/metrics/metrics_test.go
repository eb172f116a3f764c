package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/crmlens/crmlens/internal/buildinfo"
)

func TestRegisteredInControllerRuntimeRegistry(t *testing.T) {
	Register()
	Register() // idempotent
	AlertFiring.WithLabelValues("ns", "weekly", "high-churn").Set(1)
	defer Forget(KindSchedule, "ns", "weekly")
	n, err := testutil.GatherAndCount(crmetrics.Registry, "crmlens_alert_firing")
	if err != nil || n != 1 {
		t.Fatalf("gathered %d series, err %v", n, err)
	}
}

func TestSetSegmentsDropsStaleSegments(t *testing.T) {
	SetSegments("ns", "rfm", []Segment{{"Champions", 120, 0.5}, {"Lost", 300, 0.05}})
	SetSegments("ns", "rfm", []Segment{{"Champions", 130, 0.55}})
	SetSegments("other", "rfm", []Segment{{"Lost", 7, 0.1}})
	want := `
# HELP crmlens_segment_customers Customers per segment in the last successful run of a SegmentationModel.
# TYPE crmlens_segment_customers gauge
crmlens_segment_customers{name="rfm",namespace="ns",segment="Champions"} 130
crmlens_segment_customers{name="rfm",namespace="other",segment="Lost"} 7
`
	if err := testutil.CollectAndCompare(SegmentCustomers, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	Forget(KindModel, "ns", "rfm")
	Forget(KindModel, "other", "rfm")
	if n := testutil.CollectAndCount(SegmentCustomers); n != 0 {
		t.Errorf("%d series left after Forget", n)
	}
}

func TestAlertsAndRuns(t *testing.T) {
	SetAlerts("ns", "weekly", map[string]bool{"high-churn": true, "vip-drop": false})
	if v := testutil.ToFloat64(AlertFiring.WithLabelValues("ns", "weekly", "high-churn")); v != 1 {
		t.Errorf("high-churn = %v", v)
	}
	SetAlerts("ns", "weekly", map[string]bool{"high-churn": false})
	if n := testutil.CollectAndCount(AlertFiring); n != 1 {
		t.Errorf("series = %d, want 1 (vip-drop removed)", n)
	}
	ObserveRun(KindSchedule, "ns", "weekly", Succeeded, 12, 1700000000)
	ObserveRun(KindSchedule, "ns", "weekly", Failed, 3, 1700000100)
	if v := testutil.ToFloat64(LastSuccess.WithLabelValues(KindSchedule, "ns", "weekly")); v != 1700000000 {
		t.Errorf("last success = %v (a failure must not move it)", v)
	}
	if v := testutil.ToFloat64(Runs.WithLabelValues(KindSchedule, "ns", "weekly", Failed)); v != 1 {
		t.Errorf("failed runs = %v", v)
	}
	Forget(KindSchedule, "ns", "weekly")
	if n := testutil.CollectAndCount(AlertFiring) + testutil.CollectAndCount(Runs); n != 0 {
		t.Errorf("%d series left", n)
	}
}

func TestBuildInfoInControllerRuntimeRegistry(t *testing.T) {
	Register()
	i := buildinfo.Get()
	want := fmt.Sprintf(`
# HELP crmlens_build_info Always 1; labels name the version, source revision and Go version of the running manager.
# TYPE crmlens_build_info gauge
crmlens_build_info{goversion=%q,revision=%q,version=%q} 1
`, i.GoVersion, i.Revision, i.Version)
	if err := testutil.GatherAndCompare(crmetrics.Registry, strings.NewReader(want), "crmlens_build_info"); err != nil {
		t.Error(err)
	}
}

// One missed run plus grace: half an interval, at least an hour.
func TestStaleAfter(t *testing.T) {
	cases := []struct {
		interval time.Duration
		want     float64
	}{
		{time.Hour, 2 * 3600},            // 1h + max(30m, 1h)
		{24 * time.Hour, 36 * 3600},      // 24h + 12h
		{7 * 24 * time.Hour, 252 * 3600}, // weekly: 168h + 84h = 10.5 days
		{72 * time.Hour, 108 * 3600},     // weekdays-only longest gap (Fri→Mon)
		{10 * time.Minute, 10*60 + 3600}, // 10m + 1h
	}
	for _, c := range cases {
		SetStaleAfter(KindSchedule, "ns", "s", c.interval)
		if got := testutil.ToFloat64(StaleAfter.WithLabelValues(KindSchedule, "ns", "s")); got != c.want {
			t.Errorf("interval %v: stale after %v s, want %v", c.interval, got, c.want)
		}
	}
	SetStaleAfter(KindSchedule, "ns", "s", 0) // suspended
	if n := testutil.CollectAndCount(StaleAfter); n != 0 {
		t.Errorf("%d series after suspension, want 0", n)
	}
	SetStaleAfter(KindModel, "ns", "m", time.Hour)
	Forget(KindModel, "ns", "m")
	if n := testutil.CollectAndCount(StaleAfter); n != 0 {
		t.Errorf("%d series after Forget, want 0", n)
	}
}
