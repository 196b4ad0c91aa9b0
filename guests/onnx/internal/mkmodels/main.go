// Command mkmodels writes the test models of internal/testmodels to a
// directory (build.sh: ../../onnx/testdata), each as NAME.onnx with
// NAME.json: the task shape, rows (column-major) and the outputs the
// reference Go code computes for them, for the host's sandbox tests.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	tm "github.com/verdictlab/verdict/guests/onnx/internal/testmodels"
)

type expect struct {
	Features int         `json:"features"`
	Outputs  int         `json:"outputs"`
	Rows     int         `json:"rows"`
	Tol      float64     `json:"tol"`
	X        [][]num     `json:"x"`    // [feature][row], NaN as null
	Want     [][]float64 `json:"want"` // [output][row]
}

// num is a float64 that writes NaN as null (JSON has no NaN).
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(n))
}

func main() {
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	writeBench(dir)
	for _, c := range tm.All() {
		const rows = 50
		x := tm.Rows(rows, c.Features, c.NaN)
		e := expect{Features: c.Features, Outputs: c.Outputs, Rows: rows, Tol: c.Tol,
			X: make([][]num, c.Features), Want: make([][]float64, c.Outputs)}
		for j := range c.Features {
			for _, v := range x[j*rows : (j+1)*rows] {
				e.X[j] = append(e.X[j], num(v))
			}
		}
		for k := range c.Outputs {
			e.Want[k] = make([]float64, rows)
		}
		for i := range rows {
			row := make([]float64, c.Features)
			for j := range row {
				row[j] = x[j*rows+i]
			}
			for k, v := range c.Want(row) {
				e.Want[k][i] = v
			}
		}
		js, err := json.MarshalIndent(e, "", " ")
		if err != nil {
			fail(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.Name+".onnx"), tm.Bytes(c.Model), 0o644); err != nil {
			fail(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.Name+".json"), append(js, '\n'), 0o644); err != nil {
			fail(err)
		}
	}
}

// The benchmark models: no reference outputs, only speed is measured.
func writeBench(dir string) {
	for name, m := range map[string][]byte{
		"bench_trees500.onnx": tm.Bytes(tm.BenchTrees(500, 6, 20)),
		"bench_mlp3.onnx":     tm.Bytes(tm.BenchMLP(20, 64)),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), m, 0o644); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mkmodels:", err)
	os.Exit(1)
}
