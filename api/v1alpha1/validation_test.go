package v1alpha1_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Valid base specs; each invalid case patches one of them (JSON merge patch,
// null deletes) so that the case differs from a valid object in one place.
const (
	baseDataSource = `
content: Transactions
sample: {}
`
	baseHTTPSource = `
http:
  url: https://data.example.com/orders.csv
schema:
  transactions: {customerID: customer, timestamp: ts, amount: amount}
`
	baseLineItemSource = `
http:
  url: https://data.example.com/lines.csv
schema:
  transactions: {customerID: CustomerID, orderID: InvoiceNo, timestamp: InvoiceDate, quantity: Quantity, unitPrice: UnitPrice}
`
	baseLineItemModel = `
sources: [{name: shop}]
method: {type: RFM}
cleaning: {cancellationPrefix: C, refunds: Net}
`
	basePostgresSource = `
postgres:
  secretRef: {name: warehouse}
  host: db.example.com
  database: shop
  table: sales.orders
schema:
  transactions: {customerID: customer_id, timestamp: ordered_at, amount: amount}
`
	baseObjectStoreSource = `
objectStore:
  bucket: crm-data
  key: orders.csv
schema:
  transactions: {customerID: customer, timestamp: ts, amount: amount}
`
	baseModel = `
sources: [{name: shop}]
method: {type: RFM}
`
	baseSchedule = `
schedule: "0 6 * * 1"
sources: [{name: shop}]
reports: [{type: KPI}]
`
)

// newObject builds an unstructured object of kind whose spec is base with
// patch merged over it.
func newObject(t *testing.T, kind, base, patch string) *unstructured.Unstructured {
	t.Helper()
	spec, err := yaml.YAMLToJSON([]byte(base))
	if err != nil {
		t.Fatalf("base spec: %v", err)
	}
	if patch != "" {
		p, err := yaml.YAMLToJSON([]byte(patch))
		if err != nil {
			t.Fatalf("patch: %v", err)
		}
		if spec, err = jsonpatch.MergePatch(spec, p); err != nil {
			t.Fatalf("merging patch: %v", err)
		}
	}
	var specMap map[string]any
	if err := json.Unmarshal(spec, &specMap); err != nil {
		t.Fatalf("spec: %v", err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "analytics.crmlens.io/v1alpha1",
		"kind":       kind,
		"spec":       specMap,
	}}
	u.SetGenerateName("x-")
	return u
}

// strict makes the API server refuse unknown and duplicate fields, as
// kubectl does by default.
var strict = client.FieldValidation("Strict")

func TestBaseSpecsAreValid(t *testing.T) {
	e, ns := apiServer(t)
	for _, c := range []struct{ kind, base string }{
		{"DataSource", baseDataSource},
		{"DataSource", baseHTTPSource},
		{"DataSource", basePostgresSource},
		{"DataSource", baseObjectStoreSource},
		{"DataSource", baseLineItemSource},
		{"SegmentationModel", baseModel},
		{"SegmentationModel", baseLineItemModel},
		{"ReportSchedule", baseSchedule},
	} {
		u := newObject(t, c.kind, c.base, "")
		u.SetNamespace(ns)
		if err := e.Client.Create(context.Background(), u, strict); err != nil {
			t.Errorf("%s base spec %q refused: %v", c.kind, c.base, err)
		}
	}
}

// invalidCases are manifests the API server must refuse, each for one reason.
var invalidCases = []struct {
	name  string
	kind  string
	base  string
	patch string
	field string // the field the refusal must name (a StatusCause field)
	msg   string // a substring of that cause's message
}{
	// DataSource
	{"no backend", "DataSource", baseDataSource, `sample: null`, "spec", "exactly one backend must be set"},
	{"two backends", "DataSource", baseHTTPSource, `sample: {}`, "spec", "exactly one backend must be set"},
	{"unknown content", "DataSource", baseDataSource, `content: Orders`, "spec.content", `supported values: "Transactions", "Campaigns"`},
	{"customers content removed", "DataSource", baseDataSource, `content: Customers`, "spec.content", "Unsupported value"},
	{"lower-case currency", "DataSource", baseDataSource, `currency: usd`, "spec.currency", "should match"},
	{"probe interval too short", "DataSource", baseDataSource, `probeInterval: 5s`, "spec.probeInterval", "at least 10s"},
	{"probe interval not a duration", "DataSource", baseDataSource, `probeInterval: ten minutes`, "spec.probeInterval", "should match"},
	{"http without schema", "DataSource", baseHTTPSource, `schema: null`, "spec.schema", "required for every backend except sample"},
	{"http url not http", "DataSource", baseHTTPSource, `http: {url: "ftp://data.example.com/x.csv"}`, "spec.http.url", "should match"},
	{"http maxBytes zero", "DataSource", baseHTTPSource, `http: {maxBytes: 0}`, "spec.http.maxBytes", "greater than or equal to 1"},
	{"postgres table and query", "DataSource", basePostgresSource, `postgres: {query: "select 1"}`, "spec.postgres", "exactly one of table or query"},
	{"postgres without host or uri", "DataSource", basePostgresSource, `postgres: {host: null}`, "spec.postgres", "host and database: required unless secretRef.uriKey"},
	{"postgres port out of range", "DataSource", basePostgresSource, `postgres: {port: 70000}`, "spec.postgres.port", "less than or equal to 65535"},
	{"postgres unknown sslMode", "DataSource", basePostgresSource, `postgres: {sslMode: sometimes}`, "spec.postgres.sslMode", "Unsupported value"},
	{"postgres secret name not DNS-1123", "DataSource", basePostgresSource, `postgres: {secretRef: {name: My_Secret}}`, "spec.postgres.secretRef.name", "should match"},
	{"postgres table injection", "DataSource", basePostgresSource, `postgres: {table: "orders; drop table x"}`, "spec.postgres.table", "should match"},
	{"postgres statementTimeout too short", "DataSource", basePostgresSource, `postgres: {statementTimeout: 500ms}`, "spec.postgres.statementTimeout", "at least 1s"},
	{"postgres statementTimeout not a duration", "DataSource", basePostgresSource, `postgres: {statementTimeout: ten minutes}`, "spec.postgres.statementTimeout", "should match"},
	{"postgres CA without TLS", "DataSource", basePostgresSource, `postgres: {sslMode: disable, caSecretRef: {name: wh-ca}}`, "spec.postgres.caSecretRef", "caSecretRef needs TLS"},
	{"postgres CA key with space", "DataSource", basePostgresSource, `postgres: {caSecretRef: {name: wh-ca, key: "ca crt"}}`, "spec.postgres.caSecretRef.key", "should match"},
	{"objectStore CA and insecureSkipVerify", "DataSource", baseObjectStoreSource, `objectStore: {insecureSkipVerify: true, caSecretRef: {name: lake-ca}}`, "spec.objectStore.caSecretRef", "at most one of caSecretRef"},
	{"http CA and insecureSkipVerify", "DataSource", baseHTTPSource, `http: {insecureSkipVerify: true, caSecretRef: {name: partner-ca}}`, "spec.http.caSecretRef", "at most one of caSecretRef"},
	{"http CA secret name not DNS-1123", "DataSource", baseHTTPSource, `http: {caSecretRef: {name: Partner_CA}}`, "spec.http.caSecretRef.name", "should match"},
	{"objectStore key and prefix", "DataSource", baseObjectStoreSource, `objectStore: {prefix: exports/}`, "spec.objectStore", "exactly one of key"},
	{"objectStore gzip parquet", "DataSource", baseObjectStoreSource, `objectStore: {format: parquet, compression: gzip}`, "spec.objectStore.compression", "gzip applies only to format csv"},
	{"objectStore bad bucket", "DataSource", baseObjectStoreSource, `objectStore: {bucket: Crm_Data}`, "spec.objectStore.bucket", "should match"},
	{"csv options with sample", "DataSource", baseDataSource, `csv: {delimiter: ";"}`, "spec.csv", "csv options apply only to"},
	{"csv options with parquet", "DataSource", baseObjectStoreSource, `{objectStore: {format: parquet}, csv: {header: false}}`, "spec.csv", "csv options apply only to"},
	{"csv two-character delimiter", "DataSource", baseHTTPSource, `csv: {delimiter: ";;"}`, "spec.csv.delimiter", "must be one single-byte (ASCII) character"},
	{"schema without amount", "DataSource", baseHTTPSource, `schema: {transactions: {amount: null}}`, "spec.schema.transactions", "set exactly one of amount"},
	{"schema with amount and unitPrice", "DataSource", baseHTTPSource, `schema: {transactions: {unitPrice: price, quantity: qty}}`, "spec.schema.transactions", "set exactly one of amount"},
	{"schema unitPrice without quantity", "DataSource", baseHTTPSource, `schema: {transactions: {amount: null, unitPrice: price}}`, "spec.schema.transactions.unitPrice", "unitPrice needs quantity"},
	{"schema block does not match content", "DataSource", baseHTTPSource, `content: Campaigns`, "spec.schema", "schema.campaigns is required when content is Campaigns"},
	{"transactions content without its block", "DataSource", baseHTTPSource, `schema: {transactions: null, campaigns: {customerID: c, campaign: k, contactedAt: t}}`, "spec.schema", "schema.transactions is required when content is Transactions"},
	{"schema customers block removed", "DataSource", baseHTTPSource, `schema: {customers: {customerID: c}}`, "", `unknown field "spec.schema.customers"`},
	{"schema with two blocks", "DataSource", baseHTTPSource, `schema: {campaigns: {customerID: c, campaign: k, contactedAt: t}}`, "spec.schema", "set only the mapping block"},
	{"sample without customers", "DataSource", baseDataSource, `sample: {customers: 0}`, "spec.sample.customers", "greater than or equal to 1"},
	{"timestamp time zone with space", "DataSource", baseDataSource, `timestamp: {timeZone: "Europe Berlin"}`, "spec.timestamp.timeZone", "should match"},
	{"unknown field", "DataSource", baseDataSource, `sample: {rows: 5}`, "", `unknown field "spec.sample.rows"`},

	// SegmentationModel
	{"no sources", "SegmentationModel", baseModel, `sources: []`, "spec.sources", "at least 1 items"},
	{"duplicate source", "SegmentationModel", baseModel, `sources: [{name: shop}, {name: shop}]`, "spec.sources[1]", "Duplicate value"},
	{"source name not DNS-1123", "SegmentationModel", baseModel, `sources: [{name: Shop}]`, "spec.sources[0].name", "should match"},
	{"source channel with space", "SegmentationModel", baseModel, `sources: [{name: shop, channel: "web shop"}]`, "spec.sources[0].channel", "should match"},
	{"unknown method", "SegmentationModel", baseModel, `method: {type: DBSCAN}`, "spec.method.type", "Unsupported value"},
	{"kmeans block with RFM", "SegmentationModel", baseModel, `method: {kmeans: {k: 3}}`, "spec.method.kmeans", "may only be set when method.type is KMeans"},
	{"clv block with RFM", "SegmentationModel", baseModel, `method: {clv: {}}`, "spec.method.clv", "may only be set when method.type is CLV"},
	{"rfm block with KMeans", "SegmentationModel", baseModel, `method: {type: KMeans, rfm: {monetary: Average}}`, "spec.method.rfm", "may only be set when method.type is RFM"},
	{"valueMatrix block with RFM", "SegmentationModel", baseModel, `method: {valueMatrix: {frequency: 3}}`, "spec.method.valueMatrix", "may only be set when method.type is ValueMatrix"},
	{"lifecycle block with CLV", "SegmentationModel", baseModel, `method: {type: CLV, lifecycle: {}}`, "spec.method.lifecycle", "may only be set when method.type is Lifecycle"},
	{"kmeans k and kMin", "SegmentationModel", baseModel, `method: {type: KMeans, kmeans: {k: 3, kMin: 2, kMax: 6}}`, "spec.method.kmeans.k", "either k or kMin/kMax"},
	{"kmeans kMin without kMax", "SegmentationModel", baseModel, `method: {type: KMeans, kmeans: {kMin: 2}}`, "spec.method.kmeans.kMin", "must be set together"},
	{"kmeans kMin above kMax", "SegmentationModel", baseModel, `method: {type: KMeans, kmeans: {kMin: 6, kMax: 3}}`, "spec.method.kmeans.kMin", "less than kMax"},
	{"kmeans k too large", "SegmentationModel", baseModel, `method: {type: KMeans, kmeans: {k: 50}}`, "spec.method.kmeans.k", "less than or equal to 20"},
	{"kmeans one feature", "SegmentationModel", baseModel, `method: {type: KMeans, kmeans: {features: [Recency]}}`, "spec.method.kmeans.features", "at least 2 items"},
	{"window and asOf", "SegmentationModel", baseModel, `{window: 8760h, asOf: "2024-06-30"}`, "spec.asOf", "at most one of window"},
	{"asOf not a date", "SegmentationModel", baseModel, `asOf: "2024-13-01"`, "spec.asOf", "should match"},
	{"window too short", "SegmentationModel", baseModel, `window: 1h`, "spec.window", "at least 24h"},
	{"clv margin above one", "SegmentationModel", baseModel, `method: {type: CLV, clv: {margin: "1.5"}}`, "spec.method.clv.margin", "should match"},
	{"clv margin as float", "SegmentationModel", baseModel, `method: {type: CLV, clv: {margin: 0.3}}`, "spec.method.clv.margin", "must be of type string"},
	{"clv unknown time unit", "SegmentationModel", baseModel, `method: {type: CLV, clv: {timeUnit: Year}}`, "spec.method.clv.timeUnit", "Unsupported value"},
	{"clv negative acquisition cost", "SegmentationModel", baseModel, `method: {type: CLV, clv: {acquisitionCost: "-5"}}`, "spec.method.clv.acquisitionCost", "should match"},
	{"lifecycle active after churned", "SegmentationModel", baseModel, `method: {type: Lifecycle, lifecycle: {activeWithin: 9000h, churnedAfter: 8760h}}`, "spec.method.lifecycle.activeWithin", "shorter than churnedAfter"},
	{"lifecycle new after active", "SegmentationModel", baseModel, `method: {type: Lifecycle, lifecycle: {newWithin: 2400h, activeWithin: 2160h}}`, "spec.method.lifecycle.newWithin", "must not exceed activeWithin"},
	{"lifecycle bound not a duration", "SegmentationModel", baseModel, `method: {type: Lifecycle, lifecycle: {newWithin: soon}}`, "spec.method.lifecycle.newWithin", "should match"},
	{"rfm reversed score range", "SegmentationModel", baseModel, `method: {rfm: {segmentMap: [{segment: Top, recency: "5-3"}]}}`, "spec.method.rfm.segmentMap[0].recency", "low-high"},
	{"rfm bins removed", "SegmentationModel", baseModel, `method: {rfm: {bins: 5}}`, "", `unknown field "spec.method.rfm.bins"`},
	{"rfm unknown monetary basis", "SegmentationModel", baseModel, `method: {rfm: {monetary: Median}}`, "spec.method.rfm.monetary", "Unsupported value"},
	{"kmeans feature without data", "SegmentationModel", baseModel, `method: {type: KMeans, kmeans: {features: [Recency, CategoryBreadth]}}`, "spec.method.kmeans.features[1]", "Unsupported value"},
	{"cleaning negative minimum", "SegmentationModel", baseModel, `cleaning: {minAmount: "-1"}`, "spec.cleaning.minAmount", "should match"},
	{"cleaning minimum above maximum", "SegmentationModel", baseModel, `cleaning: {minAmount: "100", maxAmount: "10"}`, "spec.cleaning.minAmount", "must not exceed maxAmount"},
	{"cleaning unknown refund policy", "SegmentationModel", baseModel, `cleaning: {refunds: Ignore}`, "spec.cleaning.refunds", "Unsupported value"},
	{"cleaning empty cancellation prefix", "SegmentationModel", baseModel, `cleaning: {cancellationPrefix: ""}`, "spec.cleaning.cancellationPrefix", "at least 1 chars long"},
	{"store with two backends", "SegmentationModel", baseModel, `output: {store: {postgres: {dataSourceRef: {name: wh}, table: seg}, objectStore: {bucket: crm-out}}}`, "spec.output.store", "exactly one of postgres or objectStore"},
	{"postgres store without connection", "SegmentationModel", baseModel, `output: {store: {postgres: {table: seg}}}`, "spec.output.store.postgres", "exactly one of dataSourceRef or connection"},
	{"objectStore sink keepRuns zero", "SegmentationModel", baseModel, `output: {store: {objectStore: {bucket: crm-out, keepRuns: 0}}}`, "spec.output.store.objectStore.keepRuns", "greater than or equal to 1"},
	{"objectStore sink CA and insecureSkipVerify", "SegmentationModel", baseModel, `output: {store: {objectStore: {bucket: crm-out, insecureSkipVerify: true, caSecretRef: {name: ca}}}}`, "spec.output.store.objectStore.caSecretRef", "at most one of caSecretRef"},
	{"schedule output configMapName removed", "ReportSchedule", baseSchedule, `output: {configMapName: weekly}`, "", `unknown field "spec.output.configMapName"`},
	{"output configMap name invalid", "SegmentationModel", baseModel, `output: {configMapName: Result_Map}`, "spec.output.configMapName", "should match"},
	{"refresh interval too short", "SegmentationModel", baseModel, `refreshInterval: 30s`, "spec.refreshInterval", "at least 1m"},
	{"job backoff limit too large", "SegmentationModel", baseModel, `job: {backoffLimit: 11}`, "spec.job.backoffLimit", "less than or equal to 10"},

	// ReportSchedule
	{"sources and modelRef", "ReportSchedule", baseSchedule, `modelRef: {name: shop-rfm}`, "spec", "exactly one of sources"},
	{"neither sources nor modelRef", "ReportSchedule", baseSchedule, `sources: null`, "spec", "exactly one of sources"},
	{"cleaning with modelRef", "ReportSchedule", baseSchedule, `{sources: null, modelRef: {name: shop-rfm}, cleaning: {refunds: Drop}}`, "spec.cleaning", "with modelRef the model's cleaning rules apply"},
	{"schedule not cron", "ReportSchedule", baseSchedule, `schedule: every monday`, "spec.schedule", "should match"},
	{"unknown concurrency policy", "ReportSchedule", baseSchedule, `concurrencyPolicy: Sometimes`, "spec.concurrencyPolicy", "Unsupported value"},
	{"negative success history", "ReportSchedule", baseSchedule, `successfulRunsHistoryLimit: -1`, "spec.successfulRunsHistoryLimit", "greater than or equal to 0"},
	{"negative failed history", "ReportSchedule", baseSchedule, `failedRunsHistoryLimit: -1`, "spec.failedRunsHistoryLimit", "greater than or equal to 0"},
	{"negative starting deadline", "ReportSchedule", baseSchedule, `startingDeadlineSeconds: -5`, "spec.startingDeadlineSeconds", "greater than or equal to 0"},
	{"no reports", "ReportSchedule", baseSchedule, `reports: []`, "spec.reports", "at least 1 items"},
	{"duplicate report type", "ReportSchedule", baseSchedule, `reports: [{type: KPI}, {type: KPI}]`, "spec.reports[1]", "Duplicate value"},
	{"unknown report type", "ReportSchedule", baseSchedule, `reports: [{type: Churn}]`, "spec.reports[0].type", "Unsupported value"},
	{"report block of other type", "ReportSchedule", baseSchedule, `reports: [{type: KPI, pareto: {}}]`, "spec.reports[0].pareto", "may only be set when type is Pareto"},
	{"kpi block with VIP", "ReportSchedule", baseSchedule, `reports: [{type: VIP, kpi: {}}]`, "spec.reports[0].kpi", "may only be set when type is KPI"},
	{"vip block with KPI", "ReportSchedule", baseSchedule, `reports: [{type: KPI, vip: {topFraction: "0.1"}}]`, "spec.reports[0].vip", "may only be set when type is VIP"},
	{"cohort block with Forecast", "ReportSchedule", baseSchedule, `reports: [{type: Forecast, cohort: {}}]`, "spec.reports[0].cohort", "may only be set when type is Cohort"},
	{"forecast block with Cohort", "ReportSchedule", baseSchedule, `reports: [{type: Cohort, forecast: {}}]`, "spec.reports[0].forecast", "may only be set when type is Forecast"},
	{"basket block with Pareto", "ReportSchedule", baseSchedule, `reports: [{type: Pareto, basket: {}}]`, "spec.reports[0].basket", "may only be set when type is Basket"},
	{"kpi active after churned", "ReportSchedule", baseSchedule, `reports: [{type: KPI, kpi: {activeWithin: 9000h, churnedAfter: 4320h}}]`, "spec.reports[0].kpi.activeWithin", "must not exceed churnedAfter"},
	{"vip top share and segments", "ReportSchedule", baseSchedule, `{sources: null, modelRef: {name: m}, reports: [{type: VIP, vip: {topFraction: "0.1", segments: [Champions]}}]}`, "spec.reports[0].vip.segments", "at most one of topFraction or segments"},
	{"basket support not a fraction", "ReportSchedule", baseSchedule, `reports: [{type: Basket, basket: {minSupport: "0.5.1"}}]`, "spec.reports[0].basket.minSupport", "should match"},
	{"vip segments without model", "ReportSchedule", baseSchedule, `reports: [{type: VIP, vip: {segments: [Champions]}}]`, "spec.reports", "vip.segments needs modelRef"},
	{"alert operator symbol", "ReportSchedule", baseSchedule, `alerts: [{name: churn, metric: churnRate, operator: ">", threshold: "0.2"}]`, "spec.alerts[0].operator", "Unsupported value"},
	{"alert threshold not decimal", "ReportSchedule", baseSchedule, `alerts: [{name: churn, metric: churnRate, operator: GreaterThan, threshold: high}]`, "spec.alerts[0].threshold", "should match"},
	{"alert threshold as float", "ReportSchedule", baseSchedule, `alerts: [{name: churn, metric: churnRate, operator: GreaterThan, threshold: 0.2}]`, "spec.alerts[0].threshold", "must be of type string"},
	{"alert unknown severity", "ReportSchedule", baseSchedule, `alerts: [{name: churn, metric: churnRate, operator: GreaterThan, threshold: "0.2", severity: fatal}]`, "spec.alerts[0].severity", "Unsupported value"},
	{"alert name not DNS label", "ReportSchedule", baseSchedule, `alerts: [{name: Churn_High, metric: churnRate, operator: GreaterThan, threshold: "0.2"}]`, "spec.alerts[0].name", "should match"},
	{"alert without metric", "ReportSchedule", baseSchedule, `alerts: [{name: churn, operator: GreaterThan, threshold: "0.2"}]`, "spec.alerts[0].metric", "Required value"},
	{"duplicate alert names", "ReportSchedule", baseSchedule, `alerts: [{name: churn, metric: churnRate, operator: GreaterThan, threshold: "0.2"}, {name: churn, metric: repurchaseRate, operator: LessThan, threshold: "0.2"}]`, "spec.alerts[1]", "Duplicate value"},
	{"vip drop without vip report", "ReportSchedule", baseSchedule, `vipActivityDrop: {threshold: "0.5"}`, "spec.vipActivityDrop", "needs a report of type VIP"},
	{"vip drop threshold above one", "ReportSchedule", baseSchedule, `{reports: [{type: VIP}], vipActivityDrop: {threshold: "2"}}`, "spec.vipActivityDrop.threshold", "should match"},
	{"vip drop recent not shorter", "ReportSchedule", baseSchedule, `{reports: [{type: VIP}], vipActivityDrop: {threshold: "0.5", recent: 4320h, baseline: 720h}}`, "spec.vipActivityDrop.recent", "shorter than baseline"},
	{"vip drop baseline not a duration", "ReportSchedule", baseSchedule, `{reports: [{type: VIP}], vipActivityDrop: {threshold: "0.5", baseline: 6 months}}`, "spec.vipActivityDrop.baseline", "should match"},
	{"webhook url and secret", "ReportSchedule", baseSchedule, `output: {webhook: {url: "https://hooks.example.com/x", urlSecretRef: {name: hook, key: url}}}`, "spec.output.webhook", "exactly one of url or urlSecretRef"},
	{"webhook unknown event", "ReportSchedule", baseSchedule, `output: {webhook: {url: "https://hooks.example.com/x", events: [Always]}}`, "spec.output.webhook.events[0]", "Unsupported value"},
	{"time zone with space", "ReportSchedule", baseSchedule, `timeZone: "Europe Berlin"`, "spec.timeZone", "should match"},
	{"modelRef name not DNS-1123", "ReportSchedule", baseSchedule, `{sources: null, modelRef: {name: "-bad"}}`, "spec.modelRef.name", "should match"},
}

func TestInvalidManifestsRefused(t *testing.T) {
	cases := invalidCases
	e, ns := apiServer(t)
	if len(cases) < 30 {
		t.Fatalf("only %d invalid manifests; the suite promises at least 30", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			u := newObject(t, c.kind, c.base, c.patch)
			u.SetNamespace(ns)
			err := e.Client.Create(context.Background(), u, strict)
			if err == nil {
				t.Fatalf("accepted; want refusal naming %s (%q)", c.field, c.msg)
			}
			t.Log(err) // with -v, the suite doubles as a catalogue of messages
			for _, internal := range []string{"type conversion error", "no such key", "no such overload"} {
				if strings.Contains(err.Error(), internal) {
					t.Errorf("a CEL rule failed at run time (%q) instead of explaining the problem: %v", internal, err)
				}
			}
			if c.field == "" { // strict decoding errors carry no cause field
				if !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("refused for another reason: %v\nwant %q", err, c.msg)
				}
				return
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want an Invalid error, got %v", err)
			}
			var status apierrors.APIStatus
			if !errors.As(err, &status) || status.Status().Details == nil {
				t.Fatalf("error has no details: %v", err)
			}
			for _, cause := range status.Status().Details.Causes {
				if cause.Field == c.field && strings.Contains(cause.Message, c.msg) {
					return
				}
			}
			t.Fatalf("refused, but no cause on field %s with %q:\n%v", c.field, c.msg, err)
		})
	}
}
