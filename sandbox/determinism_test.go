package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/verdictlab/verdict/sandbox"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

func TestCheckDeterminism(t *testing.T) {
	cols := randomColumns(5, 3000, 3)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newRuntime(t, sandbox.Config{Isolation: mode.iso, Limits: fastLimits})
			in := sandbox.Input{Columns: cols, Outputs: 2, BatchRows: 256}
			t.Run("Pure", func(t *testing.T) {
				res, err := sandbox.CheckDeterminism(context.Background(), compile(t, rt, sandboxtest.CLinear), in, 1)
				if err != nil {
					t.Fatalf("got %v, want deterministic", err)
				}
				assertBitEqual(t, res.Outputs, sandboxtest.WeightedPredict(cols, 2))
			})
			t.Run("ErrNondeterministic", func(t *testing.T) {
				_, err := sandbox.CheckDeterminism(context.Background(), compile(t, rt, sandboxtest.Stateful), in, 1)
				if !errors.Is(err, sandbox.ErrNondeterministic) || sandbox.KindOf(err) != "nondeterministic" {
					t.Fatalf("got %v (kind %q), want ErrNondeterministic", err, sandbox.KindOf(err))
				}
				if !strings.Contains(err.Error(), "a model must be a pure function of each row") {
					t.Errorf("error %q: want the rule explained", err)
				}
			})
			t.Run("ErrTrap", func(t *testing.T) {
				_, err := sandbox.CheckDeterminism(context.Background(), compile(t, rt, sandboxtest.Trap), in, 1)
				if !errors.Is(err, sandbox.ErrTrap) {
					t.Fatalf("got %v, want ErrTrap", err)
				}
			})
		})
	}
}
