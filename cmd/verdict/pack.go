package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/verdictlab/verdict/onnx"
)

func newPackCmd(g *globals) *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "pack MODEL.onnx -o MODEL.wasm",
		Short: "turn an ONNX model into a WebAssembly submission (verdict's ONNX runtime + the model)",
		Long: `Pack appends an ONNX model (from torch.onnx.export, or written with the onnx
package from a scikit-learn or XGBoost model) to verdict's ONNX runtime, a
fixed WebAssembly module, as its custom section "verdict.model". The result
is an ordinary submission: its SHA-256 names it on the leaderboard and in
credentials. submit and check pack an .onnx file on the fly, so pack is only
needed to keep or inspect the module.

The model must take one float (or double) tensor [N, features], the task's
features in order, and give a float output: one probability per class
(binary: the probability of class 1, or both), or one value (regression);
a label output before it is ignored. Leave ZipMap out.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return badInput(errors.New("say where to write the module: -o MODEL.wasm"))
			}
			model, err := readBounded(args[0], onnx.MaxModelBytes+1)
			if err != nil {
				return badInput(fmt.Errorf("read model: %w", err))
			}
			wasm, err := onnx.Pack(model)
			if err != nil {
				return badInput(fmt.Errorf("pack %s: %w", args[0], err))
			}
			if err := os.WriteFile(out, wasm, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "packed %s (%d bytes of ONNX) into %s (%d bytes)\n", filepath.Base(args[0]), len(model), out, len(wasm))
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "the `FILE` to write the module to")
	return c
}

// packIfONNX packs an .onnx file (submit and check take either a module
// or an ONNX model); anything else is returned as is, for the sandbox to
// judge.
func packIfONNX(path string, b []byte) ([]byte, error) {
	if onnx.IsWasm(b) || filepath.Ext(path) != ".onnx" {
		return b, nil
	}
	wasm, err := onnx.Pack(b)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", path, err)
	}
	return wasm, nil
}

// checkONNXFeatures checks a packed ONNX model's input against the task's
// features, naming them: "the model expects 30 inputs ..., the task has 20
// features: a, b, ...". Other modules pass.
func checkONNXFeatures(module []byte, features []string) error {
	model, ok := onnx.Unpack(module)
	if !ok {
		return nil
	}
	info, err := onnx.Inspect(model)
	if err != nil {
		return err
	}
	return info.CheckFeatures(features)
}
