package controllers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/pgtest"
)

// health is how GitOps tools read an object: kstatus (Flux, kpt) and the
// Argo CD health script shipped in config/argocd for its kind.
type health struct {
	kstatus status.Status
	argo    string
	msg     string
}

func (g health) String() string {
	return fmt.Sprintf("kstatus %s, Argo CD %s (%s)", g.kstatus, g.argo, g.msg)
}

// luaValue converts decoded JSON into Lua values, as Argo CD does with the
// live object.
func luaValue(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case map[string]any:
		t := L.NewTable()
		for k, e := range x {
			t.RawSetString(k, luaValue(L, e))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, e := range x {
			t.Append(luaValue(L, e))
		}
		return t
	case string:
		return lua.LString(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case bool:
		return lua.LBool(x)
	}
	return lua.LNil
}

// healthOf reads obj (a live object from the API server) with kstatus and
// with the kind's Argo CD script from config/argocd.
func healthOf(t *testing.T, obj client.Object, kind string) health {
	t.Helper()
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	us := &unstructured.Unstructured{Object: u}
	us.SetAPIVersion(crmv1.GroupVersion.String())
	us.SetKind(kind)
	res, err := status.Compute(us)
	if err != nil {
		t.Fatalf("kstatus: %v", err)
	}
	script, err := os.ReadFile(filepath.Join("..", "config", "argocd", strings.ToLower(kind)+".lua"))
	if err != nil {
		t.Fatal(err)
	}
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("obj", luaValue(L, u))
	if err := L.DoString(string(script)); err != nil {
		t.Fatalf("Argo CD health script of %s: %v", kind, err)
	}
	hs, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("Argo CD health script of %s returned %v", kind, L.Get(-1))
	}
	return health{kstatus: res.Status, argo: hs.RawGetString("status").String(), msg: hs.RawGetString("message").String()}
}

// tracked is one object of the lifecycle with the kind its script is for.
type tracked struct {
	kind string
	obj  client.Object
}

// waitHealth waits until the object reads as want in both tools, at least
// at generation minGen, and returns it.
func (h *harness) waitHealth(timeout time.Duration, o tracked, minGen int64, want health, extra func(client.Object) error) {
	h.t.Helper()
	h.eventually(timeout, fmt.Sprintf("%s %s reads %s", o.kind, o.obj.GetName(), want), func() error {
		if err := h.c.Get(context.Background(), client.ObjectKeyFromObject(o.obj), o.obj); err != nil {
			return err
		}
		if o.obj.GetGeneration() < minGen {
			return fmt.Errorf("generation %d", o.obj.GetGeneration())
		}
		got := healthOf(h.t, o.obj, o.kind)
		if got.kstatus != want.kstatus || got.argo != want.argo {
			return fmt.Errorf("reads %s", got)
		}
		if want.msg != "" && !strings.Contains(got.msg, want.msg) {
			return fmt.Errorf("reads %s, want the message to say %q", got, want.msg)
		}
		if extra != nil {
			return extra(o.obj)
		}
		return nil
	})
}

func (h *harness) edit(obj client.Object, fn func()) {
	h.t.Helper()
	h.eventually(10*time.Second, "edit "+obj.GetName(), func() error {
		if err := h.c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		fn()
		return h.c.Update(context.Background(), obj)
	})
}

func conditionIs(typ string, st metav1.ConditionStatus, reason string) func(client.Object) error {
	return func(o client.Object) error {
		var conds []metav1.Condition
		switch v := o.(type) {
		case *crmv1.DataSource:
			conds = v.Status.Conditions
		case *crmv1.SegmentationModel:
			conds = v.Status.Conditions
		case *crmv1.ReportSchedule:
			conds = v.Status.Conditions
		}
		c := cond(conds, typ)
		if c == nil || c.Status != st || (reason != "" && c.Reason != reason) || c.ObservedGeneration != o.GetGeneration() {
			return fmt.Errorf("%s = %+v, want %s %s at generation %d", typ, c, st, reason, o.GetGeneration())
		}
		return nil
	}
}

var (
	current     = health{kstatus: status.CurrentStatus, argo: "Healthy"}
	inProgress  = health{kstatus: status.InProgressStatus, argo: "Progressing"}
	failedBad   = health{kstatus: status.FailedStatus, argo: "Degraded"}
	outageRetry = health{kstatus: status.InProgressStatus, argo: "Degraded", msg: "retry"}
)

// TestHealthLifecycle runs kstatus and the shipped Argo CD health scripts
// over the lifecycle of each kind against a real API server, real analysis
// runs and a real PostgreSQL: create, Ready, bad edit, fixed edit, source
// outage, recovery. It also measures how long a model with default
// settings takes to recover after a 60 s PostgreSQL outage (no edit, no
// run-now after the database is back).
func TestHealthLifecycle(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	loadShop(t, pg, "orders", shopCSV(t, 60, 5))
	if _, err := pg.Psql(pg.Database, "ANALYZE orders"); err != nil {
		t.Fatal(err)
	}
	out, err := pg.Psql(pg.Database, "SELECT count(*) FROM orders", "-tA")
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	if _, err := fmt.Sscan(strings.TrimSpace(out), &rows); err != nil || rows == 0 {
		t.Fatalf("row count %q: %v", out, err)
	}
	h := newHarness(t)
	ns := h.ns("health")
	h.create(pgSecret(ns, "pg", pg.User, pg.Password))
	h.startManager(true, nil)

	// 1. Create. A model reads InProgress/Progressing from its first status
	// write (observedGeneration set by the first reconcile), then Current.
	ds := pgSource(ns, "wh", "pg", pg, "orders")
	quietDS := pgSource(ns, "wh-quiet", "pg", pg, "orders")
	model := rfmModel(ns, "rfm", "wh")
	quiet := rfmModel(ns, "rfm-quiet", "wh-quiet")
	sched := &crmv1.ReportSchedule{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kpis"},
		Spec: crmv1.ReportScheduleSpec{Schedule: "0 3 * * *", Sources: []crmv1.SourceRef{{Name: "wh"}}, Reports: []crmv1.Report{{Type: crmv1.ReportKPI}},
			// Two alerts that fire on the first successful run: two Events.
			Alerts: []crmv1.AlertRule{
				{Name: "has-customers", Metric: "customers", Operator: crmv1.OpGreaterThan, Threshold: "0"},
				{Name: "has-orders", Metric: "orders", Operator: crmv1.OpGreaterThan, Threshold: "0"},
			}}}
	h.create(ds, quietDS, model, quiet, sched)
	var first *crmv1.SegmentationModel
	h.eventually(30*time.Second, "the model's first status", func() error {
		first = h.model(ns, "rfm")
		if first.Status.ObservedGeneration == 0 {
			return fmt.Errorf("no status yet")
		}
		return nil
	})
	if g := healthOf(t, first, "SegmentationModel"); first.Status.LastRunTime == nil && (g.kstatus != inProgress.kstatus || g.argo != inProgress.argo) {
		t.Errorf("a model whose first run is under way reads %s", g)
	}
	objs := []tracked{{"DataSource", ds}, {"SegmentationModel", model}, {"ReportSchedule", sched}}
	for _, o := range append(objs, tracked{"DataSource", quietDS}, tracked{"SegmentationModel", quiet}) {
		h.waitHealth(90*time.Second, o, 1, current, conditionIs(crmv1.ConditionReady, metav1.ConditionTrue, ""))
	}

	// What the DataSource says: the probe's planner estimate and mapped
	// columns, and the rows the model's run read (the ROWS column).
	h.eventually(20*time.Second, "DataSource probe and lastRead", func() error {
		var d crmv1.DataSource
		if err := h.c.Get(context.Background(), client.ObjectKeyFromObject(ds), &d); err != nil {
			return err
		}
		p, lr := d.Status.Probe, d.Status.LastRead
		if p == nil || p.EstimatedRows == nil || *p.EstimatedRows != rows || len(p.ColumnsFound) != 9 {
			return fmt.Errorf("probe %+v, want an estimate of %d rows and 9 columns", p, rows)
		}
		if lr == nil || lr.Time == nil || lr.Rows != rows || !strings.Contains(lr.Run, "rfm") && !strings.Contains(lr.Run, "kpis") {
			return fmt.Errorf("lastRead %+v, want %d rows", lr, rows)
		}
		return nil
	})

	// 2. A bad edit reads Failed/Degraded at the new generation, READY False.
	h.edit(ds, func() { ds.Spec.Postgres.SecretRef.Name = "pg-missing" })
	h.edit(model, func() { model.Spec.Sources = []crmv1.SourceRef{{Name: "gone"}} })
	h.edit(sched, func() {
		sched.Spec.Sources, sched.Spec.ModelRef = nil, &crmv1.LocalObjectReference{Name: "no-such-model"}
	})
	for o, reason := range map[tracked]string{objs[0]: "SecretNotFound", objs[1]: "SourceNotFound", objs[2]: "ModelNotFound"} {
		h.waitHealth(15*time.Second, o, 2, failedBad, func(c client.Object) error {
			if err := conditionIs(crmv1.ConditionStalled, metav1.ConditionTrue, reason)(c); err != nil {
				return err
			}
			return conditionIs(crmv1.ConditionReady, metav1.ConditionFalse, reason)(c)
		})
	}
	h.eventually(10*time.Second, "a Warning Event for the model's missing source", func() error {
		if h.eventReasons(ns, "rfm")["SourceNotFound"] == 0 {
			return fmt.Errorf("events %v", h.eventReasons(ns, "rfm"))
		}
		return nil
	})
	if m := h.model(ns, "rfm"); m.Status.ResultConfigMap == "" || m.Status.ResultGeneration != 1 {
		t.Errorf("the previous result is not served: %+v", m.Status)
	}

	// 3. The fixed edit: InProgress while the model's run of it runs, then
	// Current at that generation.
	h.edit(ds, func() { ds.Spec.Postgres.SecretRef.Name = "pg" })
	h.edit(model, func() { model.Spec.Sources = []crmv1.SourceRef{{Name: "wh"}} })
	h.edit(sched, func() { sched.Spec.Sources, sched.Spec.ModelRef = []crmv1.SourceRef{{Name: "wh"}}, nil })
	for _, o := range objs {
		h.waitHealth(90*time.Second, o, 3, current, conditionIs(crmv1.ConditionReady, metav1.ConditionTrue, ""))
	}
	if m := h.model(ns, "rfm"); m.Status.ResultGeneration != m.Generation || m.Status.ObservedGeneration != m.Generation {
		t.Errorf("generations: observed %d result %d, want %d", m.Status.ObservedGeneration, m.Status.ResultGeneration, m.Generation)
	}

	// 4. Source outage: runs fail, the previous result is served, each
	// object reads Degraded in Argo CD and InProgress (retrying) in kstatus.
	lastQuiet := h.model(ns, "rfm-quiet").Status.LastRunName
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	h.edit(ds, func() { ds.Spec.ProbeInterval = &metav1.Duration{Duration: 9 * time.Minute} }) // a spec change probes at once
	for _, o := range []tracked{{"SegmentationModel", model}, {"ReportSchedule", sched}, {"SegmentationModel", quiet}} {
		h.edit(o.obj, func() {
			a := o.obj.GetAnnotations()
			if a == nil {
				a = map[string]string{}
			}
			a[crmv1.RunNowAnnotation] = "outage"
			o.obj.SetAnnotations(a)
		})
	}
	h.waitHealth(60*time.Second, objs[0], 4, outageRetry, conditionIs(crmv1.ConditionReady, metav1.ConditionFalse, "Unreachable"))
	for _, o := range []tracked{objs[1], objs[2], {"SegmentationModel", quiet}} {
		h.waitHealth(60*time.Second, o, 1, outageRetry, conditionIs(crmv1.ConditionDegraded, metav1.ConditionTrue, "SourceUnreachable"))
	}
	if m := h.model(ns, "rfm"); !condTrueOf(m.Status.Conditions, crmv1.ConditionReady) || m.Status.Retry == nil || m.Status.Retry.Attempts < 1 || m.Status.Retry.NextRetryTime == nil {
		t.Errorf("during the outage: Ready %+v retry %+v", cond(m.Status.Conditions, crmv1.ConditionReady), m.Status.Retry)
	}

	// 5. Recovery after 60 s, with no one acting.
	time.Sleep(time.Until(down.Add(60 * time.Second)))
	if err := pg.StartServer(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	h.waitHealth(5*time.Minute, tracked{"SegmentationModel", quiet}, 1, current, func(c client.Object) error {
		m := c.(*crmv1.SegmentationModel)
		if m.Status.LastRunName == lastQuiet || m.Status.Retry != nil {
			return fmt.Errorf("no new successful run yet (last %s, retry %+v)", m.Status.LastRunName, m.Status.Retry)
		}
		return conditionIs(crmv1.ConditionDegraded, metav1.ConditionFalse, "")(c)
	})
	t.Logf("MEASURED: a model with default settings recovered %.1f s after a 60 s PostgreSQL outage ended (new successful run %s)",
		time.Since(up).Seconds(), h.model(ns, "rfm-quiet").Status.LastRunName)
	for _, o := range objs {
		h.waitHealth(5*time.Minute, o, 1, current, conditionIs(crmv1.ConditionReady, metav1.ConditionTrue, ""))
	}
	t.Logf("MEASURED: all objects Current/Healthy %.1f s after the outage ended", time.Since(up).Seconds())
	// One Event per firing alert, each with its own message.
	h.eventually(20*time.Second, "one AlertFiring Event per alert", func() error {
		var l eventsv1.EventList
		if err := h.c.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
			return err
		}
		var notes []string
		for _, e := range l.Items {
			if e.Regarding.Name == "kpis" && e.Reason == "AlertFiring" {
				notes = append(notes, e.Note)
			}
		}
		joined := strings.Join(notes, " | ")
		if len(notes) != 2 || !strings.Contains(joined, "alert has-customers fires") || !strings.Contains(joined, "alert has-orders fires") {
			return fmt.Errorf("AlertFiring Events: %q", notes)
		}
		return nil
	})
	if h.eventReasons(ns, "rfm")["RetryStarted"] == 0 {
		t.Errorf("no RetryStarted Event: %v", h.eventReasons(ns, "rfm"))
	}
}

func condTrueOf(conds []metav1.Condition, typ string) bool {
	c := cond(conds, typ)
	return c != nil && c.Status == metav1.ConditionTrue
}
