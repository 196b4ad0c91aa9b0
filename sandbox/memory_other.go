//go:build !linux

package sandbox

import "errors"

// canMapMemory is false: guest memory is plain Go memory and Guest ABI v2
// copies columns.
const canMapMemory = false

var errNoMapping = errors.New("sandbox: mapping files into guest memory needs linux")

func reserveMemory(uint64) ([]byte, error) { return nil, errNoMapping }

func releaseMemory([]byte) {}

func mapOver([]byte, int, int64, bool) error { return errNoMapping }
