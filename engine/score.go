package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine/metric"
)

// checkOutputs refuses outputs the task's metric would refuse whatever
// the labels (a probability outside [0, 1], a multiclass row not summing
// to 1, a negative value for rmsle), before the rows are split into parts:
// the error names the row by its position in the model's output, so it is
// the same whichever part the row is in.
func (lt *loadedTask) checkOutputs(outs [][]float64) error {
	m, err := metric.Lookup(lt.task.Spec.Metric)
	if err != nil {
		return err
	}
	if err := m.CheckPredictions(metric.TaskType(lt.task.Spec.Type), outs); err != nil {
		return fmt.Errorf("bad output: %w", err)
	}
	return nil
}

// scoreError is a metric that has no value on the public part of a
// submission's outputs that passed checkOutputs: why depends on the public
// labels, so the participant reads a fixed message and the host the cause.
type scoreError struct {
	metric string
	err    error
}

func (e *scoreError) Error() string { return "public part: " + e.err.Error() }
func (e *scoreError) Unwrap() error { return e.err }

// submissionError is what a submission that failed with e records.
func (e *scoreError) submissionError() *SubmissionError {
	return &SubmissionError{Kind: "score", Detail: e.Error(),
		Message: e.metric + " has no value on the public rows for these outputs; the host has the details"}
}

// score computes the task's metric, and its bootstrap confidence interval,
// on the public and the private part, of outputs that passed
// checkOutputs. Private is nil when the task has no private part, or when
// the metric has no value there (PrivateError says why): the submission
// is scored all the same, so that nothing a participant sees before close
// depends on the private labels. A public part without a value is a
// *scoreError.
func (lt *loadedTask) score(outs [][]float64, moduleSHA string) (Scores, error) {
	var sc Scores
	m, err := metric.Lookup(lt.task.Spec.Metric)
	if err != nil {
		return sc, err
	}
	tt := metric.TaskType(lt.task.Spec.Type)
	part := func(name string, rows []int) (*float64, *Interval, error) {
		in := gather(tt, lt.data.Labels, outs, lt.data.Groups, rows)
		v, err := m.Score(in)
		if err != nil {
			return nil, nil, err
		}
		return &v, bootstrap(m, in, bootstrapSeed(lt.task.Spec.ID, name, moduleSHA)), nil
	}
	if sc.Public, sc.PublicCI, err = part("public", lt.split.public); err != nil {
		return Scores{}, &scoreError{metric: m.Name, err: err}
	}
	if len(lt.split.private) > 0 {
		if sc.Private, sc.PrivateCI, err = part("private", lt.split.private); err != nil {
			sc.PrivateError = "private part: " + err.Error()
		}
	}
	return sc, nil
}

// bootstrap returns the default percentile interval of a score, or nil when
// the score cannot be resampled (too few rows, a class missing from most
// resamples): the score stands without it.
func bootstrap(m metric.Metric, in metric.Input, seed uint64) *Interval {
	iv, err := m.Bootstrap(in, metric.BootstrapConfig{Seed: seed})
	if err != nil {
		return nil
	}
	return &Interval{Low: iv.Low, High: iv.High, Level: iv.Level, Resamples: iv.Resamples, Method: iv.Method}
}

// bootstrapSeed derives the resampling seed from what identifies a score:
// the task, the part and the module. The same module always gets the same
// interval; two modules get independent resamples.
func bootstrapSeed(task, part, moduleSHA string) uint64 {
	h := sha256.Sum256([]byte("verdict bootstrap\x00" + task + "\x00" + part + "\x00" + moduleSHA))
	return binary.BigEndian.Uint64(h[:8])
}

// gather builds a metric input from the rows selected by idx.
func gather(tt metric.TaskType, truth []float64, pred [][]float64, groups []string, idx []int) metric.Input {
	in := metric.Input{Type: tt, Truth: make([]float64, len(idx)), Pred: make([][]float64, len(pred))}
	for k := range pred {
		in.Pred[k] = make([]float64, len(idx))
	}
	for n, i := range idx {
		in.Truth[n] = truth[i]
		for k := range pred {
			in.Pred[k][n] = pred[k][i]
		}
	}
	if groups != nil {
		in.Group = make([]string, len(idx))
		for n, i := range idx {
			in.Group[n] = groups[i]
		}
	}
	return in
}

func (lt *loadedTask) predictions(outs [][]float64) *Predictions {
	return &Predictions{IDs: lt.data.IDs, Columns: outputColumns(len(outs)), Values: outs}
}

// outputColumns names prediction columns: "p" for one output, else p0..pC-1.
func outputColumns(n int) []string {
	if n == 1 {
		return []string{"p"}
	}
	cols := make([]string, n)
	for k := range cols {
		cols[k] = "p" + strconv.Itoa(k)
	}
	return cols
}

// ScoreFiles is offline scoring: the metric of a prediction file against a
// truth file, with no sandbox. Both files are CSV, Parquet or Arrow IPC. The
// truth file has the id column, the label column and, for ranking, the
// group column (other columns are ignored); the prediction file has the id
// column then one column per output (multiclass: one probability per class,
// in class order). Every truth id needs exactly one prediction.
type ScoreFiles struct {
	TaskType string
	Metric   string
	Truth    string // path
	Pred     string // path
	ID       string // id column in both files; default "id"
	Label    string // label column of the truth file; default "label"
	Group    string // group column of the truth file (ranking); default "group"
	K        int    // ranking cutoff; overrides a K in the metric name ("ndcg@10")
	// CI asks for a bootstrap confidence interval with this configuration
	// (nil: none). A zero Seed is a valid, fixed seed.
	CI *metric.BootstrapConfig
}

// ScoreResult is the outcome of offline scoring.
type ScoreResult struct {
	Score float64
	CI    *Interval // when asked for
}

// Score computes the metric of a ScoreFiles request.
func (sf ScoreFiles) Score() (ScoreResult, error) {
	v, in, m, err := sf.score()
	if err != nil || sf.CI == nil {
		return ScoreResult{Score: v}, err
	}
	iv, err := m.Bootstrap(in, *sf.CI)
	if err != nil {
		return ScoreResult{}, fmt.Errorf("confidence interval: %w: %w", err, ErrBadRequest)
	}
	return ScoreResult{Score: v, CI: &Interval{Low: iv.Low, High: iv.High, Level: iv.Level, Resamples: iv.Resamples, Method: iv.Method}}, nil
}

func (sf ScoreFiles) score() (float64, metric.Input, metric.Metric, error) {
	var in metric.Input
	var m metric.Metric
	if sf.ID == "" {
		sf.ID = "id"
	}
	if sf.Label == "" {
		sf.Label = "label"
	}
	tt := metric.TaskType(sf.TaskType)
	switch tt {
	case metric.Binary, metric.Multiclass, metric.Regression, metric.Ranking:
	default:
		return 0, in, m, fmt.Errorf("task type %q is not one of binary, multiclass, regression, ranking: %w", sf.TaskType, ErrBadRequest)
	}
	if tt == metric.Ranking && sf.Group == "" {
		sf.Group = "group"
	}
	if tt != metric.Ranking {
		sf.Group = ""
	}
	m, err := metric.Lookup(sf.Metric)
	if err != nil {
		return 0, in, m, fmt.Errorf("%w: %w", err, ErrBadRequest)
	}
	if !m.Supports(tt) {
		return 0, in, m, fmt.Errorf("metric %s does not apply to %s tasks: %w", m.Name, tt, ErrBadRequest)
	}
	truth, err := datasets.Load(sf.Truth, datasets.Schema{ID: sf.ID, Label: sf.Label, Kind: labelKind(sf.TaskType), Group: sf.Group})
	if err != nil {
		return 0, in, m, fmt.Errorf("truth: %w", err)
	}
	defer truth.Release()
	pred, err := datasets.Load(sf.Pred, datasets.Schema{ID: sf.ID})
	if err != nil {
		return 0, in, m, fmt.Errorf("predictions: %w", err)
	}
	defer pred.Release()
	want := 1
	if tt == metric.Multiclass {
		want = truth.NumClasses
		if len(pred.FeatureNames) > want {
			want = len(pred.FeatureNames) // classes absent from the truth are allowed
		}
	}
	if len(pred.FeatureNames) != want {
		return 0, in, m, fmt.Errorf("predictions %s: %d output columns %v, want %d: %w", sf.Pred, len(pred.FeatureNames), pred.FeatureNames, want, ErrBadRequest)
	}
	byID := make(map[string]int, pred.Rows())
	for i, id := range pred.IDs {
		byID[id] = i
	}
	cols := make([][]float64, len(pred.FeatureNames))
	for k := range cols {
		cols[k] = make([]float64, truth.Rows())
	}
	all := make([]int, truth.Rows())
	for i, id := range truth.IDs {
		r, ok := byID[id]
		if !ok {
			return 0, in, m, fmt.Errorf("predictions %s: no prediction for id %q (truth row %d): %w", sf.Pred, id, i+1, ErrBadRequest)
		}
		for k := range cols {
			cols[k][i] = pred.Column(k)[r]
		}
		all[i] = i
	}
	if pred.Rows() > truth.Rows() { // every truth id matched and ids are unique: some are extra
		inTruth := make(map[string]bool, truth.Rows())
		for _, id := range truth.IDs {
			inTruth[id] = true
		}
		for _, id := range pred.IDs {
			if !inTruth[id] {
				return 0, in, m, fmt.Errorf("predictions %s: id %q is not in the truth file (%d predictions for %d truth rows): %w", sf.Pred, id, pred.Rows(), truth.Rows(), ErrBadRequest)
			}
		}
	}
	in = gather(tt, truth.Labels, cols, truth.Groups, all)
	in.K = sf.K
	v, err := m.Score(in)
	if err != nil {
		return 0, in, m, fmt.Errorf("%w: %w", err, ErrBadRequest)
	}
	return v, in, m, nil
}
