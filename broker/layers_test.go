package broker

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayers keeps the package map of DESIGN.md honest: imports go down
// only, and only wal touches Pebble (others may pass a vfs.FS down). The
// packages under internal/ are leaves below wal: they import nothing of
// rewind's but the leaves listed for them, and any layer may use them. A package may also use its own
// internal packages (resp/internal/commanddocs), which only it can import.
func TestLayers(t *testing.T) {
	const mod = "github.com/rewind-mq/rewind/"
	// allowed[pkg] lists the rewind packages pkg may import.
	allowed := map[string][]string{
		"wal":         {},
		"delivery":    {},
		"replication": {"wal"},
		"broker":      {"wal", "delivery", "replication"},
		"resp":        {"broker"},
		"native":      {"broker"},

		"internal/command":  {"internal/stream"},
		"internal/fanout":   {},
		"internal/loglimit": {},
		"internal/stream":   {},
	}
	root := filepath.Join("..")
	for pkg, ok := range allowed {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		for _, f := range files {
			test := strings.HasSuffix(f, "_test.go")
			imports := parseImports(t, f)
			for _, imp := range imports {
				// The vfs.FS interface may be passed down (crash tests,
				// power-loss mode); the database itself stays in wal.
				isVFS := strings.HasPrefix(imp, "github.com/cockroachdb/pebble/v2/vfs")
				if strings.HasPrefix(imp, "github.com/cockroachdb/pebble") && !isVFS && pkg != "wal" && !test {
					t.Errorf("%s imports %s: only wal may use Pebble", f, imp)
				}
				if !strings.HasPrefix(imp, mod) {
					continue
				}
				dep := strings.TrimPrefix(imp, mod)
				if dep == pkg {
					continue
				}
				leaf := strings.HasPrefix(dep, "internal/") && !strings.HasPrefix(pkg, "internal/")
				own := strings.HasPrefix(dep, pkg+"/internal/")
				if !contains(ok, dep) && !leaf && !own {
					t.Errorf("%s imports %s: %s may import only %v", f, dep, pkg, ok)
				}
			}
		}
	}
	// Nothing imports cmd/ or jepsen/.
	for pkg := range allowed {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		for _, f := range files {
			for _, imp := range parseImports(t, f) {
				if strings.HasPrefix(imp, mod+"cmd") || strings.HasPrefix(imp, mod+"jepsen") {
					t.Errorf("%s imports %s", f, imp)
				}
			}
		}
	}
}

func parseImports(t *testing.T, file string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, imp := range f.Imports {
		out = append(out, strings.Trim(imp.Path.Value, `"`))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
