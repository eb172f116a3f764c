package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNotifierPayloadAndRetry(t *testing.T) {
	var calls atomic.Int32
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/alerts" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if n < 3 { // two transient failures, then success
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode: %v", err)
		}
	}))
	defer srv.Close()

	started := []State{{Name: "high-churn", Firing: true, Value: "0.31", Threshold: "0.25", Severity: "critical", Since: t0}}
	resolved := []State{{Name: "vip-drop", Value: "0.1", Threshold: "0.3", Since: t1}}
	n := &Notifier{Backoff: time.Millisecond}
	if err := n.Post(context.Background(), srv.URL+"/", ToAlerts(Source{"shop", "weekly"}, started, resolved, t1, t1.Add(8*24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", calls.Load())
	}
	if len(got) != 2 {
		t.Fatalf("got %d alerts: %v", len(got), got)
	}
	fire, res := got[0], got[1]
	labels := fire["labels"].(map[string]any)
	if labels["alertname"] != "high-churn" || labels["severity"] != "critical" || labels["namespace"] != "shop" || labels["name"] != "weekly" {
		t.Errorf("labels = %v", labels)
	}
	if fire["startsAt"] != "2026-11-20T09:00:00Z" {
		t.Errorf("startsAt = %v", fire["startsAt"])
	}
	if fire["endsAt"] != "2026-11-29T09:00:00Z" {
		t.Errorf("firing endsAt = %v, want the firingUntil given", fire["endsAt"])
	}
	if res["endsAt"] != "2026-11-21T09:00:00Z" {
		t.Errorf("resolved endsAt = %v", res["endsAt"])
	}
	if res["labels"].(map[string]any)["severity"] != "warning" {
		t.Errorf("default severity = %v", res["labels"])
	}
}

// TestToAlertsAcrossEvaluations follows one alert through three evaluations
// as the reconciler posts them: it fires, still fires, resolves. Every post
// of the firing alert keeps startsAt at when it started and pushes endsAt
// past the next evaluation, so Alertmanager (which resolves an alert whose
// endsAt passed) keeps it active between runs; the resolved post ends it.
func TestToAlertsAcrossEvaluations(t *testing.T) {
	src := Source{"shop", "weekly"}
	rules := []Rule{{Name: "high-churn", Metric: "churnRate", Operator: ">", Threshold: "0.25"}}
	week := 7 * 24 * time.Hour
	margin := time.Hour + 15*time.Minute
	var prev []State
	type post struct {
		at     time.Time
		churn  float64
		firing bool
	}
	for i, p := range []post{{t0, 0.3, true}, {t0.Add(week), 0.4, true}, {t0.Add(2 * week), 0.1, false}} {
		o := Evaluate(rules, nil, map[string]float64{"churnRate": p.churn}, nil, prev, p.at)
		var firing []State
		for _, s := range o.States {
			if s.Firing {
				firing = append(firing, s)
			}
		}
		next := p.at.Add(week)
		got := ToAlerts(src, firing, o.Resolved, p.at, next.Add(margin))
		if len(got) != 1 {
			t.Fatalf("evaluation %d: %d alerts, want 1: %+v", i, len(got), got)
		}
		a := got[0]
		if a.EndsAt == nil {
			t.Fatalf("evaluation %d: no endsAt", i)
		}
		if p.firing {
			if !a.StartsAt.Equal(t0) {
				t.Errorf("evaluation %d: startsAt %v, want the first firing time %v", i, a.StartsAt, t0)
			}
			if !a.EndsAt.After(next) {
				t.Errorf("evaluation %d: endsAt %v is not after the next evaluation %v", i, a.EndsAt, next)
			}
		} else if !a.EndsAt.Equal(p.at) {
			t.Errorf("resolved endsAt %v, want the resolution time %v", a.EndsAt, p.at)
		}
		prev = o.States
	}
}

func TestNotifierPermanentErrorNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "bad alert", http.StatusBadRequest)
	}))
	defer srv.Close()
	err := (&Notifier{Backoff: time.Millisecond}).Post(context.Background(), srv.URL, []Alert{{Labels: map[string]string{"alertname": "x"}}})
	var pe *PermanentError
	if !errors.As(err, &pe) || pe.Status != 400 {
		t.Fatalf("err = %v, want permanent 400", err)
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d, want 1", calls.Load())
	}
}

func TestNotifierGivesUpAndHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL + "/secret-token-abc"
	srv.Close() // connection refused from now on
	err := (&Notifier{Attempts: 3, Backoff: time.Millisecond}).Post(context.Background(), url, []Alert{{Labels: map[string]string{"alertname": "x"}}})
	if err == nil || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "secret-token-abc") {
		t.Errorf("error leaks the URL: %v", err)
	}
}

func TestNotifierHonoursContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := (&Notifier{Attempts: 100, Backoff: 20 * time.Millisecond}).Post(ctx, srv.URL, []Alert{{Labels: map[string]string{"alertname": "x"}}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}
