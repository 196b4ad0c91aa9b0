package market

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/sandbox"
)

// Bounds of a ranking on a sample (Rank, RankCandidates): the sample is
// someone's own labelled rows, scored by every candidate in the sandbox,
// so both are kept small.
const (
	// MaxSampleBytes bounds a sample file.
	MaxSampleBytes = 4 << 20
	// MaxSampleRows bounds a sample's rows.
	MaxSampleRows = 20_000
	// MaxRankModels bounds the models one ranking runs: the best
	// certified ones matching the query, the rest left out (Ranking.Left).
	MaxRankModels = 25
	// DefaultSampleID and DefaultSampleLabel are the sample's id and
	// label columns when Sample leaves them empty.
	DefaultSampleID    = "id"
	DefaultSampleLabel = "label"
)

// ErrSample reports a sample that no candidate could read (a missing id
// or label column, labels of the wrong kind, no rows): the ranking has
// nothing to say about it.
var ErrSample = errors.New("market: sample unusable")

// Sample is a small labelled table to rank models on: an id column, a
// label column, for ranking a group column, and the models' feature
// columns by name (other columns are ignored; a model whose features are
// missing is left out with its reason).
type Sample struct {
	Data []byte `json:"-"`
	// Name is the file name, for the format (.csv, .parquet, .arrow) and
	// errors; "" is "sample.csv".
	Name  string `json:"name,omitempty"`
	ID    string `json:"id,omitempty"`    // "" is DefaultSampleID
	Label string `json:"label,omitempty"` // "" is DefaultSampleLabel
	Group string `json:"group,omitempty"` // ranking tasks only
}

// Candidate is a model to rank: its entry (the card says what it reads
// and under what memory limit it runs) and its module.
type Candidate struct {
	Entry  Entry
	Module []byte
}

// Ranked is one model's measured score on a sample.
type Ranked struct {
	// Rank is 1 for the best; 0 for a model that could not be scored.
	Rank  int   `json:"rank"`
	Entry Entry `json:"model"`
	// Score is the metric on the sample; nil when Error says why not.
	Score *float64 `json:"score,omitempty"`
	// Interval is the percentile bootstrap interval of Score (nil when
	// the sample is too small to resample).
	Interval *engine.Interval `json:"interval,omitempty"`
	Error    string           `json:"error,omitempty"`
}

// Ranking is the outcome of ranking models on a sample.
type Ranking struct {
	TaskType       string `json:"task_type"`
	Metric         string `json:"metric"`
	HigherIsBetter bool   `json:"higher_is_better"`
	// Rows is the number of sample rows scored.
	Rows int `json:"rows"`
	// Models are the scored models, best first, then those that could not
	// be scored (Rank 0, with their Error).
	Models []Ranked `json:"models"`
	// Left is how many more models matched the query than were run
	// (MaxRankModels).
	Left int `json:"left,omitempty"`
}

// Runtimes returns a sandbox runtime for a model's limits: an engine's
// (Engine.Runtime), or one of the caller's own.
type Runtimes func(ctx context.Context, lim sandbox.Limits) (*sandbox.Runtime, error)

// Rank measures the models of this marketplace that q selects on the
// caller's sample: each runs in the sandbox under its certified limits,
// and is scored with q.Metric on the sample's labels, with a bootstrap
// interval. q.TaskType and q.Metric are required; q.Metric is the
// measure, not a filter: every model of the task type that q's other
// filters keep is a candidate, whatever it was certified with. Only the
// first MaxRankModels candidates (best certified first) are run;
// q.TrustedOnly leaves out, before running, models whose issuer is not
// trusted here. The sample is read, never kept.
func (mk *Market) Rank(ctx context.Context, q Query, s Sample) (*Ranking, error) {
	if q.TaskType == "" || q.Metric == "" {
		return nil, fmt.Errorf("rank on a sample: a task type and a metric are required: %w", engine.ErrBadRequest)
	}
	lq := q
	lq.Metric, lq.IncludeRevoked, lq.Limit = "", false, 0
	es, err := mk.List(lq)
	if err != nil {
		return nil, err
	}
	left := max(0, len(es)-MaxRankModels)
	es = es[:len(es)-left]
	cands := make([]Candidate, 0, len(es))
	for _, me := range es {
		module, err := mk.module(&me)
		if err != nil {
			return nil, err
		}
		cands = append(cands, Candidate{Entry: me, Module: module})
	}
	r, err := RankCandidates(ctx, mk.e.Runtime, q.TaskType, q.Metric, cands, s)
	if err != nil {
		return nil, err
	}
	r.Left = left
	return r, nil
}

// RankCandidates runs each candidate on the sample in a runtime of rt
// under the candidate's certified memory limit, scores its outputs with
// the metric against the sample's labels and ranks them: best score first
// in the metric's direction, then by id. A candidate of another task type
// or whose features the sample lacks is listed unscored with the reason.
// A sample too large or that no candidate could read is ErrBadRequest
// (ErrSample).
func RankCandidates(ctx context.Context, rt Runtimes, taskType, metricName string, cands []Candidate, s Sample) (*Ranking, error) {
	m, err := metric.Lookup(metricName)
	if err != nil {
		return nil, fmt.Errorf("rank on a sample: metric %q: %w: %w", metricName, err, engine.ErrBadRequest)
	}
	kind, ok := sampleLabelKind(taskType)
	if !ok {
		return nil, fmt.Errorf("rank on a sample: task type %q is not binary, multiclass, regression or ranking: %w", taskType, engine.ErrBadRequest)
	}
	if !m.Supports(metric.TaskType(taskType)) {
		return nil, fmt.Errorf("rank on a sample: metric %s does not apply to %s tasks: %w", m.Name, taskType, engine.ErrBadRequest)
	}
	if len(s.Data) > MaxSampleBytes {
		return nil, fmt.Errorf("sample: %d bytes, more than %d: %w: %w", len(s.Data), MaxSampleBytes, ErrSample, engine.ErrBadRequest)
	}
	s = s.withDefaults()
	out := &Ranking{TaskType: taskType, Metric: m.Name, HigherIsBetter: m.HigherIsBetter, Models: []Ranked{}}
	var (
		scored, failed []Ranked
		sampleErr      error
	)
	for _, c := range cands {
		r := Ranked{Entry: c.Entry}
		r.Entry.Credential, r.Entry.SignedCard = nil, nil
		rows, score, iv, err := rankOne(ctx, rt, m, metric.TaskType(taskType), kind, c, s)
		var pe *datasets.ParseError
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			r.Error = err.Error()
			failed = append(failed, r)
			if errors.As(err, &pe) && sampleErr == nil {
				sampleErr = err
			}
			continue
		}
		out.Rows = rows
		r.Score, r.Interval = &score, iv
		scored = append(scored, r)
	}
	if len(scored) == 0 && sampleErr != nil && len(failed) == len(cands) {
		return nil, fmt.Errorf("%w: %w: %w", sampleErr, ErrSample, engine.ErrBadRequest)
	}
	slices.SortStableFunc(scored, func(a, b Ranked) int {
		c := cmp.Compare(*a.Score, *b.Score)
		if m.HigherIsBetter {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.Entry.ID, b.Entry.ID)
	})
	for i := range scored {
		scored[i].Rank = i + 1
	}
	out.Models = append(append(out.Models, scored...), failed...)
	return out, nil
}

func (s Sample) withDefaults() Sample {
	if s.Name == "" {
		s.Name = "sample.csv"
	}
	if s.ID == "" {
		s.ID = DefaultSampleID
	}
	if s.Label == "" {
		s.Label = DefaultSampleLabel
	}
	return s
}

func sampleLabelKind(taskType string) (datasets.LabelKind, bool) {
	switch metric.TaskType(taskType) {
	case metric.Binary:
		return datasets.BinaryLabel, true
	case metric.Multiclass:
		return datasets.MulticlassLabel, true
	case metric.Regression, metric.Ranking:
		return datasets.NumericLabel, true
	}
	return "", false
}

// rankOne scores one candidate on the sample.
func rankOne(ctx context.Context, rt Runtimes, m metric.Metric, tt metric.TaskType, kind datasets.LabelKind, c Candidate, s Sample) (int, float64, *engine.Interval, error) {
	card := &c.Entry.Card
	if card.Task.Type != string(tt) {
		return 0, 0, nil, fmt.Errorf("certified for a %s task, not %s", card.Task.Type, tt)
	}
	group := ""
	if tt == metric.Ranking {
		group = s.Group
	}
	d, err := datasets.Read(bytes.NewReader(s.Data), s.Name, datasets.Auto, datasets.Schema{
		ID: s.ID, Label: s.Label, Kind: kind, NumClasses: card.Output.Classes, Group: group,
		Features: card.Input.Features, MaxBytes: MaxSampleBytes, MaxRows: MaxSampleRows,
	})
	if err != nil {
		return 0, 0, nil, fmt.Errorf("sample: %w", err)
	}
	defer d.Release()
	r, err := rt(ctx, sandbox.Limits{MemoryMB: card.MemoryMB})
	if err != nil {
		return 0, 0, nil, err
	}
	mod, err := r.Compile(ctx, c.Module)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("model %s: %w", c.Entry.ID, err)
	}
	defer mod.Close(ctx)
	cols := make([][]float64, len(d.FeatureNames))
	for j := range cols {
		cols[j] = d.Column(j)
	}
	res, err := mod.Run(ctx, sandbox.Input{Columns: cols, Outputs: len(card.Output.Columns)})
	if err != nil {
		return 0, 0, nil, fmt.Errorf("model %s: %w", c.Entry.ID, err)
	}
	in := metric.Input{Type: tt, Truth: d.Labels, Pred: res.Outputs, Group: d.Groups}
	score, err := m.Score(in)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("score %s: %w", m.Name, err)
	}
	h := sha256.New()
	h.Write([]byte("verdict rank\x00" + card.Model + "\x00"))
	h.Write(s.Data)
	seed := binary.BigEndian.Uint64(h.Sum(nil)[:8])
	var iv *engine.Interval
	if b, err := m.Bootstrap(in, metric.BootstrapConfig{Seed: seed}); err == nil && !math.IsNaN(b.Low) {
		iv = &engine.Interval{Low: b.Low, High: b.High, Level: b.Level, Resamples: b.Resamples, Method: b.Method}
	}
	return d.Rows(), score, iv, nil
}
