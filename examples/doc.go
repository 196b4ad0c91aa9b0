// Package examples ships the demo competition: the breast-cancer task
// spec, the shipped datasets and three participant models already compiled
// to WebAssembly, all embedded so `verdict demo` runs from the binary alone.
//
// It sits before the pipeline's input: it supplies a task (task spec plus
// held-out CSV) and model.wasm files, which the engine runs through
// sandbox, metric, gates, credential and leaderboard like any other
// submission. The package only carries bytes: it must never import the
// engine or the sandbox, and nothing in it may train on, or let a model
// see, a test file's labels (../breast-cancer/fit reads the training CSV
// only).
//
// Each model's source lives beside its model.wasm and build.sh rebuilds
// them all:
//
//	breast-cancer/fit/        trains both models, writes the weight files
//	breast-cancer/logreg/     logistic regression as a native Go package
//	breast-cancer/go-logreg/  alice: that package as a Go wasip1 reactor
//	breast-cancer/c-model/    bob: Gaussian naive Bayes on 10 features, in C
//	breast-cancer/rust-model/ the logistic regression in Rust (sdk/rust), not in the demo
//	breast-cancer/off-by-one/ carol: builds and validates, panics when run
//
// # Usage
//
//	// Copy the embedded tree to dir; the task spec's ../data path then resolves.
//	err := os.CopyFS(dir, examples.FS)
//	task := filepath.Join(dir, examples.DemoTask)
//	for _, s := range examples.Demo() {
//		wasm := filepath.Join(dir, s.Path)
//		fmt.Println(s.Participant, s.Language, wasm) // submit wasm for s.Participant
//	}
package examples
