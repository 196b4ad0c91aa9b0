package mcpserver

import "errors"

// ErrArgument reports a tool argument out of its bounds (too long, too
// many, too large) or malformed; the message names it and the bound.
var ErrArgument = errors.New("mcpserver: bad argument")
