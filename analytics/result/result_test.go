package result

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/basket"
	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/pareto"
	"github.com/crmlens/crmlens/analytics/txn"
)

var row = Row{
	Customer: `a,"b"`, RecencyDays: 12, Frequency: 3, Monetary: 123456, AOV: 4.115200000001,
	FirstPurchase: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), LastPurchase: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
	R: 5, F: 4, M: 3, Segment: "Can't Lose Them", Stage: "active", Cluster: 2, PAlive: math.NaN(), CLV: 1.5,
}

var allCols = []Column{ColCustomer, ColRecencyDays, ColFrequency, ColMonetary, ColAOV, ColFirstPurchase, ColLastPurchase,
	ColR, ColF, ColM, ColRFM, ColSegment, ColStage, ColCluster, ColPAlive, ColExpectedPurchases, ColCLV}

func TestCSVWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf, allCols)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&row); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	want := [][]string{
		{"customer", "recencyDays", "frequency", "monetary", "aov", "firstPurchase", "lastPurchase", "r", "f", "m", "rfm", "segment", "stage", "cluster", "pAlive", "expectedPurchases", "clv"},
		{`a,"b"`, "12", "3", "12.3456", "4.1152", "2024-01-02T03:04:05Z", "2024-06-01T00:00:00Z", "5", "4", "3", "543", "Can't Lose Them", "active", "2", "", "0", "1.5"},
	}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Errorf("CSV =\n%q\nwant\n%q", recs, want)
	}
}

func TestCSVWriterHeaderOnly(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf, []Column{ColCustomer, ColSegment})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "customer,segment\n" {
		t.Errorf("empty CSV = %q", buf.String())
	}
}

func TestNDJSONWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewNDJSONWriter(&buf, allCols)
	if err != nil {
		t.Fatal(err)
	}
	r2 := row
	r2.Customer = "ü\x01\xff\n"
	for _, r := range []*Row{&row, &r2} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	var got []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		got = append(got, m)
	}
	if len(got) != 2 {
		t.Fatalf("%d lines", len(got))
	}
	m := got[0]
	checks := map[string]any{"customer": `a,"b"`, "recencyDays": 12.0, "monetary": 12.3456, "aov": 4.1152, "rfm": "543", "segment": "Can't Lose Them", "pAlive": nil, "firstPurchase": "2024-01-02T03:04:05Z"}
	for k, v := range checks {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if got[1]["customer"] != "ü\x01\ufffd\n" {
		t.Errorf("escaped customer = %q", got[1]["customer"])
	}
}

func TestWriterUnknownColumn(t *testing.T) {
	if _, err := NewCSVWriter(&bytes.Buffer{}, []Column{"nope"}); err == nil || !strings.Contains(err.Error(), `unknown per-customer column "nope"`) {
		t.Errorf("CSV err = %v", err)
	}
	if _, err := NewNDJSONWriter(&bytes.Buffer{}, nil); err == nil {
		t.Error("NDJSON accepted no columns")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterErrorsSurface(t *testing.T) {
	w, err := NewNDJSONWriter(failWriter{}, []Column{ColCustomer})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write(&row) // buffered
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close err = %v", err)
	}
}

func TestNewMarshalsEmptyLists(t *testing.T) {
	b, err := json.Marshal(New())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"apiVersion":"crmlens.io/result/v1"`, `"kind":"AnalysisResult"`, `"segments":[]`, `"rejected":{}`, `"rejectSamples":[]`, `"reports":[]`, `"warnings":[]`, `"truncated":false`} {
		if !strings.Contains(s, want) {
			t.Errorf("document lacks %s: %s", want, s)
		}
	}
	for _, absent := range []string{`"rfm"`, `"clv"`, `"kpi"`, `"truncatedFields"`} {
		if strings.Contains(s, absent) {
			t.Errorf("empty document has %s", absent)
		}
	}
}

// bigDoc has a cohort matrix of n months, a 1001-point Lorenz curve and 100 reject samples.
func bigDoc(n int) *Document {
	d := New()
	for i := 0; i < 100; i++ {
		d.Input.RejectSamples = append(d.Input.RejectSamples, txn.RejectSample{Line: int64(i), Reason: txn.RejectMalformed, Detail: "column amount: invalid decimal"})
	}
	d.Cohort = &cohort.Summary{}
	for r := 0; r < n; r++ {
		k := n - r
		d.Cohort.Cohorts = append(d.Cohort.Cohorts, cohort.Cohort{Month: fmt.Sprintf("m%04d", r), Customers: 1000, Active: make([]int64, k), Retention: make([]float64, k), Revenue: make([]float64, k)})
		for j := range k {
			d.Cohort.Cohorts[r].Retention[j] = 0.123456789
		}
	}
	d.Pareto = &pareto.Summary{}
	for i := 0; i <= 1000; i++ {
		d.Pareto.Lorenz = append(d.Pareto.Lorenz, pareto.Point{Customers: float64(i) / 1000, Revenue: math.Pow(float64(i)/1000, 3)})
	}
	return d
}

func TestBound(t *testing.T) {
	t.Run("fits: unchanged", func(t *testing.T) {
		d := bigDoc(3)
		before, _ := json.Marshal(d)
		if err := Bound(d, 1<<20); err != nil {
			t.Fatal(err)
		}
		after, _ := json.Marshal(d)
		if d.Truncated || !bytes.Equal(before, after) {
			t.Error("document within budget was changed")
		}
	})
	t.Run("cuts to budget", func(t *testing.T) {
		d := bigDoc(400) // ~80k retention values: far over the budget
		if n, _ := d.Size(); n <= DefaultMaxBytes {
			t.Fatalf("test document only %d bytes", n)
		}
		if err := Bound(d, 0); err != nil {
			t.Fatal(err)
		}
		n, _ := d.Size()
		if n > DefaultMaxBytes {
			t.Errorf("bounded document is %d bytes", n)
		}
		if !d.Truncated || len(d.Input.RejectSamples) != 10 || !strings.Contains(strings.Join(d.TruncatedFields, ","), "cohort.cohorts") {
			t.Errorf("truncated=%v fields=%v samples=%d", d.Truncated, d.TruncatedFields, len(d.Input.RejectSamples))
		}
		// The newest cohort survives.
		last := d.Cohort.Cohorts[len(d.Cohort.Cohorts)-1]
		if last.Month != "m0399" {
			t.Errorf("newest cohort = %s", last.Month)
		}
		b, _ := json.Marshal(d)
		if !strings.Contains(string(b), `"truncated":true`) {
			t.Error("truncated flag not in JSON")
		}
	})
	t.Run("lorenz keeps both ends", func(t *testing.T) {
		d := bigDoc(1)
		d.Input.RejectSamples = nil
		n, _ := d.Size()
		if err := Bound(d, n-1000); err != nil {
			t.Fatal(err)
		}
		l := d.Pareto.Lorenz
		if len(l) >= 1001 || l[0] != (pareto.Point{}) || l[len(l)-1] != (pareto.Point{Customers: 1, Revenue: 1}) {
			t.Errorf("lorenz has %d points, ends %+v %+v", len(l), l[0], l[len(l)-1])
		}
	})
	t.Run("model sections shrink, then go", func(t *testing.T) {
		d := New()
		big := strings.Repeat("x", 1000)
		d.Basket = &BasketSection{}
		for i := 0; i < 8; i++ {
			d.Basket.Rules = append(d.Basket.Rules, basket.Rule{Antecedent: []string{big}, Lift: float64(8 - i)})
		}
		d.VIP = &VIPSection{ValueBasis: big}
		d.KMeans = &KMeansSection{Seed: 1}
		// Budget: room for the VIP section and about two rules.
		d2 := New()
		d2.VIP, d2.KMeans = d.VIP, d.KMeans
		n, _ := d2.Size()
		if err := Bound(d, n+2500); err != nil {
			t.Fatal(err)
		}
		if d.Basket == nil || len(d.Basket.Rules) != 2 || d.Basket.Rules[0].Lift != 8 || d.VIP == nil || d.KMeans == nil {
			t.Errorf("basket %+v vip %v", d.Basket, d.VIP != nil)
		}
		// Too small for any rule: the basket section goes before the VIP one.
		if err := Bound(d, n+100); err != nil {
			t.Fatal(err)
		}
		if d.Basket != nil || d.VIP == nil || !slices.Equal(d.TruncatedFields, []string{"basket"}) {
			t.Errorf("basket %v vip %v truncated %v", d.Basket != nil, d.VIP != nil, d.TruncatedFields)
		}
	})
	t.Run("impossible budget", func(t *testing.T) {
		if err := Bound(New(), 10); err == nil || !strings.Contains(err.Error(), "over the 10 byte budget") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestAppendMoney(t *testing.T) {
	for _, m := range []txn.Money{0, 1, -1, 123456, -123456, 10000, 99999999999, -5000} {
		if got, want := string(appendMoney(nil, m)), m.String(); got != want {
			t.Errorf("appendMoney(%d) = %s, want %s", m, got, want)
		}
	}
}
