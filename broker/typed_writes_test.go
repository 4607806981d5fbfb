package broker

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// A front writes through Request's typed builders (request_build.go) and
// Broker's one-shot writes (api.go), never by filling a Command: so that
// what a command holds, and which kinds there are, stay broker's business.
// TestFrontsWriteTyped fails on every place a front (resp, cmd, jepsen and
// their tests) writes a Command: an assignment, increment or address
// taken of a Command or of anything reached through one of its fields
// (cmd.Kind, cmd.Spec.ID, cmd.Fields[0], *cmd), and a Command composite
// literal. It fails too on every use of an OpKind constant except as the
// operand of == or != or a case of a switch: reading the kind a Notifier
// reports.

func TestFrontsWriteTyped(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the fronts")
	}
	for _, v := range commandWrites(loadFronts(t)) {
		t.Error(v)
	}
}

// TestFrontsWriteTypedCatch: the check finds, in a fixture front
// (testdata/typedfront), exactly what its "want" comments list, line by
// line, and nothing in the lines that read a kind or build with the
// typed builders.
func TestFrontsWriteTypedCatch(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks a fixture")
	}
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports}
	pkgs, err := packages.Load(cfg, "./testdata/typedfront")
	if err != nil || len(pkgs) != 1 || len(pkgs[0].Errors) > 0 {
		t.Fatalf("loading the fixture: %v %v", err, pkgs)
	}
	got := map[int][]string{}
	for _, v := range commandWrites(pkgs) {
		// file:line:col: what ...
		parts := strings.SplitN(v, ":", 4)
		line, _ := strconv.Atoi(parts[1])
		got[line] = append(got[line], strings.Fields(parts[3])[0])
	}
	want := map[int][]string{}
	for _, f := range pkgs[0].Syntax {
		for _, group := range f.Comments {
			for _, cm := range group.List {
				if list, ok := strings.CutPrefix(cm.Text, "// want: "); ok {
					want[pkgs[0].Fset.Position(cm.Pos()).Line] = strings.Split(list, ", ")
				}
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the fixture has no want comments")
	}
	for line := range mergeKeys(got, want) {
		g, w := slices.Sorted(slices.Values(got[line])), slices.Sorted(slices.Values(want[line]))
		if !slices.Equal(g, w) {
			t.Errorf("fixture line %d: found %v, want %v", line, g, w)
		}
	}
}

// commandWrites returns where pkgs write a Command or use an OpKind
// constant other than to compare it, deduplicated by position (a package
// and its test variant share files).
func commandWrites(pkgs []*packages.Package) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pkgs {
		command, opKind := brokerTypes(p.Types)
		if command == nil {
			continue // the package does not import broker
		}
		w := writeChecker{p: p, command: command, opKind: opKind, report: func(pos token.Pos, what, detail string) {
			at := p.Fset.Position(pos)
			key := fmt.Sprintf("%s:%d:%d", at.Filename, at.Line, at.Column)
			if !seen[key] {
				seen[key] = true
				out = append(out, key+": "+what+" "+detail)
			}
		}}
		for _, f := range p.Syntax {
			w.file(f)
		}
	}
	sort.Strings(out)
	return out
}

// brokerTypes returns broker's Command and OpKind types (through any
// alias) as pkg sees them, or nils if pkg does not import broker.
func brokerTypes(pkg *types.Package) (command, opKind types.Type) {
	const path = "github.com/rewind-mq/rewind/broker"
	for _, imp := range pkg.Imports() {
		if imp.Path() == path {
			return types.Unalias(imp.Scope().Lookup("Command").Type()), types.Unalias(imp.Scope().Lookup("OpKind").Type())
		}
	}
	return nil, nil
}

type writeChecker struct {
	p               *packages.Package
	command, opKind types.Type
	report          func(pos token.Pos, what, detail string)
}

// file checks one file: its writes, then its OpKind constants outside
// comparisons.
func (w writeChecker) file(f *ast.File) {
	compared := map[*ast.Ident]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				w.write(lhs)
			}
		case *ast.IncDecStmt:
			w.write(n.X)
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				w.write(n.X)
			}
		case *ast.CompositeLit:
			if t := w.p.TypesInfo.TypeOf(n); t != nil && types.Identical(t, w.command) {
				w.report(n.Pos(), "Command", "literal: build it with a Request builder")
			}
		case *ast.BinaryExpr:
			if n.Op == token.EQL || n.Op == token.NEQ {
				markIdent(compared, n.X)
				markIdent(compared, n.Y)
			}
		case *ast.CaseClause:
			for _, e := range n.List {
				markIdent(compared, e)
			}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok || compared[id] {
			return true
		}
		if c, ok := w.p.TypesInfo.Uses[id].(*types.Const); ok && types.Identical(c.Type(), w.opKind) {
			w.report(id.Pos(), id.Name, "is an OpKind used other than to compare the kind a Notifier reports: call a Request builder")
		}
		return true
	})
}

// markIdent records the identifier e names (x or pkg.x).
func markIdent(m map[*ast.Ident]bool, e ast.Expr) {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		m[e] = true
	case *ast.SelectorExpr:
		m[e.Sel] = true
	}
}

// write reports e, an expression written to (or whose address is taken),
// if it is a Command or is reached through a Command's field.
func (w writeChecker) write(e ast.Expr) {
	for x := e; x != nil; {
		x = ast.Unparen(x)
		if t := w.p.TypesInfo.TypeOf(x); t != nil && types.Identical(t, w.command) {
			w.report(e.Pos(), exprName(e), "writes a Command: call a Request builder")
			return
		}
		switch v := x.(type) {
		case *ast.SelectorExpr:
			if s := w.p.TypesInfo.Selections[v]; s != nil && s.Kind() == types.FieldVal && types.Identical(derefType(s.Recv()), w.command) {
				w.report(e.Pos(), exprName(e), "writes Command."+v.Sel.Name+": call a Request builder")
				return
			}
			x = v.X
		case *ast.IndexExpr:
			x = v.X
		case *ast.StarExpr:
			x = v.X
		default:
			x = nil
		}
	}
}

// derefType strips one pointer from t.
func derefType(t types.Type) types.Type {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

// exprName is the name the fixture's want comments give a written
// expression: its last selected name, its identifier, or the function
// that returned it.
func exprName(e ast.Expr) string {
	for {
		switch v := ast.Unparen(e).(type) {
		case *ast.SelectorExpr:
			return v.Sel.Name
		case *ast.Ident:
			return v.Name
		case *ast.IndexExpr:
			e = v.X
		case *ast.StarExpr:
			e = v.X
		case *ast.CallExpr:
			e = v.Fun
		default:
			return "expression"
		}
	}
}
