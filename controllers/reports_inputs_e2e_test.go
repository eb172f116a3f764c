package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/result"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

// waitScheduleResult waits for a schedule's first successful run and
// returns its status and result document.
func (h *harness) waitScheduleResult(ns, name string) (*crmv1.ReportSchedule, *result.Document) {
	var got *crmv1.ReportSchedule
	h.eventually(90*time.Second, name+" ran", func() error {
		got = h.rs(ns, name)
		if got.Status.ResultConfigMap == "" || got.Status.LastSuccessfulTime == nil {
			return fmt.Errorf("status %+v", got.Status)
		}
		return nil
	})
	var cm corev1.ConfigMap
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: got.Status.ResultConfigMap}, &cm); err != nil {
		h.t.Fatal(err)
	}
	var doc result.Document
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyResult]), &doc); err != nil {
		h.t.Fatal(err)
	}
	return got, &doc
}

// contactsCSV are campaign contacts in the shop's own column names. With
// sampleCSV's purchases and the default 14-day response window, by hand:
// c1 (contacted 03-01, bought 25.50 on 03-05) and c3 (03-10, 5.00 on 03-20)
// respond; c2 (last bought 02-01) and c9 (never bought) do not; the last row
// has no valid time and is counted as rejected. Response rate 2/4 = 0.5;
// cost 6.00; ROI at margin 1 = (30.50 − 6.00) / 6.00 = 4.0833.
const contactsCSV = `client;campaign;sent_at;cost_eur
c1;spring;2025-03-01;2.00
c2;spring;2025-03-01;2.00
c3;winback;2025-03-10;1.00
c9;winback;2025-03-01;1.00
c4;spring;yesterday;1.00
`

// TestScheduleCampaignKPIs: a Campaigns DataSource (ConfigMap, declared
// columns and delimiter), listed among the sources or named by the KPI
// report's campaignSourceRef, gives the KPI report its campaign response rate
// and ROI, in the result and in status.kpis. A campaignSourceRef to a
// transaction source is refused with a condition.
func TestScheduleCampaignKPIs(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-campaigns")
	h.startManager(true, nil)
	listed := schedule(ns, "listed", "@yearly", crmv1.ConcurrencyForbid)
	listed.Spec.Sources = []crmv1.SourceRef{{Name: "tx"}, {Name: "contacts"}}
	byRef := schedule(ns, "byref", "@yearly", crmv1.ConcurrencyForbid)
	byRef.Spec.Sources = []crmv1.SourceRef{{Name: "tx"}}
	byRef.Spec.Reports = []crmv1.Report{{Type: crmv1.ReportKPI, KPI: &crmv1.KPIParams{CampaignSourceRef: &crmv1.LocalObjectReference{Name: "contacts"}}}}
	wrong := byRef.DeepCopy()
	wrong.Name = "wrong"
	wrong.Spec.Reports[0].KPI.CampaignSourceRef.Name = "tx"
	for _, rs := range []*crmv1.ReportSchedule{listed, byRef, wrong} {
		rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	}
	h.create(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shopdata"}, Data: map[string]string{"tx.csv": sampleCSV, "contacts.csv": contactsCSV}},
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tx"}, Spec: crmv1.DataSourceSpec{Schema: txSchema(), ConfigMap: &crmv1.ConfigMapSource{Name: "shopdata", Key: "tx.csv"}}},
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "contacts"}, Spec: crmv1.DataSourceSpec{
			Content:   crmv1.ContentCampaigns,
			CSV:       &crmv1.CSVOptions{Delimiter: ";"},
			Schema:    &crmv1.SchemaMapping{Campaigns: &crmv1.CampaignColumns{CustomerID: "client", Campaign: "campaign", ContactedAt: "sent_at", Cost: "cost_eur"}},
			ConfigMap: &crmv1.ConfigMapSource{Name: "shopdata", Key: "contacts.csv"}}},
		listed, byRef, wrong)
	for _, name := range []string{"listed", "byref"} {
		got, doc := h.waitScheduleResult(ns, name)
		if doc.KPI == nil || doc.KPI.Campaign == nil {
			t.Fatalf("%s: no campaign KPIs in the result: %+v", name, doc.KPI)
		}
		c := doc.KPI.Campaign
		if c.Contacts != 4 || c.ContactedCustomers != 4 || c.Responses != 2 || c.RespondingCustomers != 2 || c.RejectedContacts != 1 {
			t.Errorf("%s: campaign %+v", name, c)
		}
		if math.Abs(c.Cost-6) > 1e-9 || math.Abs(c.AttributedRevenue-30.5) > 1e-9 || c.ROI == nil || math.Abs(*c.ROI-24.5/6) > 1e-9 {
			t.Errorf("%s: campaign cost %v attributed %v roi %v", name, c.Cost, c.AttributedRevenue, c.ROI)
		}
		// Per campaign (the schema's campaign column): spring reached c1
		// (bought 25.50 four days later) and c2 (no purchase after), winback
		// c3 (bought 5.00 ten days later) and c9 (never bought).
		roi := func(v float64) *float64 { return &v }
		wantCampaigns := []kpi.CampaignFigure{
			{Campaign: "spring", Contacted: 2, Responded: 1, ResponseRate: 0.5, Revenue: 25.5, Cost: 4, ROI: roi((25.5 - 4) / 4)},
			{Campaign: "winback", Contacted: 2, Responded: 1, ResponseRate: 0.5, Revenue: 5, Cost: 2, ROI: roi((5.0 - 2) / 2)},
		}
		if len(doc.KPI.Campaigns) != 2 {
			t.Fatalf("%s: per-campaign figures %+v", name, doc.KPI.Campaigns)
		}
		for i, w := range wantCampaigns {
			g := doc.KPI.Campaigns[i]
			if g.Campaign != w.Campaign || g.Contacted != w.Contacted || g.Responded != w.Responded || math.Abs(g.ResponseRate-w.ResponseRate) > 1e-9 ||
				math.Abs(g.Revenue-w.Revenue) > 1e-9 || math.Abs(g.Cost-w.Cost) > 1e-9 || g.ROI == nil || math.Abs(*g.ROI-*w.ROI) > 1e-9 {
				t.Errorf("%s: campaign %d = %+v (roi %v), want %+v (roi %v)", name, i, g, g.ROI, w, *w.ROI)
			}
		}
		// The contacts are not transactions: three customers, four orders.
		if doc.Input.Customers != 3 || doc.Input.Transactions != 4 {
			t.Errorf("%s: input %+v", name, doc.Input)
		}
		for k, want := range map[string]float64{"campaignResponseRate": 0.5, "campaignROI": 24.5 / 6} {
			v, err := strconv.ParseFloat(got.Status.KPIs[k], 64)
			if err != nil || math.Abs(v-want) > 1e-4 {
				t.Errorf("%s: status.kpis[%s] = %q, want %.4f", name, k, got.Status.KPIs[k], want)
			}
		}
	}
	h.eventually(30*time.Second, "wrong campaign source refused", func() error {
		c := cond(h.rs(ns, "wrong").Status.Conditions, crmv1.ConditionDegraded)
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != "InvalidCampaignSource" || !strings.Contains(c.Message, `"tx"`) {
			return fmt.Errorf("Degraded %+v", c)
		}
		return nil
	})
}

// TestScheduleVIPSegments: with modelRef, reports[].vip.segments makes every member
// of the model's named segments a VIP; the count must equal the model's own
// segment sizes (same sources, cleaning and method).
func TestScheduleVIPSegments(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-vipsegments")
	h.startManager(true, nil)
	h.create(sampleSource(ns, "shop", 300), rfmModel(ns, "rfm", "shop"))
	m := h.waitModelRun(ns, "rfm", "rfm-g1")
	want := map[string]int64{}
	for _, s := range m.Status.Segments {
		want[s.Name] = s.Customers
	}
	segs := []string{"Champions", "Loyal"}
	if want[segs[0]] == 0 || want[segs[1]] == 0 {
		t.Fatalf("the sample should have Champions and Loyal customers: %+v", m.Status.Segments)
	}
	rs := schedule(ns, "vips", "@yearly", crmv1.ConcurrencyForbid)
	rs.Spec.Sources = nil
	rs.Spec.ModelRef = &crmv1.LocalObjectReference{Name: "rfm"}
	rs.Spec.Reports = []crmv1.Report{{Type: crmv1.ReportVIP, VIP: &crmv1.VIPParams{Segments: segs}}}
	rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	h.create(rs)
	_, doc := h.waitScheduleResult(ns, "vips")
	if doc.VIP == nil {
		t.Fatal("no VIP section")
	}
	v := doc.VIP.Result
	if int64(v.VIPs) != want[segs[0]]+want[segs[1]] || int64(v.Customers) != m.Status.Customers {
		t.Errorf("VIPs %d of %d customers, want %d (Champions %d + Loyal %d) of %d", v.VIPs, v.Customers, want[segs[0]]+want[segs[1]], want[segs[0]], want[segs[1]], m.Status.Customers)
	}
	if strings.Join(v.Selection.Segments, ",") != strings.Join(segs, ",") || v.Selection.TopPercent != 0 {
		t.Errorf("selection %+v", v.Selection)
	}
}
