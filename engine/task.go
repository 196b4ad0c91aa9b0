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

	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/sandbox"
)

// Defaults for the task spec. A zero value in a spec means "use the default".
const (
	DefaultPublicFraction = 0.3
	DefaultMemoryMB       = sandbox.DefaultMemoryMB
	DefaultTimeoutS       = 30
	DefaultMaxModuleMB    = 64

	// MaxSpecBytes bounds a task spec file; specs are small, uploads are untrusted.
	MaxSpecBytes = 1 << 20
	// MaxMemoryMB is the largest memory limit a task may ask for (wasm32's 4 GiB).
	MaxMemoryMB = 4096
	// MaxTimeoutS is the longest wall time a task may give one evaluation.
	MaxTimeoutS = 3600
	// MaxModuleMB is the largest module size a task may accept.
	MaxModuleMB = 1024
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
	// Seed makes the split unguessable by participants; default the task id.
	Seed string `yaml:"seed" json:"seed"`
}

// LimitsSpec bounds one evaluation of a submission.
type LimitsSpec struct {
	MemoryMB    uint32  `yaml:"memory_mb" json:"memory_mb"`
	TimeoutS    float64 `yaml:"timeout_s" json:"timeout_s"`
	MaxModuleMB float64 `yaml:"max_module_mb" json:"max_module_mb"`
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
	if s.Split.Seed == "" {
		s.Split.Seed = s.ID
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
	return nil
}

// sandboxLimits converts the spec's limits for the sandbox.
func (s Spec) sandboxLimits() sandbox.Limits {
	return sandbox.Limits{
		MemoryMB:       s.Limits.MemoryMB,
		Timeout:        time.Duration(s.Limits.TimeoutS * float64(time.Second)),
		MaxModuleBytes: int64(math.Round(s.Limits.MaxModuleMB * (1 << 20))),
	}
}
