package gate_test

import (
	"fmt"

	"github.com/verdictlab/verdict/engine/gate"
)

func ExampleEvaluate() {
	spec := gate.Spec{MinScore: gate.Float(0.95), ValidOutputs: true}
	results := gate.Evaluate(spec, gate.Measurements{
		Score: 0.97, HigherIsBetter: true,
		Outputs: [][]float64{{0.2, 0.9, 1.3}}, Probabilities: true,
	})
	for _, r := range results {
		line := fmt.Sprintf("%s passed=%v value=%v threshold=%v", r.Name, r.Passed, r.Value, r.Threshold)
		if r.Detail != "" {
			line += " (" + r.Detail + ")"
		}
		fmt.Println(line)
	}
	fmt.Println("all passed:", gate.Passed(results))
	// Output:
	// min_score passed=true value=0.97 threshold=0.95
	// valid_outputs passed=false value=1 threshold=0 (row 3: output 0 = 1.3 is not a probability in [0, 1])
	// all passed: false
}
