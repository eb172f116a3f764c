package runplan

import (
	"strings"
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	p := Plan{Owner: Owner{Namespace: "shop", Name: "rfm"}, Run: "rfm-g1", ResultConfigMap: "rfm-result",
		Sources: []Source{{Name: "s", Postgres: &Postgres{Host: "db", Table: "orders", PasswordEnv: "CRMLENS_S0_PG_PASSWORD"}}}}
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sources[0].Postgres.PasswordEnv != "CRMLENS_S0_PG_PASSWORD" || got.APIVersion != Version {
		t.Errorf("round trip = %+v", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	cases := []struct{ name, plan, want string }{
		{"not JSON", `{`, "decode run plan"},
		{"wrong version", `{"apiVersion":"v0"}`, "apiVersion"},
		{"no owner, run, result, source", `{"apiVersion":"` + Version + `"}`, "owner namespace and name are required"},
		{"two backends", `{"apiVersion":"` + Version + `","owner":{"namespace":"a","name":"b"},"run":"r","resultConfigMap":"c",` +
			`"sources":[{"name":"x","sample":{},"http":{"url":"http://h"}}]}`, "exactly one backend"},
		{"no backend", `{"apiVersion":"` + Version + `","owner":{"namespace":"a","name":"b"},"run":"r","resultConfigMap":"c","sources":[{"name":"x"}]}`, "found 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.plan)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Decode error %v, want it to mention %q", err, c.want)
			}
		})
	}
}
