package deploy_test

import (
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// argoHealthScript returns the Lua health check documented in
// docs/operations.md, between its marker comments.
func argoHealthScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(repoPath(t, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "<!-- argocd-health-lua -->")
	end := strings.Index(doc, "<!-- /argocd-health-lua -->")
	if start < 0 || end < start {
		t.Fatal("docs/operations.md lacks the argocd-health-lua markers")
	}
	block := doc[start:end]
	i, j := strings.Index(block, "```lua\n"), strings.LastIndex(block, "```")
	if i < 0 || j <= i {
		t.Fatal("no ```lua block between the markers")
	}
	return block[i+len("```lua\n") : j]
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
	script := argoHealthScript(t)
	tests := []struct {
		name        string
		obj         map[string]any
		status, msg string
	}{
		{"new, no status", object(1, 0), "Progressing", "Waiting"},
		{"spec changed, not observed", object(3, 2, cond("Ready", "True", "Succeeded", "ok")), "Progressing", "latest spec"},
		{"model with a result", object(2, 2, cond("Ready", "True", "Succeeded", "1994 customers"), cond("Progressing", "False", "Idle", ""), cond("Degraded", "False", "Succeeded", "")),
			"Healthy", "Succeeded: 1994 customers"},
		{"last run failed, old result kept", object(2, 2, cond("Ready", "True", "Succeeded", "old"), cond("Degraded", "True", "BackoffLimitExceeded", "run rfm-7 failed")),
			"Degraded", "BackoffLimitExceeded: run rfm-7 failed"},
		{"running", object(1, 1, cond("Ready", "False", "NoResultYet", ""), cond("Progressing", "True", "JobRunning", "analysis Job rfm-1 is running")),
			"Progressing", "JobRunning: analysis Job rfm-1 is running"},
		{"waiting for the first Job", object(1, 1, cond("Ready", "False", "NoResultYet", "no analysis has run yet")), "Progressing", "NoResultYet"},
		{"source without Secret", object(1, 1, cond("Ready", "False", "SecretNotFound", `Secret "pg" not found`)), "Degraded", `SecretNotFound: Secret "pg" not found`},
		{"suspended schedule", object(1, 1, cond("Ready", "True", "Suspended", "the schedule is suspended")), "Suspended", "Suspended"},
		{"schedule with firing alert", object(1, 1, cond("Ready", "True", "Scheduled", "ok"), cond("AlertFiring", "True", "AlertsFiring", "churn-high")),
			"Healthy", "alerts firing: churn-high"},
		{"invalid schedule", object(1, 1, cond("Ready", "False", "InvalidSchedule", "bad cron")), "Degraded", "InvalidSchedule: bad cron"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			L := lua.NewState()
			defer L.Close()
			L.SetGlobal("obj", toLua(L, tt.obj))
			if err := L.DoString(script); err != nil {
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
