package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/result"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

// TestWebhookRunEvents: with RunSucceeded and RunFailed among the webhook's
// events, a finished run is posted as ReportRunSucceeded (with its KPIs) or
// ReportRunFailed (with the failure reason); a schedule with the default
// events posts neither.
func TestWebhookRunEvents(t *testing.T) {
	var mu sync.Mutex
	posts := map[string][]map[string]any{} // schedule name → alerts posted
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var a []map[string]any
		if err := json.Unmarshal(b, &a); err != nil {
			t.Errorf("webhook body %q: %v", b, err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, x := range a {
			l, _ := x["labels"].(map[string]any)
			name, _ := l["name"].(string)
			posts[name] = append(posts[name], x)
		}
	}))
	defer hook.Close()

	h := newHarness(t)
	ns := h.ns("e2e-runevents")
	h.startManager(true, nil)
	withHook := func(name string, events ...crmv1.WebhookEvent) *crmv1.ReportSchedule {
		rs := schedule(ns, name, "@yearly", crmv1.ConcurrencyForbid)
		rs.Spec.Output.Webhook = &crmv1.Webhook{URL: hook.URL, Events: events}
		rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
		return rs
	}
	ok := withHook("ok", "RunSucceeded", "RunFailed")
	failing := withHook("failing", "RunSucceeded", "RunFailed")
	failing.Spec.Sources = []crmv1.SourceRef{{Name: "down"}}
	quiet := withHook("quiet", "AlertFiring", "AlertResolved")
	h.create(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pg"}, StringData: map[string]string{"username": "u", "password": "p"}},
		sampleSource(ns, "shop", 100),
		// Nothing listens on port 1: every run fails reading the source.
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "down"}, Spec: crmv1.DataSourceSpec{
			Postgres: &crmv1.PostgresSource{PostgresConnection: crmv1.PostgresConnection{Host: "127.0.0.1", Port: 1, Database: "shop", SSLMode: "disable",
				SecretRef: crmv1.PostgresSecretRef{Name: "pg"}}, Table: "orders"},
			Schema: txSchema()}},
		ok, failing, quiet)

	h.eventually(120*time.Second, "run events posted", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(posts["ok"]) != 1 || len(posts["failing"]) != 1 {
			return fmt.Errorf("posts %v", posts)
		}
		return nil
	})
	// Let a quiet schedule's run finish, then check it posted nothing.
	h.waitScheduleResult(ns, "quiet")
	time.Sleep(2 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(posts["quiet"]) != 0 {
		t.Errorf("default events posted a run: %v", posts["quiet"])
	}
	okPost, failPost := posts["ok"][0], posts["failing"][0]
	lab := func(a map[string]any) map[string]any { l, _ := a["labels"].(map[string]any); return l }
	ann := func(a map[string]any) map[string]any { l, _ := a["annotations"].(map[string]any); return l }
	if l := lab(okPost); l["alertname"] != "ReportRunSucceeded" || l["severity"] != "info" || l["namespace"] != ns {
		t.Errorf("succeeded run labels %v", l)
	}
	kpis := h.rs(ns, "ok").Status.KPIs
	if a := ann(okPost); kpis["customers"] == "" || a["kpi_customers"] != kpis["customers"] || a["kpi_churnRate"] != kpis["churnRate"] ||
		a["run"] != h.rs(ns, "ok").Status.LastRunName {
		t.Errorf("succeeded run annotations %v, want the run's status.kpis %v and its name", a, kpis)
	}
	if okPost["startsAt"] != okPost["endsAt"] {
		t.Errorf("a succeeded run is a point event: startsAt %v endsAt %v", okPost["startsAt"], okPost["endsAt"])
	}
	if l := lab(failPost); l["alertname"] != "ReportRunFailed" || l["severity"] != "warning" {
		t.Errorf("failed run labels %v", l)
	}
	if a := ann(failPost); !strings.HasPrefix(fmt.Sprint(a["reason"]), "Source") || a["message"] == "" {
		t.Errorf("failed run annotations %v, want a Source… reason and a message", a)
	}
}

// TestCurrencyMismatchRefused: a model whose transaction sources declare
// different currencies does not run; its conditions say why.
func TestCurrencyMismatchRefused(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-currency")
	h.startManager(true, nil)
	eur := sampleSource(ns, "eu-shop", 50)
	eur.Spec.Currency = "EUR"
	usd := sampleSource(ns, "us-shop", 50)
	usd.Spec.Currency = "USD"
	m := rfmModel(ns, "mixed", "us-shop")
	m.Spec.Sources = append(m.Spec.Sources, crmv1.SourceRef{Name: "eu-shop"})
	h.create(eur, usd, m)
	h.eventually(30*time.Second, "CurrencyMismatch", func() error {
		c := cond(h.model(ns, "mixed").Status.Conditions, crmv1.ConditionDegraded)
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != "CurrencyMismatch" || !strings.Contains(c.Message, "EUR") || !strings.Contains(c.Message, "USD") {
			return fmt.Errorf("Degraded %+v", c)
		}
		return nil
	})
	if r := cond(h.model(ns, "mixed").Status.Conditions, crmv1.ConditionReady); r == nil || r.Status != metav1.ConditionFalse {
		t.Errorf("Ready %+v, want False (no result, no run)", r)
	}
}

// TestDeclaredFieldsReachTheResult: fields wired in this change, end to
// end through a real run: a model's output.configMapName and rfm.monetary,
// a KMeans model without k (the documented k = 4 runs), and a schedule's
// cohort period and periods on a model's sources.
func TestDeclaredFieldsReachTheResult(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-fields")
	h.startManager(true, nil)
	avg := rfmModel(ns, "avg", "shop")
	avg.Spec.Method.RFM = &crmv1.RFMParams{Monetary: "Average"}
	avg.Spec.Output.ConfigMapName = "avg-summary"
	km := rfmModel(ns, "km", "shop")
	km.Spec.Method = crmv1.Method{Type: crmv1.MethodKMeans}
	rs := schedule(ns, "cohorts", "@yearly", crmv1.ConcurrencyForbid)
	rs.Spec.Sources = nil
	rs.Spec.ModelRef = &crmv1.LocalObjectReference{Name: "avg"}
	rs.Spec.Reports = []crmv1.Report{{Type: crmv1.ReportCohort, Cohort: &crmv1.CohortParams{Period: "Quarter", Periods: 3}}}
	rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	h.create(sampleSource(ns, "shop", 300), avg, km, rs)

	doc := func(cmName string) *result.Document {
		var cm corev1.ConfigMap
		if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: cmName}, &cm); err != nil {
			t.Fatalf("result ConfigMap %s: %v", cmName, err)
		}
		var d result.Document
		if err := json.Unmarshal([]byte(cm.Data[runplan.KeyResult]), &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	m := h.waitModelRun(ns, "avg", "avg-g1")
	if m.Status.ResultConfigMap != "avg-summary" {
		t.Errorf("status.resultConfigMap = %q, want output.configMapName avg-summary", m.Status.ResultConfigMap)
	}
	if d := doc("avg-summary"); d.RFM == nil || d.RFM.Monetary != "average" {
		t.Errorf("rfm section %+v, want monetary average", d.RFM)
	}
	h.waitModelRun(ns, "km", "km-g1")
	if d := doc("km-result"); d.KMeans == nil || d.KMeans.K != 4 || len(d.Segments) != 4 {
		t.Errorf("kmeans without k: %+v, want k = 4", d.KMeans)
	}
	_, d := h.waitScheduleResult(ns, "cohorts")
	if d.Cohort == nil || d.Cohort.Period != "quarter" || len(d.Cohort.Cohorts) != 3 {
		t.Fatalf("cohort %+v, want the 3 latest quarterly cohorts", d.Cohort)
	}
	for i, c := range d.Cohort.Cohorts {
		if len(c.Month) != 7 || c.Month[4:6] != "-Q" || len(c.Active) != 3-i {
			t.Errorf("cohort %d = %+v, want a YYYY-Qn label followed for %d quarters", i, c, 3-i)
		}
	}
}
