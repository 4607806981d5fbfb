package resp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// internalErrors are errors.New texts that never reach a client: control
// flow inside the package, or configuration errors for the caller.
var internalErrors = map[string]bool{
	"chunk full": true, "stream write failed": true, "enough pending entries": true,
}

// TestNoErrorLiterals keeps the error catalog whole: outside errors.go, no
// file of the front writes an error reply that is one fixed string literal,
// or makes a client-facing error with errors.New. Replies built from
// arguments are allowed (a concatenation is not a literal).
func TestNoErrorLiterals(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "errors.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			text, _ := strconv.Unquote(lit.Value)
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, _ := sel.X.(*ast.Ident)
			switch {
			case sel.Sel.Name == "Error" && (pkg == nil || pkg.Name != "slog"):
				t.Errorf("%s: an error reply literal %q: put it in errors.go", fset.Position(lit.Pos()), text)
			case sel.Sel.Name == "New" && pkg != nil && pkg.Name == "errors" && !strings.HasPrefix(text, "resp:") && !internalErrors[text]:
				t.Errorf("%s: a client-facing error literal %q: put it in errors.go", fset.Position(lit.Pos()), text)
			}
			return true
		})
	}
}
