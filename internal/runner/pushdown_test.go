package runner

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/internal/runplan"
)

// TestPushdownOnlyWhereAggregatesSuffice checks which runs send the
// aggregation to the database: a closed port makes an attempt visible as an
// Unreachable error, and no attempt returns no set and no error. The
// pushed-down figures themselves are compared with the file path in the
// controllers' store end-to-end test, against a real server.
func TestPushdownOnlyWhereAggregatesSuffice(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	pg := func(name string) runplan.Source {
		return runplan.Source{Name: name, Postgres: &runplan.Postgres{Host: "127.0.0.1", Port: port, Database: "shop", SSLMode: "disable", Table: "orders"}}
	}
	sample := runplan.Source{Name: "shop", Sample: &runplan.Sample{Customers: 10}}
	attrs := runplan.Source{Name: "people", Content: "Customers", ConfigMap: &runplan.ConfigMap{Name: "p", Key: "k"}}
	for _, tc := range []struct {
		name    string
		sources []runplan.Source
		method  engine.Method
		reports []engine.Report
		push    bool
	}{
		{"rfm on postgres", []runplan.Source{pg("wh")}, engine.RFM, nil, true},
		{"clv with kpi and pareto", []runplan.Source{pg("wh")}, engine.CLV, []engine.Report{engine.KPI, engine.Pareto}, true},
		{"value matrix, customer attributes beside", []runplan.Source{pg("wh"), attrs}, engine.ValueMatrix, nil, true},
		{"basket needs lines", []runplan.Source{pg("wh")}, engine.RFM, []engine.Report{engine.Basket}, false},
		{"vip timing needs lines", []runplan.Source{pg("wh")}, engine.RFM, []engine.Report{engine.KPI, engine.VIP}, false},
		{"cohorts need lines", []runplan.Source{pg("wh")}, engine.Lifecycle, []engine.Report{engine.Cohort}, false},
		{"forecast needs lines", []runplan.Source{pg("wh")}, engine.RFM, []engine.Report{engine.Forecast}, false},
		{"two transaction sources merge in the engine", []runplan.Source{pg("a"), pg("b")}, engine.RFM, nil, false},
		{"not postgres", []runplan.Source{sample}, engine.RFM, nil, false},
		{"postgres beside a file", []runplan.Source{sample, pg("wh")}, engine.RFM, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Runner{Log: logr.Discard(), Creds: func(string) string { return "" }}
			p := &runplan.Plan{Sources: tc.sources}
			set, err := r.pushdownSet(context.Background(), p, engine.Config{Method: tc.method, Reports: tc.reports})
			if set != nil {
				t.Fatalf("a set from a closed port")
			}
			if tc.push != (err != nil) {
				t.Fatalf("pushed down = %v (%v), want %v", err != nil, err, tc.push)
			}
			if tc.push && (!errors.Is(err, storeerr.ErrUnreachable) || Reason(&Failure{Reason: "Source", Err: err}) != "SourceUnreachable") {
				t.Errorf("error %v: want an Unreachable source failure", err)
			}
		})
	}
}

// The CLV pushdown condenses purchase days at the end the engine's CLV
// method resolves: the calibration end, else the as-of, else (zero) the
// latest purchase day, which the database finds itself.
func TestCLVCalibrationEnd(t *testing.T) {
	end := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	asOf := time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, tc := range []struct {
		name string
		cfg  engine.Config
		want time.Time
	}{
		{"calibration end", engine.Config{CalibrationEnd: end, AsOf: asOf}, end},
		{"as-of", engine.Config{AsOf: asOf}, asOf},
		{"as-of of the rules", engine.Config{Rules: clean.Rules{AsOf: asOf}}, asOf},
		{"neither", engine.Config{}, time.Time{}},
	} {
		if got := clvCalibrationEnd(tc.cfg); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
