package runner

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/minio/minio-go/v7"
	"golang.org/x/net/html"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crmlens/crmlens/internal/alerts"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/s3test"
)

func resultCM(t *testing.T, c client.Client) (corev1.ConfigMap, runplan.Outcome) {
	t.Helper()
	var cm corev1.ConfigMap
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "rfm-result"}, &cm); err != nil {
		t.Fatal(err)
	}
	var out runplan.Outcome
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyOutcome]), &out); err != nil {
		t.Fatal(err)
	}
	return cm, out
}

// svgTitles parses page as HTML and returns the titles of its SVG charts.
func svgTitles(t *testing.T, page string) []string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("report does not parse: %v", err)
	}
	var titles []string
	var walk func(n *html.Node, inSVG bool)
	walk = func(n *html.Node, inSVG bool) {
		if n.Type == html.ElementNode && n.Data == "svg" {
			inSVG = true
		}
		if inSVG && n.Type == html.ElementNode && n.Data == "title" && n.FirstChild != nil {
			for _, a := range n.Attr {
				if a.Key == "id" { // chart titles carry an id; bar tooltips do not
					titles = append(titles, n.FirstChild.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inSVG)
		}
	}
	walk(root, false)
	return titles
}

func TestRunStoresHTMLReport(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	r := &Runner{Client: c, Log: testr.New(t), Creds: func(string) string { return "" }}
	ctx := context.Background()

	// First run: the report is in the ConfigMap, without change since a last run.
	p := plan(7, 24)
	p.Alerts = &runplan.Alerts{Rules: []alerts.Rule{
		{Name: "many-customers", Metric: "customers", Operator: ">", Threshold: "10", Severity: "warning"},
		{Name: "huge-shop", Metric: "customers", Operator: ">", Threshold: "1000000"},
	}}
	if err := r.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	cm, out := resultCM(t, c)
	page := cm.Data[runplan.KeyReport]
	titles := strings.Join(svgTitles(t, page), "|")
	for _, want := range []string{"Segment size", "Revenue share by segment", "RFM heat map"} {
		if !strings.Contains(titles, want) {
			t.Errorf("report charts %q lack %q", titles, want)
		}
	}
	if strings.Contains(page, "since last run") {
		t.Error("first run's report shows a change since a last run")
	}
	if !strings.Contains(page, "many-customers") || strings.Contains(page, "huge-shop") {
		t.Error("report must list exactly the alert this run fires")
	}
	if len(out.Reports) != 1 || out.Reports[0] != "configmap rfm-result key report.html" || out.ReportNote != "" {
		t.Errorf("outcome reports %v note %q", out.Reports, out.ReportNote)
	}

	// Second run on less history: the report compares with the first.
	p = plan(7, 12)
	p.Run = "rfm-g2"
	if err := r.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	cm, _ = resultCM(t, c)
	if !strings.Contains(cm.Data[runplan.KeyReport], "since last run") {
		t.Error("second run's report shows no change since the first")
	}

	// A ConfigMap too small for the report keeps the result and says why.
	r.MaxConfigMapBytes = len(cm.Data[runplan.KeyResult]) + 4096
	p.Run = "rfm-g3"
	if err := r.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	cm, out = resultCM(t, c)
	if _, ok := cm.Data[runplan.KeyReport]; ok {
		t.Error("report stored although it does not fit")
	}
	if cm.Data[runplan.KeyResult] == "" || !strings.Contains(out.ReportNote, "too large") || len(out.Reports) != 0 {
		t.Errorf("outcome note %q reports %v", out.ReportNote, out.Reports)
	}
}

func TestFiringAlerts(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	since := now.Add(-24 * time.Hour)
	metrics := map[string]float64{"churnRate": 0.3, "vipDropped": 4}
	for _, tc := range []struct {
		name      string
		alerts    *runplan.Alerts
		want      []string
		wantSince time.Time
	}{
		{"no rules", nil, nil, time.Time{}},
		{"threshold holds", &runplan.Alerts{Rules: []alerts.Rule{{Name: "churn", Metric: "churnRate", Operator: ">", Threshold: "0.25"}}}, []string{"churn"}, now},
		{"threshold does not hold", &runplan.Alerts{Rules: []alerts.Rule{{Name: "churn", Metric: "churnRate", Operator: ">", Threshold: "0.35"}}}, nil, time.Time{}},
		{"forRuns not reached", &runplan.Alerts{Rules: []alerts.Rule{{Name: "churn", Metric: "churnRate", Operator: ">", Threshold: "0.25", ForRuns: 2}}}, nil, time.Time{}},
		{"forRuns reached", &runplan.Alerts{Rules: []alerts.Rule{{Name: "churn", Metric: "churnRate", Operator: ">", Threshold: "0.25", ForRuns: 2}},
			Previous: []alerts.State{{Name: "churn", Holds: 1}}}, []string{"churn"}, now},
		{"still firing keeps since", &runplan.Alerts{Rules: []alerts.Rule{{Name: "churn", Metric: "churnRate", Operator: ">", Threshold: "0.25"}},
			Previous: []alerts.State{{Name: "churn", Firing: true, Since: since, Holds: 3}}}, []string{"churn"}, since},
		{"vip drop", &runplan.Alerts{VIPDrops: []alerts.VIPDropRule{{Name: "vip", Metric: "vipDropped", MinCustomers: 3}}}, []string{"vip"}, now},
		{"vip drop below minimum", &runplan.Alerts{VIPDrops: []alerts.VIPDropRule{{Name: "vip", Metric: "vipDropped", MinCustomers: 5}}}, nil, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FiringAlerts(tc.alerts, metrics, now)
			var names []string
			for _, a := range got {
				names = append(names, a.Name)
				if !a.Since.Equal(tc.wantSince) {
					t.Errorf("%s since %v, want %v", a.Name, a.Since, tc.wantSince)
				}
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("firing %v, want %v", names, tc.want)
			}
		})
	}
}

const pseudoCSV = `customer_id,order_id,timestamp,amount
cust-alice,o1,2025-01-05T10:00:00Z,10.00
cust-alice,o2,2025-03-05T10:00:00Z,25.50
cust-bob,o3,2025-02-01T09:00:00Z,99.90
cust-carol,o4,2025-03-20T18:30:00Z,5.00
`

// With pseudonymisation on, the object store's per-customer file holds the
// HMAC-SHA256 pseudonyms (computed here with the standard library), never
// the IDs; the report lands in the run folder; the key is nowhere in what
// the run wrote to the API.
func TestRunPseudonymisesStoreAndPublishesReport(t *testing.T) {
	const key = "pseudo-key-0123456789-abcdef"
	s3 := s3test.Start(t, s3test.Options{})
	if err := s3.CreateBucket("results"); err != nil {
		t.Fatal(err)
	}
	src := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "tx"}, Data: map[string]string{"tx.csv": pseudoCSV}}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(src).Build()
	env := map[string]string{"AK": s3.AccessKey, "SK": s3.SecretKey, "PK": key}
	r := &Runner{Client: c, Log: testr.New(t), Creds: func(k string) string { return env[k] }}
	p := plan(1, 12)
	p.Sources = []runplan.Source{{Name: "tx", ConfigMap: &runplan.ConfigMap{Name: "tx", Key: "tx.csv"},
		Columns: map[string]string{"customer": "customer_id", "order": "order_id", "time": "timestamp", "amount": "amount"}}}
	p.Analysis.AsOf = ptr(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
	p.Store = &runplan.Store{ObjectStore: &runplan.ObjectStoreSink{Format: "csv", ObjectStore: runplan.ObjectStore{
		Endpoint: s3.URL, Region: s3.Region, Bucket: "results", Prefix: "out", PathStyle: true, AccessKeyEnv: "AK", SecretKeyEnv: "SK"}}}
	p.Pseudonymize = &runplan.Pseudonymize{KeyEnv: "PK"}
	if err := r.Run(context.Background(), p); err != nil {
		t.Fatal(err)
	}

	mc := s3.Client(t)
	get := func(name string) string {
		o, err := mc.GetObject(context.Background(), "results", "out/shop/rfm/rfm-g1/"+name, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(b)
	}
	customers := get("customers.csv")
	for _, id := range []string{"cust-alice", "cust-bob", "cust-carol"} {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(id))
		want := hex.EncodeToString(m.Sum(nil))[:16]
		if !strings.Contains(customers, "\n"+want+",") {
			t.Errorf("customers.csv lacks the pseudonym %s of %s:\n%s", want, id, customers)
		}
	}
	page := get(ReportFileName)
	if len(svgTitles(t, page)) == 0 {
		t.Error("report.html in the run folder has no chart")
	}
	var all bytes.Buffer
	all.WriteString(customers + page + get("result.json"))
	var cms corev1.ConfigMapList
	if err := c.List(context.Background(), &cms, client.MatchingLabels{runplan.LabelManagedBy: runplan.ManagedByValue}); err != nil {
		t.Fatal(err)
	}
	if len(cms.Items) != 2 { // result and state; the source ConfigMap holds the IDs
		t.Fatalf("%d ConfigMaps written by the run", len(cms.Items))
	}
	b, _ := json.Marshal(cms)
	all.Write(b)
	for _, leak := range []string{"cust-alice", "cust-bob", "cust-carol", key} {
		if strings.Contains(all.String(), leak) {
			t.Errorf("%q appears in the store's files or the run's ConfigMaps", leak)
		}
	}
	_, out := resultCM(t, c)
	if len(out.Reports) != 2 || !strings.HasSuffix(out.Reports[0], "/rfm-g1/report.html") {
		t.Errorf("report locations %v", out.Reports)
	}
}

func TestRunRefusesMissingOrShortPseudonymKey(t *testing.T) {
	for _, key := range []string{"", "k3y!"} {
		c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
		r := &Runner{Client: c, Log: testr.New(t), Creds: func(string) string { return key }}
		p := plan(1, 12)
		p.Pseudonymize = &runplan.Pseudonymize{KeyEnv: "PK"}
		err := r.Run(context.Background(), p)
		if Reason(err) != "Pseudonymize" {
			t.Errorf("key %q: reason %q (%v)", key, Reason(err), err)
		}
		if key != "" && err != nil && strings.Contains(err.Error(), key) {
			t.Errorf("error names the key: %v", err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
