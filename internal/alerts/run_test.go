package alerts

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRunAlert(t *testing.T) {
	now := time.Date(2024, 6, 3, 6, 0, 0, 0, time.UTC)
	until := now.Add(7 * 24 * time.Hour)
	src := Source{Namespace: "shop", Name: "weekly"}
	tests := []struct {
		name      string
		run       Run
		alertname string
		severity  string
		endsAt    time.Time
		ann       map[string]string
	}{
		{"succeeded", Run{Name: "weekly-1", Succeeded: true, KPIs: map[string]string{"churnRate": "0.25"}}, AlertRunSucceeded, "info", now,
			map[string]string{"run": "weekly-1", "kpi_churnRate": "0.25", "summary": "crmlens report shop/weekly: run weekly-1 succeeded"}},
		{"failed", Run{Name: "weekly-2", Reason: "SourceUnreachable", Message: "dial tcp: refused"}, AlertRunFailed, "warning", until,
			map[string]string{"run": "weekly-2", "reason": "SourceUnreachable", "message": "dial tcp: refused", "summary": "crmlens report shop/weekly: run weekly-2 failed (SourceUnreachable)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := RunAlert(src, tt.run, now, until)
			if a.Labels["alertname"] != tt.alertname || a.Labels["severity"] != tt.severity || a.Labels["namespace"] != "shop" || a.Labels["name"] != "weekly" {
				t.Errorf("labels = %v", a.Labels)
			}
			if !a.StartsAt.Equal(now) || a.EndsAt == nil || !a.EndsAt.Equal(tt.endsAt) {
				t.Errorf("startsAt %v endsAt %v, want %v and %v", a.StartsAt, a.EndsAt, now, tt.endsAt)
			}
			for k, v := range tt.ann {
				if a.Annotations[k] != v {
					t.Errorf("annotation %s = %q, want %q", k, a.Annotations[k], v)
				}
			}
			if len(a.Annotations) != len(tt.ann) {
				t.Errorf("annotations %v, want exactly %v", a.Annotations, tt.ann)
			}
		})
	}
}

// TestNotifierTimeout: a receiver slower than the webhook's timeout fails
// the POST; within it the POST succeeds.
func TestNotifierTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer srv.Close()
	n := &Notifier{Attempts: 1}
	a := []Alert{RunAlert(Source{Namespace: "n", Name: "s"}, Run{Name: "r", Succeeded: true}, time.Now(), time.Now())}
	if err := n.WithTimeout(50*time.Millisecond).Post(context.Background(), srv.URL, a); err == nil {
		t.Error("a 300 ms receiver did not fail a 50 ms timeout")
	}
	if err := n.WithTimeout(5*time.Second).Post(context.Background(), srv.URL, a); err != nil {
		t.Errorf("a 300 ms receiver failed a 5 s timeout: %v", err)
	}
	if n.Client != nil {
		t.Error("WithTimeout changed the original notifier")
	}
}
