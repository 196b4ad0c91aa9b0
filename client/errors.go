package client

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
)

// Error is a refusal by the server: its HTTP status and the body's kind
// and message (api.Error). It unwraps to the engine's sentinel for the
// kind, if there is one.
type Error struct {
	Status  int    // HTTP status, e.g. 404
	Kind    string // the API's kind, e.g. "not_found"; "http" when the body was not an API error
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("server: %s (%d %s)", e.Message, e.Status, e.Kind)
}

// Unwrap returns the engine's sentinel for e's kind, or nil.
func (e *Error) Unwrap() error { return kinds[e.Kind] }

// kinds map the API's error kinds to the engine's sentinels.
var kinds = map[string]error{
	"not_found":     engine.ErrNotFound,
	"forbidden":     engine.ErrForbidden,
	"bad_request":   engine.ErrBadRequest,
	"closed":        engine.ErrClosed,
	"not_open":      engine.ErrNotOpen,
	"exists":        engine.ErrExists,
	"quota":         engine.ErrQuotaExceeded,
	"queue_full":    engine.ErrQueueFull,
	"team":          engine.ErrTeam,
	"signature":     engine.ErrSignature,
	"replayed":      engine.ErrReplayed,
	"bundle":        market.ErrBundle,
	"shutting_down": engine.ErrEngineClosed,
}

// readError makes the Error of a refusal with status and body.
func readError(status int, body []byte) *Error {
	var b api.ErrorBody
	if json.Unmarshal(body, &b) != nil || b.Error.Kind == "" {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 512 {
			msg = msg[:512] + "…"
		}
		return &Error{Status: status, Kind: "http", Message: msg}
	}
	return &Error{Status: status, Kind: b.Error.Kind, Message: b.Error.Message}
}
