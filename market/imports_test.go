package market_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsFlowOneWay holds the layering: the marketplace sits above the
// engine, so no package the engine is built from (engine and its nested
// packages, and the leaves) imports market, nor any adapter above it.
func TestImportsFlowOneWay(t *testing.T) {
	const mod = "github.com/verdictlab/verdict/"
	forbidden := []string{mod + "market", mod + "internal/httpapi", mod + "internal/web", mod + "client", mod + "cmd"}
	checked := 0
	for _, root := range []string{"../engine", "../leaderboard", "../sandbox", "../datasets", "../ledger"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range forbidden {
					if p == bad || strings.HasPrefix(p, bad+"/") {
						t.Errorf("%s imports %s: got an import from above, want imports flowing adapters -> market -> engine -> leaves", path, p)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked == 0 {
		t.Fatal("no Go files checked")
	}
}
