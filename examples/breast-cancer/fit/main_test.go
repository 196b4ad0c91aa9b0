package main

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const trainCSV = "../../data/breast_cancer_train.csv"

// TestGeneratedFilesUpToDate regenerates the weight files into a temporary
// directory and compares them byte for byte with the checked-in ones.
func TestGeneratedFilesUpToDate(t *testing.T) {
	out := t.TempDir()
	for _, d := range []string{"logreg", "rust-model", "c-model"} {
		if err := os.Mkdir(filepath.Join(out, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var stderr bytes.Buffer
	if code := run([]string{"-train", trainCSV, "-out", out}, io.Discard, &stderr); code != 0 {
		t.Fatalf("got exit code %d (%s), want 0", code, stderr.String())
	}
	for _, f := range []string{"logreg/weights.go", "rust-model/weights.rs", "c-model/weights.h"} {
		got, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go run ./examples/breast-cancer/fit` from the repository root", f)
		}
	}
}

// TestNewtonConverged checks the fitted logistic regression is a
// stationary point of the penalized log loss.
func TestNewtonConverged(t *testing.T) {
	ds, err := readCSV(trainCSV)
	if err != nil {
		t.Fatal(err)
	}
	m := fitLogReg(ds, DefaultLambda)
	p := len(ds.features)
	grad := make([]float64, p+1)
	for i, row := range ds.x {
		z := m.intercept
		for j, v := range row {
			z += m.coef[j] * (v - m.mean[j]) / m.scale[j]
		}
		r := sigmoid(z) - ds.y[i]
		for j, v := range row {
			grad[j] += r * (v - m.mean[j]) / m.scale[j]
		}
		grad[p] += r
	}
	for j := 0; j < p; j++ {
		grad[j] += DefaultLambda * m.coef[j]
	}
	for j, g := range grad {
		if math.Abs(g) > 1e-9 {
			t.Errorf("gradient[%d]: got %g, want |g| <= 1e-9", j, g)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("id,a,target\nr0,1.5,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"MissingFile", []string{"-train", filepath.Join(dir, "nope.csv"), "-out", dir}, "open training data"},
		{"BadTarget", []string{"-train", bad, "-out", dir}, `target "2" is not 0 or 1`},
		{"BadFlag", []string{"-nope"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(tc.args, io.Discard, &stderr); code == 0 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("got exit code %d, stderr %q, want non-zero and %q", code, stderr.String(), tc.want)
			}
		})
	}
}
