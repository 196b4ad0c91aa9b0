package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/onnx"
)

func TestPack(t *testing.T) {
	dir := t.TempDir()
	model, err := os.ReadFile(filepath.Join("testdata", "onnx", "tree_binary.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, filepath.Join(dir, "model.onnx"), model)
	out := filepath.Join(dir, "model.wasm")
	code, stdout, stderr := cli(t, "pack", in, "-o", out)
	if code != 0 {
		t.Fatalf("pack: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "packed model.onnx") {
		t.Errorf("got stdout %q", stdout)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := onnx.Unpack(wasm); !ok || !bytes.Equal(got, model) {
		t.Fatal("the packed module does not carry the model")
	}
	// submit and check read an .onnx file as its packed module.
	packed, err := readModule(in)
	if err != nil || !bytes.Equal(packed, wasm) {
		t.Fatalf("readModule(model.onnx): got %d bytes, %v; want the packed module", len(packed), err)
	}

	// check refuses a model whose input does not fit the task, naming the
	// task's features.
	if err := checkONNXFeatures(wasm, []string{"a", "b", "c"}); err != nil {
		t.Errorf("checkONNXFeatures(3 features): %v", err)
	}
	err = checkONNXFeatures(wasm, []string{"a", "b"})
	if err == nil || !strings.Contains(err.Error(), "the model expects 3 inputs (input \"X\", shape [N, 3]), the task has 2 features: a, b") {
		t.Errorf("checkONNXFeatures(2 features): got %v", err)
	}

	t.Run("ErrNotONNX", func(t *testing.T) {
		bad := writeFile(t, filepath.Join(dir, "bad.onnx"), []byte("\x0f\x0fnot a model"))
		code, _, stderr := cli(t, "pack", bad, "-o", out)
		if code == 0 || !strings.Contains(stderr, "onnx: invalid model") {
			t.Fatalf("got exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("ErrNoOutput", func(t *testing.T) {
		code, _, stderr := cli(t, "pack", in)
		if code == 0 || !strings.Contains(stderr, "-o MODEL.wasm") {
			t.Fatalf("got exit %d, stderr %q", code, stderr)
		}
	})
}
