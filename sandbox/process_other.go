//go:build !linux

package sandbox

import (
	"context"
	"errors"
	"os"
	"time"
)

const processSupported = false

var errNoProcess = errors.New("sandbox: process isolation is supported on linux only")

func (r *Runtime) startProcess(Config) error { return errNoProcess }

func (r *Runtime) compileProcess(context.Context, string, []byte, time.Duration) (*os.File, guestABI, error) {
	return nil, guestABI{}, errNoProcess
}

func (m *Module) runProcess(context.Context, Input) (*Result, error) { return nil, errNoProcess }

// ServeChild is the child side of Process isolation, which needs Linux.
func ServeChild(context.Context) error { return errNoProcess }

// childPool is the pool of children of Process isolation, which needs
// Linux.
type childPool struct{}

func (*childPool) close() {}

func (*childPool) idlePIDs() []int { return nil }

func (*childPool) idleCPU() time.Duration { return 0 }
