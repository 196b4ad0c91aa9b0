//go:build !linux

package sandbox

import (
	"context"
	"errors"
	"io"
	"os"
)

const processSupported = false

var errNoProcess = errors.New("sandbox: process isolation is supported on linux only")

func (r *Runtime) startProcess(Config) error { return errNoProcess }

func (r *Runtime) compileProcess(context.Context, string, []byte) (*os.File, bool, error) {
	return nil, false, errNoProcess
}

func (m *Module) runProcess(context.Context, Input) (*Result, error) { return nil, errNoProcess }

// ServeChild is the child side of Process isolation, which needs Linux.
func ServeChild(context.Context, io.Reader, io.Writer) error { return errNoProcess }
