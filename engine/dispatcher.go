package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/verdictlab/verdict/sandbox"
)

// Dispatcher runs a submission's model on the task's feature columns
// somewhere else (dispatch.Coordinator: on workers, through NATS
// JetStream) and returns the predictions in row order, as one sandbox Run
// would. A model's failure is the *sandbox.Error the sandbox would have
// returned; a failure of kind crash is the host's (not charged). It is
// handed features only, never labels.
type Dispatcher interface {
	Dispatch(ctx context.Context, submission string, module []byte, columns [][]float64, outputs int, limits sandbox.Limits) (*sandbox.Result, error)
}

// dispatched reports whether evaluations of lt go through
// Config.Dispatcher: when there is one and the task has no deterministic
// gate (whose second, shuffled run needs the whole table in one place).
func (e *Engine) dispatched(lt *loadedTask) bool {
	return e.cfg.Dispatcher != nil && !lt.task.Spec.Gates.Deterministic
}

// runDispatched is run through Config.Dispatcher. The task's time limit
// covers compiling and running on the worker; the wait in the queue is
// not the model's.
func (e *Engine) runDispatched(ctx context.Context, id string, lt *loadedTask, lim sandbox.Limits, module []byte) (*sandbox.Result, *bool, error) {
	res, err := e.cfg.Dispatcher.Dispatch(ctx, id, module, lt.cols, lt.task.Outputs, lim)
	if err == nil || ctx.Err() != nil {
		return res, nil, err
	}
	var se *sandbox.Error
	if !errors.As(err, &se) {
		// Not the model's: the queue's own error. A NATS timeout wraps
		// context.DeadlineExceeded, which must not read as the model's
		// time limit (charged): keep the cause's words, not its chain.
		return nil, nil, fmt.Errorf("dispatch submission %s: %s: %w", id, err, errDispatch)
	}
	if sandbox.KindOf(err) == sandbox.KindTimeout {
		return nil, nil, timeLimitError(err, lim)
	}
	return nil, nil, err
}

// errDispatch marks a Dispatcher's failure that is not the model's.
var errDispatch = errors.New("the evaluation queue failed (the host's fault, not charged)")

// acquireLocal takes one of Config.LocalWorkers, or fails when ctx ends
// first (the engine is closing: the evaluation goes back to queued).
func (e *Engine) acquireLocal(ctx context.Context) error {
	select {
	case e.local <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
