package engine

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// MaxPhases bounds a task's phases.
const MaxPhases = 16

var phaseIDPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// PhaseSpec is one phase of a task (Spec.Phases): a span of its schedule
// with its own rules. Phases follow each other in order; the task's
// schedule is made from theirs (its start is the first phase's, its end
// the last phase's), so a spec with phases leaves schedule out.
//
// A final phase (Final, the last one only) is where the final
// leaderboard is decided: when it begins, every entrant's final
// selections of the phase before are frozen and re-run, uncharged, on the
// final phase's own held-out data (Data), which nobody has seen; the task
// closes, and is certified, at the final phase's end. Participants submit
// in it only when Submissions says so.
type PhaseSpec struct {
	// ID names the phase: 1 to 32 characters of a-z, 0-9 and -.
	ID string `yaml:"id" json:"id"`
	// Name is shown to people; default ID.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Schedule is when the phase runs. Every phase but the first needs a
	// start, after the phase before's; an end (default: the next phase's
	// start, or the host's close for the last) leaves a gap without
	// submissions until the next phase.
	Schedule ScheduleSpec `yaml:"schedule" json:"schedule"`
	// Data is the phase's own held-out dataset (the task's columns; its
	// path relative to the spec), stored at creation with its digests
	// and split like the task's, and checked against them when opened.
	// In a development phase, the submissions made in the phase are
	// scored on it. In the final phase it is read by nobody until the
	// phase begins, when the selections are re-run on it. Unset: the
	// task's own data (for a final phase: a re-run would only reproduce
	// the stored scores, so nothing is re-run and the final board is the
	// task's private board).
	Data *PhaseData `yaml:"data,omitempty" json:"data,omitempty"`
	// Split, when set, is the split of the phase's own data (Data): its
	// public_fraction and seed replace the task's there, a key left out
	// keeps the task's. The final board is decided on the private part
	// of the final data as this split makes it (public_fraction 1: on all
	// of it). Only a phase with its own data has one.
	Split *SplitSpec `yaml:"split,omitempty" json:"split,omitempty"`
	// Final marks the last phase as the final one.
	Final bool `yaml:"final,omitempty" json:"final,omitempty"`
	// Submissions lets participants submit in a final phase (default: no,
	// the selections of the phase before are what counts). Their
	// submissions are scored on the final data, and nothing of those
	// scores is shown until the task closes.
	Submissions bool `yaml:"submissions,omitempty" json:"submissions,omitempty"`
	// Limits, when set, replace the task's limits during the phase.
	Limits *PhaseLimits `yaml:"limits,omitempty" json:"limits,omitempty"`
	// Leaderboard, when set, replaces the task's leaderboard settings
	// (mode and step) on the board of a development phase: the
	// submissions made in the phase are shown under them. A final phase
	// shows no board of its own before close, so it has none.
	Leaderboard *LeaderboardSpec `yaml:"leaderboard,omitempty" json:"leaderboard,omitempty"`
}

// PhaseLimits are the limits a phase may set for itself. Each key set
// replaces the task's (limits) for the submissions made in the phase; a
// key left out keeps the task's. Memory and time bound the evaluation of
// a submission made in the phase and every re-run of it (the final
// phase's re-run, a rescore, Verify): a model is judged by the rules it
// was submitted under.
type PhaseLimits struct {
	// MemoryMB replaces limits.memory_mb.
	MemoryMB *uint32 `yaml:"memory_mb,omitempty" json:"memory_mb,omitempty"`
	// TimeoutS replaces limits.timeout_s.
	TimeoutS *float64 `yaml:"timeout_s,omitempty" json:"timeout_s,omitempty"`
	// DailyLimit replaces limits.daily_limit (0: unlimited).
	DailyLimit *int `yaml:"daily_limit,omitempty" json:"daily_limit,omitempty"`
	// TotalLimit is the most submissions per participant (or team) made
	// in the phase (0: unlimited), counted by UTC day from the day the
	// phase began: a phase that begins at midnight UTC counts exactly.
	TotalLimit *int `yaml:"total_limit,omitempty" json:"total_limit,omitempty"`
}

// apply returns l with the phase's limits in place of the task's.
func (pl *PhaseLimits) apply(l LimitsSpec) LimitsSpec {
	if pl == nil {
		return l
	}
	if pl.MemoryMB != nil {
		l.MemoryMB = *pl.MemoryMB
	}
	if pl.TimeoutS != nil {
		l.TimeoutS = *pl.TimeoutS
	}
	if pl.DailyLimit != nil {
		l.DailyLimit = *pl.DailyLimit
	}
	if pl.TotalLimit != nil {
		l.TotalLimit = *pl.TotalLimit
	}
	return l
}

func (pl *PhaseLimits) validate(key string) error {
	if pl == nil {
		return nil
	}
	bad := func(k, format string, args ...any) error {
		return &SpecError{Key: key + ".limits." + k, Err: fmt.Errorf(format, args...)}
	}
	if pl.MemoryMB != nil && (*pl.MemoryMB == 0 || *pl.MemoryMB > MaxMemoryMB) {
		return bad("memory_mb", "%d is not in [1, %d]", *pl.MemoryMB, MaxMemoryMB)
	}
	if pl.TimeoutS != nil && !(*pl.TimeoutS > 0 && *pl.TimeoutS <= MaxTimeoutS) {
		return bad("timeout_s", "%v is not in (0, %d]", *pl.TimeoutS, MaxTimeoutS)
	}
	if pl.DailyLimit != nil && *pl.DailyLimit < 0 {
		return bad("daily_limit", "%d is negative", *pl.DailyLimit)
	}
	if pl.TotalLimit != nil && *pl.TotalLimit < 0 {
		return bad("total_limit", "%d is negative", *pl.TotalLimit)
	}
	return nil
}

// PhaseData names a phase's held-out dataset.
type PhaseData struct {
	Test string `yaml:"test" json:"test"`
}

// splitOf returns the split of the phase's own data: the task's, with the
// phase's keys in their place.
func (p PhaseSpec) splitOf(task SplitSpec) SplitSpec {
	if p.Split == nil {
		return task
	}
	if p.Split.PublicFraction != 0 {
		task.PublicFraction = p.Split.PublicFraction
	}
	if p.Split.Seed != "" {
		task.Seed = p.Split.Seed
	}
	return task
}

func (p PhaseSpec) name() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

// acceptsAt reports whether participants may submit in the phase at now.
func (p PhaseSpec) acceptsAt(now time.Time) bool {
	if p.Final && !p.Submissions {
		return false
	}
	end := p.Schedule.end()
	return end.IsZero() || now.Before(end)
}

// fillPhaseDefaults makes the task's schedule from its phases', and each
// phase's end but the last from the next one's start.
func (s *Spec) fillPhaseDefaults() {
	n := len(s.Phases)
	if n == 0 {
		return
	}
	for i := range s.Phases {
		if l := s.Phases[i].Leaderboard; l != nil && l.Mode == "" {
			l.Mode = ModeBest
		}
	}
	for i := range n - 1 {
		if s.Phases[i].Schedule.End == "" {
			s.Phases[i].Schedule.End = s.Phases[i+1].Schedule.Start
		}
	}
	if s.Schedule == (ScheduleSpec{}) {
		s.Schedule = ScheduleSpec{Start: s.Phases[0].Schedule.Start, End: s.Phases[n-1].Schedule.End}
	}
}

// validatePhases checks Spec.Phases (after fillPhaseDefaults).
func (s Spec) validatePhases() error {
	n := len(s.Phases)
	if n == 0 {
		return nil
	}
	bad := func(key, format string, args ...any) error {
		return &SpecError{Key: key, Err: fmt.Errorf(format, args...)}
	}
	if n == 1 {
		return bad("phases", "a single phase is the task itself: leave phases out, or give two or more")
	}
	if n > MaxPhases {
		return bad("phases", "%d phases, more than %d", n, MaxPhases)
	}
	seen := map[string]bool{}
	var prev time.Time
	for i, p := range s.Phases {
		key := fmt.Sprintf("phases[%d]", i)
		if !phaseIDPattern.MatchString(p.ID) || seen[p.ID] {
			return bad(key+".id", "%q is repeated, or not 1 to 32 characters of a-z, 0-9 and -", p.ID)
		}
		seen[p.ID] = true
		if len(p.Name) > 100 {
			return bad(key+".name", "longer than 100 characters")
		}
		start, err := parseTime(p.Schedule.Start)
		if err != nil {
			return &SpecError{Key: key + ".schedule.start", Err: err}
		}
		end, err := parseTime(p.Schedule.End)
		if err != nil {
			return &SpecError{Key: key + ".schedule.end", Err: err}
		}
		if i > 0 && start.IsZero() {
			return bad(key+".schedule.start", "missing: every phase after the first starts at a time")
		}
		if i > 0 && !prev.IsZero() && !start.After(prev) {
			return bad(key+".schedule.start", "%s is not after the start of phase %q", p.Schedule.Start, s.Phases[i-1].ID)
		}
		if !end.IsZero() && !start.IsZero() && !end.After(start) {
			return bad(key+".schedule.end", "%s is not after the phase's start %s", p.Schedule.End, p.Schedule.Start)
		}
		if i+1 < n {
			if next, _ := parseTime(s.Phases[i+1].Schedule.Start); !end.IsZero() && !next.IsZero() && end.After(next) {
				return bad(key+".schedule.end", "%s is after the start of the next phase %q", p.Schedule.End, s.Phases[i+1].ID)
			}
		}
		if !start.IsZero() {
			prev = start
		}
		if p.Final && i != n-1 {
			return bad(key+".final", "only the last phase may be final")
		}
		if p.Data != nil && p.Data.Test == "" {
			return bad(key+".data.test", "missing: the path of the phase's held-out dataset")
		}
		if p.Split != nil && p.Data == nil {
			return bad(key+".split", "only a phase with its own data has its own split; the others score on the task's data, with its split")
		}
		if p.Split != nil && p.Split.PublicFraction != 0 && !(p.Split.PublicFraction > 0 && p.Split.PublicFraction <= 1) {
			return bad(key+".split.public_fraction", "%v is not in (0, 1]", p.Split.PublicFraction)
		}
		if err := p.Limits.validate(key); err != nil {
			return err
		}
		if p.Leaderboard != nil && p.Final {
			return bad(key+".leaderboard", "a final phase shows no board of its own before close (its public board is the phase before's, frozen): set leaderboard on the development phases")
		}
		if p.Leaderboard != nil {
			if err := p.Leaderboard.validate(); err != nil {
				var se *SpecError
				if errors.As(err, &se) {
					se.Key = key + "." + se.Key
				}
				return err
			}
		}
		if p.Submissions && !p.Final {
			return bad(key+".submissions", "only a final phase may refuse or allow submissions; the others accept them")
		}
	}
	want := ScheduleSpec{Start: s.Phases[0].Schedule.Start, End: s.Phases[n-1].Schedule.End}
	if s.Schedule != want {
		return bad("schedule", "set by the phases (from %q to %q): leave it out", want.Start, want.End)
	}
	return nil
}

// finalPhase returns the index of the task's final phase, -1 if none.
func (s Spec) finalPhase() int {
	if n := len(s.Phases); n > 0 && s.Phases[n-1].Final {
		return n - 1
	}
	return -1
}

// scheduledPhase returns the index of the phase the schedule is in at
// now: the last whose start has passed (0 before any).
func (s Spec) scheduledPhase(now time.Time) int {
	idx := 0
	for i := 1; i < len(s.Phases); i++ {
		if st := s.Phases[i].Schedule.start(); !st.IsZero() && !now.Before(st) {
			idx = i
		}
	}
	return idx
}
