package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmlens/crmlens/analytics/result"
)

const cdnow = "../../../shared/data/cdnow/CDNOW_sample.txt"

func analyze(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Analyze(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func decode(t *testing.T, s string) *result.Document {
	t.Helper()
	var d result.Document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("stdout is not a result document: %v\n%s", err, s)
	}
	return &d
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCDNOW(t *testing.T) {
	if _, err := os.Stat(cdnow); err != nil {
		t.Fatalf("CDNOW sample missing: %v", err)
	}
	custOut := filepath.Join(t.TempDir(), "customers.csv")
	code, out, errs := analyze(t, "-f", cdnow, "--drop-gifts=false", "--delimiter", "whitespace", "--no-header", "--map", "customer=2,time=3,amount=5",
		"--report", "kpi,pareto", "--customers-out", custOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := decode(t, out)
	if d.APIVersion != result.APIVersion || d.Input.Customers != 2357 || d.Input.Transactions != 6919 || d.Input.Rows != 6919 || len(d.Input.Rejected) != 0 {
		t.Errorf("input = %+v", d.Input)
	}
	var n int64
	var share float64
	for _, s := range d.Segments {
		n += s.Customers
		share += s.RevenueShare
	}
	if n != 2357 || share < 0.999999 || share > 1.000001 || len(d.Segments) != 11 {
		t.Errorf("segments cover %d customers, revenue share %v: %+v", n, share, d.Segments)
	}
	// Published CDNOW facts: 6919 purchases, $244,091.94 (sum of column 5), last day 1998-06-30.
	if d.KPI == nil || d.KPI.Orders != 6919 || d.KPI.Revenue < 244091.93 || d.KPI.Revenue > 244091.95 || d.Run.AsOf.Format("2006-01-02") != "1998-06-30" {
		t.Errorf("kpi = %+v, asOf %v", d.KPI, d.Run.AsOf)
	}
	// Segment sizes from an independent Python implementation of the tie
	// rule (1 + 5·w // n with w from bisect_left) and the standard R×F grid.
	wantSeg := map[string]int64{"Lost": 457, "Champions": 414, "Hibernating": 403, "About To Sleep": 345, "Loyal": 315,
		"Potential Loyalist": 246, "At Risk": 90, "Need Attention": 84, "Can't Lose Them": 3, "New": 0, "Promising": 0}
	for _, s := range d.Segments {
		if s.Customers != wantSeg[s.Name] {
			t.Errorf("segment %s: %d customers, want %d", s.Name, s.Customers, wantSeg[s.Name])
		}
	}
	// Counted independently from the raw file (awk/python over the lines):
	// 1152 customers with two or more lines, 299 with a purchase in the 90
	// days before 1998-06-30, 1843 with none in the last 180 days.
	if d.KPI.RepeatCustomers != 1152 || d.KPI.ActiveCustomers != 299 || d.KPI.ChurnedCustomers != 1843 {
		t.Errorf("repeat %d active %d churned %d, want 1152 299 1843", d.KPI.RepeatCustomers, d.KPI.ActiveCustomers, d.KPI.ChurnedCustomers)
	}
	f, err := os.Open(custOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2358 || recs[0][0] != "customer" || recs[0][len(recs[0])-1] != "segment" {
		t.Errorf("per-customer file has %d lines, header %v", len(recs), recs[0])
	}
}

const shopCSV = `customer_id;order_id;timestamp;amount;channel
a;1;2024-01-05 10:00:00;10,00;web
a;2;2024-03-01 11:00:00;20,00;web
b;3;2024-02-10 12:00:00;5,00;web
`

func TestFlagsAndChannels(t *testing.T) {
	online := writeFile(t, "online.csv", "customer,time,amount\na,2024-01-05,10.00\nb,2024-02-10,5.00\n")
	store := writeFile(t, "store.csv", "customer,time,amount\na,2024-03-01,20.00\nc,2024-03-02,zz\n")
	nd := filepath.Join(t.TempDir(), "c.ndjson")
	code, out, errs := analyze(t, "-f", online, "--channel", "online", "-f", store, "--channel", "store",
		"--as-of", "2024-03-31", "--method", "valuematrix", "--report", "kpi", "--report", "cohort", "--customers-out", nd)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := decode(t, out)
	if len(d.Input.Sources) != 2 || d.Input.Sources[0].Channel != "online" || d.Input.Sources[1].Channel != "store" {
		t.Errorf("sources = %+v", d.Input.Sources)
	}
	if d.Input.Customers != 2 || d.Input.Rejected["malformed"] != 1 || d.ValueMatrix == nil || d.RFM != nil || d.Cohort == nil || d.KPI == nil {
		t.Errorf("doc = %+v", d)
	}
	if d.Run.AsOf.Format("2006-01-02T15:04:05") != "2024-03-31T23:59:59" {
		t.Errorf("as-of = %v, want the end of the day", d.Run.AsOf)
	}
	b, _ := os.ReadFile(nd)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"customer":"a"`) || !strings.Contains(lines[0], `"segment":`) {
		t.Errorf("ndjson = %s", b)
	}
}

func TestTableOutput(t *testing.T) {
	code, out, errs := analyze(t, "-f", cdnow, "--drop-gifts=false", "--delimiter", "whitespace", "--no-header", "--map", "customer=2,time=3,amount=5",
		"--report", "kpi,pareto,cohort", "-o", "table")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Input: 6919 rows, 6919 transactions, 2357 customers", "Champions", "repurchase rate", "Pareto: 80.0% of revenue", "1997-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "1997-04") {
		t.Error("table lists a cohort month without customers")
	}
}

func TestErrors(t *testing.T) {
	good := writeFile(t, "good.csv", "customer,time,amount\na,2024-01-05,10.00\n")
	badMap := writeFile(t, "map.csv", "555,Top\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"no input", []string{}, 2, "no input"},
		{"channel before file", []string{"--channel", "x", "-f", good}, 2, "--channel must follow the -f"},
		{"bad method", []string{"-f", good, "--method", "magic"}, 2, `method "magic"`},
		{"bad report", []string{"-f", good, "--report", "kpi,weather"}, 2, `report "weather"`},
		{"bad output", []string{"-f", good, "-o", "yaml"}, 2, `-o "yaml"`},
		{"bad date", []string{"-f", good, "--as-of", "31/12/2024"}, 2, "--as-of"},
		{"bad delimiter", []string{"-f", good, "--delimiter", "::"}, 2, "delimiter"},
		{"quote as delimiter", []string{"-f", good, "--delimiter", `"`}, 2, "quote character"},
		{"layout name in the wrong case", []string{"-f", good, "--time-layout", "unix"}, 2, `did you mean "Unix"`},
		{"bad max amount", []string{"-f", good, "--max-amount", "-5"}, 2, `--max-amount "-5"`},
		{"minimum above maximum", []string{"-f", good, "--min-amount", "10", "--max-amount", "5"}, 2, "minAmount 10.0000 exceeds maxAmount 5.0000"},
		{"response days without campaign", []string{"-f", good, "--report", "kpi", "--response-days", "7"}, 2, "--response-days needs --campaign"},
		{"bad response days", []string{"-f", good, "--response-days", "0"}, 2, "--response-days 0"},
		{"bad map", []string{"-f", good, "--map", "cust=1"}, 2, "--map"},
		{"bad time unit", []string{"-f", good, "--time-unit", "year"}, 2, "time unit"},
		{"sample and files", []string{"-f", good, "--sample", "10"}, 2, "not both"},
		{"bad segment map", []string{"-f", good, "--segment-map", badMap}, 2, "124 of 125 codes"},
		{"segment map for another method", []string{"-f", good, "--method", "lifecycle", "--segment-map", badMap}, 2, "--segment-map needs --method rfm"},
		{"stray argument", []string{"-f", good, "extra"}, 2, `unexpected argument "extra"`},
		{"unreadable file", []string{"-f", "/nonexistent/file.csv"}, 1, "/nonexistent/file.csv"},
		{"unknown column", []string{"-f", good, "--map", "customer=nope"}, 1, "nope"},
		{"clv without repeat buyers", []string{"-f", good, "--method", "clv"}, 1, "method clv: fit CLV models: clv: BG/NBD needs customers with repeat purchases"},
		{"forecast too short", []string{"-f", good, "--report", "forecast"}, 1, "need one season (12 steps) for a trend model and two (24) for a seasonal one"},
		{"model flag without its method", []string{"-f", good, "--k", "3"}, 2, "--k needs --method kmeans"},
		{"report flag without its report", []string{"-f", good, "--min-support", "0.1"}, 2, "--min-support needs --report basket"},
		{"k and k range", []string{"-f", good, "--method", "kmeans", "--k", "3", "--k-range", "2-5"}, 2, "not both"},
		{"bad k range", []string{"-f", good, "--method", "kmeans", "--k-range", "five"}, 2, `--k-range "five"`},
		{"vip top and percent", []string{"-f", good, "--report", "vip", "--vip-top", "3", "--vip-top-percent", "5"}, 2, "not both"},
		{"bad margin", []string{"-f", good, "--method", "clv", "--margin", "2"}, 2, "clv margin 2"},
		{"bad drop threshold", []string{"-f", good, "--report", "vip", "--drop-threshold", "1.5"}, 2, "--drop-threshold 1.5"},
		{"bad basket item", []string{"-f", good, "--report", "basket", "--basket-item", "sku"}, 2, `basket item "sku"`},
		{"bad forecast unit", []string{"-f", good, "--report", "forecast", "--forecast-unit", "year"}, 2, `forecast unit "year"`},
		{"bad seasonality", []string{"-f", good, "--report", "forecast", "--seasonality", "both"}, 2, `seasonality "both"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := analyze(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if out != "" {
				t.Errorf("stdout on error: %q", out)
			}
			if strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tt.want) || !strings.HasPrefix(errs, "crmlens analyze: ") {
				t.Errorf("stderr = %q, want one line containing %q", errs, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := analyze(t, "-h")
	if code != 0 || !strings.Contains(out, "crmlens analyze -f FILE") || !strings.Contains(out, "--customers-out") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}

func TestSample(t *testing.T) {
	code, out, errs := analyze(t, "--sample", "300", "--report", "kpi,pareto,cohort", "--method", "lifecycle")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := decode(t, out)
	if d.Input.Customers < 250 || d.Input.Customers > 300 || d.Input.Rejected["gift"] == 0 || d.Lifecycle == nil || len(d.Segments) != 5 {
		t.Errorf("sample doc: input %+v segments %+v", d.Input, d.Segments)
	}
	// Deterministic: the same run gives the same document apart from timings.
	_, out2, _ := analyze(t, "--sample", "300", "--report", "kpi,pareto,cohort", "--method", "lifecycle")
	d2 := decode(t, out2)
	d.Run, d2.Run = result.Run{}, result.Run{}
	a, _ := json.Marshal(d)
	b, _ := json.Marshal(d2)
	if !bytes.Equal(a, b) {
		t.Error("two sample runs differ")
	}
}

func TestDelimiterAndLayout(t *testing.T) {
	p := writeFile(t, "shop.csv", strings.ReplaceAll(shopCSV, ",", "."))
	code, out, errs := analyze(t, "-f", p, "--delimiter", ";", "--time-layout", "2006-01-02 15:04:05", "--as-of", "20240331")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := decode(t, out)
	if d.Input.Transactions != 3 || d.Input.Customers != 2 {
		t.Errorf("input = %+v", d.Input)
	}
}

func TestCampaignAndPrevious(t *testing.T) {
	dir := t.TempDir()
	shop := writeFile(t, "shop.csv", "customer,time,amount\n"+
		"a,2024-01-05,10.00\n"+
		"a,2024-03-20,30.00\n"+
		"b,2024-01-10,5.00\n"+
		"c,2024-03-25,7.00\n")
	contacts := writeFile(t, "contacts.csv", "customer_id,contact_time,cost\n"+
		"a,2024-03-01,2.00\n"+ // a buys on 03-20: response, 30.00
		"b,2024-03-01,2.00\n"+ // no purchase after: no response
		"zz,2024-03-01,1.00\n"+ // never bought
		"c,not-a-date,1.00\n") // malformed
	// a's purchase is 19 days after the contact: outside the default 14-day
	// window (the API's responseWindow default), inside --response-days 30.
	code, out, errs := analyze(t, "-f", shop, "--as-of", "2024-03-31", "--report", "kpi", "--campaign", contacts)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if d := decode(t, out); d.KPI.Campaign == nil || d.KPI.Campaign.Responses != 0 || d.KPI.Params.ResponseDays != 14 {
		t.Fatalf("default window: campaign = %+v, params %+v", d.KPI.Campaign, d.KPI.Params)
	}
	code, out, errs = analyze(t, "-f", shop, "--as-of", "2024-03-31", "--report", "kpi", "--campaign", contacts, "--response-days", "30")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := decode(t, out)
	c := d.KPI.Campaign
	// 3 valid contacts, 1 response, cost 5, attributed 30 → ROI (30-5)/5 = 5.
	if c == nil || c.Contacts != 3 || c.Responses != 1 || c.RejectedContacts != 1 || c.Cost != 5 || c.AttributedRevenue != 30 || c.ROI == nil || *c.ROI != 5 {
		t.Fatalf("campaign = %+v", c)
	}

	prev := filepath.Join(dir, "prev.csv")
	if code, _, errs := analyze(t, "-f", shop, "--as-of", "2024-01-31", "--method", "lifecycle", "--customers-out", prev); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errs)
	}
	code, out, errs = analyze(t, "-f", shop, "--as-of", "2024-07-31", "--method", "lifecycle", "--previous", prev)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errs)
	}
	d = decode(t, out)
	// On 2024-01-31 a and b are new (c absent, its purchase is after as-of); on
	// 2024-07-31 a (last 03-20, 133 days) and c (128 days) are at risk and b (203 days) churned.
	got := map[string]int64{}
	for _, tr := range d.Lifecycle.Transitions {
		got[string(tr.From)+">"+string(tr.To)] = tr.Customers
	}
	want := map[string]int64{"new>atRisk": 1, "new>churned": 1, "none>atRisk": 1}
	if len(got) != len(want) {
		t.Errorf("transitions = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("transitions = %v, want %v", got, want)
		}
	}
}

func TestCampaignAndPreviousErrors(t *testing.T) {
	good := writeFile(t, "good.csv", "customer,time,amount\na,2024-01-05,10.00\n")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-f", good, "--campaign", good}, 2, "--campaign needs --report kpi"},
		{[]string{"-f", good, "--previous", good}, 2, "--previous needs --method lifecycle"},
		{[]string{"-f", good, "--report", "kpi", "--campaign", "/nonexistent/c.csv"}, 1, "--campaign"},
		{[]string{"-f", good, "--method", "lifecycle", "--previous", good}, 1, `"customer" and "stage"`},
	}
	for _, tt := range tests {
		code, _, errs := analyze(t, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d stderr %q, want %d %q", tt.args, code, errs, tt.code, tt.want)
		}
	}
}

func TestCustomSegmentMap(t *testing.T) {
	m := writeFile(t, "map.csv", "# two segments\ncode,segment\n111,Bottom\n*,Everyone else\n")
	code, out, errs := analyze(t, "-f", cdnow, "--drop-gifts=false", "--delimiter", "whitespace", "--no-header", "--map", "customer=2,time=3,amount=5", "--segment-map", m)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := decode(t, out)
	if len(d.Segments) != 2 || d.Segments[0].Name != "Bottom" || d.Segments[1].Name != "Everyone else" || d.Segments[0].Customers+d.Segments[1].Customers != 2357 {
		t.Errorf("segments = %+v", d.Segments)
	}
}

func TestEmptyAfterCleaningTable(t *testing.T) {
	p := writeFile(t, "bad.csv", "customer,time,amount\na,2024-01-01,x\n,2024-01-02,3\n")
	code, out, errs := analyze(t, "-f", p, "--report", "kpi,pareto,cohort", "-o", "table")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"0 customers", "Rejected: malformed 1, missingCustomer 1", "No customers after cleaning", "Pareto: undefined"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestCleaningFlagsAndNamedLayouts: --max-amount rejects the outlier with
// reason aboveMaxAmount, --merge-same-day counts a's two orders of one day as
// one purchase, and --time-layout understands the API's layout names.
func TestCleaningFlagsAndNamedLayouts(t *testing.T) {
	unix := writeFile(t, "unix.csv", "customer,order,time,amount\n"+
		"a,o1,1709283600,10.00\n"+ // 2024-03-01 09:00 UTC
		"a,o2,1709316000,20.00\n"+ // 2024-03-01 18:00 UTC
		"a,o3,1709640000,30.00\n"+ // 2024-03-05 12:00 UTC
		"b,o4,1709380800,40.00\n"+ // 2024-03-02 12:00 UTC
		"b,o5,1709467200,9999.99\n") // 2024-03-03 12:00 UTC
	milli := writeFile(t, "milli.csv", strings.NewReplacer(",1709283600,", ",1709283600000,", ",1709316000,", ",1709316000000,",
		",1709640000,", ",1709640000000,", ",1709380800,", ",1709380800000,", ",1709467200,", ",1709467200000,").Replace(readFile(t, unix)))
	rfc := writeFile(t, "rfc.csv", "customer,order,time,amount\n"+
		"a,o1,2024-03-01T10:00:00+01:00,10.00\n"+
		"a,o2,2024-03-01T18:00:00Z,20.00\n"+
		"a,o3,2024-03-05T12:00:00Z,30.00\n"+
		"b,o4,2024-03-02T12:00:00Z,40.00\n"+
		"b,o5,2024-03-03 12:00:00Z,9999.99\n")
	cases := []struct {
		args     []string
		orders   int64
		above    int64
		rejected int64
	}{
		{[]string{"-f", unix, "--time-layout", "Unix"}, 5, 0, 0},
		{[]string{"-f", unix, "--time-layout", "Unix", "--max-amount", "500"}, 4, 1, 1},
		{[]string{"-f", unix, "--time-layout", "Unix", "--merge-same-day"}, 4, 0, 0},
		{[]string{"-f", milli, "--time-layout", "UnixMilli", "--max-amount", "500", "--merge-same-day"}, 3, 1, 1},
		{[]string{"-f", rfc, "--time-layout", "RFC3339", "--max-amount", "500", "--merge-same-day"}, 3, 1, 1},
		{[]string{"-f", unix, "--time-layout", "RFC3339"}, 0, 0, 5}, // every row malformed: not RFC 3339
	}
	for _, tc := range cases {
		args := append(tc.args, "--as-of", "2024-03-31", "--report", "kpi")
		code, out, errs := analyze(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errs)
		}
		d := decode(t, out)
		if tc.rejected == 5 {
			if d.Input.Customers != 0 || d.Input.Rejected["malformed"] != 5 {
				t.Errorf("%v: input %+v, want every row malformed", tc.args, d.Input)
			}
			continue
		}
		var rej int64
		for _, n := range d.Input.Rejected {
			rej += n
		}
		if d.KPI == nil || d.KPI.Orders != tc.orders || d.Input.Rejected["aboveMaxAmount"] != tc.above || rej != tc.rejected {
			t.Errorf("%v: orders %v, rejected %v; want %d orders, %d above the maximum", tc.args, d.KPI, d.Input.Rejected, tc.orders, tc.above)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
