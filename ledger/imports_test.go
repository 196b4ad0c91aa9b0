package ledger_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLeaf holds the ledger a leaf: its non-test files import the
// standard library, the log library (golang.org/x/mod/sumdb) and the
// durable-write helper, nothing of verdict above or beside it.
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
			if !std && !strings.HasPrefix(p, "golang.org/x/mod/sumdb/") && p != "github.com/verdictlab/verdict/internal/durable" {
				t.Errorf("%s imports %s: want the standard library, x/mod/sumdb and internal/durable only", path, p)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Go files checked")
	}
}
