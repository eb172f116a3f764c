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

// reasonsInCode collects every condition and Event reason the reconcilers
// can set, from their source: Reason* constants, Reason fields of composite
// literals (MissingRefError, JobCondition), the reason argument of Eventf
// and setCondition when it is a literal, and literals assigned to or
// returned as a reason in the DataSource probe.
func reasonsInCode(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string]string{}
	lit := func(e ast.Expr, where string) {
		if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
			if v, err := strconv.Unquote(b.Value); err == nil && v != "" {
				if _, seen := out[v]; !seen {
					out[v] = fset.Position(b.Pos()).String() + " (" + where + ")"
				}
			}
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
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if strings.HasPrefix(name.Name, "Reason") && i < len(n.Values) {
						lit(n.Values[i], "constant "+name.Name)
					}
				}
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
					lit(n.Rhs[0], "probe reason")
				}
			case *ast.FuncDecl:
				if n.Name.Name == "probe" && n.Body != nil {
					ast.Inspect(n.Body, func(m ast.Node) bool {
						if r, ok := m.(*ast.ReturnStmt); ok && len(r.Results) == 3 {
							lit(r.Results[0], "probe reason")
						}
						return true
					})
				}
			}
			return true
		})
	}
	return out
}

// TestEveryReasonIsDocumented keeps docs/operations.md's troubleshooting
// tables complete: every reason the reconcilers set appears there, in
// backticks, so a new reason cannot ship without its remedy.
func TestEveryReasonIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	reasons := reasonsInCode(t)
	// The collector must see the reasons this package is known to set; an
	// empty or partial result would make the check below vacuous.
	for _, r := range []string{"ModelNotFound", "ConfigMapNotFound", "ResultMissing", "InvalidCampaignSource", "UnknownMetric",
		"ServiceAccountNotFound", "TooManyMissedTimes", "Connected", "SecretUnreadable", "ProbeFailed"} {
		if _, ok := reasons[r]; !ok {
			t.Errorf("reason collector missed %s", r)
		}
	}
	var missing []string
	for r, where := range reasons {
		if !strings.Contains(string(doc), "`"+r+"`") {
			missing = append(missing, r+" — set at "+where)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("reason not in docs/operations.md: %s", m)
	}
}
