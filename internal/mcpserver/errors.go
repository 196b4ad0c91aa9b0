package mcpserver

import "errors"

// ErrArgument reports a tool argument out of its bounds (too long, too
// many, too large) or malformed; the message names it and the bound.
var ErrArgument = errors.New("mcpserver: bad argument")

// ErrNoCaller refuses a predict call that no caller is known for: the
// message says how to be one (Config.NoCaller).
var ErrNoCaller = errors.New("mcpserver: predict needs an authenticated caller")
