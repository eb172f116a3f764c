package deploy_test

import (
	"bufio"
	"os"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// grant is one (role, API group, resource, verb) permission. Non-resource
// URLs use the group "(non-resource)".
type grant struct{ role, group, resource, verb string }

func (g grant) String() string {
	return g.role + ": " + g.group + " " + g.resource + " " + g.verb
}

// allowList parses the table in docs/rbac.md: | Role | API group |
// Resources | Verbs | Why |, comma-separated lists, "core" for "".
func allowList(t *testing.T) map[grant]bool {
	t.Helper()
	f, err := os.Open(repoPath(t, "docs", "rbac.md"))
	if err != nil {
		t.Fatalf("the RBAC allow-list must be documented: %v", err)
	}
	defer f.Close()
	out := map[grant]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 5 {
			continue
		}
		role := strings.TrimSpace(cells[0])
		if role == "Role" || strings.HasPrefix(role, "---") {
			continue
		}
		for _, res := range splitList(cells[2]) {
			for _, verb := range splitList(cells[3]) {
				out[grant{role, strings.TrimSpace(cells[1]), res, verb}] = true
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("docs/rbac.md holds no allow-list table")
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// granted expands the rules of every ClusterRole and Role.
func granted(t *testing.T, objs []*unstructured.Unstructured) map[grant]bool {
	t.Helper()
	out := map[grant]bool{}
	for _, o := range objs {
		if o.GetKind() != "ClusterRole" && o.GetKind() != "Role" {
			continue
		}
		role := strings.TrimPrefix(o.GetName(), "crmlens-")
		rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
		for _, r := range rules {
			rule, _ := r.(map[string]any)
			str := func(k string) []string {
				v, _, _ := unstructured.NestedStringSlice(rule, k)
				return v
			}
			if names := str("resourceNames"); len(names) > 0 {
				t.Errorf("%s: resourceNames %v are not expressible in the allow-list; document them first", role, names)
			}
			verbs := str("verbs")
			for _, u := range str("nonResourceURLs") {
				for _, v := range verbs {
					out[grant{role, "(non-resource)", u, v}] = true
				}
			}
			for _, g := range str("apiGroups") {
				if g == "" {
					g = "core"
				}
				for _, res := range str("resources") {
					for _, v := range verbs {
						out[grant{role, g, res, v}] = true
					}
				}
			}
			for _, k := range []string{"apiGroups", "resources", "verbs", "nonResourceURLs"} {
				for _, v := range str(k) {
					if strings.Contains(v, "*") {
						t.Errorf("%s: wildcard %q in %s", role, v, k)
					}
				}
			}
		}
	}
	return out
}

// TestRBACMatchesAllowList: the installed roles grant exactly the
// documented allow-list, both ways.
func TestRBACMatchesAllowList(t *testing.T) {
	allowed := allowList(t)
	got := granted(t, render(t, "config/default"))
	var extra, unused []string
	for g := range got {
		if !allowed[g] {
			extra = append(extra, g.String())
		}
	}
	for g := range allowed {
		if !got[g] {
			unused = append(unused, g.String())
		}
	}
	sort.Strings(extra)
	sort.Strings(unused)
	for _, e := range extra {
		t.Errorf("granted but not in docs/rbac.md (review, then document): %s", e)
	}
	for _, u := range unused {
		t.Errorf("in docs/rbac.md but no role grants it (update the doc): %s", u)
	}
}

// The allow-list check must catch an added permission.
func TestRBACCheckCatchesAdditions(t *testing.T) {
	objs := render(t, "config/default")
	for _, o := range objs {
		if o.GetName() == "crmlens-runner-role" {
			rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
			rules = append(rules, map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"list"}})
			_ = unstructured.SetNestedSlice(o.Object, rules, "rules")
		}
	}
	g := granted(t, objs)
	if !g[grant{"runner-role", "core", "secrets", "list"}] || allowList(t)[grant{"runner-role", "core", "secrets", "list"}] {
		t.Error("an added runner permission to list Secrets would not be reported")
	}
}

// The runner's rights stay namespaced: config/runner binds the runner role
// with a RoleBinding, to a ServiceAccount of the same namespace.
func TestRunnerBindingIsNamespaced(t *testing.T) {
	installed := map[string]bool{}
	for _, o := range byKind(render(t, "config/default"), "ClusterRole") {
		installed[o.GetName()] = true
	}
	runner := render(t, "config/runner")
	if n := len(byKind(runner, "ClusterRoleBinding")); n != 0 {
		t.Errorf("config/runner has %d ClusterRoleBindings, want none", n)
	}
	rbs := byKind(runner, "RoleBinding")
	if len(rbs) != 1 {
		t.Fatalf("config/runner has %d RoleBindings, want 1", len(rbs))
	}
	rb := rbs[0]
	ref, _, _ := unstructured.NestedString(rb.Object, "roleRef", "name")
	if !installed[ref] || ref != "crmlens-runner-role" {
		t.Errorf("runner RoleBinding refers to %q, want the installed crmlens-runner-role", ref)
	}
	subjects, _, _ := unstructured.NestedSlice(rb.Object, "subjects")
	sas := byKind(runner, "ServiceAccount")
	if len(subjects) != 1 || len(sas) != 1 {
		t.Fatalf("runner binding subjects %v, ServiceAccounts %d", subjects, len(sas))
	}
	s, _ := subjects[0].(map[string]any)
	if s["kind"] != "ServiceAccount" || s["name"] != sas[0].GetName() || s["namespace"] != rb.GetNamespace() {
		t.Errorf("runner binding subject %v, want ServiceAccount %s/%s", s, rb.GetNamespace(), sas[0].GetName())
	}
}
