package httpapi_test

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestImportsOnlyEngine holds the layering: the HTTP API is an adapter over
// the engine and never reaches past it into the leaves the engine wraps
// (the store, the sandbox); it takes their types and sizes from the engine.
func TestImportsOnlyEngine(t *testing.T) {
	forbidden := []string{
		"github.com/verdictlab/verdict/leaderboard",
		"github.com/verdictlab/verdict/sandbox",
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s: got a leaf the engine wraps, want its engine type", name, path)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Go files checked")
	}
}
