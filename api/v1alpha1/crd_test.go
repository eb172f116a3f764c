package v1alpha1_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/testenv"
)

// sampleFiles returns the manifests in config/samples (not the
// kustomization).
func sampleFiles(t *testing.T) []string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "kustomization.yaml" })
	if len(files) < 4 {
		t.Fatalf("want at least 4 samples (DataSource, RFM, CLV, ReportSchedule), found %d", len(files))
	}
	return files
}

// loadSample reads one sample manifest.
func loadSample(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &u.Object); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return u
}

func TestSamplesAccepted(t *testing.T) {
	e, ns := apiServer(t)
	kinds := map[string]bool{}
	for _, f := range sampleFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			u := loadSample(t, f)
			u.SetNamespace(ns)
			if err := e.Client.Create(context.Background(), u, strict); err != nil {
				t.Fatalf("sample refused: %v", err)
			}
			kinds[u.GetKind()] = true
			// The stored object must also decode into the Go types without
			// unknown fields, or the reconcilers would silently lose data.
			data, err := json.Marshal(u.Object)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := decodeStrict(u.GetKind(), data); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, k := range []string{"DataSource", "SegmentationModel", "ReportSchedule"} {
		if !kinds[k] {
			t.Errorf("no sample of kind %s accepted", k)
		}
	}
	// The store samples live in a folder of their own (the demo applies only
	// the top-level one) and bring the Secrets they reference.
	t.Run("stores", func(t *testing.T) { acceptStoreSamples(t, e, ns) })
}

// decodeStrict decodes a stored object into its Go type, refusing unknown
// fields: a field the types lack would be silently lost by the reconcilers.
func decodeStrict(kind string, data []byte) (any, error) {
	var typed any
	switch kind {
	case "DataSource":
		typed = &crmv1.DataSource{}
	case "SegmentationModel":
		typed = &crmv1.SegmentationModel{}
	case "ReportSchedule":
		typed = &crmv1.ReportSchedule{}
	case "ErasureRequest":
		typed = &crmv1.ErasureRequest{}
	case "Secret":
		typed = &corev1.Secret{}
	case "ConfigMap":
		typed = &corev1.ConfigMap{}
	default:
		return nil, fmt.Errorf("unexpected kind %q", kind)
	}
	if err := yaml.UnmarshalStrict(data, typed); err != nil {
		return nil, fmt.Errorf("sample does not decode strictly into Go types: %w", err)
	}
	return typed, nil
}

func ptr[T any](v T) *T { return &v }

func TestDefaultsApplied(t *testing.T) {
	e, ns := apiServer(t)
	ctx := context.Background()
	c := e.Client

	ds := &crmv1.DataSource{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns},
		Spec:       crmv1.DataSourceSpec{Sample: &crmv1.SampleSource{}},
	}
	if err := c.Create(ctx, ds); err != nil {
		t.Fatal(err)
	}
	wantDS := crmv1.DataSourceSpec{
		Content:       crmv1.ContentTransactions,
		Sample:        &crmv1.SampleSource{Customers: 1000, Seed: 42, Months: 24},
		Currency:      "USD",
		ProbeInterval: &metav1.Duration{Duration: 10 * time.Minute},
	}
	if !reflect.DeepEqual(ds.Spec, wantDS) {
		t.Errorf("DataSource defaults:\n got %+v\nwant %+v", ds.Spec, wantDS)
	}

	pg := &crmv1.DataSource{
		ObjectMeta: metav1.ObjectMeta{Name: "warehouse", Namespace: ns},
		Spec: crmv1.DataSourceSpec{
			Postgres: &crmv1.PostgresSource{
				PostgresConnection: crmv1.PostgresConnection{SecretRef: crmv1.PostgresSecretRef{Name: "pg", URIKey: "uri"}},
				Table:              "orders",
			},
			CSV:    nil,
			Schema: &crmv1.SchemaMapping{Transactions: &crmv1.TransactionColumns{CustomerID: "c", Timestamp: "t", Amount: "a"}},
		},
	}
	if err := c.Create(ctx, pg); err != nil {
		t.Fatal(err)
	}
	wantPG := crmv1.PostgresConnection{
		SecretRef: crmv1.PostgresSecretRef{Name: "pg", URIKey: "uri", UserKey: "username", PasswordKey: "password"},
		Port:      5432, SSLMode: "verify-full",
	}
	if !reflect.DeepEqual(pg.Spec.Postgres.PostgresConnection, wantPG) {
		t.Errorf("postgres defaults:\n got %+v\nwant %+v", pg.Spec.Postgres.PostgresConnection, wantPG)
	}
	wantTS := &crmv1.TimestampFormat{Layout: "Auto", TimeZone: "UTC"}
	if pg.Spec.Timestamp != nil {
		t.Errorf("timestamp block appeared although not set: %+v (want it absent; readers default to %+v)", pg.Spec.Timestamp, wantTS)
	}

	seg := &crmv1.SegmentationModel{
		ObjectMeta: metav1.ObjectMeta{Name: "seg", Namespace: ns},
		Spec: crmv1.SegmentationModelSpec{
			Sources: []crmv1.SourceRef{{Name: "shop"}},
			Method:  crmv1.Method{Type: crmv1.MethodKMeans, KMeans: &crmv1.KMeansParams{}},
		},
	}
	if err := c.Create(ctx, seg); err != nil {
		t.Fatal(err)
	}
	wantClean := &crmv1.CleaningRules{DropGifts: ptr(true), DedupeOrders: ptr(true), Refunds: crmv1.RefundNet}
	if !reflect.DeepEqual(seg.Spec.Cleaning, wantClean) {
		t.Errorf("cleaning defaults: got %+v, want %+v", seg.Spec.Cleaning, wantClean)
	}
	wantKM := &crmv1.KMeansParams{
		Features: []crmv1.KMeansFeature{"Recency", "Frequency", "Monetary"},
		Seed:     1, Restarts: 10, MaxIterations: 100,
	}
	if !reflect.DeepEqual(seg.Spec.Method.KMeans, wantKM) {
		t.Errorf("kmeans defaults: got %+v, want %+v", seg.Spec.Method.KMeans, wantKM)
	}
	if got := seg.Spec.RefreshInterval; got == nil || got.Duration != 24*time.Hour {
		t.Errorf("refreshInterval default: got %v, want 24h", got)
	}

	clv := &crmv1.SegmentationModel{
		ObjectMeta: metav1.ObjectMeta{Name: "clv", Namespace: ns},
		Spec: crmv1.SegmentationModelSpec{
			Sources: []crmv1.SourceRef{{Name: "shop"}},
			Method:  crmv1.Method{Type: crmv1.MethodCLV, CLV: &crmv1.CLVParams{}},
		},
	}
	if err := c.Create(ctx, clv); err != nil {
		t.Fatal(err)
	}
	wantCLV := &crmv1.CLVParams{TimeUnit: "Week", Horizon: 52, Margin: "1", DiscountRate: "0.1", AcquisitionCost: "0", RetentionCost: "0", Tiers: 4}
	if !reflect.DeepEqual(clv.Spec.Method.CLV, wantCLV) {
		t.Errorf("clv defaults: got %+v, want %+v", clv.Spec.Method.CLV, wantCLV)
	}

	rs := &crmv1.ReportSchedule{
		ObjectMeta: metav1.ObjectMeta{Name: "weekly", Namespace: ns},
		Spec: crmv1.ReportScheduleSpec{
			Schedule: "@weekly",
			ModelRef: &crmv1.LocalObjectReference{Name: "seg"},
			Reports: []crmv1.Report{
				{Type: crmv1.ReportVIP},
				{Type: crmv1.ReportPareto, Pareto: &crmv1.ParetoParams{}},
				{Type: crmv1.ReportKPI, KPI: &crmv1.KPIParams{}},
			},
			Output: crmv1.ReportOutput{Webhook: &crmv1.Webhook{URL: "https://hooks.example.com/crm"}},
			Alerts: []crmv1.AlertRule{{
				Name: "churn", Metric: "churnRate", Operator: crmv1.OpGreaterThan, Threshold: "0.25",
			}},
			VIPActivityDrop: &crmv1.VIPActivityDropRule{Threshold: "0.5"},
		},
	}
	if err := c.Create(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if rs.Spec.ConcurrencyPolicy != crmv1.ConcurrencyForbid {
		t.Errorf("concurrencyPolicy default: got %q, want Forbid", rs.Spec.ConcurrencyPolicy)
	}
	if rs.Spec.SuccessfulRunsHistoryLimit == nil || *rs.Spec.SuccessfulRunsHistoryLimit != 3 ||
		rs.Spec.FailedRunsHistoryLimit == nil || *rs.Spec.FailedRunsHistoryLimit != 1 {
		t.Errorf("history limit defaults: got %v/%v, want 3/1", rs.Spec.SuccessfulRunsHistoryLimit, rs.Spec.FailedRunsHistoryLimit)
	}
	if a := rs.Spec.Alerts[0]; a.Severity != crmv1.SeverityWarning || a.ForRuns != 1 {
		t.Errorf("alert defaults: got severity %q forRuns %d, want warning 1", a.Severity, a.ForRuns)
	}
	if p := rs.Spec.Reports[1].Pareto; p == nil || p.RevenueShare != "0.8" {
		t.Errorf("pareto default: got %+v, want revenueShare 0.8", p)
	}
	wantKPI := &crmv1.KPIParams{
		ActiveWithin:   &metav1.Duration{Duration: 90 * 24 * time.Hour},
		ChurnedAfter:   &metav1.Duration{Duration: 180 * 24 * time.Hour},
		ResponseWindow: &metav1.Duration{Duration: 14 * 24 * time.Hour},
	}
	if !reflect.DeepEqual(rs.Spec.Reports[2].KPI, wantKPI) {
		t.Errorf("kpi defaults: got %+v, want %+v", rs.Spec.Reports[2].KPI, wantKPI)
	}
	wantDrop := &crmv1.VIPActivityDropRule{
		Threshold: "0.5", Measure: "Either", MinCustomers: 1, Severity: crmv1.SeverityWarning,
		Baseline: &metav1.Duration{Duration: 4320 * time.Hour}, Recent: &metav1.Duration{Duration: 720 * time.Hour},
	}
	if !reflect.DeepEqual(rs.Spec.VIPActivityDrop, wantDrop) {
		t.Errorf("vipActivityDrop defaults: got %+v, want %+v", rs.Spec.VIPActivityDrop, wantDrop)
	}
	wantHook := &crmv1.Webhook{
		URL:     "https://hooks.example.com/crm",
		Events:  []crmv1.WebhookEvent{"AlertFiring", "AlertResolved"},
		Timeout: &metav1.Duration{Duration: 10 * time.Second},
	}
	if !reflect.DeepEqual(rs.Spec.Output.Webhook, wantHook) {
		t.Errorf("webhook defaults: got %+v, want %+v", rs.Spec.Output.Webhook, wantHook)
	}
}

// crds fetches the installed crmlens CRDs from the API server.
func crds(t *testing.T, e *testenv.Env) []apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	var out []apiextensionsv1.CustomResourceDefinition
	for _, plural := range []string{"datasources", "segmentationmodels", "reportschedules"} {
		crd := apiextensionsv1.CustomResourceDefinition{}
		if err := e.Client.Get(context.Background(), client.ObjectKey{Name: plural + ".analytics.crmlens.io"}, &crd); err != nil {
			t.Fatalf("CRD %s: %v", plural, err)
		}
		out = append(out, crd)
	}
	return out
}

// undocumented returns the paths of properties without a description.
func undocumented(path string, s *apiextensionsv1.JSONSchemaProps) []string {
	var missing []string
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := s.Properties[n]
		child := path + "." + n
		// ObjectMeta is documented by Kubernetes itself, not by this schema.
		if child == ".metadata" {
			continue
		}
		if strings.TrimSpace(p.Description) == "" {
			missing = append(missing, child)
		}
		missing = append(missing, undocumented(child, &p)...)
	}
	if s.Items != nil && s.Items.Schema != nil {
		missing = append(missing, undocumented(path+"[]", s.Items.Schema)...)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		missing = append(missing, undocumented(path+"{}", s.AdditionalProperties.Schema)...)
	}
	return missing
}

func TestSchemaDocumented(t *testing.T) {
	e, _ := apiServer(t)
	for _, crd := range crds(t, e) {
		schema := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
		if strings.TrimSpace(schema.Description) == "" {
			t.Errorf("%s: the kind has no description", crd.Spec.Names.Kind)
		}
		for _, p := range undocumented("", schema) {
			t.Errorf("%s%s has no description (kubectl explain would show nothing)", crd.Spec.Names.Kind, p)
		}
	}

	// kubectl explain reads the OpenAPI v3 document the API server publishes;
	// check a deeply nested field's text arrives there.
	paths, err := discovery.NewDiscoveryClientForConfigOrDie(e.Config).OpenAPIV3().Paths()
	if err != nil {
		t.Fatal(err)
	}
	gv, ok := paths["apis/analytics.crmlens.io/v1alpha1"]
	if !ok {
		t.Fatalf("no OpenAPI v3 document for analytics.crmlens.io/v1alpha1; have %d paths", len(paths))
	}
	doc, err := gv.Schema("application/json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"seed makes the data reproducible",
		"Exactly one of sources or modelRef.",
		"operator compares metric (left) with threshold (right)",
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("published OpenAPI v3 lacks the field doc %q", want)
		}
	}
}

// ruleMessages collects the messages of every CEL rule under s.
func ruleMessages(path string, s *apiextensionsv1.JSONSchemaProps, out map[string]string) {
	for _, r := range s.XValidations {
		out[r.Message] = path + ": " + r.Rule
	}
	for n, p := range s.Properties {
		ruleMessages(path+"."+n, &p, out)
	}
	if s.Items != nil && s.Items.Schema != nil {
		ruleMessages(path+"[]", s.Items.Schema, out)
	}
}

// TestEveryRuleExplainedAndExercised checks that each CEL rule has its own
// message (not the generic "failed rule") and that at least one invalid
// manifest in the table is refused with it.
func TestEveryRuleExplainedAndExercised(t *testing.T) {
	e, _ := apiServer(t)
	msgs := map[string]string{}
	for _, crd := range crds(t, e) {
		ruleMessages(crd.Spec.Names.Kind, crd.Spec.Versions[0].Schema.OpenAPIV3Schema, msgs)
	}
	if len(msgs) < 30 {
		t.Errorf("found %d distinct rule messages; did rules lose their messages?", len(msgs))
	}
	for m, where := range msgs {
		if m == "" {
			t.Errorf("rule without a message at %s", where)
			continue
		}
		exercised := false
		for _, c := range invalidCases {
			if strings.Contains(m, c.msg) {
				exercised = true
				break
			}
		}
		for _, c := range twins {
			exercised = exercised || strings.Contains(m, c.msg)
		}
		if !exercised {
			t.Errorf("no invalid manifest exercises the rule %q (%s)", m, where)
		}
	}
}

// getTable lists a resource the way kubectl get does: as a server-side Table.
func getTable(t *testing.T, cfg *rest.Config, path string) metav1.Table {
	t.Helper()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(base.String(), "/")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", req.URL, resp.Status, body)
	}
	var table metav1.Table
	if err := json.Unmarshal(body, &table); err != nil {
		t.Fatalf("GET %s: not a Table: %v", path, err)
	}
	return table
}

func TestCategoryListingAndPrinterColumns(t *testing.T) {
	e, ns := apiServer(t)
	ctx := context.Background()
	for _, f := range sampleFiles(t) {
		u := loadSample(t, f)
		u.SetNamespace(ns)
		if err := e.Client.Create(ctx, u); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}

	// `kubectl get crm` expands the category through discovery.
	_, lists, err := discovery.NewDiscoveryClientForConfigOrDie(e.Config).ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	var inCategory []schema.GroupVersionResource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if slices.Contains(r.Categories, "crm") {
				inCategory = append(inCategory, gv.WithResource(r.Name))
				wantShort := map[string]string{"datasources": "crmds", "segmentationmodels": "crmseg", "reportschedules": "crmrs", "erasurerequests": "crmerase"}[r.Name]
				if !slices.Contains(r.ShortNames, wantShort) {
					t.Errorf("%s: short names %v lack %q", r.Name, r.ShortNames, wantShort)
				}
				if !r.Namespaced {
					t.Errorf("%s is cluster-scoped; want namespaced", r.Name)
				}
			}
		}
	}
	var names []string
	for _, r := range inCategory {
		names = append(names, r.Resource)
	}
	sort.Strings(names)
	if want := []string{"datasources", "erasurerequests", "reportschedules", "segmentationmodels"}; !slices.Equal(names, want) {
		t.Fatalf("category crm holds %v, want %v", names, want)
	}

	// Listing every resource of the category across namespaces (kubectl get
	// crm -A) finds every sample, and the Table carries the printer columns.
	wantColumns := map[string][]string{
		"datasources":        {"Name", "Content", "Ready", "Reason", "Rows", "Last Read", "Age"},
		"segmentationmodels": {"Name", "Method", "Ready", "Reason", "Degraded", "Customers", "Last Success", "Age"},
		"reportschedules":    {"Name", "Schedule", "Suspend", "Ready", "Reason", "Degraded", "Alerts", "Next Run", "Last Success", "Age"},
		"erasurerequests":    {"Name", "Complete", "Reason", "Customers", "Completed", "Age"},
	}
	total := 0
	for _, r := range inCategory {
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion(r.GroupVersion().String())
		list.SetKind(map[string]string{"datasources": "DataSource", "segmentationmodels": "SegmentationModel", "reportschedules": "ReportSchedule", "erasurerequests": "ErasureRequest"}[r.Resource] + "List")
		if err := e.Client.List(ctx, list); err != nil { // all namespaces
			t.Fatalf("listing %s: %v", r.Resource, err)
		}
		total += len(list.Items)

		table := getTable(t, e.Config, fmt.Sprintf("/apis/%s/%s/namespaces/%s/%s", r.Group, r.Version, ns, r.Resource))
		var cols []string
		for _, c := range table.ColumnDefinitions {
			cols = append(cols, c.Name)
		}
		if !slices.Equal(cols, wantColumns[r.Resource]) {
			t.Errorf("%s printer columns: got %v, want %v", r.Resource, cols, wantColumns[r.Resource])
		}
		if len(table.Rows) == 0 {
			t.Errorf("%s: the Table has no rows", r.Resource)
		}
	}
	// Cells come from status: a model marked ready with 1234 customers shows
	// them in the Ready, Reason and Customers columns.
	model := &crmv1.SegmentationModel{}
	if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop-rfm"}, model); err != nil {
		t.Fatal(err)
	}
	model.Status.Customers = 1234
	model.Status.Conditions = []metav1.Condition{{
		Type: crmv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Succeeded",
		Message: "analysed", LastTransitionTime: metav1.Now(),
	}, {
		Type: crmv1.ConditionDegraded, Status: metav1.ConditionTrue, Reason: "SourceUnreachable",
		Message: "the last run failed; the previous result is served", LastTransitionTime: metav1.Now(),
	}}
	if err := e.Client.Status().Update(ctx, model); err != nil {
		t.Fatal(err)
	}
	table := getTable(t, e.Config, fmt.Sprintf("/apis/analytics.crmlens.io/v1alpha1/namespaces/%s/segmentationmodels/shop-rfm", ns))
	if len(table.Rows) != 1 {
		t.Fatalf("want one row, got %d", len(table.Rows))
	}
	cells := fmt.Sprint(table.Rows[0].Cells)
	// A failed run with a served result shows in the DEGRADED column.
	if want := "[shop-rfm RFM True Succeeded True 1234"; !strings.HasPrefix(cells, want) {
		t.Errorf("printed row %s, want it to start with %s", cells, want)
	}

	want := 0 // the crmlens samples; the ConfigMap of inline data is not in the category
	for _, f := range sampleFiles(t) {
		if loadSample(t, f).GetKind() != "ConfigMap" {
			want++
		}
	}
	if total < want {
		t.Errorf("category listing found %d objects, want at least the %d samples", total, want)
	}
}
