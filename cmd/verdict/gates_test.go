package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestGateWording: the CLI says each gate's statistic and bound in words
// (it printed "deterministic pass 1 (threshold 1)" and "beats_baseline
// FAIL 1"), and task create warns that beats_baseline has no baseline yet.
func TestGateWording(t *testing.T) {
	dir, data := workspace(t)
	csv := filepath.Join(dir, "examples", "data", "breast_cancer_test.csv")
	spec := writeFile(t, filepath.Join(dir, "g.yaml"), []byte(fmt.Sprintf(
		"id: gated\ntype: binary\nmetric: roc_auc\ndata: {test: %q}\ngates: {min_score: 0.5, beats_baseline: {}, deterministic: true}\n", csv)))
	linear := filepath.Join(dir, "examples", "breast-cancer", "c-model", "model.wasm")
	d := "--data-dir=" + data
	code, stdout, stderr := cli(t, d, "task", "create", spec)
	if code != 0 || !strings.Contains(stdout+stderr, "beats_baseline: the task has no baseline yet") {
		t.Errorf("task create: exit %d, got\n%s%s\nwant the beats_baseline warning", code, stdout, stderr)
	}
	code, stdout, stderr = cli(t, d, "submit", "--task", "gated", "--participant", "ada", linear)
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"min_score                   pass  score ", // the public part is drawn by a random seed: its AUC may be 1
		", needs ≥ 0.5",
		"beats_baseline              FAIL  no baseline submission to compare with; needs p-value < 0.05",
		"deterministic               pass  the same outputs for shuffled rows and another batch size",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("submit: got\n%s\nwant %q", stdout, want)
		}
	}
	if strings.Contains(stdout, "(threshold") {
		t.Errorf("submit: a bare threshold is printed:\n%s", stdout)
	}
}
