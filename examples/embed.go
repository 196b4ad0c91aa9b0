package examples

import "embed"

// FS holds the demo tree, with paths relative to the examples directory:
// data/*.csv and data/README.md, breast-cancer/task.yaml and
// breast-cancer/README.md, and each demo submission's model.wasm (see
// Demo), plus breast-cancer/rust-model/model.wasm, the Rust example
// (not a demo submission: it predicts what alice's does). Copied as a whole to a directory, the task spec's relative data
// path resolves.
//
//go:embed data/*.csv data/README.md
//go:embed breast-cancer/task.yaml breast-cancer/README.md
//go:embed breast-cancer/go-logreg/model.wasm breast-cancer/c-model/model.wasm breast-cancer/off-by-one/model.wasm
//go:embed breast-cancer/rust-model/model.wasm breast-cancer/memorizer/model.wasm
var FS embed.FS

// DemoTask is the path in FS of the demo competition's task spec.
const DemoTask = "breast-cancer/task.yaml"

// Submission describes one demo participant's model.
type Submission struct {
	// Participant is the name the submission ranks under.
	Participant string
	// Path is the model.wasm's path in FS.
	Path string
	// Language is the source language the module was built from.
	Language string
	// Note says what the model is and what the demo should show with it.
	Note string
}

// Demo returns the submissions `verdict demo` makes to DemoTask, in
// submission order. Each call returns a fresh slice.
func Demo() []Submission {
	return []Submission{
		{
			Participant: "alice",
			Path:        "breast-cancer/go-logreg/model.wasm",
			Language:    "Go",
			Note:        "L2-regularized logistic regression on all 30 standardized features",
		},
		{
			Participant: "bob",
			Path:        "breast-cancer/c-model/model.wasm",
			Language:    "C",
			Note:        "Gaussian naive Bayes on the ten mean_* features: decent, clearly weaker than alice",
		},
		{
			Participant: "carol",
			Path:        "breast-cancer/off-by-one/model.wasm",
			Language:    "Go",
			Note:        "deliberately broken: an off-by-one loop panics at prediction time, so the sandbox reports a trap",
		},
	}
}
