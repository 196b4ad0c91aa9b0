package scaffold_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/verdictlab/verdict/internal/scaffold"
)

func ExampleWrite() {
	tmp, err := os.MkdirTemp("", "scaffold-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	files, err := scaffold.Write(filepath.Join(tmp, "my-model"), "c")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		fmt.Println(f)
	}
	_, err = scaffold.Write(tmp, "cobol")
	fmt.Println(err)
	// Output:
	// .gitignore
	// Makefile
	// README.md
	// model.c
	// sample/rows.csv
	// sample/task.yaml
	// verdict.h
	// scaffold: unknown language "cobol" (known: go, c, rust, assemblyscript, python)
}
