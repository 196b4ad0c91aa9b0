package onnxtest

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

//go:embed ort/package.json ort/package-lock.json ort/run.mjs
var ortFiles embed.FS

// Tensor is one output of a model as ONNX Runtime returned it.
type Tensor struct {
	// Type is ONNX Runtime's element type name: "float32", "float64",
	// "int64", ...
	Type string `json:"type"`
	// Dims is the tensor's shape.
	Dims []int `json:"dims"`
	// Data holds the elements in row-major order, as float64 (int64
	// labels are exact below 2^53).
	Data []float64 `json:"data"`
}

// Result is what one run of a model returned.
type Result struct {
	// InputType is the element type of the model's input, which the rows
	// were converted to ("float32" rounds them).
	InputType string
	// Outputs holds every output of the graph by name.
	Outputs map[string]Tensor
	// Seconds is the wall time of the repeated runs (Time only), measured
	// inside node: node's start-up and the first run are not in it.
	Seconds float64
}

// RunORT runs the ONNX model at path in ONNX Runtime on rows (one input
// tensor [len(rows), len(rows[0])] of the model's input element type) and
// returns every output, flattened, by name. It fails the test on any
// error, and skips it when node or npm is missing outside CI.
func RunORT(t testing.TB, model string, rows [][]float64) map[string][]float64 {
	t.Helper()
	res := Run(t, model, rows)
	out := make(map[string][]float64, len(res.Outputs))
	for name, o := range res.Outputs {
		out[name] = o.Data
	}
	return out
}

// Run is RunORT with the outputs' types and shapes.
func Run(t testing.TB, model string, rows [][]float64) Result {
	t.Helper()
	return run(t, model, rows, 0)
}

// Time runs the model once like Run, then repeat more times on the same
// input, and reports those runs' wall time in Result.Seconds: ONNX
// Runtime's native speed for benchmarks beside the sandbox's.
func Time(t testing.TB, model string, rows [][]float64, repeat int) Result {
	t.Helper()
	if repeat < 1 {
		t.Fatalf("onnxtest.Time: repeat %d, want >= 1", repeat)
	}
	return run(t, model, rows, repeat)
}

func run(t testing.TB, model string, rows [][]float64, repeat int) Result {
	t.Helper()
	node := tool(t, "node")
	dir := Install(t)
	abs, err := filepath.Abs(model)
	if err != nil {
		t.Fatal(err)
	}
	if rows == nil {
		rows = [][]float64{}
	}
	req, err := json.Marshal(struct {
		Model  string      `json:"model"`
		Rows   [][]float64 `json:"rows"`
		Repeat int         `json:"repeat,omitempty"`
	}{abs, rows, repeat})
	if err != nil {
		t.Fatalf("onnxtest: encode rows for %s: %v", model, err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "run.mjs"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("onnxtest: ONNX Runtime on %s: %v\n%s", model, err, stderr.String())
	}
	var resp struct {
		Input struct {
			Type string `json:"type"`
		} `json:"input"`
		Outputs map[string]Tensor `json:"outputs"`
		Seconds float64           `json:"seconds"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("onnxtest: decode ONNX Runtime's outputs for %s: %v\n%.500s", model, err, out)
	}
	return Result{InputType: resp.Input.Type, Outputs: resp.Outputs, Seconds: resp.Seconds}
}

// tool returns the path of a program, or skips the test when it is
// missing and CI is unset; under CI a missing program fails the test.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI: %s is needed for ONNX Runtime: %v", name, err)
	}
	t.Skipf("%s not found (the test fails instead under CI): %v", name, err)
	return ""
}

var installMu sync.Mutex

// Install makes sure ONNX Runtime is installed and returns the directory
// holding run.mjs and its node_modules: DIR/verdict/onnxtest/HASH under
// the user's cache directory (a test's temporary directory when there is
// none), HASH covering the lock file and run.mjs. The first call runs
// `npm ci --ignore-scripts` (about 300 MB, half a minute); later ones, in
// this process or another, reuse it. The directory appears whole or not
// at all: it is filled beside its final name and renamed.
func Install(t testing.TB) string {
	t.Helper()
	npm := tool(t, "npm")
	installMu.Lock()
	defer installMu.Unlock()
	h := sha256.New()
	for _, name := range []string{"ort/package.json", "ort/package-lock.json", "ort/run.mjs"} {
		b, err := ortFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	root := filepath.Join(cache, "verdict", "onnxtest")
	dir := filepath.Join(root, key)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json")); err == nil {
		return dir
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatalf("onnxtest: cache directory: %v", err)
	}
	tmp, err := os.MkdirTemp(root, key+".tmp-")
	if err != nil {
		t.Fatalf("onnxtest: cache directory: %v", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; left over only on failure
	sub, err := fs.Sub(ortFiles, "ort")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(tmp, sub); err != nil {
		t.Fatalf("onnxtest: copy the runner: %v", err)
	}
	ci := exec.Command(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	ci.Dir = tmp
	if out, err := ci.CombinedOutput(); err != nil {
		t.Fatalf("onnxtest: npm ci --ignore-scripts (onnxruntime-node): %v\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process may have finished first: use its copy.
		if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json")); statErr == nil {
			return dir
		}
		t.Fatalf("onnxtest: install ONNX Runtime: %v", err)
	}
	return dir
}
