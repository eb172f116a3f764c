package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Alert is one element of Alertmanager's v2 POST /api/v2/alerts body.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Source identifies the ReportSchedule the alerts belong to.
type Source struct {
	Namespace, Name string
}

// ToAlerts converts alert states into Alertmanager alerts. firing are all
// alerts that fire after this evaluation (new and continuing): each carries
// startsAt = when it started firing, which stays the same across posts,
// and endsAt = firingUntil. Alertmanager resolves an alert by itself once
// endsAt passes (or resolve_timeout when endsAt is absent), so the caller
// re-posts every firing alert on every evaluation and sets firingUntil past
// the next one. resolved alerts carry endsAt = now, which resolves them at once.
func ToAlerts(src Source, firing, resolved []State, now, firingUntil time.Time) []Alert {
	var out []Alert
	mk := func(s State) Alert {
		sev := s.Severity
		if sev == "" {
			sev = "warning"
		}
		return Alert{
			Labels: map[string]string{
				"alertname": s.Name,
				"severity":  sev,
				"namespace": src.Namespace,
				"name":      src.Name,
				"service":   "crmlens",
			},
			Annotations: map[string]string{
				"summary":   fmt.Sprintf("crmlens report %s/%s: alert %s", src.Namespace, src.Name, s.Name),
				"value":     s.Value,
				"threshold": s.Threshold,
			},
			StartsAt: s.Since.UTC(),
		}
	}
	for _, s := range firing {
		a := mk(s)
		if !firingUntil.IsZero() {
			until := firingUntil.UTC()
			a.EndsAt = &until
		}
		out = append(out, a)
	}
	for _, s := range resolved {
		a := mk(s)
		// A resolved state's Since is the resolve time; Alertmanager wants the
		// original start, which it matches by labels anyway.
		end := now.UTC()
		a.StartsAt = end
		a.EndsAt = &end
		out = append(out, a)
	}
	return out
}

// Notifier posts alerts to an Alertmanager-compatible v2 endpoint.
type Notifier struct {
	// Client is the HTTP client; http.DefaultClient with a 10 s timeout when nil.
	Client *http.Client
	// Attempts is how many times a post is tried in total (default 5).
	Attempts int
	// Backoff is the first wait between attempts, doubled each time (default 500 ms).
	Backoff time.Duration
}

// PermanentError is a refusal retrying cannot fix (a 4xx other than 429).
type PermanentError struct {
	Status int
	Body   string
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("alertmanager refused alerts: HTTP %d: %s", e.Status, e.Body)
}

// Post sends the alerts to baseURL + "/api/v2/alerts" (baseURL may also be the
// full path already). Network errors, 5xx and 429 are retried with exponential
// backoff until ctx ends or attempts run out.
func (n *Notifier) Post(ctx context.Context, baseURL string, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	url := strings.TrimRight(baseURL, "/")
	if !strings.HasSuffix(url, "/api/v2/alerts") {
		url += "/api/v2/alerts"
	}
	body, err := json.Marshal(alerts)
	if err != nil {
		return fmt.Errorf("encode alerts: %w", err)
	}
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	attempts, wait := n.Attempts, n.Backoff
	if attempts <= 0 {
		attempts = 5
	}
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("post alerts: %w (last error: %v)", ctx.Err(), last)
			case <-time.After(wait):
			}
			wait *= 2
		}
		last = n.postOnce(ctx, client, url, body)
		if last == nil {
			return nil
		}
		var permanent *PermanentError
		if errors.As(last, &permanent) {
			return last
		}
	}
	return fmt.Errorf("post alerts after %d attempts: %w", attempts, last)
}

func (n *Notifier) postOnce(ctx context.Context, c *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		// A parse error quotes the URL, which may come from a Secret.
		return &PermanentError{Body: "invalid webhook URL: " + redact(err).Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		// The URL may carry a token from a Secret: report only the error kind.
		return fmt.Errorf("post alerts: %w", redact(err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("alertmanager: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	default:
		return &PermanentError{Status: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
	}
}

// redact drops the URL from *url.Error so a secret URL never reaches logs,
// Events or status through an error message.
func redact(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && strings.Contains(err.Error(), "://") {
		if inner := u.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// Run is the outcome of one report run, posted with the webhook events
// RunSucceeded and RunFailed.
type Run struct {
	Name      string            // the run (Job) name
	Succeeded bool              // RunSucceeded, else RunFailed
	Reason    string            // failure reason (RunFailed)
	Message   string            // failure message (RunFailed); never holds secret values
	KPIs      map[string]string // the run's metrics (RunSucceeded); aggregates only
}

// Run alert names, as Alertmanager's alertname label.
const (
	AlertRunSucceeded = "ReportRunSucceeded"
	AlertRunFailed    = "ReportRunFailed"
)

// RunAlert converts a run outcome into an Alertmanager alert. A failed run
// fires ReportRunFailed (severity warning) until firingUntil, so it stays
// active until the next run could have replaced it; a successful run is a
// point event ReportRunSucceeded (severity info, startsAt = endsAt = now)
// carrying the KPIs as annotations "kpi_<metric>".
func RunAlert(src Source, r Run, now, firingUntil time.Time) Alert {
	name, sev := AlertRunFailed, "warning"
	if r.Succeeded {
		name, sev = AlertRunSucceeded, "info"
	}
	a := Alert{
		Labels: map[string]string{"alertname": name, "severity": sev, "namespace": src.Namespace, "name": src.Name, "service": "crmlens"},
		Annotations: map[string]string{
			"run": r.Name,
		},
		StartsAt: now.UTC(),
	}
	end := firingUntil.UTC()
	if r.Succeeded {
		a.Annotations["summary"] = fmt.Sprintf("crmlens report %s/%s: run %s succeeded", src.Namespace, src.Name, r.Name)
		for k, v := range r.KPIs {
			a.Annotations["kpi_"+k] = v
		}
		end = now.UTC()
	} else {
		a.Annotations["summary"] = fmt.Sprintf("crmlens report %s/%s: run %s failed (%s)", src.Namespace, src.Name, r.Name, r.Reason)
		a.Annotations["reason"] = r.Reason
		a.Annotations["message"] = r.Message
	}
	a.EndsAt = &end
	return a
}

// WithTimeout returns a copy of n whose every POST is bounded by d (the
// webhook's timeout), keeping n's client settings such as its transport.
func (n *Notifier) WithTimeout(d time.Duration) *Notifier {
	c := http.Client{}
	if n.Client != nil {
		c = *n.Client
	}
	c.Timeout = d
	out := *n
	out.Client = &c
	return &out
}
