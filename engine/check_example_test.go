package engine_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// ExampleCheck checks a model that traps against a task's public face:
// the report names the failing check, and the checks that need a run are
// skipped. Nothing is submitted.
func ExampleCheck() {
	task := engine.TaskInfo{
		ID: "demo", Type: "regression", Metric: "rmse", Outputs: 1, Rows: 500,
		Features: []string{"x0", "x1"},
		Limits:   engine.LimitsSpec{MemoryMB: 64, TimeoutS: 10, MaxModuleMB: 1},
	}
	rep, err := engine.Check(context.Background(), engine.CheckConfig{Task: task, Module: sandboxtest.Wasm(sandboxtest.Trap)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range rep.Checks[:4] {
		fmt.Println(strings.TrimSpace(fmt.Sprint(c.Status, " ", c.Name, " ", c.Kind)))
	}
	fmt.Println("failed:", rep.Failed())
	// Output:
	// pass abi
	// pass sample
	// fail run trap
	// skip outputs
	// failed: true
}
