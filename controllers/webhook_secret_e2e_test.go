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

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// TestWebhookURLFromSecret sends alerts to a webhook whose URL (with a token
// in its path, as chat and incident tools issue them) comes from a Secret,
// and searches everything crmlens wrote for that URL. A second schedule's
// Secret holds a malformed URL: its failure Event must not quote it either.
// A third names a key the Secret lacks: a Warning Event, not silence.
func TestWebhookURLFromSecret(t *testing.T) {
	const token = "hook-T0ken-8d1f3"
	var mu sync.Mutex
	var paths []string
	var posts [][]map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var a []map[string]any
		_ = json.Unmarshal(b, &a)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		posts = append(posts, a)
		mu.Unlock()
	}))
	defer hook.Close()
	secretURL := hook.URL + "/services/" + token
	badURL := "http://127.0.0.1:1/%zz/" + token + "-bad"

	h := newHarness(t)
	ns := h.ns("e2e-hooksecret")
	h.startManager(true, nil)
	withHook := func(name, secret string) *crmv1.ReportSchedule {
		rs := schedule(ns, name, "@yearly", crmv1.ConcurrencyForbid)
		rs.Spec.Alerts = []crmv1.AlertRule{{Name: "churn-high", Metric: "churnRate", Operator: crmv1.OpGreaterThan, Threshold: "0.01", Severity: crmv1.SeverityWarning}}
		rs.Spec.Output.Webhook = &crmv1.Webhook{URLSecretRef: &crmv1.SecretKeySelector{Name: secret, Key: "url"}}
		rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
		return rs
	}
	noKey := withHook("nokey", "hook")
	noKey.Spec.Output.Webhook.URLSecretRef.Key = "address"
	h.create(
		// A trailing newline, as `kubectl create secret --from-file` leaves it.
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook"}, StringData: map[string]string{"url": secretURL + "\n"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "badhook"}, StringData: map[string]string{"url": badURL}},
		sampleSource(ns, "shop", 200), withHook("weekly", "hook"), withHook("broken", "badhook"), noKey)

	h.eventually(90*time.Second, "webhook notified", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(posts) != 1 || len(posts[0]) != 1 {
			return fmt.Errorf("posts %v", posts)
		}
		return nil
	})
	mu.Lock()
	if want := "/services/" + token + "/api/v2/alerts"; paths[0] != want {
		t.Errorf("webhook path %q, want %q", paths[0], want)
	}
	if l, _ := posts[0][0]["labels"].(map[string]any); l["alertname"] != "churn-high" || l["namespace"] != ns {
		t.Errorf("webhook labels %v", posts[0][0]["labels"])
	}
	mu.Unlock()
	h.eventually(30*time.Second, "broken webhooks reported", func() error {
		for _, name := range []string{"broken", "nokey"} {
			if r := h.eventReasons(ns, name); r["WebhookFailed"] != 1 || r["AlertFiring"] != 1 {
				return fmt.Errorf("%s: events %v", name, r)
			}
		}
		return nil
	})
	if c := cond(h.rs(ns, "weekly").Status.Conditions, crmv1.ConditionAlertFiring); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("AlertFiring %+v", c)
	}

	// Search every object crmlens wrote or owns for the URLs and the token.
	var dump []any
	var rss crmv1.ReportScheduleList
	var cms corev1.ConfigMapList
	var jobs batchv1.JobList
	var evs eventsv1.EventList
	var coreEvs corev1.EventList
	for _, l := range []client.ObjectList{&rss, &cms, &jobs, &evs, &coreEvs} {
		if err := h.c.List(context.Background(), l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		dump = append(dump, l)
	}
	if len(jobs.Items) != 3 || len(cms.Items) < 3 {
		t.Fatalf("expected the runs' Jobs and result ConfigMaps: %d Jobs, %d ConfigMaps", len(jobs.Items), len(cms.Items))
	}
	b, _ := json.Marshal(dump)
	for _, s := range []string{token, strings.TrimPrefix(hook.URL, "http://")} {
		if strings.Contains(string(b), s) {
			t.Errorf("%q appears in status, a ConfigMap, a Job or an Event", s)
		}
	}
}
