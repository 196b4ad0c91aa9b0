package engine

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/verdictlab/verdict/engine/gate"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/sandbox"
)

// Defaults for the task spec. A zero value in a spec means "use the default".
const (
	DefaultPublicFraction = 0.3
	DefaultMemoryMB       = sandbox.DefaultMemoryMB
	DefaultTimeoutS       = 30
	DefaultMaxModuleMB    = 64
	// DefaultFinalSelections is how many submissions a participant may
	// select for the private leaderboard.
	DefaultFinalSelections = 2
	// MaxFinalSelections bounds final_selections.
	MaxFinalSelections = 100
	// DefaultPromoteTop is how many places of the private leaderboard are
	// considered for a credential when the task closes.
	DefaultPromoteTop = 3
	// MaxPromoteTop bounds promote_top.
	MaxPromoteTop = 100

	// MaxSpecBytes bounds a task spec file; specs are small, uploads are untrusted.
	MaxSpecBytes = 1 << 20
	// MaxMemoryMB is the largest memory limit a task may ask for (wasm32's 4 GiB).
	MaxMemoryMB = 4096
	// MaxTimeoutS is the longest wall time a task may give one evaluation.
	MaxTimeoutS = 3600
	// MaxModuleMB is the largest module size a task may accept.
	MaxModuleMB = 1024

	// SeedBytes is the entropy of the split seed made for a spec without
	// one (hex-encoded: twice as many characters).
	SeedBytes = 32
	// MinSeedBytes is the shortest split seed given without a warning.
	MinSeedBytes = 16
)

var taskIDPattern = regexp.MustCompile(`^[a-z0-9-]{3,64}$`)

// Spec is a task as the host writes it (YAML). Every key is documented in
// README.md; unknown keys are an error so that a typo never silently becomes
// a default.
type Spec struct {
	ID     string     `yaml:"id" json:"id"`
	Title  string     `yaml:"title" json:"title"`
	Type   string     `yaml:"type" json:"type"`
	Metric string     `yaml:"metric" json:"metric"`
	Data   DataSpec   `yaml:"data" json:"data"`
	Split  SplitSpec  `yaml:"split" json:"split"`
	Limits LimitsSpec `yaml:"limits" json:"limits"`
	// Schedule is when submissions are accepted.
	Schedule ScheduleSpec `yaml:"schedule" json:"schedule"`
	// FinalSelections is how many submissions a participant may select
	// for the private leaderboard; default DefaultFinalSelections.
	FinalSelections int `yaml:"final_selections" json:"final_selections"`
	// Teams allows teams; zero value: no teams.
	Teams TeamsSpec `yaml:"teams" json:"teams"`
	// Leaderboard chooses how public scores are shown.
	Leaderboard LeaderboardSpec `yaml:"leaderboard" json:"leaderboard"`
	// Gates are the quality gates a model must pass to be certified; each
	// evaluation records their results.
	Gates gate.Spec `yaml:"gates" json:"gates"`
	// PromoteTop is how many places of the private leaderboard are
	// considered for a credential at close; default DefaultPromoteTop.
	PromoteTop int `yaml:"promote_top" json:"promote_top"`
	// RequireSigned refuses unsigned submissions: each must carry a
	// statement signed by the participant's did:key (SubmitRequest.Signed),
	// and the DID is the participant. Default false: unsigned submissions
	// are accepted, under the participant name given (RATIONALE.md, "Why
	// are unsigned submissions allowed by default?").
	RequireSigned bool `yaml:"require_signed,omitempty" json:"require_signed,omitempty"`
	// Access says who may take part (open, or invite-only) and whether
	// visitors may see that the task exists; default open and listed.
	Access AccessSpec `yaml:"access,omitempty" json:"access,omitzero"`
	// Phases, when set, divide the task's time into phases in order (a
	// development phase, then a final one): the task's schedule is made
	// from theirs (see PhaseSpec).
	Phases []PhaseSpec `yaml:"phases,omitempty" json:"phases,omitempty"`
}

// ScheduleSpec is when a task accepts submissions: from Start (RFC 3339;
// empty: from creation) until End (empty: until the host closes it).
type ScheduleSpec struct {
	Start string `yaml:"start,omitempty" json:"start,omitempty"`
	End   string `yaml:"end,omitempty" json:"end,omitempty"`
}

// start returns the parsed Start, zero when unset (Validate checked it).
func (s ScheduleSpec) start() time.Time { t, _ := parseTime(s.Start); return t }

// end returns the parsed End, zero when unset.
func (s ScheduleSpec) end() time.Time { t, _ := parseTime(s.End); return t }

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (e.g. 2026-03-01T00:00:00Z)", s)
	}
	return t.UTC(), nil
}

// TeamsSpec allows teams of up to MaxSize participants (0: no teams), formed
// and merged until MergeDeadline (RFC 3339; empty: until the end).
type TeamsSpec struct {
	MaxSize       int    `yaml:"max_size" json:"max_size"`
	MergeDeadline string `yaml:"merge_deadline,omitempty" json:"merge_deadline,omitempty"`
}

// Leaderboard modes.
const (
	// ModeBest shows each submission's public score.
	ModeBest = "best"
	// ModeLadder shows a public score only when it beats the participant's
	// shown best by more than the step (Blum & Hardt 2015).
	ModeLadder = "ladder"
)

// LeaderboardSpec chooses the public leaderboard's mode; Step is the
// Ladder's η, required in ladder mode.
type LeaderboardSpec struct {
	Mode string  `yaml:"mode" json:"mode"`
	Step float64 `yaml:"step,omitempty" json:"step,omitempty"`
}

// validate checks the mode and step; errors name leaderboard.mode or
// leaderboard.step (a phase's prefixes its own key).
func (l LeaderboardSpec) validate() error {
	bad := func(key, format string, args ...any) error {
		return &SpecError{Key: key, Err: fmt.Errorf(format, args...)}
	}
	switch l.Mode {
	case ModeBest:
		if l.Step != 0 {
			return bad("leaderboard.step", "only the ladder mode has a step")
		}
	case ModeLadder:
		if st := l.Step; !(st > 0 && st < 1e6) || math.IsInf(st, 0) {
			return bad("leaderboard.step", "%v: the ladder needs a step in (0, 1e6)", st)
		}
	default:
		return bad("leaderboard.mode", "%q is not one of best, ladder", l.Mode)
	}
	return nil
}

// DataSpec names the held-out dataset and its columns.
type DataSpec struct {
	// Test is the path of the held-out dataset (CSV, Parquet or Arrow IPC),
	// relative to the spec file.
	Test string `yaml:"test" json:"test"`
	// ID is the row id column; default "id".
	ID string `yaml:"id" json:"id"`
	// Label is the truth column; default "target".
	Label string `yaml:"label" json:"label"`
	// Features lists the feature columns in ABI order; default every other
	// column in file order.
	Features []string `yaml:"features,omitempty" json:"features,omitempty"`
	// Group is the query column of a ranking task.
	Group string `yaml:"group,omitempty" json:"group,omitempty"`
}

// SplitSpec decides which rows score the public leaderboard (see Public).
type SplitSpec struct {
	// PublicFraction is in (0, 1]; 1 means there is no private part.
	// Default DefaultPublicFraction.
	PublicFraction float64 `yaml:"public_fraction" json:"public_fraction"`
	// Seed makes the split unguessable by participants: keep it secret.
	// Default: a random secret of SeedBytes bytes, made when the task is
	// created and stored with it (CreateTask). A seed equal to the task id
	// or shorter than MinSeedBytes draws a warning (Task.Warnings).
	Seed string `yaml:"seed" json:"seed"`
}

// seed returns the seed the split is made with. A task is stored with its
// seed, so a stored task keeps its split whatever the default becomes (the
// tasks created when the default was the task id have the id written in);
// a record without one falls back to that old default.
func (s SplitSpec) seed(taskID string) string {
	if s.Seed == "" {
		return taskID
	}
	return s.Seed
}

// LimitsSpec bounds one evaluation of a submission.
type LimitsSpec struct {
	MemoryMB    uint32  `yaml:"memory_mb" json:"memory_mb"`
	TimeoutS    float64 `yaml:"timeout_s" json:"timeout_s"`
	MaxModuleMB float64 `yaml:"max_module_mb" json:"max_module_mb"`
	// DailyLimit is the most submissions per participant (or team) per UTC
	// day; 0 is unlimited.
	DailyLimit int `yaml:"daily_limit,omitempty" json:"daily_limit,omitempty"`
	// TotalLimit is the most submissions per participant (or team) in all;
	// 0 is unlimited.
	TotalLimit int `yaml:"total_limit,omitempty" json:"total_limit,omitempty"`
}

// SpecError says which key of a task spec is wrong and why.
type SpecError struct {
	Path string // spec file, "" when parsed from bytes
	Key  string // dotted key, e.g. "split.public_fraction"
	Err  error
}

func (e *SpecError) Error() string {
	where := "task spec"
	if e.Path != "" {
		where = fmt.Sprintf("task spec %s", e.Path)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %v", where, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", where, e.Key, e.Err)
}

func (e *SpecError) Unwrap() []error { return []error{ErrInvalidSpec, e.Err} }

// ReadSpec reads and validates a task spec file. Relative data paths are
// resolved against the spec's directory.
func ReadSpec(path string) (Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return Spec{}, &SpecError{Path: path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Spec{}, &SpecError{Path: path, Err: err}
	}
	if st.Size() > MaxSpecBytes {
		return Spec{}, &SpecError{Path: path, Err: fmt.Errorf("%d bytes is larger than the %d byte limit", st.Size(), MaxSpecBytes)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, &SpecError{Path: path, Err: err}
	}
	s, err := ParseSpec(data)
	if err != nil {
		var se *SpecError
		if errors.As(err, &se) {
			se.Path = path
		}
		return Spec{}, err
	}
	if !filepath.IsAbs(s.Data.Test) {
		s.Data.Test = filepath.Join(filepath.Dir(path), s.Data.Test)
	}
	for i, p := range s.Phases {
		if p.Data != nil && !filepath.IsAbs(p.Data.Test) {
			d := *p.Data
			d.Test = filepath.Join(filepath.Dir(path), d.Test)
			s.Phases[i].Data = &d
		}
	}
	return s, nil
}

// ParseSpec decodes a YAML (or JSON) task spec strictly, fills in defaults
// and validates it.
func ParseSpec(data []byte) (Spec, error) {
	if len(data) > MaxSpecBytes {
		return Spec{}, &SpecError{Err: fmt.Errorf("%d bytes is larger than the %d byte limit", len(data), MaxSpecBytes)}
	}
	var s Spec
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.DisallowUnknownField()); err != nil {
		return Spec{}, &SpecError{Err: errors.New(yaml.FormatError(err, false, false))}
	}
	s.fillDefaults()
	if err := s.Validate(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

func (s *Spec) fillDefaults() {
	if s.Title == "" {
		s.Title = s.ID
	}
	if s.Data.ID == "" {
		s.Data.ID = "id"
	}
	if s.Data.Label == "" {
		s.Data.Label = "target"
	}
	if s.Split.PublicFraction == 0 {
		s.Split.PublicFraction = DefaultPublicFraction
	}
	if s.Limits.MemoryMB == 0 {
		s.Limits.MemoryMB = DefaultMemoryMB
	}
	if s.Limits.TimeoutS == 0 {
		s.Limits.TimeoutS = DefaultTimeoutS
	}
	if s.Limits.MaxModuleMB == 0 {
		s.Limits.MaxModuleMB = DefaultMaxModuleMB
	}
	if s.FinalSelections == 0 {
		s.FinalSelections = DefaultFinalSelections
	}
	if s.Leaderboard.Mode == "" {
		s.Leaderboard.Mode = ModeBest
	}
	if s.PromoteTop == 0 {
		s.PromoteTop = DefaultPromoteTop
	}
	if s.Access.Mode == "" {
		s.Access.Mode = AccessOpen
	}
	s.fillPhaseDefaults()
}

// Validate reports the first problem with the spec, naming its key.
func (s Spec) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &SpecError{Key: key, Err: fmt.Errorf(format, args...)}
	}
	if !taskIDPattern.MatchString(s.ID) {
		return bad("id", "%q must be 3 to 64 characters of a-z, 0-9 and -", s.ID)
	}
	if len(s.Title) > 200 {
		return bad("title", "longer than 200 characters")
	}
	tt := metric.TaskType(s.Type)
	switch tt {
	case metric.Binary, metric.Multiclass, metric.Regression, metric.Ranking:
	case "":
		return bad("type", "missing: one of binary, multiclass, regression, ranking")
	default:
		return bad("type", "%q is not one of binary, multiclass, regression, ranking", s.Type)
	}
	if s.Metric == "" {
		return bad("metric", "missing")
	}
	m, err := metric.Lookup(s.Metric)
	if err != nil {
		return &SpecError{Key: "metric", Err: err}
	}
	if !m.Supports(tt) {
		return bad("metric", "%s does not apply to %s tasks (it applies to %v)", m.Name, s.Type, m.Types)
	}
	if s.Data.Test == "" {
		return bad("data.test", "missing: the path of the held-out dataset")
	}
	if tt == metric.Ranking && s.Data.Group == "" {
		return bad("data.group", "missing: a ranking task needs the query column")
	}
	if tt != metric.Ranking && s.Data.Group != "" {
		return bad("data.group", "only ranking tasks have a query column")
	}
	seen := map[string]bool{s.Data.ID: true, s.Data.Label: true, s.Data.Group: true}
	for i, f := range s.Data.Features {
		if f == "" || seen[f] {
			return bad(fmt.Sprintf("data.features[%d]", i), "%q is empty, repeated, or the id, label or group column", f)
		}
		seen[f] = true
	}
	if f := s.Split.PublicFraction; !(f > 0 && f <= 1) {
		return bad("split.public_fraction", "%v is not in (0, 1]", f)
	}
	if s.Limits.MemoryMB > MaxMemoryMB {
		return bad("limits.memory_mb", "%d is above the %d MiB maximum", s.Limits.MemoryMB, MaxMemoryMB)
	}
	if t := s.Limits.TimeoutS; !(t > 0 && t <= MaxTimeoutS) {
		return bad("limits.timeout_s", "%v is not in (0, %d]", t, MaxTimeoutS)
	}
	if mb := s.Limits.MaxModuleMB; !(mb > 0 && mb <= MaxModuleMB) {
		return bad("limits.max_module_mb", "%v is not in (0, %d]", mb, MaxModuleMB)
	}
	if s.Limits.DailyLimit < 0 {
		return bad("limits.daily_limit", "%d is negative", s.Limits.DailyLimit)
	}
	if s.Limits.TotalLimit < 0 {
		return bad("limits.total_limit", "%d is negative", s.Limits.TotalLimit)
	}
	if err := s.validatePhases(); err != nil {
		return err
	}
	start, err := parseTime(s.Schedule.Start)
	if err != nil {
		return &SpecError{Key: "schedule.start", Err: err}
	}
	end, err := parseTime(s.Schedule.End)
	if err != nil {
		return &SpecError{Key: "schedule.end", Err: err}
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		return bad("schedule.end", "%s is not after the start %s", s.Schedule.End, s.Schedule.Start)
	}
	if n := s.FinalSelections; n < 1 || n > MaxFinalSelections {
		return bad("final_selections", "%d is not in [1, %d]", n, MaxFinalSelections)
	}
	if s.Teams.MaxSize < 0 {
		return bad("teams.max_size", "%d is negative", s.Teams.MaxSize)
	}
	md, err := parseTime(s.Teams.MergeDeadline)
	if err != nil {
		return &SpecError{Key: "teams.merge_deadline", Err: err}
	}
	if !md.IsZero() && s.Teams.MaxSize == 0 {
		return bad("teams.merge_deadline", "set, but teams.max_size is 0 (no teams)")
	}
	if err := s.Leaderboard.validate(); err != nil {
		return err
	}
	if err := s.Gates.Validate(); err != nil {
		return &SpecError{Err: err} // the gate's error names its key
	}
	if n := s.PromoteTop; n < 1 || n > MaxPromoteTop {
		return bad("promote_top", "%d is not in [1, %d]", n, MaxPromoteTop)
	}
	if err := s.Access.validate(); err != nil {
		return err
	}
	return nil
}

// seedWarnings returns the host's warnings about a split seed chosen in
// the spec: one anybody can guess gives away which rows are private to
// whoever learns the row ids.
func (s Spec) seedWarnings() []string {
	var out []string
	if s.Split.Seed == s.ID {
		out = append(out, fmt.Sprintf("split.seed is the task id %q, which is public: whoever learns the row ids can compute which rows are private; leave split.seed out to have a random secret made", s.ID))
	} else if n := len(s.Split.Seed); n < MinSeedBytes {
		out = append(out, fmt.Sprintf("split.seed is %d bytes, shorter than %d: it can be guessed, and with it which rows are private; leave split.seed out to have a random secret made", n, MinSeedBytes))
	}
	return out
}

// sandboxLimits converts the spec's limits for the sandbox.
func (s Spec) sandboxLimits() sandbox.Limits {
	return sandbox.Limits{
		MemoryMB:       s.Limits.MemoryMB,
		Timeout:        time.Duration(s.Limits.TimeoutS * float64(time.Second)),
		MaxModuleBytes: int64(math.Round(s.Limits.MaxModuleMB * (1 << 20))),
	}
}
