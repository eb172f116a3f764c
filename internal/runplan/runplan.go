// Package runplan is the contract between the reconcilers and `crmlens run`:
// a JSON document, rendered by the reconciler into the Job's environment
// (CRMLENS_RUN_PLAN), that says what to read, how to analyse it and where to
// write. It never holds credentials: each secret value reaches the Job pod as
// an environment variable through secretKeyRef, and the plan names only the
// variable (the *Env fields).
package runplan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/crmlens/crmlens/internal/alerts"
)

// Version identifies the plan format.
const Version = "crmlens.io/runplan/v1"

// EnvVar is the environment variable carrying the plan.
const EnvVar = "CRMLENS_RUN_PLAN"

// Labels and keys shared by the reconcilers and the runner.
const (
	// LabelManagedBy marks every object crmlens creates (Jobs, ConfigMaps).
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is LabelManagedBy's value.
	ManagedByValue = "crmlens"
	// LabelOwnerKind, LabelOwnerName name the resource a Job or ConfigMap belongs to.
	LabelOwnerKind = "crmlens.io/owner-kind"
	LabelOwnerName = "crmlens.io/owner-name"
	// LabelRun names the run (the Job name) a result ConfigMap came from.
	LabelRun = "crmlens.io/run"
	// LabelRole tells result ConfigMaps ("result") from run state ("state").
	LabelRole = "crmlens.io/role"
	// AnnotationTrigger records why a Job was started (generation, refresh, run-now, schedule).
	AnnotationTrigger = "crmlens.io/trigger"
	// AnnotationScheduledTime is the schedule slot of a ReportSchedule run (RFC 3339).
	AnnotationScheduledTime = "crmlens.io/scheduled-time"
	// KeyResult is the data key of the result document in the summary ConfigMap.
	KeyResult = "result.json"
	// KeyOutcome is the data key of the run outcome in the summary ConfigMap.
	KeyOutcome = "outcome.json"
	// KeyFailure is the data key a failed run writes its Outcome to; the
	// previous result and outcome stay untouched next to it.
	KeyFailure = "failure.json"
	// KeyAssignments is the binaryData key of the state ConfigMap.
	KeyAssignments = "assignments"
	// KeyReport is the data key of the run's self-contained HTML report in the
	// summary ConfigMap, present when it fits next to the result.
	KeyReport = "report.html"
)

// Plan is one run.
type Plan struct {
	APIVersion string `json:"apiVersion"`
	// Owner is the resource the run belongs to.
	Owner Owner `json:"owner"`
	// Run is the run's name (the Job name); it labels everything the run writes.
	Run string `json:"run"`
	// ResultConfigMap is where the summary goes (name in Owner.Namespace).
	ResultConfigMap string `json:"resultConfigMap"`
	// StateConfigMap keeps the previous run's segment of each customer, as
	// keyed hashes, for segment migration; empty disables migration.
	StateConfigMap string `json:"stateConfigMap,omitempty"`
	// MaxSummaryBytes bounds the result document (ConfigMaps hold < 1 MiB).
	MaxSummaryBytes int `json:"maxSummaryBytes,omitempty"`

	// PreviousResultConfigMap holds the previous successful run's result,
	// shown as "change since last run" in the HTML report; empty means
	// ResultConfigMap (models overwrite one ConfigMap per run).
	PreviousResultConfigMap string `json:"previousResultConfigMap,omitempty"`

	Sources  []Source  `json:"sources"`
	Analysis Analysis  `json:"analysis"`
	Store    *Store    `json:"store,omitempty"`
	Created  time.Time `json:"created"`

	// Pseudonymize, when set, replaces customer IDs by keyed hashes
	// (analytics/pseudo) wherever they leave the engine.
	Pseudonymize *Pseudonymize `json:"pseudonymize,omitempty"`
	// StateKeyEnv names the variable holding the secret that keys the state
	// ConfigMap's per-customer hashes (with the owner's UID); empty keys them
	// by the UID alone (plans of older reconcilers).
	StateKeyEnv string `json:"stateKeyEnv,omitempty"`
	// Suppression names the variables holding the namespace's suppression
	// list of erased customers and its key; those customers are left out.
	Suppression *Suppression `json:"suppression,omitempty"`
	// Alerts lets the runner evaluate the schedule's alert rules on its own
	// metrics, so the HTML report lists the alerts this run fires; the
	// reconciler's evaluation stays the one that sets status.
	Alerts *Alerts `json:"alerts,omitempty"`
}

// Pseudonymize names the variable holding the hash key (from a Secret
// through secretKeyRef; never the key itself).
type Pseudonymize struct {
	KeyEnv string `json:"keyEnv"`
}

// Suppression names the variables of the suppression list (internal/suppress).
type Suppression struct {
	KeyEnv  string `json:"keyEnv"`
	ListEnv string `json:"listEnv"`
}

// Alerts are a schedule's alert rules and their state before this run, in
// the evaluator's own types: the reconciler builds them once from the spec
// (alertRules) and the runner evaluates them as they are.
type Alerts struct {
	Rules    []alerts.Rule        `json:"rules,omitempty"`
	VIPDrops []alerts.VIPDropRule `json:"vipDrops,omitempty"`
	Previous []alerts.State       `json:"previous,omitempty"`
	// PreviousMetrics are the previous run's metrics (status.kpis).
	PreviousMetrics map[string]float64 `json:"previousMetrics,omitempty"`
}

// Basis fingerprints everything an evaluation depends on besides this
// run's metrics. The runner evaluates the rules once and records the basis
// with the outcome; the reconciler adopts that outcome when the basis it
// would evaluate on is the same (nothing changed while the run ran), and
// evaluates itself only otherwise.
func (a *Alerts) Basis() string {
	if a == nil {
		return ""
	}
	c := *a
	c.Previous = make([]alerts.State, len(a.Previous))
	for i, s := range a.Previous {
		s.Since = s.Since.UTC() // the same instant reads back in different zones
		c.Previous[i] = s
	}
	b, err := json.Marshal(c)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AlertOutcome is the runner's evaluation of the plan's alert rules on the
// run's metrics, with the Basis it was made on.
type AlertOutcome struct {
	Basis   string         `json:"basis"`
	Outcome alerts.Outcome `json:"outcome"`
}

// Owner identifies the owning resource.
type Owner struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
}

// Source is one resolved DataSource.
type Source struct {
	Name    string `json:"name"`              // DataSource name
	Channel string `json:"channel,omitempty"` // channel label override
	Content string `json:"content,omitempty"` // Transactions (default), Customers, Campaigns

	Sample      *Sample      `json:"sample,omitempty"`
	ConfigMap   *ConfigMap   `json:"configMap,omitempty"`
	HTTP        *HTTP        `json:"http,omitempty"`
	Postgres    *Postgres    `json:"postgres,omitempty"`
	ObjectStore *ObjectStore `json:"objectStore,omitempty"`

	// Reading options.
	Format             string            `json:"format,omitempty"` // csv, parquet
	Delimiter          string            `json:"delimiter,omitempty"`
	NoHeader           bool              `json:"noHeader,omitempty"`
	ThousandsSeparator string            `json:"thousandsSeparator,omitempty"`
	Gzip               bool              `json:"gzip,omitempty"`
	TimeLayout         string            `json:"timeLayout,omitempty"`
	TimeZone           string            `json:"timeZone,omitempty"`
	Columns            map[string]string `json:"columns,omitempty"` // field → column (customer, order, time, amount, ...; Campaigns: customer, time, cost, campaign)
}

// Sample is the built-in generator.
type Sample struct {
	Customers int   `json:"customers"`
	Seed      int64 `json:"seed"`
	Months    int   `json:"months"`
	// End is the exclusive end of the generated history (the run's day, so
	// the shop looks current); zero keeps the generator's fixed 2024–2025.
	End *time.Time `json:"end,omitempty"`
}

// ConfigMap holds small inline data.
type ConfigMap struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// HTTP is CSV over HTTP(S).
type HTTP struct {
	URL                string `json:"url"`
	HeadersEnv         string `json:"headersEnv,omitempty"` // env var with "Name: value" lines
	TimeoutSeconds     int    `json:"timeoutSeconds,omitempty"`
	MaxBytes           int64  `json:"maxBytes,omitempty"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
	CACertEnv          string `json:"caCertEnv,omitempty"` // env var with the PEM CA bundle
}

// Postgres is a table or query; credentials come from the named variables.
type Postgres struct {
	Host        string `json:"host,omitempty"`
	Port        int    `json:"port,omitempty"`
	Database    string `json:"database,omitempty"`
	SSLMode     string `json:"sslMode,omitempty"`
	Table       string `json:"table,omitempty"`
	Query       string `json:"query,omitempty"`
	URIEnv      string `json:"uriEnv,omitempty"`
	UserEnv     string `json:"userEnv,omitempty"`
	PasswordEnv string `json:"passwordEnv,omitempty"`
	CACertEnv   string `json:"caCertEnv,omitempty"` // env var with the PEM CA bundle
	// StatementTimeoutMillis bounds each statement on the server; 0 leaves
	// the server's statement_timeout in force.
	StatementTimeoutMillis int64 `json:"statementTimeoutMillis,omitempty"`
}

// ObjectStore is an S3-compatible bucket.
type ObjectStore struct {
	Endpoint           string `json:"endpoint,omitempty"`
	Region             string `json:"region,omitempty"`
	Bucket             string `json:"bucket"`
	Key                string `json:"key,omitempty"`
	Prefix             string `json:"prefix,omitempty"`
	PathStyle          bool   `json:"pathStyle,omitempty"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
	AccessKeyEnv       string `json:"accessKeyEnv,omitempty"`
	SecretKeyEnv       string `json:"secretKeyEnv,omitempty"`
	SessionTokenEnv    string `json:"sessionTokenEnv,omitempty"`
	CACertEnv          string `json:"caCertEnv,omitempty"` // env var with the PEM CA bundle
}

// Analysis is what to compute.
type Analysis struct {
	Method  string   `json:"method"`            // rfm, kmeans, valuematrix, lifecycle, clv
	Reports []string `json:"reports,omitempty"` // kpi, vip, pareto, cohort, forecast, basket

	// AsOf fixes the analysis date; WindowSeconds keeps only that much history
	// before it (0: all).
	AsOf          *time.Time `json:"asOf,omitempty"`
	WindowSeconds int64      `json:"windowSeconds,omitempty"`

	Cleaning Cleaning `json:"cleaning"`

	// Method parameters (zero: the engine's defaults).
	RFMSegments []RFMSegment `json:"rfmSegments,omitempty"`
	// RFMMonetary is the basis of the M score: total (default) or average.
	RFMMonetary    string     `json:"rfmMonetary,omitempty"`
	AOVThreshold   float64    `json:"aovThreshold,omitempty"`
	FreqThreshold  float64    `json:"frequencyThreshold,omitempty"`
	NewDays        int        `json:"newDays,omitempty"`
	AtRiskDays     int        `json:"atRiskDays,omitempty"`
	ChurnDays      int        `json:"churnDays,omitempty"`
	LoyalOrders    int64      `json:"loyalOrders,omitempty"`
	CalibrationEnd *time.Time `json:"calibrationEnd,omitempty"`
	TimeUnit       string     `json:"timeUnit,omitempty"`

	CLV    *CLV    `json:"clv,omitempty"`
	KMeans *KMeans `json:"kmeans,omitempty"`

	// Report parameters.
	VIP             *VIP      `json:"vip,omitempty"`
	Basket          *Basket   `json:"basket,omitempty"`
	Forecast        *Forecast `json:"forecast,omitempty"`
	KPIActiveDays   int       `json:"kpiActiveDays,omitempty"`
	KPIChurnDays    int       `json:"kpiChurnDays,omitempty"`
	KPIResponseDays int       `json:"kpiResponseDays,omitempty"`
	ParetoShare     float64   `json:"paretoShare,omitempty"`
	Cohort          *Cohort   `json:"cohort,omitempty"`
}

// Cohort report parameters.
type Cohort struct {
	Period  string `json:"period,omitempty"`  // week, month (default) or quarter
	Periods int    `json:"periods,omitempty"` // N cohorts, each followed N periods; 0: all
}

// CLV parameters (zero: engine defaults).
type CLV struct {
	Horizon         float64 `json:"horizon,omitempty"`
	Margin          float64 `json:"margin,omitempty"`
	DiscountRate    float64 `json:"discountRate,omitempty"`
	AcquisitionCost float64 `json:"acquisitionCost,omitempty"`
	RetentionCost   float64 `json:"retentionCost,omitempty"`
	Tiers           int     `json:"tiers,omitempty"`
}

// KMeans parameters.
type KMeans struct {
	K    int    `json:"k,omitempty"`
	MinK int    `json:"minK,omitempty"`
	MaxK int    `json:"maxK,omitempty"`
	Seed uint64 `json:"seed,omitempty"`
	// Features in the engine's names (recency, frequency, monetary,
	// averageOrderValue, tenure, interPurchaseTime); empty: the defaults.
	Features      []string `json:"features,omitempty"`
	Restarts      int      `json:"restarts,omitempty"`
	MaxIterations int      `json:"maxIterations,omitempty"`
}

// VIP report parameters.
type VIP struct {
	TopPercent    float64   `json:"topPercent,omitempty"`
	Segments      []string  `json:"segments,omitempty"` // VIPs are the members of these segments of the method
	SpendBuckets  []float64 `json:"spendBuckets,omitempty"`
	DropThreshold float64   `json:"dropThreshold,omitempty"`
	RecentDays    int       `json:"recentDays,omitempty"`
	BaselineDays  int       `json:"baselineDays,omitempty"`
}

// Basket report parameters.
type Basket struct {
	MinSupport    float64 `json:"minSupport,omitempty"`
	MinConfidence float64 `json:"minConfidence,omitempty"`
	MinLift       float64 `json:"minLift,omitempty"`
	MaxRules      int     `json:"maxRules,omitempty"`
	Item          string  `json:"item,omitempty"`
}

// Forecast report parameters.
type Forecast struct {
	Unit         string `json:"unit,omitempty"`
	SeasonLength int    `json:"seasonLength,omitempty"`
	Horizon      int    `json:"horizon,omitempty"`
	// Seasonality is additive, multiplicative or none (the trend model of
	// seasonLength 0); empty means additive.
	Seasonality string `json:"seasonality,omitempty"`
}

// RFMSegment is one rule of a custom RFM segment map.
type RFMSegment struct {
	Segment   string `json:"segment"`
	Recency   string `json:"recency"`
	Frequency string `json:"frequency"`
	Monetary  string `json:"monetary"`
}

// Cleaning mirrors the API's cleaning rules.
type Cleaning struct {
	DropGifts    bool   `json:"dropGifts"`
	DedupeOrders bool   `json:"dedupeOrders"`
	Refunds      string `json:"refunds,omitempty"` // net or drop
	MinAmount    string `json:"minAmount,omitempty"`
	MaxAmount    string `json:"maxAmount,omitempty"`
	MergeSameDay bool   `json:"mergeSameDay,omitempty"`
	// CancellationPrefix marks order IDs of cancellations.
	CancellationPrefix string `json:"cancellationPrefix,omitempty"`
}

// Store is the per-customer sink.
type Store struct {
	Postgres    *PostgresSink    `json:"postgres,omitempty"`
	ObjectStore *ObjectStoreSink `json:"objectStore,omitempty"`
	// MaxAgeSeconds deletes stored runs older than this (0: no age limit).
	MaxAgeSeconds int64 `json:"maxAgeSeconds,omitempty"`
}

// PostgresSink writes per-customer rows to a table.
type PostgresSink struct {
	Postgres
	KeepRuns int `json:"keepRuns,omitempty"`
}

// ObjectStoreSink writes one file per run.
type ObjectStoreSink struct {
	ObjectStore
	Format string `json:"format,omitempty"`
	// KeepRuns is how many complete run folders to keep; 0 means the
	// sink's default (3).
	KeepRuns int `json:"keepRuns,omitempty"`
}

// Outcome is what the runner reports next to the result (KeyOutcome), so
// the reconciler can tell a good result from a failed run.
type Outcome struct {
	Run            string             `json:"run"`
	Succeeded      bool               `json:"succeeded"`
	Reason         string             `json:"reason,omitempty"`  // CamelCase, e.g. SourceUnreachable
	Message        string             `json:"message,omitempty"` // never holds secret values
	ResultLocation string             `json:"resultLocation,omitempty"`
	Migrations     []Migration        `json:"migrations,omitempty"`
	MigrationNote  string             `json:"migrationNote,omitempty"`
	Metrics        map[string]float64 `json:"metrics,omitempty"` // flat alertable metrics
	// Reports lists where the run's HTML report was stored (e.g.
	// "configmap <name> key report.html", "s3://bucket/…/report.html").
	Reports []string `json:"reports,omitempty"`
	// Alerts is the evaluation of the plan's alert rules (schedules with
	// rules only).
	Alerts *AlertOutcome `json:"alerts,omitempty"`
	// ReportNote says why the report is missing somewhere (too large for the
	// ConfigMap, rendering failed).
	ReportNote string    `json:"reportNote,omitempty"`
	FinishedAt time.Time `json:"finishedAt"`
}

// Migration counts customers that moved from one segment to another since
// the previous run ("" From: customers new to the analysis).
type Migration struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Customers int64  `json:"customers"`
}

// Encode renders the plan as JSON.
func (p *Plan) Encode() (string, error) {
	p.APIVersion = Version
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode run plan: %w", err)
	}
	return string(b), nil
}

// Decode parses and checks a plan.
func Decode(s string) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("decode run plan: %w", err)
	}
	if p.APIVersion != Version {
		return nil, fmt.Errorf("run plan apiVersion %q: want %q", p.APIVersion, Version)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks what the runner relies on.
func (p *Plan) Validate() error {
	var errs []error
	if p.Owner.Namespace == "" || p.Owner.Name == "" {
		errs = append(errs, errors.New("owner namespace and name are required"))
	}
	if p.Run == "" {
		errs = append(errs, errors.New("run name is required"))
	}
	if p.ResultConfigMap == "" {
		errs = append(errs, errors.New("resultConfigMap is required"))
	}
	if len(p.Sources) == 0 {
		errs = append(errs, errors.New("at least one source is required"))
	}
	for i, s := range p.Sources {
		n := 0
		for _, set := range []bool{s.Sample != nil, s.ConfigMap != nil, s.HTTP != nil, s.Postgres != nil, s.ObjectStore != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, fmt.Errorf("source %d (%s): exactly one backend must be set, found %d", i, s.Name, n))
		}
	}
	return errors.Join(errs...)
}
