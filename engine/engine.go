package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/verdictlab/verdict/datasets"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/engine/gate"
	"github.com/verdictlab/verdict/engine/metric"
	"github.com/verdictlab/verdict/internal/durable"
	"github.com/verdictlab/verdict/leaderboard"
	"github.com/verdictlab/verdict/onnx"
	"github.com/verdictlab/verdict/sandbox"
)

// Version is the engine version recorded with every evaluation.
const Version = "0.1.0"

// Config configures an Engine. Only DataDir is required.
type Config struct {
	// DataDir holds everything the engine keeps: the store, the held-out
	// datasets as Arrow IPC, submitted modules and the compilation cache.
	// A relative path is resolved against the working directory by Open.
	DataDir string
	// CacheDir holds wazero's compiled modules; default DataDir/cache/wazero.
	// Several data dirs may share one. Resolved like DataDir.
	CacheDir string
	// CacheMaxBytes bounds CacheDir: after each compilation the least
	// recently used compiled modules are removed until it holds at most
	// this many bytes. Zero means DefaultCacheMaxBytes, negative no
	// bound.
	CacheMaxBytes int64
	// Now is the clock every competition rule reads (schedule, daily
	// limits, deadlines, history); default time.Now.
	Now func() time.Time
	// Workers is how many submissions are evaluated at once; default
	// runtime.GOMAXPROCS(0).
	Workers int
	// QueueSize bounds the submissions waiting for a worker; when it is
	// full, Submit and Enqueue return ErrQueueFull. Default
	// DefaultQueuePerWorker × Workers.
	QueueSize int
	// Rand is the entropy for the host key (made on first use) and
	// credential ids; default crypto/rand.Reader.
	Rand io.Reader
	// BaseURL is where the data dir's status lists are published: a
	// credential's status entry points at BaseURL/status/1. Default
	// DefaultBaseURL.
	BaseURL string
	// Dispatcher, if set, runs the model of each submission's evaluation
	// (not re-runs, baselines or certification) elsewhere, e.g. on
	// workers through NATS JetStream (package dispatch); nil runs it
	// here. Tasks with a deterministic gate always run here.
	Dispatcher Dispatcher
	// LocalWorkers bounds, when Dispatcher is set, the evaluations that
	// still run here (tasks with a deterministic gate) at once: Workers
	// is then sized for evaluations waiting on the queue, and as many
	// sandboxes at once would share the CPUs and run into their time
	// limits. Default runtime.GOMAXPROCS(0); without a Dispatcher,
	// Workers bounds them.
	LocalWorkers int

	// MaxDatasetRows, MaxDatasetBytes and MaxDatasetCells bound a task's
	// held-out dataset as CreateTask and a rescore read it: its rows, its
	// file's size, and rows × feature columns. Zero means
	// DefaultMaxDatasetRows, DefaultMaxDatasetBytes and
	// DefaultMaxDatasetCells. The dataset is the host's, so these are the
	// host's bounds on the machine's memory and disk, not defences
	// against participants (an HTTP upload is bounded first by
	// httpapi.Config.MaxDatasetBytes); a stored dataset is read back
	// without them.
	MaxDatasetRows  int
	MaxDatasetBytes int64
	MaxDatasetCells int64
}

// Default bounds of a task's held-out dataset (Config.MaxDatasetRows,
// MaxDatasetBytes, MaxDatasetCells). A task's rows are held in memory
// while it is open (about 8 bytes per feature value, plus the id and the
// label), so the cells bound is the memory bound: 2 Gi values, 16 GiB of
// float64, e.g. 1e8 rows of 20 features. The bytes bound is the largest
// stored file the data dir reads back (64 GiB).
const (
	DefaultMaxDatasetRows        = 1<<31 - 1
	DefaultMaxDatasetBytes int64 = 64 << 30
	DefaultMaxDatasetCells int64 = 1 << 31
)

// datasetSchema is the schema of a task's held-out dataset, with the
// host's bounds.
func (c Config) datasetSchema(spec Spec) datasets.Schema {
	s := datasets.Schema{
		ID: spec.Data.ID, Label: spec.Data.Label, Kind: labelKind(spec.Type),
		Features: spec.Data.Features, Group: spec.Data.Group,
		MaxRows: c.MaxDatasetRows, MaxBytes: c.MaxDatasetBytes, MaxCells: c.MaxDatasetCells,
	}
	if s.MaxRows == 0 {
		s.MaxRows = DefaultMaxDatasetRows
	}
	if s.MaxBytes == 0 {
		s.MaxBytes = DefaultMaxDatasetBytes
	}
	if s.MaxCells == 0 {
		s.MaxCells = DefaultMaxDatasetCells
	}
	return s
}

// DefaultCacheMaxBytes is the compilation cache's bound when
// Config.CacheMaxBytes is zero: 1 GiB, the code of about a hundred big
// modules (compiled code is about ten times the module).
const DefaultCacheMaxBytes = sandbox.DefaultCacheMaxBytes

// DefaultQueuePerWorker sizes the default work queue.
const DefaultQueuePerWorker = 4

// DefaultBaseURL is the placeholder status lists are published under when
// Config.BaseURL is empty: .invalid never resolves, so a verifier must be
// handed the list (verdict credential verify --status-list).
const DefaultBaseURL = "https://verdict.invalid"

// Validate reports a missing data dir and negative sizes.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("engine: config: DataDir is empty")
	}
	if c.Workers < 0 || c.QueueSize < 0 || c.LocalWorkers < 0 {
		return fmt.Errorf("engine: config: Workers %d, QueueSize %d and LocalWorkers %d must not be negative", c.Workers, c.QueueSize, c.LocalWorkers)
	}
	if c.MaxDatasetRows < 0 || c.MaxDatasetBytes < 0 || c.MaxDatasetCells < 0 {
		return fmt.Errorf("engine: config: MaxDatasetRows %d, MaxDatasetBytes %d and MaxDatasetCells %d must not be negative", c.MaxDatasetRows, c.MaxDatasetBytes, c.MaxDatasetCells)
	}
	return nil
}

// Engine runs competitions: it creates tasks from specs and evaluates
// submissions against them. It is safe for concurrent use.
type Engine struct {
	cfg   Config
	store *leaderboard.Store

	mu       sync.Mutex
	loaded   map[string]*taskLoad                // by task id
	runtimes map[sandbox.Limits]*sandbox.Runtime // one per distinct limits
	closed   bool
	pending  int             // jobs accepted and not yet taken by a worker
	inflight map[string]*job // by submission id: accepted and not finished

	hostKey credential.KeyPair // the issuer of the data dir's credentials
	bbsKey  credential.BBSKey  // signs their bbs-2023 proofs
	trustMu sync.Mutex         // serializes credential issue and revocation
	// sigMu serializes signed submissions from the replay check to their
	// record, so that a signature is used at most once (the store's
	// directory lock keeps other processes out).
	sigMu sync.Mutex
	// rescoreMu serializes rescores and verifications (rescore.go).
	rescoreMu sync.Mutex

	obs observer // metrics hooks and Drain: see observe.go

	// The certifier promotes tasks closed by their schedule: see
	// scheduleClosed in promotion.go.
	// phaseMu guards phaseRecs (each task's phase record, read once) and
	// the phaser's queue; settleMu serializes phase transitions (phase.go).
	phaseMu    sync.Mutex
	phaseRecs  map[string]*phaseRecord
	phaseSeen  map[string]bool
	phaseQueue []string
	phaseWake  chan struct{}
	settleMu   sync.Mutex

	// closeAuditMu makes the audit of a schedule's close happen once.
	closeAuditMu sync.Mutex

	certMu    sync.Mutex
	certSeen  map[string]bool // tasks queued or promoted by the certifier
	certQueue []string
	certWake  chan struct{}

	boardsMu sync.Mutex
	boards   map[boardKey]map[string]rowInfo // by submission id: the rows of each board's last read

	queue   chan *job
	local   chan struct{}   // with a Dispatcher, the evaluations running here (Config.LocalWorkers)
	runCtx  context.Context // evaluations; cancelled by Close
	stop    context.CancelFunc
	workers sync.WaitGroup
}

// loadedTask is a task with its held-out data open and its split computed.
type loadedTask struct {
	task Task
	data *datasets.Dataset
	cols [][]float64 // feature columns: views of feats (or of data's Arrow memory)
	// feats holds the feature columns, copied once when the task is
	// opened, for every Run: Process isolation maps it into its children
	// instead of copying the columns into a new memfd per submission.
	// data's Arrow copy is released once feats holds them. Nil when it
	// could not be made (cols are then data's).
	feats *sandbox.Features
	split split

	mu       sync.Mutex
	baseOuts map[string][][]float64 // baseline outputs by module SHA-256
}

// Open opens (creating if needed) the data dir and its store.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// Every path is resolved once, here: the sandbox's children, a server's
	// handlers and later reads must not depend on the working directory.
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data dir %q: %w", cfg.DataDir, err)
	}
	cfg.DataDir = dataDir
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(cfg.DataDir, "cache", "wazero")
	} else if cfg.CacheDir, err = filepath.Abs(cfg.CacheDir); err != nil {
		return nil, fmt.Errorf("resolve cache dir: %w", err)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	for _, d := range []string{cfg.DataDir, datasetDir(cfg.DataDir), moduleDir(cfg.DataDir), cfg.CacheDir, credentialDir(cfg.DataDir), statusDir(cfg.DataDir), promotionDir(cfg.DataDir), phaseDir(cfg.DataDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	}
	key, err := hostKey(cfg.DataDir, cfg.Rand)
	if err != nil {
		return nil, err
	}
	bbsKey, err := hostBBSKey(cfg.DataDir, cfg.Rand)
	if err != nil {
		return nil, err
	}
	st, err := leaderboard.Open(filepath.Join(cfg.DataDir, "store"))
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueuePerWorker * cfg.Workers
	}
	if cfg.LocalWorkers == 0 {
		cfg.LocalWorkers = runtime.GOMAXPROCS(0)
	}
	e := &Engine{
		cfg:      cfg,
		store:    st,
		hostKey:  key,
		bbsKey:   bbsKey,
		loaded:   map[string]*taskLoad{},
		runtimes: map[sandbox.Limits]*sandbox.Runtime{},
		inflight: map[string]*job{},
		boards:   map[boardKey]map[string]rowInfo{},
		queue:    make(chan *job, cfg.QueueSize),
		local:    make(chan struct{}, cfg.LocalWorkers),
		certSeen: map[string]bool{},
		certWake: make(chan struct{}, 1),

		phaseRecs: map[string]*phaseRecord{},
		phaseSeen: map[string]bool{},
		phaseWake: make(chan struct{}, 1),
	}
	e.runCtx, e.stop = context.WithCancel(context.WithoutCancel(ctx))
	for range cfg.Workers {
		e.workers.Add(1)
		go e.work()
	}
	e.workers.Add(1)
	go e.certifier()
	e.workers.Add(1)
	go e.phaser()
	return e, nil
}

// Close stops the workers, releases the datasets, the sandboxes and the
// store. Evaluations it interrupts go back to queued in the store, to be
// run again by Recover; their waiters get ErrEngineClosed.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.stop()
	e.workers.Wait()
	for {
		select {
		case j := <-e.queue:
			e.finish(j, nil, ErrEngineClosed)
			continue
		default:
		}
		break
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, rt := range e.runtimes {
		errs = append(errs, rt.Close(ctx))
	}
	for _, l := range e.loaded {
		select {
		case <-l.done:
			if l.err == nil {
				l.lt.release()
			}
		default: // still reading: load releases it when it sees the engine closed
		}
	}
	e.loaded, e.runtimes = nil, nil
	errs = append(errs, e.store.Close())
	return errors.Join(errs...)
}

func datasetDir(root string) string { return filepath.Join(root, "datasets") }
func moduleDir(root string) string  { return filepath.Join(root, "modules") }

// Task is a created task: the host's spec plus what was learnt from its data.
type Task struct {
	Spec           Spec     `json:"spec"`
	HigherIsBetter bool     `json:"higher_is_better"`
	Features       []string `json:"features"`
	Outputs        int      `json:"outputs"`
	Classes        int      `json:"classes,omitempty"`
	Rows           int      `json:"rows"`
	PublicRows     int      `json:"public_rows"`
	PrivateRows    int      `json:"private_rows"`
	DatasetSHA256  string   `json:"dataset_sha256"`
	// DatasetFileSHA256 is the SHA-256 of the stored dataset file's
	// bytes, and SplitSHA256 that of the stored split (split.go), both
	// taken at creation: opening the task checks the files against them
	// instead of recomputing the content hash and the split. Empty in
	// tasks created before they were recorded, which are checked the old
	// way.
	DatasetFileSHA256 string    `json:"dataset_file_sha256,omitempty"`
	SplitSHA256       string    `json:"split_sha256,omitempty"`
	Created           time.Time `json:"created"`
	// PhaseDatasets maps a phase with its own held-out data (a final
	// phase, PhaseSpec.Data) to the SHA-256 of that dataset, stored in
	// the data dir at creation: the host's, never shown to participants.
	PhaseDatasets map[string]string `json:"phase_datasets,omitempty"`
	// PhaseData maps a development phase with its own held-out data
	// (PhaseSpec.Data) to that dataset as stored at creation, with its
	// digests and split: the submissions made in the phase are scored on
	// it, and opening it checks the stored files against the digests.
	PhaseData map[string]PhaseDataset `json:"phase_data,omitempty"`
	// DevDatasetSHA256 and DevRows are, for a task with phases, its own
	// (development) dataset's: what Info shows, whichever dataset a
	// final phase's re-run put in its place.
	DevDatasetSHA256 string `json:"dev_dataset_sha256,omitempty"`
	DevRows          int    `json:"dev_rows,omitempty"`
	DevPublicRows    int    `json:"dev_public_rows,omitempty"`
	DevPrivateRows   int    `json:"dev_private_rows,omitempty"`
	// DevDatasetFileSHA256 and DevSplitSHA256 are the development
	// dataset's stored file and split digests: what Verify opens it with
	// to check the submissions a final phase did not re-run.
	DevDatasetFileSHA256 string `json:"dev_dataset_file_sha256,omitempty"`
	DevSplitSHA256       string `json:"dev_split_sha256,omitempty"`
	// Warnings are for the host, from CreateTask only (never stored): a
	// guessable split seed, or the note that a secret one was made.
	Warnings []string `json:"warnings,omitempty"`
}

// TaskInfo is the public face of a task: what a participant needs to build
// a model for it, and nothing that would reveal the held-out data or the
// split.
type TaskInfo struct {
	ID             string     `json:"id"`
	Title          string     `json:"title"`
	Type           string     `json:"type"`
	Metric         string     `json:"metric"`
	HigherIsBetter bool       `json:"higher_is_better"`
	Features       []string   `json:"features"`
	Outputs        int        `json:"outputs"`
	Classes        int        `json:"classes,omitempty"`
	Rows           int        `json:"rows"`
	Limits         LimitsSpec `json:"limits"`
	DatasetSHA256  string     `json:"dataset_sha256"`
	Created        time.Time  `json:"created"`
	// Gates are the bar a model must pass to be certified, and PromoteTop
	// how many places of the private leaderboard may be.
	Gates      gate.Spec `json:"gates"`
	PromoteTop int       `json:"promote_top"`
}

// Info returns the task's public face.
func (t Task) Info() TaskInfo {
	if t.DevDatasetSHA256 != "" {
		// A final phase's data is nobody's to see, not even its size.
		t.DatasetSHA256, t.Rows = t.DevDatasetSHA256, t.DevRows
	}
	return TaskInfo{
		ID: t.Spec.ID, Title: t.Spec.Title, Type: t.Spec.Type, Metric: t.Spec.Metric,
		HigherIsBetter: t.HigherIsBetter, Features: t.Features, Outputs: t.Outputs,
		Classes: t.Classes, Rows: t.Rows, Limits: t.Spec.Limits,
		DatasetSHA256: t.DatasetSHA256, Created: t.Created,
		Gates: t.Spec.Gates, PromoteTop: t.Spec.PromoteTop,
	}
}

// PartRows returns the sizes of the public and the private part that
// participants may know: for a task with phases, its development
// dataset's, whichever dataset a final phase's re-run put in its place.
func (t Task) PartRows() (public, private int) {
	if t.DevDatasetSHA256 != "" {
		return t.DevPublicRows, t.DevPrivateRows
	}
	return t.PublicRows, t.PrivateRows
}

// labelKind maps a task type to the kind of label its dataset must have.
func labelKind(taskType string) datasets.LabelKind {
	switch metric.TaskType(taskType) {
	case metric.Binary:
		return datasets.BinaryLabel
	case metric.Multiclass:
		return datasets.MulticlassLabel
	default:
		return datasets.NumericLabel
	}
}

// CreateTask reads the spec file, loads and validates its dataset, stores
// the dataset as Arrow IPC in the data dir and records the task.
func (e *Engine) CreateTask(ctx context.Context, specPath string) (*Task, error) {
	spec, err := ReadSpec(specPath)
	if err != nil {
		return nil, err
	}
	if _, err := e.store.Task(spec.ID); err == nil {
		return nil, fmt.Errorf("create task %q: %w", spec.ID, ErrExists)
	} else if !errors.Is(err, leaderboard.ErrNotFound) {
		return nil, fmt.Errorf("create task %q: %w", spec.ID, err)
	}
	d, err := datasets.Load(spec.Data.Test, e.cfg.datasetSchema(spec))
	if err != nil {
		return nil, fmt.Errorf("create task %q: %w", spec.ID, err)
	}
	defer d.Release()
	var warnings []string
	if spec.Split.Seed == "" {
		seed := make([]byte, SeedBytes)
		if _, err := io.ReadFull(e.cfg.Rand, seed); err != nil {
			return nil, fmt.Errorf("create task %q: split seed: %w", spec.ID, err)
		}
		spec.Split.Seed = hex.EncodeToString(seed)
		warnings = append(warnings, "split.seed was not set: a random secret was made and stored with the task (the host reads it with: verdict task show --seed)")
	} else {
		warnings = spec.seedWarnings()
	}
	if spec.Gates.BeatsBaseline != nil {
		// A new task has no baseline yet: without one the gate fails
		// every entrant at close, so say it now.
		warnings = append(warnings, "gates.beats_baseline: the task has no baseline yet; submit one (verdict submit --baseline) before it closes, or every entrant fails this gate and nobody is certified")
	}
	t, sp, err := describe(specPath, spec, d)
	if err != nil {
		return nil, err
	}
	t.Created = e.cfg.Now().UTC()
	if err := e.storePhaseData(&t); err != nil {
		return nil, err
	}
	if len(spec.Phases) > 0 {
		t.DevDatasetSHA256, t.DevRows = t.DatasetSHA256, t.Rows
		t.DevPublicRows, t.DevPrivateRows = t.PublicRows, t.PrivateRows
	}
	if err := e.storeData(&t, d, sp); err != nil {
		return nil, fmt.Errorf("create task %q: %w", spec.ID, err)
	}
	if len(spec.Phases) > 0 {
		t.DevDatasetFileSHA256, t.DevSplitSHA256 = t.DatasetFileSHA256, t.SplitSHA256
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("create task %q: %w", spec.ID, err)
	}
	err = e.store.CreateTask(leaderboard.Task{
		ID: spec.ID, Title: spec.Title, Type: spec.Type, Metric: spec.Metric,
		HigherIsBetter: t.HigherIsBetter, Created: t.Created, Spec: raw,
		LadderStep: spec.Leaderboard.Step, PhaseLadderSteps: spec.phaseLadderSteps(),
	})
	if errors.Is(err, leaderboard.ErrExists) {
		return nil, fmt.Errorf("create task %q: %w", spec.ID, ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("create task %q: %w", spec.ID, err)
	}
	if ps := spec.Access.Participants; len(ps) > 0 {
		as := make([]leaderboard.Admission, len(ps))
		for i, p := range ps {
			as[i] = leaderboard.Admission{Participant: p, Time: t.Created, By: "spec"}
		}
		if err := e.store.Admit(spec.ID, as, nil); err != nil {
			return nil, fmt.Errorf("create task %q: admit access.participants: %w", spec.ID, err)
		}
	}
	t.Warnings = warnings
	return &t, nil
}

// storeData stores a task's dataset and split in the data dir and
// records their digests in t, which opening the task checks (loadData).
func (e *Engine) storeData(t *Task, d *datasets.Dataset, sp split) error {
	path := e.datasetPath(d.Hash)
	digest, err := d.SaveDigest(path)
	if err != nil {
		return fmt.Errorf("store dataset: %w", err)
	}
	enc := sp.encode(d.Rows())
	if err := durable.WriteFile(splitPath(e.cfg.DataDir, d.Hash, t.Spec.ID), enc, 0o600); err != nil {
		return fmt.Errorf("store split: %w", err)
	}
	sum := sha256.Sum256(enc)
	t.DatasetFileSHA256, t.SplitSHA256 = digest, hex.EncodeToString(sum[:])
	return nil
}

// describe checks a task's held-out dataset against its spec (whose split
// seed is set) and returns the task it makes, without Created: at least
// one feature column, two classes for a multiclass task, public rows (and
// private ones unless public_fraction is 1), and labels the metric can
// score on each part. CreateTask and a rescore's new dataset follow these
// same rules. path names the file errors are about.
func describe(path string, spec Spec, d *datasets.Dataset) (Task, split, error) {
	if len(d.FeatureNames) == 0 {
		return Task{}, split{}, &SpecError{Path: path, Key: "data.features", Err: fmt.Errorf("%s has no feature columns", spec.Data.Test)}
	}
	m, _ := metric.Lookup(spec.Metric) // validated by ReadSpec
	t := Task{
		Spec:           spec,
		HigherIsBetter: m.HigherIsBetter,
		Features:       d.FeatureNames,
		Outputs:        1,
		Rows:           d.Rows(),
		DatasetSHA256:  d.Hash,
	}
	if metric.TaskType(spec.Type) == metric.Multiclass {
		t.Outputs, t.Classes = d.NumClasses, d.NumClasses
		if t.Classes < 2 {
			return Task{}, split{}, &SpecError{Path: path, Key: "data.label", Err: fmt.Errorf("a multiclass task needs at least 2 classes, %s has %d", spec.Data.Test, t.Classes)}
		}
	}
	sp := newSplit(spec.Split.Seed, d.IDs, spec.Split.PublicFraction)
	t.PublicRows, t.PrivateRows = len(sp.public), len(sp.private)
	if t.PublicRows == 0 {
		return Task{}, split{}, &SpecError{Path: path, Key: "split.public_fraction", Err: fmt.Errorf("%v leaves no public rows among %d", spec.Split.PublicFraction, t.Rows)}
	}
	if spec.Split.PublicFraction < 1 && t.PrivateRows == 0 {
		return Task{}, split{}, &SpecError{Path: path, Key: "split.public_fraction", Err: fmt.Errorf("%v leaves no private rows among %d", spec.Split.PublicFraction, t.Rows)}
	}
	if err := checkLabels(path, m, d, sp, t.Classes); err != nil {
		return Task{}, split{}, err
	}
	return t, sp, nil
}

func (e *Engine) datasetPath(hash string) string {
	return filepath.Join(datasetDir(e.cfg.DataDir), hash+".arrow")
}

// Task returns a created task.
func (e *Engine) Task(id string) (*Task, error) {
	lt, err := e.store.Task(id)
	if errors.Is(err, leaderboard.ErrNotFound) {
		return nil, fmt.Errorf("task %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("task %q: %w", id, err)
	}
	return decodeTask(lt)
}

func decodeTask(lt leaderboard.Task) (*Task, error) {
	var t Task
	if err := json.Unmarshal(lt.Spec, &t); err != nil {
		return nil, fmt.Errorf("task %q: decode stored record: %w", lt.ID, err)
	}
	return &t, nil
}

// Tasks lists every task, by id.
func (e *Engine) Tasks() ([]Task, error) {
	lts, err := e.store.Tasks()
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	out := make([]Task, 0, len(lts))
	for _, lt := range lts {
		t, err := decodeTask(lt)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, nil
}

// load opens a task's stored dataset once and keeps it open. The first
// caller reads it outside the engine's lock (a large dataset takes
// seconds, and the lock guards the queue); callers for the same task
// meanwhile wait for that one read.
func (e *Engine) load(id string) (*loadedTask, error) {
	return e.loadAs(id, func() (*loadedTask, error) { return e.open(id) })
}

// loadAs is load of the data open reads, kept under name (a task's id,
// or a phase's: see loadPhase).
func (e *Engine) loadAs(id string, open func() (*loadedTask, error)) (*loadedTask, error) {
	e.mu.Lock()
	if e.loaded == nil {
		e.mu.Unlock()
		return nil, ErrEngineClosed
	}
	if l, ok := e.loaded[id]; ok {
		e.mu.Unlock()
		<-l.done
		return l.lt, l.err
	}
	l := &taskLoad{done: make(chan struct{})}
	e.loaded[id] = l
	e.mu.Unlock()

	l.lt, l.err = open()
	e.mu.Lock()
	switch {
	case e.loaded == nil: // closed meanwhile: nobody will release it
		if l.err == nil {
			l.lt.release()
			l.lt, l.err = nil, ErrEngineClosed
		}
	case l.err != nil: // the next caller tries again
		delete(e.loaded, id)
	}
	close(l.done) // under the lock, for Close's check of done
	e.mu.Unlock()
	return l.lt, l.err
}

// taskLoad is one read of a task's dataset: lt and err are set before done
// is closed.
type taskLoad struct {
	done chan struct{}
	lt   *loadedTask
	err  error
}

// open reads a task's stored dataset and computes its split.
func (e *Engine) open(id string) (*loadedTask, error) {
	t, err := e.Task(id)
	if err != nil {
		return nil, err
	}
	return e.openTask(t)
}

// openTask reads the dataset t records and its split.
func (e *Engine) openTask(t *Task) (*loadedTask, error) {
	id := t.Spec.ID
	if t.DatasetFileSHA256 == "" || t.SplitSHA256 == "" { // created before they were recorded
		d, err := datasets.Open(e.datasetPath(t.DatasetSHA256), nil)
		if err != nil {
			return nil, fmt.Errorf("task %q: open dataset: %w", id, err)
		}
		return newLoadedTask(t, d, newSplit(t.Spec.Split.seed(t.Spec.ID), d.IDs, t.Spec.Split.PublicFraction)), nil
	}
	d, err := datasets.OpenDigest(e.datasetPath(t.DatasetSHA256), t.DatasetFileSHA256, nil)
	if err != nil {
		return nil, fmt.Errorf("task %q: open dataset: %w", id, err)
	}
	if d.Hash != t.DatasetSHA256 {
		d.Release()
		return nil, fmt.Errorf("task %q: open dataset: content hash %s, the task records %s: %w", id, d.Hash, t.DatasetSHA256, datasets.ErrHashMismatch)
	}
	sp, err := readSplit(splitPath(e.cfg.DataDir, t.DatasetSHA256, id), t.SplitSHA256, d.Rows())
	if err != nil {
		d.Release()
		return nil, fmt.Errorf("task %q: %w", id, err)
	}
	return newLoadedTask(t, d, sp), nil
}

func newLoadedTask(t *Task, d *datasets.Dataset, sp split) *loadedTask {
	lt := &loadedTask{task: *t, data: d, split: sp}
	for j := range d.FeatureNames {
		lt.cols = append(lt.cols, d.Column(j))
	}
	if f, err := sandbox.NewFeatures(lt.cols); err == nil {
		lt.feats, lt.cols = f, f.Columns()
		d.Release() // the features' Arrow copy; ids, labels and groups stay
	}
	return lt
}

// release frees the task's dataset and features. No Run may use them.
func (lt *loadedTask) release() {
	lt.data.Release()
	if lt.feats != nil {
		lt.feats.Close()
	}
}

func (e *Engine) runtime(ctx context.Context, lim sandbox.Limits) (*sandbox.Runtime, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.runtimes == nil {
		return nil, errors.New("engine: closed")
	}
	if rt, ok := e.runtimes[lim]; ok {
		return rt, nil
	}
	rt, err := sandbox.NewRuntime(ctx, sandbox.Config{CacheDir: e.cfg.CacheDir, CacheMaxBytes: e.cfg.CacheMaxBytes,
		Limits: lim, Isolation: sandbox.Preferred(), TrustedCode: []string{onnx.RuntimeSHA256()}})
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	e.runtimes[lim] = rt
	return rt, nil
}

var participantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$`)

// Submission is one evaluation of a participant's module on a task.
type Submission struct {
	ID           string           `json:"id"`
	Task         string           `json:"task"`
	Participant  string           `json:"participant"`
	ModuleSHA256 string           `json:"module_sha256"`
	Created      time.Time        `json:"created"`
	Status       Status           `json:"status"`
	Scores       Scores           `json:"scores"`
	Error        *SubmissionError `json:"error"`
	ElapsedMS    float64          `json:"elapsed_ms"`
	// Team is the team the submission counts for, if any.
	Team string `json:"team,omitempty"`
	// Baseline marks a host's reference submission (never ranked).
	Baseline bool `json:"baseline,omitempty"`
	// Phase is the phase of the task it was made in (tasks with phases
	// only): it is ranked on that phase's board, scored on its data.
	Phase string `json:"phase,omitempty"`
	// Shown is the public score the leaderboard shows for it under the
	// Ladder (nil in best mode, where it is Scores.Public).
	Shown *float64 `json:"shown,omitempty"`
	// Duplicate is set when Submit returned an earlier submission of the
	// same module instead of evaluating it again.
	Duplicate bool `json:"duplicate,omitempty"`
	// Updated is when the submission last changed state.
	Updated time.Time `json:"updated"`
	// Signature is the participant's signature of the submission (see
	// SubmitRequest.Signed), "" when unsigned; Participant is then the
	// signer's did:key.
	Signature string `json:"signature,omitempty"`
	// License is the licence the participant gave the model at
	// submission ("" when none: a model card then says "unspecified").
	License string `json:"license,omitempty"`
	// Name is the display name given at submission (SubmitRequest.Name).
	Name string `json:"name,omitempty"`
	// Gates are the task's quality gates as this evaluation measured them,
	// on the public part (a credential records them again on the private
	// part at close).
	Gates []gate.Result `json:"gates,omitempty"`

	// hostError: the failure was the host's (not charged to the quota).
	hostError bool
	// diag is the recorded storedDiagnostics (see Diagnostics).
	diag json.RawMessage

	// Predictions holds the guest's outputs when asked for (host only).
	Predictions *Predictions `json:"-"`
}

// Scores are a submission's metric values; nil when not scored or, for
// Private, when the task has no private part. The intervals are percentile
// bootstrap confidence intervals of each score (see engine/metric), seeded
// by the task and the module's SHA-256 so the same module always gets the
// same interval; nil when the score cannot be resampled (e.g. too few rows).
//
// A score too large to represent is the metric's worst finite value
// (metric.Metric.Worst). When the metric has no value on the private part
// (a constant truth there, say), the submission is scored all the same,
// with Private nil and PrivateError saying why: that is for the host only,
// since whether it happened depends on the private labels (see
// RATIONALE.md, "Why does a participant see so little of a failed
// evaluation?").
type Scores struct {
	Public    *float64  `json:"public"`
	Private   *float64  `json:"private"`
	PublicCI  *Interval `json:"public_ci,omitempty"`
	PrivateCI *Interval `json:"private_ci,omitempty"`
	// PrivateError is why Private is nil on a task with a private part
	// (host only).
	PrivateError string `json:"private_error,omitempty"`
}

// Interval is a confidence interval of a score.
type Interval struct {
	Low       float64 `json:"low"`
	High      float64 `json:"high"`
	Level     float64 `json:"level"`
	Resamples int     `json:"resamples"` // 0 for an analytical interval
	// Method is how it was computed: metric.MethodBootstrap (percentile
	// bootstrap; also what "" means, in records written before the
	// field), or at scale an analytical method (metric.MethodDeLong,
	// MethodWilson, MethodNormal): see RATIONALE "Why analytical
	// intervals at scale".
	Method string `json:"method,omitempty"`
}

// detail is what engine keeps in leaderboard.Submission.Detail.
type detail struct {
	Signature string        `json:"signature,omitempty"`
	License   string        `json:"license,omitempty"`
	Name      string        `json:"name,omitempty"`
	PublicCI  *Interval     `json:"public_ci,omitempty"`
	PrivateCI *Interval     `json:"private_ci,omitempty"`
	Gates     []gate.Result `json:"gates,omitempty"`
	// ErrorDetail is SubmissionError.Detail, PrivateError
	// Scores.PrivateError: the host's.
	ErrorDetail  string `json:"error_detail,omitempty"`
	PrivateError string `json:"private_error,omitempty"`
	// Diag is kept raw: only Diagnostics decodes it.
	Diag json.RawMessage `json:"diag,omitempty"`
}

// SubmissionError says why an evaluation failed. Kind is stable and
// machine-readable (see sandbox.KindOf, plus "score" and "host"). Message
// is what the participant reads; it never depends on the private rows or
// labels. Detail, when set, is the full cause, for the host only (a
// participant's view has it empty).
type SubmissionError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

// Failed reports whether the evaluation failed.
func (s *Submission) Failed() bool { return s.Status == StatusFailed }

// Predictions are a guest's outputs for every test row, in dataset order.
type Predictions struct {
	IDs     []string
	Columns []string    // "p" for one output, "p0".."pC-1" for multiclass
	Values  [][]float64 // Values[k][i]
}

// errEvalTimeLimit is the cancel cause of an evaluation that used up the
// task's time limit.
var errEvalTimeLimit = errors.New("engine: evaluation time limit")

// run evaluates module on the task's features. When the task has the
// deterministic gate it runs sandbox.CheckDeterminism instead, and
// reports its outcome (nil when not checked): a nondeterministic model is
// not a failed evaluation but a failed gate, so it is run once more plainly
// to be scored. progress, if not nil, is told the rows done over every run
// and the rows to do, first (0, total) before any run.
//
// The task's time limit (limits.timeout_s) bounds the whole evaluation:
// compiling the module and every run of it. A module that is slow to
// compile fails with a timeout, charged to its submitter like any other,
// and frees the worker for the next submission in time.
func (e *Engine) run(ctx context.Context, lt *loadedTask, module []byte, progress func(done, total int)) (*sandbox.Result, *bool, error) {
	return e.runWith(ctx, lt, lt.task.Spec.sandboxLimits(), module, progress)
}

// runWith is run under lim (a phase's limits in place of the task's).
func (e *Engine) runWith(ctx context.Context, lt *loadedTask, lim sandbox.Limits, module []byte, progress func(done, total int)) (*sandbox.Result, *bool, error) {
	rt, err := e.runtime(ctx, lim)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, lim.Timeout, errEvalTimeLimit)
	defer cancel()
	res, det, err := e.runModule(ctx, rt, lt, module, progress)
	if err != nil && sandbox.KindOf(err) == sandbox.KindTimeout && context.Cause(ctx) == errEvalTimeLimit {
		return nil, nil, timeLimitError(err, lim)
	}
	return res, det, err
}

// timeLimitError is the participant's message of an evaluation that used
// up its time limit (err, a sandbox timeout).
func timeLimitError(err error, lim sandbox.Limits) error {
	fn, in := "", "compile"
	if se := (*sandbox.Error)(nil); errors.As(err, &se) && se.Func != "" {
		fn, in = se.Func, se.Func
	}
	return &sandbox.Error{Kind: sandbox.KindTimeout, Func: fn, Msg: fmt.Sprintf(
		"time limit of %v exceeded in %s (the limit covers compiling and running the model)", lim.Timeout, in)}
}

// runModule is run under the evaluation's deadline.
func (e *Engine) runModule(ctx context.Context, rt *sandbox.Runtime, lt *loadedTask, module []byte, progress func(done, total int)) (*sandbox.Result, *bool, error) {
	m, err := rt.Compile(ctx, module)
	if err != nil {
		return nil, nil, err
	}
	defer m.Close(ctx)
	in := sandbox.Input{Columns: lt.cols, Features: lt.feats, Outputs: lt.task.Outputs}
	rows := 0
	if len(lt.cols) > 0 {
		rows = len(lt.cols[0])
	}
	// follow reports the runs from the one that starts after base rows.
	follow := func(base, total int) {
		if progress != nil && rows > 0 {
			progress(base, total)
			in.Progress = func(done int) { progress(base+done, total) }
		}
	}
	if !lt.task.Spec.Gates.Deterministic {
		follow(0, rows)
		res, err := m.Run(ctx, in)
		return res, nil, err
	}
	det := true
	follow(0, 2*rows) // CheckDeterminism runs twice
	res, err := sandbox.CheckDeterminism(ctx, m, in, bootstrapSeed(lt.task.Spec.ID, "determinism", ""))
	if errors.Is(err, sandbox.ErrNondeterministic) {
		det = false
		follow(2*rows, 3*rows)
		res, err = m.Run(ctx, in)
	}
	if err != nil {
		return nil, nil, err
	}
	return res, &det, nil
}

// record writes s's new state, dated by the engine's clock, and takes back
// what the store decided (the Ladder's shown score).
func (e *Engine) record(s *Submission) error {
	s.Updated = e.cfg.Now().UTC()
	ls, err := toStore(s)
	if err != nil {
		return err
	}
	stored, err := e.store.Put(ls)
	if err != nil {
		return fmt.Errorf("record submission %s: %w", s.ID, err)
	}
	s.Shown, s.Team = stored.Shown, teamName(stored.Entrant)
	return nil
}

func toStore(s *Submission) (leaderboard.Submission, error) {
	ls := leaderboard.Submission{
		ID: s.ID, Task: s.Task, Participant: s.Participant, ModuleSHA256: s.ModuleSHA256,
		Created: s.Created, Status: leaderboard.Status(s.Status),
		Public: s.Scores.Public, Private: s.Scores.Private,
		Elapsed:  time.Duration(s.ElapsedMS * float64(time.Millisecond)),
		Baseline: s.Baseline, HostError: s.hostError, Updated: s.Updated, Phase: s.Phase,
	}
	var errDetail string
	if s.Error != nil {
		ls.ErrorKind, ls.ErrorMessage, errDetail = s.Error.Kind, s.Error.Message, s.Error.Detail
	}
	if s.Scores.PublicCI != nil || s.Scores.PrivateCI != nil || s.Gates != nil || s.Signature != "" || s.License != "" || s.Name != "" || s.diag != nil ||
		errDetail != "" || s.Scores.PrivateError != "" {
		d, err := json.Marshal(detail{Signature: s.Signature, License: s.License, Name: s.Name, PublicCI: s.Scores.PublicCI, PrivateCI: s.Scores.PrivateCI, Gates: s.Gates,
			ErrorDetail: errDetail, PrivateError: s.Scores.PrivateError, Diag: s.diag})
		if err != nil {
			return ls, fmt.Errorf("record submission %s: %w", s.ID, err)
		}
		ls.Detail = d
	}
	return ls, nil
}

func fromStore(ls leaderboard.Submission) Submission {
	s := Submission{
		ID: ls.ID, Task: ls.Task, Participant: ls.Participant, ModuleSHA256: ls.ModuleSHA256,
		Created: ls.Created, Status: Status(ls.Status),
		Scores:    Scores{Public: ls.Public, Private: ls.Private},
		ElapsedMS: float64(ls.Elapsed.Microseconds()) / 1000,
		Team:      teamName(ls.Entrant), Baseline: ls.Baseline, Shown: ls.Shown,
		Updated: ls.Updated, hostError: ls.HostError, Phase: ls.Phase,
	}
	if ls.ErrorKind != "" {
		s.Error = &SubmissionError{Kind: ls.ErrorKind, Message: ls.ErrorMessage}
	}
	var d detail
	if len(ls.Detail) > 0 && json.Unmarshal(ls.Detail, &d) == nil {
		s.Scores.PublicCI, s.Scores.PrivateCI, s.Gates = d.PublicCI, d.PrivateCI, d.Gates
		s.Signature, s.License, s.Name, s.diag = d.Signature, d.License, d.Name, d.Diag
		s.Scores.PrivateError = d.PrivateError
		if s.Error != nil {
			s.Error.Detail = d.ErrorDetail
		}
	}
	return s
}

// writeFileAtomic writes a file of the data dir (a module, a credential,
// a status list) with durable.WriteFile, mode 0600: whole or not at all,
// and still there after a power cut once it returns.
func writeFileAtomic(path string, data []byte) error {
	return durable.WriteFile(path, data, 0o600)
}
