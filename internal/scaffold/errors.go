package scaffold

import "errors"

var (
	// ErrUnknownLanguage is returned for a language Write has no template
	// for; the message names the known ones.
	ErrUnknownLanguage = errors.New("scaffold: unknown language")
	// ErrNotEmpty is returned when the target directory exists and holds
	// anything: Write never overwrites a participant's files.
	ErrNotEmpty = errors.New("scaffold: directory not empty")
)
