package deploy_test

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const runbookBase = "https://github.com/crmlens/crmlens/blob/main/docs/operations.md#"

var notSlug = regexp.MustCompile(`[^a-z0-9 _-]`)

// slug is GitHub's anchor for a Markdown heading: lower case, punctuation
// dropped, spaces as hyphens.
func slug(heading string) string {
	return strings.ReplaceAll(notSlug.ReplaceAllString(strings.ToLower(heading), ""), " ", "-")
}

// docAnchors returns the anchors of every heading of a Markdown file,
// outside fenced code blocks.
func docAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	fenced := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if h := strings.TrimLeft(line, "#"); !fenced && h != line && strings.HasPrefix(h, " ") {
			out[slug(strings.TrimSpace(h))] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// runbookProblem says what is wrong with url as a link to a section of
// operations.md; "" when nothing is.
func runbookProblem(url string, anchors map[string]bool) string {
	anchor, ok := strings.CutPrefix(url, runbookBase)
	if !ok {
		return "runbook_url " + strconv.Quote(url) + ", want " + runbookBase + "<section>"
	}
	if !anchors[anchor] {
		return "runbook_url anchor #" + anchor + " is not a heading of docs/operations.md"
	}
	return ""
}

// checkRunbook fails unless url points at an existing section of operations.md.
func checkRunbook(t *testing.T, alert, url string, anchors map[string]bool) {
	t.Helper()
	if p := runbookProblem(url, anchors); p != "" {
		t.Errorf("rule %s: %s", alert, p)
	}
}

func TestSlugs(t *testing.T) {
	for in, want := range map[string]string{
		"CrmlensOperatorDown":                            "crmlensoperatordown",
		"Troubleshooting by condition reason":            "troubleshooting-by-condition-reason",
		"Analytics without a cluster: `crmlens analyze`": "analytics-without-a-cluster-crmlens-analyze",
		"The API (`analytics.crmlens.io/v1alpha1`)":      "the-api-analyticscrmlensiov1alpha1",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	anchors := docAnchors(t, repoPath(t, "docs", "operations.md"))
	for url, bad := range map[string]bool{
		runbookBase + "crmlensoperatordown":                 false,
		runbookBase + "troubleshooting-by-condition-reason": false,
		runbookBase + "no-such-section":                     true,
		"https://example.com/runbook#crmlensoperatordown":   true,
		"": true,
	} {
		if p := runbookProblem(url, anchors); (p != "") != bad {
			t.Errorf("runbookProblem(%q) = %q, want a problem: %v", url, p, bad)
		}
	}
}

// checkScraper: the ServiceMonitor's Bearer credentials are the token of a
// ServiceAccount bound to the metrics-reader ClusterRole, all in one render.
func checkScraper(t *testing.T, objs []*unstructured.Unstructured, authType, secret, key string) {
	t.Helper()
	if authType != "Bearer" || key != "token" {
		t.Errorf("ServiceMonitor authorization type %q key %q, want Bearer and token", authType, key)
	}
	var sa string
	for _, s := range byKind(objs, "Secret") {
		if s.GetName() == secret {
			sa = s.GetAnnotations()["kubernetes.io/service-account.name"]
			if typ, _, _ := unstructured.NestedString(s.Object, "type"); typ != "kubernetes.io/service-account-token" {
				t.Errorf("Secret %s type %q, want a ServiceAccount token", secret, typ)
			}
		}
	}
	if sa == "" {
		t.Fatalf("no token Secret %q for the ServiceMonitor in the render", secret)
	}
	found := false
	for _, a := range byKind(objs, "ServiceAccount") {
		found = found || a.GetName() == sa
	}
	if !found {
		t.Errorf("token Secret names ServiceAccount %q, which the render lacks", sa)
	}
	bound := false
	for _, b := range byKind(objs, "ClusterRoleBinding") {
		role, _, _ := unstructured.NestedString(b.Object, "roleRef", "name")
		subs, _, _ := unstructured.NestedSlice(b.Object, "subjects")
		for _, s := range subs {
			m := s.(map[string]any)
			if m["kind"] == "ServiceAccount" && m["name"] == sa && m["namespace"] == "crmlens-system" && role == "crmlens-metrics-reader" {
				bound = true
			}
		}
	}
	if !bound {
		t.Errorf("ServiceAccount %s is not bound to crmlens-metrics-reader", sa)
	}
}
