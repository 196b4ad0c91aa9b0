package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
)

func main() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "zz")
	defer os.RemoveAll(dir)
	e, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "d")})
	if err != nil {
		panic(err)
	}
	defer e.Close(ctx)
	abs, _ := filepath.Abs(os.Args[1])
	spec := fmt.Sprintf("id: zzz\ntype: binary\nmetric: roc_auc\ndata: {test: %q, id: id, label: target}\nsplit: {public_fraction: 1, seed: xxxxxxxxxxxxxxxxxxxxxx}\n", abs)
	os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(spec), 0o644)
	if _, err := e.CreateTask(ctx, filepath.Join(dir, "t.yaml")); err != nil {
		panic(err)
	}
	preds := map[string][]float64{}
	var ids []string
	for _, p := range []string{"breast-cancer/go-logreg/model.wasm", "breast-cancer/c-model/model.wasm"} {
		b, _ := fs.ReadFile(examples.FS, p)
		s, err := e.Submit(ctx, engine.SubmitRequest{Task: "zzz", Participant: "x", Module: b, KeepPredictions: true})
		if err != nil {
			panic(err)
		}
		ids = s.Predictions.IDs
		preds[p] = s.Predictions.Values[0]
	}
	fmt.Println("id,lr,nb")
	for i, id := range ids {
		fmt.Printf("%s,%v,%v\n", id, preds["breast-cancer/go-logreg/model.wasm"][i], preds["breast-cancer/c-model/model.wasm"][i])
	}
}
