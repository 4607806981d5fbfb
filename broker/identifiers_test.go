package broker

import (
	"fmt"
	"go/ast"
	"go/types"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// The fronts (resp, cmd/rewind and its internal packages, jepsen) call
// broker's typed API only: DESIGN.md says a front never touches a wal or
// delivery type. TestLayers checks their imports; TestFrontIdentifiers
// checks what they name through broker's re-exports. Every identifier of a
// front, in its code and its tests, fails the test when its object is
// wal's or delivery's (a field, method, function, constant or type of
// theirs), when it names a type that is one of theirs through an alias,
// or when it is a variable or constant whose type is one of theirs
// (behind pointers, slices, arrays, maps and channels).
//
// frontAllowed lists, by qualified name, lower-layer types a front may
// still use while they are not converted (the fields and methods of an
// allowed type may be used too). It is empty: every type a front reads is
// broker's own or a leaf value type (internal/stream, internal/fanout), and
// it stays so: an entry no front uses fails the test.
var frontAllowed = map[string]string{}

// frontPackages are the packages TestFrontIdentifiers checks.
var frontPackages = []string{
	"github.com/rewind-mq/rewind/resp/...",
	"github.com/rewind-mq/rewind/cmd/...",
	"github.com/rewind-mq/rewind/jepsen/...",
}

// hiddenPackages are the packages whose identifiers fronts may not use.
var hiddenPackages = map[string]string{
	"github.com/rewind-mq/rewind/wal":      "wal",
	"github.com/rewind-mq/rewind/delivery": "delivery",
}

func TestFrontIdentifiers(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the fronts")
	}
	pkgs := loadFronts(t)
	violations, used := frontViolations(pkgs)
	for _, v := range violations {
		t.Error(v)
	}
	var unused []string
	for name := range frontAllowed {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		t.Errorf("frontAllowed lists %s, which no front uses any more: remove it", name)
	}
}

// loadFronts type-checks the front packages and their tests.
func loadFronts(t *testing.T) []*packages.Package {
	t.Helper()
	cfg := &packages.Config{
		Mode:  packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:   "..",
		Tests: true,
	}
	pkgs, err := packages.Load(cfg, frontPackages...)
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]bool{}
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			t.Fatalf("%s: %v", p.PkgPath, p.Errors[0])
		}
		loaded[p.PkgPath] = true
	}
	for _, front := range []string{"resp", "cmd/rewind", "cmd/rewind/internal/bench", "jepsen"} {
		if !loaded["github.com/rewind-mq/rewind/"+front] {
			t.Fatalf("front %s not loaded (%d packages)", front, len(pkgs))
		}
	}
	return pkgs
}

// frontViolations returns every identifier of pkgs that names a hidden
// type (deduplicated by position: a package and its test variant share
// files), and the allowed names that were used.
func frontViolations(pkgs []*packages.Package) ([]string, map[string]bool) {
	c := identChecker{owners: map[*types.Var]string{}, scanned: map[*types.Package]bool{}, used: map[string]bool{}, seen: map[string]bool{}}
	for _, p := range pkgs {
		if _, hidden := hiddenPackages[p.PkgPath]; hidden {
			continue
		}
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					c.check(p, id)
				}
				return true
			})
		}
	}
	sort.Strings(c.out)
	return c.out, c.used
}

type identChecker struct {
	owners  map[*types.Var]string // a hidden struct field: its type's qualified name
	scanned map[*types.Package]bool
	used    map[string]bool // allowed names met
	seen    map[string]bool // positions reported
	out     []string
}

// fieldOwner returns the qualified name of the struct type that declares
// field v of the hidden package short (scanning that package once).
func (c *identChecker) fieldOwner(short string, v *types.Var) (string, bool) {
	if !c.scanned[v.Pkg()] {
		c.scanned[v.Pkg()] = true
		scope := v.Pkg().Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok {
				continue
			}
			if st, ok := tn.Type().Underlying().(*types.Struct); ok {
				for i := range st.NumFields() {
					c.owners[st.Field(i)] = short + "." + name
				}
			}
		}
	}
	owner, ok := c.owners[v]
	return owner, ok
}

// check reports id if what it names is hidden and not allowed.
func (c *identChecker) check(p *packages.Package, id *ast.Ident) {
	obj := p.TypesInfo.Uses[id]
	if obj == nil {
		obj = p.TypesInfo.Defs[id]
	}
	if obj == nil || obj.Pkg() == nil {
		return
	}
	for _, name := range c.hiddenNames(obj) {
		if _, ok := frontAllowed[name]; ok {
			c.used[name] = true
			continue
		}
		pos := p.Fset.Position(id.Pos())
		key := fmt.Sprintf("%s:%d:%d", pos.Filename, pos.Line, pos.Column)
		if c.seen[key] {
			continue
		}
		c.seen[key] = true
		c.out = append(c.out, fmt.Sprintf("%s: %s names %s, a type of a lower layer (call broker's API, or list the type in frontAllowed only if it is not converted yet)",
			key, id.Name, name))
	}
}

// hiddenNames returns the qualified names of the hidden types obj stands
// for: its own owner if it is declared in a hidden package, the type an
// alias names, and the type of a variable or constant.
func (c *identChecker) hiddenNames(obj types.Object) []string {
	var names []string
	if short, hidden := hiddenPackages[obj.Pkg().Path()]; hidden {
		names = append(names, c.ownerName(short, obj))
	}
	switch o := obj.(type) {
	case *types.TypeName:
		if name, ok := hiddenNamed(o.Type()); ok {
			names = append(names, name)
		}
	case *types.Var:
		if name, ok := hiddenNamed(elemType(o.Type())); ok {
			names = append(names, c.fieldOrType(o, name))
		}
	case *types.Const:
		if name, ok := hiddenNamed(elemType(o.Type())); ok {
			names = append(names, name)
		}
	}
	return names
}

// fieldOrType returns typeName, or for a field of a hidden type whose type
// typeName is not allowed, the field's qualified name (an allowed read-side
// type's field that still has a converted type, listed on its own).
func (c *identChecker) fieldOrType(v *types.Var, typeName string) string {
	if _, ok := frontAllowed[typeName]; ok || !v.IsField() {
		return typeName
	}
	short, hidden := hiddenPackages[v.Pkg().Path()]
	if !hidden {
		return typeName
	}
	if owner, ok := c.fieldOwner(short, v); ok {
		return owner + "." + v.Name()
	}
	return typeName
}

// ownerName is the qualified name that decides whether obj, declared in a
// hidden package, may be used: a field's or method's type, else its own.
func (c *identChecker) ownerName(short string, obj types.Object) string {
	switch o := obj.(type) {
	case *types.Var:
		if owner, ok := c.fieldOwner(short, o); ok {
			return owner
		}
	case *types.Func:
		if recv := o.Signature().Recv(); recv != nil {
			if name, ok := hiddenNamed(elemType(recv.Type())); ok {
				return name
			}
		}
	}
	if obj.Parent() != obj.Pkg().Scope() && obj.Parent() != nil {
		return short + ".(local " + obj.Name() + ")"
	}
	return short + "." + obj.Name()
}

// hiddenNamed returns the qualified name of t (through aliases) when it is
// a named type of a hidden package.
func hiddenNamed(t types.Type) (string, bool) {
	named, ok := types.Unalias(t).(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return "", false
	}
	short, hidden := hiddenPackages[named.Obj().Pkg().Path()]
	if !hidden {
		return "", false
	}
	return short + "." + named.Obj().Name(), true
}

// elemType strips pointers, slices, arrays, maps and channels from t.
func elemType(t types.Type) types.Type {
	for {
		switch u := types.Unalias(t).(type) {
		case *types.Pointer:
			t = u.Elem()
		case *types.Slice:
			t = u.Elem()
		case *types.Array:
			t = u.Elem()
		case *types.Map:
			t = u.Elem()
		case *types.Chan:
			t = u.Elem()
		default:
			return t
		}
	}
}

// TestFrontIdentifiersCatch: the check finds each way of naming a wal type
// in a fixture front (testdata/front), exactly the identifiers its "want"
// comments list, line by line, and nothing where it names only what
// broker allows.
func TestFrontIdentifiersCatch(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks a fixture")
	}
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo}
	pkgs, err := packages.Load(cfg, "./testdata/front")
	if err != nil || len(pkgs) != 1 || len(pkgs[0].Errors) > 0 {
		t.Fatalf("loading the fixture: %v %v", err, pkgs)
	}
	violations, _ := frontViolations(pkgs)
	got := map[int][]string{}
	for _, v := range violations {
		// file:line:col: name names ...
		parts := strings.SplitN(v, ":", 4)
		line, _ := strconv.Atoi(parts[1])
		name := strings.Fields(parts[3])[0]
		if !slices.Contains(got[line], name) {
			got[line] = append(got[line], name)
		}
	}
	want := map[int][]string{}
	for _, f := range pkgs[0].Syntax {
		for _, group := range f.Comments {
			for _, cm := range group.List {
				if list, ok := strings.CutPrefix(cm.Text, "// want: "); ok {
					line := pkgs[0].Fset.Position(cm.Pos()).Line
					want[line] = strings.Split(list, ", ")
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

func mergeKeys(a, b map[int][]string) map[int]bool {
	out := map[int]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
