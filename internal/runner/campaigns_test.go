package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"

	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/internal/runplan"
)

func TestReadCampaigns(t *testing.T) {
	plain := "who,when,eur\nc1,2025-03-01,2.00\nc2,bad,1.00\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("customer_id,contact_time\nc3,2025-03-02\n"))
	zw.Close()
	data := map[string][]byte{"plain": []byte(plain), "gz": gz.Bytes(), "hash": []byte(strings.ReplaceAll(plain, ",", "#"))}
	cm := func(_ context.Context, name, key string) ([]byte, error) { return data[key], nil }
	src := func(key string, cols map[string]string) runplan.Source {
		return runplan.Source{Name: key, Content: contentCampaigns, ConfigMap: &runplan.ConfigMap{Name: "c", Key: key}, Columns: cols}
	}
	cases := []struct {
		name     string
		srcs     []runplan.Source
		contacts int
		rejected int64
		cost     int64
		err      string
	}{
		{"declared columns", []runplan.Source{src("plain", map[string]string{"customer": "who", "time": "when", "cost": "eur"})}, 1, 1, 200, ""},
		{"gzip, default header, merged", []runplan.Source{src("plain", map[string]string{"customer": "who", "time": "when", "cost": "eur"}), src("gz", nil)}, 2, 1, 200, ""},
		{"declared column missing", []runplan.Source{src("plain", map[string]string{"customer": "client", "time": "when"})}, 0, 0, 0, "customer column (client)"},
		{"postgres refused", []runplan.Source{{Name: "pg", Content: contentCampaigns, Postgres: &runplan.Postgres{Table: "contacts"}}}, 0, 0, 0, "read as CSV"},
		{"any one-character delimiter", []runplan.Source{{Name: "hash", Content: contentCampaigns, ConfigMap: &runplan.ConfigMap{Name: "c", Key: "hash"}, Delimiter: "#",
			Columns: map[string]string{"customer": "who", "time": "when", "cost": "eur"}}}, 1, 1, 200, ""},
		{"whitespace delimiter refused", []runplan.Source{{Name: "ws", Content: contentCampaigns, ConfigMap: &runplan.ConfigMap{Name: "c", Key: "plain"}, Delimiter: "whitespace"}}, 0, 0, 0, "not supported"},
	}
	for _, tc := range cases {
		cs, rep, err := readCampaigns(context.Background(), tc.srcs, func(string) string { return "" }, cm)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var cost int64
		for _, c := range cs {
			cost += int64(c.Cost)
		}
		if len(cs) != tc.contacts || rep.Rejected != tc.rejected || cost*100/txn.MoneyScale != tc.cost { // cost in cents
			t.Errorf("%s: %d contacts %+v, rejected %d, cost %d", tc.name, len(cs), cs, rep.Rejected, cost)
		}
	}
}

// TestReadCampaignsNamesCampaigns: the schema's campaign column (rendered
// as the plan column "campaign") names each contact's campaign.
func TestReadCampaignsNamesCampaigns(t *testing.T) {
	data := []byte("who,when,camp\nc1,2025-03-01,spring\nc2,2025-03-02,winback\n")
	cm := func(_ context.Context, _, _ string) ([]byte, error) { return data, nil }
	src := runplan.Source{Name: "k", Content: contentCampaigns, ConfigMap: &runplan.ConfigMap{Name: "c", Key: "k"},
		Columns: map[string]string{"customer": "who", "time": "when", "campaign": "camp"}}
	cs, _, err := readCampaigns(context.Background(), []runplan.Source{src}, func(string) string { return "" }, cm)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Campaign != "spring" || cs[1].Campaign != "winback" {
		t.Errorf("contacts = %+v, want campaigns spring and winback", cs)
	}
}
