package main

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitModel(t *testing.T) {
	t.Chdir(t.TempDir()) // a relative DIR, as a user types it
	if err := os.WriteFile("taken", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("full", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("full", "main.c"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // in stdout for exit 0, in stderr otherwise
	}{
		{"Go", []string{"init", "model", "--lang", "go", "models/go"}, exitOK,
			[]string{"wrote a go model project to models/go", "model.go", filepath.Join("guest", "guest.go"), "make try"}},
		{"AssemblyScript", []string{"init", "model", "--lang", "assemblyscript", "as"}, exitOK,
			[]string{filepath.Join("assembly", "index.ts"), "package-lock.json"}},
		{"Python", []string{"init", "model", "--lang", "python", "py"}, exitOK,
			[]string{"train.py", "train_torch.py", "verdict check model.onnx", "verdict submit --server URL --task ID --key me.key model.onnx"}},
		{"UnknownLanguage", []string{"init", "model", "--lang", "java", "j"}, exitUsage,
			[]string{`unknown language "java"`, "go, c, rust, assemblyscript"}},
		{"NoLanguage", []string{"init", "model", "x"}, exitUsage, []string{"--lang go|c|rust|assemblyscript"}},
		{"NotEmpty", []string{"init", "model", "--lang", "c", "full"}, exitUsage, []string{"not empty", "main.c"}},
		{"File", []string{"init", "model", "--lang", "c", "taken"}, exitUsage, []string{"taken is a file"}},
		{"NoDir", []string{"init", "model", "--lang", "c"}, exitUsage, []string{"accepts 1 arg"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("got exit %d (stdout %q, stderr %q), want %d", code, out, errOut, tc.wantCode)
			}
			got := out
			if code != exitOK {
				got = errOut
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want it to contain %q", got, w)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join("models", "go", "go.mod")); err != nil {
		t.Errorf("got %v, want models/go/go.mod written", err)
	}
	if _, err := os.Stat("j"); !os.IsNotExist(err) {
		t.Errorf("unknown language: got %v, want no directory made", err)
	}
}

// TestInitModelTry is the newcomer's path with the real binary's code:
// init a Go model, build it with its Makefile, then what `make try` runs:
// create the sample task and submit the model with predictions.
func TestInitModelTry(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a Go model")
	}
	makeBin, err := exec.LookPath("make")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: make is needed: %v", err)
		}
		t.Skipf("make not found: %v", err)
	}
	t.Chdir(t.TempDir())
	if code, out, errOut := cli(t, "init", "model", "--lang", "go", "model"); code != exitOK {
		t.Fatalf("init: exit %d: %s%s", code, out, errOut)
	}
	cmd := exec.Command(makeBin, "model.wasm")
	cmd.Dir = "model"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make model.wasm: %v\n%s", err, out)
	}
	// The Makefile's try target, with this process as verdict.
	mk, err := os.ReadFile(filepath.Join("model", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"$(VERDICT) --data-dir .verdict task create sample/task.yaml",
		"$(VERDICT) --data-dir .verdict submit --task sample --participant me --predictions predictions.csv model.wasm"} {
		if !strings.Contains(string(mk), w) {
			t.Fatalf("Makefile: got no line %q", w)
		}
	}
	t.Chdir("model")
	code, out, errOut := cli(t, "--data-dir", ".verdict", "task", "create", "sample/task.yaml")
	if code != exitOK || strings.TrimSpace(out) != "sample" || errOut != "" {
		t.Fatalf("task create: got exit %d, %q, %q, want 0, sample and no warning", code, out, errOut)
	}
	code, out, errOut = cli(t, "--data-dir", ".verdict", "submit", "--task", "sample", "--participant", "me",
		"--predictions", "predictions.csv", "model.wasm")
	if code != exitOK || !strings.Contains(out, "scored") || !strings.Contains(out, "roc_auc") {
		t.Fatalf("submit: got exit %d, %q, %q, want a scored submission", code, out, errOut)
	}
	f, err := os.Open("predictions.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 25 || recs[1][0] != "r01" {
		t.Errorf("got %d prediction records starting %v, want a header and the sample's 24 rows from r01", len(recs), recs[min(1, len(recs)-1)])
	}
}
