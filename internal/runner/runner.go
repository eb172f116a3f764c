// Package runner implements `crmlens run`, the analysis inside a Job pod: it
// reads the run plan (internal/runplan) from CRMLENS_RUN_PLAN, builds the
// sources, runs the engine, writes per-customer results to the external store
// when one is configured, computes segment migration against the previous
// run, and writes the summary ConfigMap (owned by the model or schedule,
// labelled with the run). It talks to the API with in-cluster config or
// KUBECONFIG. On failure it exits non-zero after writing the reason to the
// termination log, leaving the previous result untouched.
package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/lifecycle"
	"github.com/crmlens/crmlens/analytics/pareto"
	"github.com/crmlens/crmlens/analytics/pseudo"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/analytics/valuematrix"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
)

// DefaultMaxSummaryBytes keeps the summary well below the 1 MiB object limit.
const DefaultMaxSummaryBytes = 512 << 10

// Main runs `crmlens run` and returns the exit code.
func Main(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	planFile := fs.String("plan-file", "", "read the run plan from this file instead of $"+runplan.EnvVar)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file; in-cluster config or $KUBECONFIG when empty")
	termLog := fs.String("termination-log", "/dev/termination-log", "file the failure reason is written to")
	zopts := zap.Options{}
	zopts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger := zap.New(zap.UseFlagOptions(&zopts))
	ctrl.SetLogger(logger)

	raw := os.Getenv(runplan.EnvVar)
	if *planFile != "" {
		b, err := os.ReadFile(*planFile)
		if err != nil {
			logger.Error(err, "read run plan")
			return 2
		}
		raw = string(b)
	}
	plan, err := runplan.Decode(raw)
	if err != nil {
		logger.Error(err, "invalid run plan")
		writeTermination(*termLog, "InvalidPlan", err.Error())
		return 2
	}
	logger = logger.WithValues("namespace", plan.Owner.Namespace, "owner", plan.Owner.Kind+"/"+plan.Owner.Name, "run", plan.Run)
	if *kubeconfig != "" {
		os.Setenv("KUBECONFIG", *kubeconfig)
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		logger.Error(err, "no Kubernetes API configuration")
		writeTermination(*termLog, "NoAPIAccess", err.Error())
		return 2
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme, Mapper: configMapsOnly()})
	if err != nil {
		logger.Error(err, "create API client")
		return 2
	}
	r := &Runner{Client: c, Log: logger, Creds: os.Getenv}
	if err := r.Run(ctx, plan); err != nil {
		reason := Reason(err)
		logger.Error(err, "run failed", "reason", reason)
		writeTermination(*termLog, reason, err.Error())
		if werr := r.RecordFailure(ctx, plan, reason, err); werr != nil {
			logger.Error(werr, "record the failure in the result ConfigMap")
		}
		return 1
	}
	return 0
}

// configMapsOnly maps the one kind a run reads and writes. A fixed mapping
// spares every run the API discovery requests a client otherwise starts
// with (the core group list and all of core/v1's resources): with a
// thousand runs, that is two thousand requests the API server need not serve.
func configMapsOnly() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper([]schema.GroupVersion{corev1.SchemeGroupVersion})
	m.Add(corev1.SchemeGroupVersion.WithKind("ConfigMap"), meta.RESTScopeNamespace)
	return m
}

// RecordFailure writes the failure outcome under KeyFailure of the result
// ConfigMap, leaving the previous result (KeyResult, KeyOutcome) in place.
func (r *Runner) RecordFailure(ctx context.Context, p *runplan.Plan, reason string, runErr error) error {
	msg := runErr.Error()
	if len(msg) > 2048 {
		msg = msg[:2048] + "…"
	}
	b, err := json.Marshal(runplan.Outcome{Run: p.Run, Reason: reason, Message: msg, FinishedAt: r.now().UTC()})
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: p.Owner.Namespace, Name: p.ResultConfigMap}}
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		err := r.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm)
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		if err != nil {
			applyMeta(&cm.ObjectMeta, p, "result")
			cm.Data = map[string]string{runplan.KeyFailure: string(b)}
			return r.Client.Create(ctx, cm)
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[runplan.KeyFailure] = string(b)
		return r.Client.Update(ctx, cm)
	})
}

func writeTermination(path, reason, msg string) {
	if path == "" {
		return
	}
	// Best effort: outside a pod the path may not be writable.
	_ = os.WriteFile(path, []byte(reason+": "+msg), 0o644)
}

// Failure is a run failure with a condition reason.
type Failure struct {
	Reason string
	Err    error
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Reason returns the CamelCase reason of a run error: the runner's own
// (e.g. SourceFailed) prefixed to the store kind when there is one.
func Reason(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		if k := storeerr.Reason(f.Err); k != "" && k != "Error" {
			return f.Reason + k
		}
		return f.Reason
	}
	return "RunFailed"
}

// Runner executes plans.
type Runner struct {
	Client client.Client
	Log    logr.Logger
	// Creds resolves credential variables named in the plan (os.Getenv).
	Creds sources.Creds
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxConfigMapBytes bounds the result ConfigMap's data (0: ConfigMapBudget);
	// the HTML report is left out of the ConfigMap when it would not fit.
	MaxConfigMapBytes int
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Run executes one plan and writes its results.
func (r *Runner) Run(ctx context.Context, p *runplan.Plan) error {
	ns := p.Owner.Namespace
	cmReader := func(ctx context.Context, name, key string) ([]byte, error) {
		var cm corev1.ConfigMap
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("configMap %q: %w", name, storeerr.ErrNotFound)
			}
			return nil, fmt.Errorf("configMap %q: %w", name, err)
		}
		if v, ok := cm.Data[key]; ok {
			return []byte(v), nil
		}
		if v, ok := cm.BinaryData[key]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("configMap %q has no key %q: %w", name, key, storeerr.ErrNotFound)
	}
	var srcs []input.Source
	var campaigns []runplan.Source
	for _, s := range p.Sources {
		if s.Content == contentCampaigns {
			campaigns = append(campaigns, s)
			continue
		}
		if s.Content != "" && s.Content != "Transactions" {
			r.Log.Info("source skipped: only transaction sources are analysed by the runner yet", "source", s.Name, "content", s.Content)
			continue
		}
		b, err := sources.Build(ctx, s, r.Creds, cmReader)
		if err != nil {
			return &Failure{Reason: "Source", Err: err}
		}
		srcs = append(srcs, b...)
	}
	if len(srcs) == 0 {
		return &Failure{Reason: "NoTransactionSource", Err: errors.New("the plan names no transaction source")}
	}
	cfg, err := EngineConfig(p, srcs)
	if err != nil {
		return &Failure{Reason: "InvalidPlan", Err: err}
	}
	// Campaign contacts feed the KPI report's response rate and ROI.
	switch {
	case len(campaigns) > 0 && slices.Contains(cfg.Reports, engine.KPI):
		cfg.Contacts, cfg.ContactsReport, err = readCampaigns(ctx, campaigns, r.Creds, cmReader)
		if err != nil {
			return &Failure{Reason: "Source", Err: err}
		}
		for i := range cfg.Contacts {
			cfg.Contacts[i].Time = cfg.Contacts[i].Time.In(cfg.Location) // contact days in the analysis zone
		}
		r.Log.Info("campaign contacts read", "contacts", len(cfg.Contacts), "rejected", cfg.ContactsReport.Rejected)
	case len(campaigns) > 0:
		r.Log.Info("campaign sources unused: only the KPI report reads campaign contacts", "sources", len(campaigns))
	}
	prog := &Progress{Log: r.Log, Now: r.Now}
	cfg.Sources = prog.Wrap(cfg.Sources)
	cfg.Progress = prog.Event
	ps, err := r.pseudonymizer(p)
	if err != nil {
		return &Failure{Reason: "Pseudonymize", Err: err}
	}
	sup, err := r.suppression(p)
	if err != nil {
		return &Failure{Reason: "Suppression", Err: err}
	}
	if sup.Len() > 0 {
		cfg.Exclude = sup.Contains
		r.Log.Info("suppression list applied", "entries", sup.Len())
	}

	// The per-customer stream feeds the migration tracker; an external
	// store sink is chained in when the plan has one.
	var prev *Assignments
	if p.StateConfigMap != "" {
		prev, err = r.loadState(ctx, ns, p.StateConfigMap)
		if err != nil {
			r.Log.Info("previous segment assignment unreadable; migration starts afresh", "error", err.Error())
		}
	}
	// Read a postgres source first (pushdown), or probe it when the raw-row
	// path will stream it later, so an unreachable database fails as a source
	// problem before the sink is opened.
	set, err := r.pushdownSet(ctx, p, cfg)
	if err != nil {
		return &Failure{Reason: "Source", Err: err}
	}
	if set == nil {
		if err := r.probeLazySources(ctx, p); err != nil {
			return &Failure{Reason: "Source", Err: err}
		}
	}
	tracker := NewTracker(r.stateKey(p))
	sink, location, err := r.openSink(ctx, p, cfg)
	if err != nil {
		return &Failure{Reason: "Store", Err: err}
	}
	w := &tee{tracker: tracker, next: sink, pseudo: ps}
	r.Log.Info("analysis starting", "sources", len(srcs), "method", cfg.Method, "reports", cfg.Reports)
	doc, err := analyze(ctx, cfg, set, w)
	if err != nil {
		if sink != nil {
			sink.abort()
		}
		// A row the store refused fails the run as the store's failure
		// (StoreUnreachable, …), not the analysis's.
		var we *storeWriteError
		if errors.As(err, &we) {
			return &Failure{Reason: "Store", Err: err}
		}
		return &Failure{Reason: "Analysis", Err: err}
	}
	for _, wn := range doc.Warnings {
		r.Log.Info("result warning", "report", wn.Report, "failed", wn.Failed, "reason", wn.Reason)
	}
	// The report is rendered from the whole document, before it is bounded
	// for the ConfigMap, and published with the store's run folder.
	// The metrics and the alert evaluation are computed once, from the whole
	// document, for the report and for the outcome the reconciler reads.
	metrics := Metrics(doc)
	// Whole seconds: alert start times land in status (metav1.Time) and in
	// webhook posts, which must agree.
	alertOutcome := EvaluateAlerts(p.Alerts, metrics, r.now().UTC().Truncate(time.Second))
	page, reportNote := r.renderReport(ctx, p, doc, alertOutcome)
	var reports []string
	if sink != nil {
		if a, ok := sink.w.(attacher); ok && page != nil {
			if err := a.Attach(ReportFileName, page); err != nil {
				r.Log.Error(err, "store the HTML report with the run")
				reportNote = joinNote(reportNote, "HTML report not stored in the object store: "+err.Error())
			} else {
				reports = append(reports, location+ReportFileName)
			}
		}
		if err := sink.commitDoc(doc); err != nil {
			return &Failure{Reason: "Store", Err: err}
		}
	}
	limit := p.MaxSummaryBytes
	if limit <= 0 {
		limit = DefaultMaxSummaryBytes
	}
	if err := result.Bound(doc, limit); err != nil {
		return &Failure{Reason: "ResultTooLarge", Err: err}
	}
	docJSON, err := json.Marshal(doc)
	if err != nil {
		return &Failure{Reason: "Encode", Err: err}
	}
	out := runplan.Outcome{Run: p.Run, Succeeded: true, ResultLocation: location, Metrics: metrics, Alerts: alertOutcome, FinishedAt: r.now().UTC()}
	cur := tracker.Assignments()
	if p.StateConfigMap != "" {
		if prev != nil {
			out.Migrations = Migrate(prev, cur)
		} else {
			out.MigrationNote = "first run: no previous assignment to compare with"
		}
	}
	cmReport := ""
	if page != nil {
		if r.reportFits(page, string(docJSON), "") {
			cmReport = string(page)
			reports = append(reports, fmt.Sprintf("configmap %s key %s", p.ResultConfigMap, runplan.KeyReport))
		} else {
			r.Log.Info("HTML report left out of the result ConfigMap: too large", "reportBytes", len(page), "resultBytes", len(docJSON), "budget", r.configMapBudget())
			reportNote = joinNote(reportNote, fmt.Sprintf("HTML report (%d bytes) too large for the result ConfigMap next to the result (%d bytes); configure an object store output to keep it", len(page), len(docJSON)))
		}
	}
	out.Reports, out.ReportNote = reports, reportNote
	outJSON, err := json.Marshal(out)
	if err != nil {
		return &Failure{Reason: "Encode", Err: err}
	}
	if cmReport != "" && !r.reportFits(page, string(docJSON), string(outJSON)) {
		cmReport = "" // the outcome tipped it over; rare enough to only log
		r.Log.Info("HTML report left out of the result ConfigMap: too large with the outcome", "reportBytes", len(page))
	}
	if err := r.writeResult(ctx, p, string(docJSON), string(outJSON), cmReport); err != nil {
		return &Failure{Reason: "WriteResult", Err: err}
	}
	if p.StateConfigMap != "" {
		if err := r.saveState(ctx, p, cur); err != nil {
			// The result is written; a missing state only costs the next migration.
			r.Log.Error(err, "save segment assignment for the next migration")
		}
	}
	r.Log.Info("run finished", "customers", doc.Input.Customers, "transactions", doc.Input.Transactions,
		"rejected", sumRejected(doc.Input.Rejected), "segments", len(doc.Segments), "seconds", doc.Run.DurationSeconds,
		"resultConfigMap", p.ResultConfigMap, "bytes", len(docJSON))
	return nil
}

func sumRejected(m map[txn.RejectReason]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// EngineConfig translates the plan's analysis into an engine configuration.
// Calendar days are those of the analysis time zone (AnalysisLocation), on
// every path: the file and raw-row paths aggregate in cfg.Location, the
// pushdown computes days in the postgres source's zone, which is the same one.
// The plan's asOf and calibrationEnd are dates written as UTC wall clock;
// they are read as that wall clock in the analysis zone.
func EngineConfig(p *runplan.Plan, srcs []input.Source) (engine.Config, error) {
	a := p.Analysis
	cfg := engine.Config{Sources: srcs, Method: engine.Method(strings.ToLower(a.Method)), TimeUnit: strings.ToLower(a.TimeUnit)}
	for _, rep := range a.Reports {
		cfg.Reports = append(cfg.Reports, engine.Report(strings.ToLower(rep)))
	}
	refunds := clean.RefundNet
	if strings.EqualFold(a.Cleaning.Refunds, "drop") {
		refunds = clean.RefundDrop
	}
	cfg.Rules = clean.Rules{DropGifts: a.Cleaning.DropGifts, DedupeOrders: a.Cleaning.DedupeOrders, Refunds: refunds,
		MergeSameDay: a.Cleaning.MergeSameDay, CancellationPrefix: a.Cleaning.CancellationPrefix}
	for _, f := range []struct {
		name, value string
		dst         *txn.Money
	}{{"minAmount", a.Cleaning.MinAmount, &cfg.Rules.MinAmount}, {"maxAmount", a.Cleaning.MaxAmount, &cfg.Rules.MaxAmount}} {
		if f.value == "" {
			continue
		}
		m, err := input.ParseAmount([]byte(f.value), '.', 0)
		if err != nil {
			return cfg, fmt.Errorf("cleaning.%s %q: %w", f.name, f.value, err)
		}
		*f.dst = m
	}
	loc, err := AnalysisLocation(p)
	if err != nil {
		return cfg, err
	}
	cfg.Location = loc
	if a.AsOf != nil {
		cfg.AsOf = wallClockIn(*a.AsOf, loc)
	}
	if a.WindowSeconds > 0 {
		end := cfg.AsOf
		if end.IsZero() {
			end = p.Created
		}
		cfg.Rules.WindowStart = end.Add(-time.Duration(a.WindowSeconds) * time.Second)
	}
	if a.CalibrationEnd != nil {
		cfg.CalibrationEnd = wallClockIn(*a.CalibrationEnd, loc)
	}
	if len(a.RFMSegments) > 0 {
		m, err := SegmentMap(a.RFMSegments)
		if err != nil {
			return cfg, err
		}
		cfg.SegmentMap = m
	}
	cfg.ValueMatrix = valuematrix.Params{AOVThreshold: a.AOVThreshold, FrequencyThreshold: a.FreqThreshold}
	cfg.Lifecycle = lifecycle.Params{NewDays: a.NewDays, AtRiskDays: a.AtRiskDays, ChurnDays: a.ChurnDays, LoyalOrders: a.LoyalOrders}
	cfg.KPI = kpi.Params{ActiveDays: a.KPIActiveDays, ChurnDays: a.KPIChurnDays, ResponseDays: a.KPIResponseDays}
	cfg.Pareto = pareto.Params{Share: a.ParetoShare}
	if c := a.CLV; c != nil {
		cfg.CLV = engine.CLVParams{Horizon: c.Horizon, Margin: c.Margin, DiscountRate: c.DiscountRate, AcquisitionCost: c.AcquisitionCost, RetentionCost: c.RetentionCost, Tiers: c.Tiers}
	}
	cfg.RFM = rfm.Options{Monetary: rfm.Monetary(a.RFMMonetary)}
	if k := a.KMeans; k != nil {
		cfg.KMeans = engine.KMeansParams{K: k.K, MinK: k.MinK, MaxK: k.MaxK, Seed: k.Seed, Restarts: k.Restarts, MaxIterations: k.MaxIterations}
		for _, f := range k.Features {
			cfg.KMeans.Features = append(cfg.KMeans.Features, engine.KMeansFeature(f))
		}
	}
	if c := a.Cohort; c != nil {
		cfg.Cohort = cohort.Params{Period: cohort.Period(c.Period), Periods: c.Periods}
	}
	if v := a.VIP; v != nil {
		cfg.VIP = engine.VIPParams{TopPercent: v.TopPercent, Segments: v.Segments, SpendBuckets: v.SpendBuckets}
		cfg.VIP.Drop.Threshold = v.DropThreshold
		cfg.VIP.Drop.RecentDays = v.RecentDays
		cfg.VIP.Drop.BaselineDays = v.BaselineDays
	}
	if b := a.Basket; b != nil {
		cfg.Basket = engine.BasketParams{MinSupport: b.MinSupport, MinConfidence: b.MinConfidence, MinLift: b.MinLift, MaxRules: b.MaxRules, Item: b.Item}
	}
	if f := a.Forecast; f != nil {
		cfg.Forecast = engine.ForecastParams{Unit: f.Unit, Seasonality: f.Seasonality, SeasonLength: f.SeasonLength, Horizon: f.Horizon}
	}
	cfg.Now = nil
	return cfg, cfg.Validate()
}

// AnalysisLocation is the run's analysis time zone: the declared timeZone of
// the plan's first transaction source (UTC when it declares none). Zone-less
// timestamps are read in each source's own zone; only calendar days (recency,
// same-day merge, daily revenue, cohorts, weekday × hour) follow this one.
func AnalysisLocation(p *runplan.Plan) (*time.Location, error) {
	for _, s := range p.Sources {
		if s.Content != "" && s.Content != "Transactions" {
			continue
		}
		if s.TimeZone == "" {
			return time.UTC, nil
		}
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("source %s: time zone %q: %w", s.Name, s.TimeZone, err)
		}
		return loc, nil
	}
	return time.UTC, nil
}

// wallClockIn reads t's UTC wall clock as wall clock in loc.
func wallClockIn(t time.Time, loc *time.Location) time.Time {
	u := t.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), u.Nanosecond(), loc)
}

// SegmentMap turns API segment rules (score ranges, first match wins) into
// the engine's code table; codes no rule matches go to "Other".
func SegmentMap(rules []runplan.RFMSegment) (*rfm.SegmentMap, error) {
	type rng struct{ lo, hi int }
	parse := func(s string) (rng, error) {
		if s == "" {
			return rng{1, 9}, nil
		}
		lo, hi, found := strings.Cut(s, "-")
		if !found {
			hi = lo
		}
		if len(lo) != 1 || len(hi) != 1 || lo[0] < '1' || lo[0] > '9' || hi[0] < lo[0] || hi[0] > '9' {
			return rng{}, fmt.Errorf("score range %q: want N or N-M with 1 ≤ N ≤ M ≤ 9", s)
		}
		return rng{int(lo[0] - '0'), int(hi[0] - '0')}, nil
	}
	type rule struct {
		name    string
		r, f, m rng
	}
	var rs []rule
	for _, x := range rules {
		r, err := parse(x.Recency)
		if err != nil {
			return nil, fmt.Errorf("segment %s recency: %w", x.Segment, err)
		}
		f, err := parse(x.Frequency)
		if err != nil {
			return nil, fmt.Errorf("segment %s frequency: %w", x.Segment, err)
		}
		m, err := parse(x.Monetary)
		if err != nil {
			return nil, fmt.Errorf("segment %s monetary: %w", x.Segment, err)
		}
		rs = append(rs, rule{x.Segment, r, f, m})
	}
	in := func(v int, g rng) bool { return v >= g.lo && v <= g.hi }
	var b bytes.Buffer
	for code := 0; code < 125; code++ {
		r, f, m := code/25+1, code/5%5+1, code%5+1
		for _, x := range rs {
			if in(r, x.r) && in(f, x.f) && in(m, x.m) {
				fmt.Fprintf(&b, "%d%d%d,%s\n", r, f, m, csvQuote(x.name))
				break
			}
		}
	}
	b.WriteString("*,Other\n")
	sm, err := rfm.ParseSegmentMap(&b)
	if err != nil {
		return nil, fmt.Errorf("rfm segment map: %w", err)
	}
	return sm, nil
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// writeResult creates or replaces the summary ConfigMap.
func (r *Runner) writeResult(ctx context.Context, p *runplan.Plan, doc, outcome, page string) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: p.Owner.Namespace, Name: p.ResultConfigMap}}
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		err := r.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm)
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		exists := err == nil
		applyMeta(&cm.ObjectMeta, p, "result")
		cm.Data = map[string]string{runplan.KeyResult: doc, runplan.KeyOutcome: outcome}
		if page != "" {
			cm.Data[runplan.KeyReport] = page
		}
		cm.BinaryData = nil
		if exists {
			return r.Client.Update(ctx, cm)
		}
		return r.Client.Create(ctx, cm)
	})
}

func applyMeta(m *metav1.ObjectMeta, p *runplan.Plan, role string) {
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels[runplan.LabelManagedBy] = runplan.ManagedByValue
	m.Labels[runplan.LabelOwnerKind] = p.Owner.Kind
	m.Labels[runplan.LabelOwnerName] = truncLabel(p.Owner.Name)
	m.Labels[runplan.LabelRun] = truncLabel(p.Run)
	m.Labels[runplan.LabelRole] = role
	if p.Owner.UID != "" {
		// Not a controller reference: the reconciler stays the only controller,
		// and garbage collection removes the ConfigMap with its owner.
		m.OwnerReferences = []metav1.OwnerReference{{APIVersion: p.Owner.APIVersion, Kind: p.Owner.Kind, Name: p.Owner.Name, UID: types.UID(p.Owner.UID)}}
	}
}

func truncLabel(s string) string {
	if len(s) > 63 {
		return strings.TrimRight(s[:63], "-.")
	}
	return s
}

func (r *Runner) loadState(ctx context.Context, ns, name string) (*Assignments, error) {
	var cm corev1.ConfigMap
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	b, ok := cm.BinaryData[runplan.KeyAssignments]
	if !ok {
		return nil, nil
	}
	return DecodeAssignments(b)
}

func (r *Runner) saveState(ctx context.Context, p *runplan.Plan, a *Assignments) error {
	b, err := a.Encode()
	if err != nil {
		return err
	}
	if len(b) > 900<<10 {
		return fmt.Errorf("segment assignment of %d customers needs %d bytes, above what a ConfigMap holds; migration needs an external store", a.Len(), len(b))
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: p.Owner.Namespace, Name: p.StateConfigMap}}
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		err := r.Client.Get(ctx, client.ObjectKeyFromObject(cm), cm)
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		exists := err == nil
		applyMeta(&cm.ObjectMeta, p, "state")
		cm.Data = nil
		cm.BinaryData = map[string][]byte{runplan.KeyAssignments: b}
		if exists {
			return r.Client.Update(ctx, cm)
		}
		return r.Client.Create(ctx, cm)
	})
}

// tee passes rows to the migration tracker and the store sink, replacing
// customer IDs by pseudonyms on the way out when pseudo is set.
type tee struct {
	tracker *Tracker
	next    *storeSink
	pseudo  *pseudo.Pseudonymizer
}

func (t *tee) Write(row *result.Row) error {
	// The tracker keeps its own keyed hashes of the real ID, so migration
	// stays comparable when pseudonymisation is switched on or off.
	t.tracker.Add(row.Customer, row.Segment)
	if t.next == nil {
		return nil
	}
	var err error
	if t.pseudo != nil {
		out := *row
		out.Customer = t.pseudo.ID(row.Customer)
		err = t.next.w.Write(&out)
	} else {
		err = t.next.w.Write(row)
	}
	if err != nil {
		return &storeWriteError{err: err}
	}
	return nil
}

// storeWriteError marks an error of the result store's writer, so a write
// that fails mid-analysis is reported as the store's failure.
type storeWriteError struct{ err error }

func (e *storeWriteError) Error() string { return "result store: " + e.err.Error() }
func (e *storeWriteError) Unwrap() error { return e.err }

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func (t *tee) Close() error {
	if t.next != nil {
		return t.next.w.Close()
	}
	return nil
}

// Metrics flattens the report figures alert rules and status use, keyed by
// the names the ReportSchedule API documents (status.kpis).
func Metrics(doc *result.Document) map[string]float64 {
	m := map[string]float64{
		"customers":    float64(doc.Input.Customers),
		"transactions": float64(doc.Input.Transactions),
	}
	if k := doc.KPI; k != nil {
		m["activeCustomers"] = float64(k.ActiveCustomers)
		m["churnedCustomers"] = float64(k.ChurnedCustomers)
		m["churnRate"] = k.ChurnRate
		m["repurchaseRate"] = k.RepurchaseRate
		m["orders"] = float64(k.Orders)
		m["revenue"] = k.Revenue
		m["averageOrderValue"] = k.AverageOrderValue
		m["revenuePerCustomer"] = k.RevenuePerCustomer
		if c := k.Campaign; c != nil {
			m["campaignResponseRate"] = c.ResponseRate
			if c.ROI != nil {
				m["campaignROI"] = *c.ROI
			}
		}
	}
	if pa := doc.Pareto; pa != nil && pa.Defined {
		m["paretoCustomerShare"] = pa.CustomerShare
	}
	// Loosely typed sections: read the documented JSON fields.
	if v := sectionMap(doc.VIP); v != nil {
		if n, ok := num(v["vips"]); ok {
			m["vipCustomers"] = n
		}
		if n, ok := num(v["valueShare"]); ok {
			m["vipValueShare"] = n
		}
		if d, ok := v["drops"].(map[string]any); ok {
			if n, ok := num(d["flagged"]); ok {
				m["vipDropped"] = n
			}
			if n, ok := num(d["frequencyFlagged"]); ok {
				m["vipFrequencyDropped"] = n
			}
			if n, ok := num(d["spendFlagged"]); ok {
				m["vipSpendDropped"] = n
			}
		}
	}
	if f := sectionMap(doc.Forecast); f != nil {
		if pts, ok := f["forecast"].([]any); ok && len(pts) > 0 {
			if p0, ok := pts[0].(map[string]any); ok {
				for _, k := range []string{"value", "revenue", "yhat", "mean"} {
					if n, ok := num(p0[k]); ok {
						m["forecastNextPeriod"] = n
						break
					}
				}
			}
		}
	}
	return m
}

func sectionMap(v any) map[string]any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func num(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}
