package controllers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// reasonConstants collects the Reason constants of api/v1alpha1 (the one
// place reasons are declared) with their values.
func reasonConstants(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filepath.Join("..", "api", "v1alpha1", "conditions.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(file, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Reason") || i >= len(vs.Values) {
					continue
				}
				if b, ok := vs.Values[i].(*ast.BasicLit); ok && b.Kind == token.STRING {
					v, _ := strconv.Unquote(b.Value)
					out[v] = name.Name
				}
			}
		}
		return true
	})
	return out
}

// literalReasons finds string literals the reconcilers would use as a
// reason: the reason argument of Eventf and setCondition, Reason fields of
// composite literals, and literals assigned to a variable named reason.
func literalReasons(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	lit := func(e ast.Expr, where string) {
		if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
			out = append(out, fset.Position(b.Pos()).String()+" "+b.Value+" ("+where+")")
		}
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Reason" {
					lit(n.Value, "Reason field")
				}
			case *ast.CallExpr:
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					if fn.Sel.Name == "Eventf" && len(n.Args) > 3 {
						lit(n.Args[3], "Event")
					}
				case *ast.Ident:
					if fn.Name == "setCondition" && len(n.Args) > 4 {
						lit(n.Args[4], "condition")
					}
				}
			case *ast.AssignStmt:
				if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name == "reason" && len(n.Rhs) == 1 {
					lit(n.Rhs[0], "reason variable")
				}
			}
			return true
		})
	}
	return out
}

// TestReasonsAreTypedConstants: the reconcilers set no reason from a string
// literal; every reason is a crmv1.Reason constant (or converted from the
// runner's and the store's vocabulary, documented by family).
func TestReasonsAreTypedConstants(t *testing.T) {
	for _, l := range literalReasons(t) {
		t.Errorf("string literal used as a reason: %s", l)
	}
}

// TestEveryReasonIsDocumented keeps docs/operations.md's tables complete:
// every Reason constant appears there in backticks, so a new reason cannot
// ship without its remedy.
func TestEveryReasonIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	reasons := reasonConstants(t)
	// The collector must see reasons known to exist; an empty or partial
	// result would make the check below vacuous.
	for _, r := range []string{"ModelNotFound", "ConfigMapNotFound", "ResultMissing", "InvalidCampaignSource", "UnknownMetric",
		"ServiceAccountNotFound", "TooManyMissedTimes", "Connected", "SecretUnreadable", "ProbeFailed", "RetryScheduled"} {
		if _, ok := reasons[r]; !ok {
			t.Errorf("reason collector missed %s", r)
		}
	}
	var missing []string
	for r, name := range reasons {
		if !strings.Contains(string(doc), "`"+r+"`") {
			missing = append(missing, r+" (crmv1."+name+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("reason not in docs/operations.md: %s", m)
	}
}
