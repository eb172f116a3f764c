package deploy_test

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// argoHealthScripts renders config/argocd (what users apply) and returns
// its argocd-cm health scripts by kind.
func argoHealthScripts(t *testing.T) map[string]string {
	t.Helper()
	objs := render(t, "config/argocd")
	cms := byKind(objs, "ConfigMap")
	if len(cms) != 1 || cms[0].GetName() != "argocd-cm" || cms[0].GetNamespace() != "argocd" {
		t.Fatalf("config/argocd renders %d ConfigMaps, want argocd/argocd-cm", len(cms))
	}
	data, _, _ := unstructured.NestedStringMap(cms[0].Object, "data")
	out := map[string]string{}
	for _, kind := range []string{"DataSource", "SegmentationModel", "ReportSchedule"} {
		key := "resource.customizations.health.analytics.crmlens.io_" + kind
		if data[key] == "" {
			t.Fatalf("argocd-cm lacks %s", key)
		}
		out[kind] = data[key]
	}
	if len(data) != 3 {
		t.Errorf("argocd-cm has %d keys, want the 3 health checks only", len(data))
	}
	return out
}

// toLua converts decoded-JSON-like Go values into Lua values, as Argo CD
// does with the live object.
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case map[string]any:
		t := L.NewTable()
		for k, e := range x {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, e := range x {
			t.Append(toLua(L, e))
		}
		return t
	case string:
		return lua.LString(x)
	case int:
		return lua.LNumber(x)
	case bool:
		return lua.LBool(x)
	}
	return lua.LNil
}

func cond(typ, status, reason, msg string) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg}
}

func object(gen, observed int, conds ...map[string]any) map[string]any {
	o := map[string]any{"metadata": map[string]any{"name": "x", "generation": gen}}
	if conds != nil || observed > 0 {
		cs := []any{}
		for _, c := range conds {
			cs = append(cs, c)
		}
		o["status"] = map[string]any{"observedGeneration": observed, "conditions": cs}
	}
	return o
}

func TestArgoCDHealthScript(t *testing.T) {
	scripts := argoHealthScripts(t)
	all := []string{"DataSource", "SegmentationModel", "ReportSchedule"}
	runs := []string{"SegmentationModel", "ReportSchedule"}
	tests := []struct {
		name        string
		kinds       []string
		obj         map[string]any
		status, msg string
	}{
		{"new, no status", all, object(1, 0), "Progressing", "Waiting"},
		{"spec changed, not observed", all, object(3, 2, cond("Ready", "True", "Succeeded", "ok")), "Progressing", "latest spec"},
		{"model with a result", runs, object(2, 2, cond("Ready", "True", "Succeeded", "1994 customers"), cond("Progressing", "False", "Idle", ""), cond("Degraded", "False", "Succeeded", "")),
			"Healthy", "Succeeded: 1994 customers"},
		{"new spec running, old result served", []string{"SegmentationModel"}, object(3, 3, cond("Ready", "True", "Succeeded", "old"), cond("Reconciling", "True", "JobRunning", "analysis Job m-g3 is running")),
			"Progressing", "JobRunning"},
		{"last run failed, old result kept", runs, object(2, 2, cond("Ready", "True", "Succeeded", "old"), cond("Degraded", "True", "BackoffLimitExceeded", "run rfm-7 failed"), cond("Reconciling", "True", "RetryScheduled", "next retry at")),
			"Degraded", "BackoffLimitExceeded: run rfm-7 failed (next retry at"},
		{"running", []string{"SegmentationModel"}, object(1, 1, cond("Ready", "False", "NoResultYet", ""), cond("Progressing", "True", "JobRunning", "analysis Job rfm-1 is running")),
			"Progressing", "JobRunning: analysis Job rfm-1 is running"},
		{"waiting for the first Job", []string{"SegmentationModel"}, object(1, 1, cond("Ready", "False", "NoResultYet", "no analysis has run yet")), "Progressing", "NoResultYet"},
		{"missing reference", all, object(2, 2, cond("Ready", "False", "SourceNotFound", "x"), cond("Stalled", "True", "SourceNotFound", `DataSource "gone" not found`)),
			"Degraded", `SourceNotFound: DataSource "gone" not found`},
		{"source without Secret", all, object(1, 1, cond("Ready", "False", "SecretNotFound", `Secret "pg" not found`)), "Degraded", `SecretNotFound: Secret "pg" not found`},
		{"source outage, retried", []string{"DataSource"}, object(1, 1, cond("Ready", "False", "Unreachable", "connection refused"), cond("Reconciling", "True", "RetryScheduled", "next retry at")),
			"Degraded", "Unreachable: connection refused (next retry at"},
		{"connected source", []string{"DataSource"}, object(1, 1, cond("Ready", "True", "Connected", "read the header and 100 rows"), cond("Stalled", "False", "Reconciled", "")),
			"Healthy", "Connected"},
		{"suspended schedule", []string{"ReportSchedule"}, object(1, 1, cond("Ready", "True", "Suspended", "the schedule is suspended")), "Suspended", "Suspended"},
		{"schedule with firing alert", []string{"ReportSchedule"}, object(1, 1, cond("Ready", "True", "Scheduled", "ok"), cond("AlertFiring", "True", "AlertsFiring", "churn-high")),
			"Healthy", "alerts firing: churn-high"},
		{"invalid schedule", []string{"ReportSchedule"}, object(1, 1, cond("Ready", "False", "InvalidSchedule", "bad cron"), cond("Stalled", "True", "InvalidSchedule", "bad cron")), "Degraded", "InvalidSchedule: bad cron"},
	}
	for _, tt := range tests {
		for _, kind := range tt.kinds {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				L := lua.NewState()
				defer L.Close()
				L.SetGlobal("obj", toLua(L, tt.obj))
				if err := L.DoString(scripts[kind]); err != nil {
					t.Fatalf("health script: %v", err)
				}
				hs, ok := L.Get(-1).(*lua.LTable)
				if !ok {
					t.Fatalf("health script returned %v, want a table", L.Get(-1))
				}
				status, msg := hs.RawGetString("status").String(), hs.RawGetString("message").String()
				if status != tt.status || !strings.Contains(msg, tt.msg) {
					t.Errorf("health %s %q, want %s containing %q", status, msg, tt.status, tt.msg)
				}
			})
		}
	}
}
