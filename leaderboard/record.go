package leaderboard

import (
	"encoding/json"
	"fmt"
	"time"
)

// Values
//
// Tasks and submissions are stored as JSON objects with a version field
// "v" (currently 1) and explicit snake_case field names, decoupled from the
// exported structs so a rename in Go never silently changes the stored
// format. Index entries (tables 0x03 to 0x06) carry their data in the key;
// 0x05 stores the participant's current rank key, 0x06 the participant id
// as raw bytes, and 0x07 a big-endian uint64.

const recordVersion = 1

type taskRecord struct {
	V              int       `json:"v"`
	ID             string    `json:"id"`
	Title          string    `json:"title"`
	Type           string    `json:"type"`
	Metric         string    `json:"metric"`
	HigherIsBetter bool      `json:"higher_is_better"`
	Created        time.Time `json:"created"`
	Spec           []byte    `json:"spec,omitempty"` // base64: the spec is opaque to this package
	LadderStep     float64   `json:"ladder_step,omitempty"`
	// PhaseLadderSteps is left out when empty: a task without phases
	// is stored byte for byte as before.
	PhaseLadderSteps map[string]float64 `json:"phase_ladder_steps,omitempty"`
}

type submissionRecord struct {
	V            int       `json:"v"`
	ID           string    `json:"id"`
	Task         string    `json:"task"`
	Participant  string    `json:"participant"`
	ModuleSHA256 string    `json:"module_sha256"`
	Created      time.Time `json:"created"`
	Status       Status    `json:"status"`
	Public       *float64  `json:"public,omitempty"`
	Private      *float64  `json:"private,omitempty"`
	ErrorKind    string    `json:"error_kind,omitempty"`
	ErrorMessage string    `json:"error_message,omitempty"`
	ElapsedNanos int64     `json:"elapsed_ns"`
	Detail       []byte    `json:"detail,omitempty"` // base64: opaque to this package
	Entrant      string    `json:"entrant,omitempty"`
	Baseline     bool      `json:"baseline,omitempty"`
	HostError    bool      `json:"host_error,omitempty"`
	Shown        *float64  `json:"shown,omitempty"`
	Updated      time.Time `json:"updated,omitzero"`
	Phase        string    `json:"phase,omitempty"`
}

func encodeTask(t Task) ([]byte, error) {
	return json.Marshal(taskRecord{
		V: recordVersion, ID: t.ID, Title: t.Title, Type: t.Type, Metric: t.Metric,
		HigherIsBetter: t.HigherIsBetter, Created: t.Created, Spec: t.Spec, LadderStep: t.LadderStep,
		PhaseLadderSteps: t.PhaseLadderSteps,
	})
}

func decodeTask(b []byte) (Task, error) {
	var r taskRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return Task{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if r.V != recordVersion {
		return Task{}, fmt.Errorf("%w: record version %d, want %d", ErrCorrupt, r.V, recordVersion)
	}
	return Task{
		ID: r.ID, Title: r.Title, Type: r.Type, Metric: r.Metric,
		HigherIsBetter: r.HigherIsBetter, Created: r.Created, Spec: r.Spec, LadderStep: r.LadderStep,
		PhaseLadderSteps: r.PhaseLadderSteps,
	}, nil
}

func encodeSubmission(s Submission) ([]byte, error) {
	return json.Marshal(submissionRecord{
		V: recordVersion, ID: s.ID, Task: s.Task, Participant: s.Participant,
		ModuleSHA256: s.ModuleSHA256, Created: s.Created, Status: s.Status,
		Public: s.Public, Private: s.Private,
		ErrorKind: s.ErrorKind, ErrorMessage: s.ErrorMessage,
		ElapsedNanos: int64(s.Elapsed), Detail: s.Detail,
		Entrant: s.Entrant, Baseline: s.Baseline, HostError: s.HostError, Shown: s.Shown, Updated: s.Updated,
		Phase: s.Phase,
	})
}

func decodeSubmission(b []byte) (Submission, error) {
	var r submissionRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return Submission{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if r.V != recordVersion {
		return Submission{}, fmt.Errorf("%w: record version %d, want %d", ErrCorrupt, r.V, recordVersion)
	}
	return Submission{
		ID: r.ID, Task: r.Task, Participant: r.Participant,
		ModuleSHA256: r.ModuleSHA256, Created: r.Created, Status: r.Status,
		Public: r.Public, Private: r.Private,
		ErrorKind: r.ErrorKind, ErrorMessage: r.ErrorMessage,
		Elapsed: time.Duration(r.ElapsedNanos), Detail: r.Detail,
		Entrant: r.Entrant, Baseline: r.Baseline, HostError: r.HostError, Shown: r.Shown, Updated: r.Updated,
		Phase: r.Phase,
	}, nil
}
