package scaffold_test

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/verdictlab/verdict/internal/scaffold"
	"github.com/verdictlab/verdict/sandbox"
)

// tool returns the path of a build tool, or skips the test when it is
// missing and CI is unset; under CI a missing tool fails the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI: %s is needed: %v", name, err)
	}
	t.Skipf("%s not found (the test fails instead under CI): %v", name, err)
	return ""
}

// rustc is Debian's compiler (RUSTC overrides it): a rustup toolchain
// earlier on PATH may lack the wasm32-unknown-unknown target.
func rustc(t *testing.T) string {
	if r := os.Getenv("RUSTC"); r != "" {
		return r
	}
	return tool(t, "/usr/bin/rustc")
}

// TestBuildAndRun writes each language's project, builds it with its own
// Makefile and the real toolchain, and runs the module in the real sandbox
// on the project's sample rows: every language's starter model is the
// same logistic regression, so each must give Go's numbers.
func TestBuildAndRun(t *testing.T) {
	tests := []struct {
		lang  string
		slow  bool // needs npm: skipped with -short
		tools func(t *testing.T) []string
	}{
		{"go", false, func(t *testing.T) []string { return []string{"GO=" + tool(t, "go")} }},
		{"c", false, func(t *testing.T) []string { tool(t, "wasm-ld"); return []string{"CC=" + tool(t, "clang")} }},
		{"rust", false, func(t *testing.T) []string { tool(t, "wasm-ld"); return []string{"RUSTC=" + rustc(t)} }},
		{"assemblyscript", true, func(t *testing.T) []string { tool(t, "npx"); return []string{"NPM=" + tool(t, "npm")} }},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			if tc.slow && testing.Short() {
				t.Skip("-short: npm ci")
			}
			vars := tc.tools(t)
			dir := t.TempDir()
			if _, err := scaffold.Write(dir, tc.lang); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tool(t, "make"), append([]string{"model.wasm"}, vars...)...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make model.wasm: %v\n%s", err, out)
			}
			runSample(t, filepath.Join(dir, "model.wasm"), filepath.Join(dir, "sample", "rows.csv"))
			if tc.lang == "go" { // the model's native test, through the SDK's guest.Run
				cmd := exec.Command(tool(t, "make"), append([]string{"test"}, vars...)...)
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("make test: %v\n%s", err, out)
				}
			}
		})
	}
}

// runSample runs the module on the sample's features in batches of 5 and
// checks P(class 1) = 1/(1+exp(-(0.1 + 0.8 x0 - 0.5 x1 + 0.3 x2))), a
// missing feature left out, and that a wrong column count is a guest error.
func runSample(t *testing.T, wasmPath, rowsPath string) {
	t.Helper()
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	cols := readSample(t, rowsPath)
	ctx := context.Background()
	// A Go module takes wazero's compiler over 30 s under -race on a busy
	// machine: a slow compile is not what this test is about.
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{Limits: sandbox.Limits{CompileTimeout: 5 * time.Minute, Timeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	m, err := rt.Compile(ctx, wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	defer m.Close(ctx)
	res, err := m.Run(ctx, sandbox.Input{Columns: cols, Outputs: 1, BatchRows: 5})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	weights := []float64{0.8, -0.5, 0.3}
	missing := 0
	for i, got := range res.Outputs[0] {
		z := 0.1
		for j, w := range weights {
			if v := cols[j][i]; !math.IsNaN(v) {
				z += w * v
			} else {
				missing++
			}
		}
		if want := 1 / (1 + math.Exp(-z)); math.Abs(got-want) > 1e-15 {
			t.Errorf("row %d: got %v, want %v", i+1, got, want)
		}
	}
	if missing == 0 {
		t.Error("got no missing value in the sample, want one (the models skip NaN)")
	}
	_, err = m.Run(ctx, sandbox.Input{Columns: cols[:2], Outputs: 1})
	if !errors.Is(err, sandbox.ErrGuestCode) {
		t.Errorf("two features: got %v, want a guest error", err)
	}
}

// readSample returns the feature columns of a sample rows file: every
// column but the first (id) and the last (label); an empty cell is NaN.
func readSample(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 || len(recs[0]) != 5 {
		t.Fatalf("got %d records of %d fields, want a header and rows of id, x0, x1, x2, label", len(recs), len(recs[0]))
	}
	cols := make([][]float64, len(recs[0])-2)
	for _, r := range recs[1:] {
		for j := range cols {
			v := math.NaN()
			if s := r[j+1]; s != "" {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					t.Fatal(err)
				}
			}
			cols[j] = append(cols[j], v)
		}
	}
	return cols
}
