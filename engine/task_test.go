package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodSpec = `id: breast-cancer
title: Breast cancer diagnosis
type: binary
metric: roc_auc
data:
  test: data.csv
  id: id
  label: target
split: {public_fraction: 0.3, seed: "s"}
limits: {memory_mb: 128, timeout_s: 5, max_module_mb: 8}
`

func TestParseSpec(t *testing.T) {
	s, err := ParseSpec([]byte(goodSpec))
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	if s.ID != "breast-cancer" || s.Limits.MemoryMB != 128 || s.Split.PublicFraction != 0.3 || s.Limits.MaxModuleMB != 8 {
		t.Errorf("got %+v", s)
	}
	l := s.sandboxLimits()
	if l.MemoryMB != 128 || l.Timeout.Seconds() != 5 || l.MaxModuleBytes != 8<<20 {
		t.Errorf("sandbox limits: got %+v", l)
	}
}

// TestParseSpecDefaults: the split seed stays empty when parsed; CreateTask
// makes a secret one (TestSplitSeed).
func TestParseSpecDefaults(t *testing.T) {
	s, err := ParseSpec([]byte("id: abc\ntype: regression\nmetric: rmse\ndata: {test: x.csv}\n"))
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	if s.Title != "abc" || s.Data.ID != "id" || s.Data.Label != "target" || s.Split.PublicFraction != DefaultPublicFraction ||
		s.Split.Seed != "" || s.Limits.MemoryMB != DefaultMemoryMB || s.Limits.TimeoutS != DefaultTimeoutS || s.Limits.MaxModuleMB != DefaultMaxModuleMB ||
		s.FinalSelections != DefaultFinalSelections || s.Leaderboard.Mode != ModeBest || s.Limits.DailyLimit != 0 || s.Teams.MaxSize != 0 ||
		s.PromoteTop != DefaultPromoteTop || !s.Gates.Empty() {
		t.Errorf("defaults: got %+v", s)
	}
}

func TestParseSpecErrors(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(goodSpec, old, new, 1) }
	tests := []struct {
		name, spec, key, msg string
	}{
		{"UnknownKey", goodSpec + "bogus: 1\n", "", `unknown field "bogus"`},
		{"UnknownNestedKey", replace("max_module_mb: 8", "max_module_mb: 8, cpus: 2"), "", `unknown field "cpus"`},
		{"Syntax", "id: [breast\n", "", "not found"},
		{"BadID", replace("id: breast-cancer", "id: Breast_Cancer"), "id", "a-z"},
		{"ShortID", replace("id: breast-cancer", "id: bc"), "id", "3 to 64"},
		{"MissingType", replace("type: binary\n", ""), "type", "missing"},
		{"BadType", replace("type: binary", "type: clustering"), "type", `"clustering"`},
		{"UnknownMetric", replace("metric: roc_auc", "metric: auroc"), "metric", "auroc"},
		{"MetricTypeMismatch", replace("metric: roc_auc", "metric: rmse"), "metric", "does not apply to binary"},
		{"MissingData", replace("  test: data.csv\n", ""), "data.test", "missing"},
		{"GroupOnBinary", replace("  label: target\n", "  label: target\n  group: q\n"), "data.group", "only ranking"},
		{"FeatureIsLabel", replace("  label: target\n", "  label: target\n  features: [a, target]\n"), "data.features[1]", "target"},
		{"FractionTooBig", replace("public_fraction: 0.3", "public_fraction: 1.5"), "split.public_fraction", "1.5"},
		{"FractionNegative", replace("public_fraction: 0.3", "public_fraction: -0.1"), "split.public_fraction", "-0.1"},
		{"MemoryTooBig", replace("memory_mb: 128", "memory_mb: 9000"), "limits.memory_mb", "9000"},
		{"NegativeMemory", replace("memory_mb: 128", "memory_mb: -1"), "", "overflow"},
		{"TimeoutNegative", replace("timeout_s: 5", "timeout_s: -5"), "limits.timeout_s", "-5"},
		{"ModuleTooBig", replace("max_module_mb: 8", "max_module_mb: 5000"), "limits.max_module_mb", "5000"},
		{"NegativeDailyLimit", replace("max_module_mb: 8", "max_module_mb: 8, daily_limit: -1"), "limits.daily_limit", "-1"},
		{"NegativeTotalLimit", replace("max_module_mb: 8", "max_module_mb: 8, total_limit: -3"), "limits.total_limit", "-3"},
		{"BadStart", goodSpec + "schedule: {start: tomorrow}\n", "schedule.start", "RFC 3339"},
		{"BadEnd", goodSpec + "schedule: {end: 2026-13-01}\n", "schedule.end", "RFC 3339"},
		{"EndBeforeStart", goodSpec + "schedule: {start: 2026-03-02T00:00:00Z, end: 2026-03-01T00:00:00Z}\n", "schedule.end", "not after"},
		{"TooManySelections", goodSpec + "final_selections: 101\n", "final_selections", "101"},
		{"NegativeSelections", goodSpec + "final_selections: -1\n", "final_selections", "-1"},
		{"NegativeTeamSize", goodSpec + "teams: {max_size: -2}\n", "teams.max_size", "-2"},
		{"DeadlineWithoutTeams", goodSpec + "teams: {merge_deadline: 2026-03-01T00:00:00Z}\n", "teams.merge_deadline", "no teams"},
		{"BadDeadline", goodSpec + "teams: {max_size: 3, merge_deadline: soon}\n", "teams.merge_deadline", "RFC 3339"},
		{"BadMode", goodSpec + "leaderboard: {mode: elo}\n", "leaderboard.mode", "elo"},
		{"LadderWithoutStep", goodSpec + "leaderboard: {mode: ladder}\n", "leaderboard.step", "ladder needs a step"},
		{"StepInBestMode", goodSpec + "leaderboard: {mode: best, step: 0.1}\n", "leaderboard.step", "only the ladder"},
		{"UnknownScheduleKey", goodSpec + "schedule: {begin: 2026-03-01T00:00:00Z}\n", "", `unknown field "begin"`},
		{"UnknownGate", goodSpec + "gates: {min_scor: 0.9}\n", "", `unknown field "min_scor"`},
		{"BadGateAlpha", goodSpec + "gates: {beats_baseline: {alpha: 2}}\n", "", "gates.beats_baseline.alpha: 2"},
		{"NegativeLatency", goodSpec + "gates: {max_latency_ms_per_1k_rows: -1}\n", "", "gates.max_latency_ms_per_1k_rows: -1"},
		{"NegativePromoteTop", goodSpec + "promote_top: -1\n", "promote_top", "-1"},
		{"TooManyPromoted", goodSpec + "promote_top: 101\n", "promote_top", "101"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(tc.spec))
			if err == nil {
				t.Fatal("got nil error")
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("errors.Is(%v, ErrInvalidSpec) = false", err)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("got %T, want *SpecError", err)
			}
			if se.Key != tc.key {
				t.Errorf("got key %q, want %q (%v)", se.Key, tc.key, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %q, want it to contain %q", err, tc.msg)
			}
		})
	}
}

func TestReadSpec(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "task.yaml")
	if err := os.WriteFile(path, []byte(goodSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSpec(path)
	if err != nil {
		t.Fatalf("ReadSpec: %v", err)
	}
	if want := filepath.Join(dir, "data.csv"); s.Data.Test != want {
		t.Errorf("data.test: got %q, want %q (relative to the spec)", s.Data.Test, want)
	}
	_, err = ReadSpec(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing spec: got %v, want a not-exist error naming the file", err)
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(goodSpec))
	f.Add([]byte("id: abc\ntype: regression\nmetric: rmse\ndata: {test: x.csv}\n"))
	f.Add([]byte("{}"))
	f.Add([]byte(goodSpec + "gates: {min_score: 0.9, beats_baseline: {alpha: 0.01}, deterministic: true, valid_outputs: true, max_memory_mb: 32, max_module_mb: 4, max_latency_ms_per_1k_rows: 50}\npromote_top: 5\n"))
	f.Add([]byte(strings.Replace(goodSpec, "max_module_mb: 8", "max_module_mb: 8, daily_limit: 5", 1) + "schedule: {start: 2026-03-01T00:00:00Z, end: 2026-03-08T00:00:00Z}\nfinal_selections: 2\nteams: {max_size: 3, merge_deadline: 2026-03-05T00:00:00Z}\nleaderboard: {mode: ladder, step: 0.001}\n"))
	f.Add([]byte(goodSpec + "access:\n  mode: invite\n  listed: false\n  participants: [\"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK\"]\n  credentials:\n    - type: StudentCredential\n      issuers: [\"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK\"]\n"))
	f.Add([]byte(goodSpec + "phases:\n  - {id: dev, name: Development, schedule: {start: 2026-03-01T00:00:00Z, end: 2026-03-07T00:00:00Z}}\n  - {id: final, final: true, submissions: true, data: {test: final.csv}, schedule: {start: 2026-03-08T00:00:00Z, end: 2026-03-10T00:00:00Z}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return
		}
		s, err := ParseSpec(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("error %v does not wrap ErrInvalidSpec", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseSpec accepted a spec that fails Validate: %v", err)
		}
	})
}
