package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// The streams, consumers, buckets and subjects of the job protocol.
const (
	// JobsStream is the work queue: one message per job on
	// JobSubject(submission, shard); a job leaves it when a worker acks
	// it, or when the coordinator moves it to DeadStream.
	JobsStream = "VERDICT_JOBS"
	// WorkersConsumer is the durable pull consumer every worker shares.
	WorkersConsumer = "workers"
	// ResultsStream holds one result per job (deduplicated by job id).
	ResultsStream = "VERDICT_RESULTS"
	// AdvisoriesStream captures JetStream's max-deliveries advisories
	// for JobsStream, so that a coordinator that was down misses none.
	AdvisoriesStream = "VERDICT_ADVISORIES"
	// AdvisoriesConsumer is the coordinator's durable consumer on it.
	AdvisoriesConsumer = "coordinator"
	// DeadConsumer is the coordinator's durable consumer on DeadStream.
	DeadConsumer = "coordinator"
	// DeadStream keeps the jobs no worker finished after MaxDeliver tries.
	DeadStream = "VERDICT_DEAD"
	// InputsBucket is the object store of modules and feature shards,
	// named by their SHA-256 (hex).
	InputsBucket = "verdict-inputs"
	// OutputsBucket is the object store of prediction shards, named by
	// their SHA-256 (hex); they expire after ResultsMaxAge.
	OutputsBucket = "verdict-outputs"
	// WorkerInbox is the reply-subject prefix of worker connections.
	WorkerInbox = "_INBOX_verdict_worker"

	jobsPrefix       = "verdict.jobs."
	resultsPrefix    = "verdict.results."
	deadPrefix       = "verdict.dead."
	maxDeliverPrefix = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES."
)

// Defaults of Topology.
const (
	// DefaultHeartbeat is how often a worker tells JetStream it is still
	// running a job (InProgress); AckWait is three times it.
	DefaultHeartbeat = 10 * time.Second
	// DefaultMaxDeliver bounds the tries of a job.
	DefaultMaxDeliver = 4
	// DefaultDedupeWindow is how long JetStream remembers a job id on the
	// jobs and results streams: longer than MaxDeliver tries of the
	// longest job (the coordinator refuses a job whose limit would pass
	// it).
	DefaultDedupeWindow = 6 * time.Hour
	// ResultsMaxAge is how long results and prediction objects are kept.
	ResultsMaxAge = 24 * time.Hour
)

// Topology is the settings of the streams and consumers. Zero fields mean
// the Default* values.
type Topology struct {
	// Replicas of every stream and bucket: 1 on one server, 3 on a
	// three-node cluster.
	Replicas int
	// Heartbeat is the worker's InProgress interval; AckWait = 3 ×
	// Heartbeat.
	Heartbeat time.Duration
	// MaxDeliver bounds the tries of one job.
	MaxDeliver int
	// DedupeWindow is JetStream's duplicate window on jobs and results.
	DedupeWindow time.Duration
}

// withDefaults fills zero fields.
func (t Topology) withDefaults() Topology {
	if t.Replicas == 0 {
		t.Replicas = 1
	}
	if t.Heartbeat == 0 {
		t.Heartbeat = DefaultHeartbeat
	}
	if t.MaxDeliver == 0 {
		t.MaxDeliver = DefaultMaxDeliver
	}
	if t.DedupeWindow == 0 {
		t.DedupeWindow = DefaultDedupeWindow
	}
	return t
}

// Validate reports fields out of range.
func (t Topology) Validate() error {
	t = t.withDefaults()
	var errs []error
	if t.Replicas < 1 || t.Replicas > 5 {
		errs = append(errs, fmt.Errorf("topology: replicas %d, want 1 to 5: %w", t.Replicas, ErrConfig))
	}
	if t.Heartbeat < time.Millisecond {
		errs = append(errs, fmt.Errorf("topology: heartbeat %v below 1ms: %w", t.Heartbeat, ErrConfig))
	}
	if t.MaxDeliver < 1 {
		errs = append(errs, fmt.Errorf("topology: max deliver %d below 1: %w", t.MaxDeliver, ErrConfig))
	}
	if t.DedupeWindow > ResultsMaxAge {
		errs = append(errs, fmt.Errorf("topology: dedupe window %v above the results' age %v: %w", t.DedupeWindow, ResultsMaxAge, ErrConfig))
	}
	return errors.Join(errs...)
}

// AckWait is how long JetStream waits for a worker's ack or heartbeat
// before it delivers the job again.
func (t Topology) AckWait() time.Duration { return 3 * t.withDefaults().Heartbeat }

// Setup creates or updates the streams, the consumers and the buckets. The
// coordinator calls it; workers only bind to what it made.
func Setup(ctx context.Context, js jetstream.JetStream, t Topology) error {
	if err := t.Validate(); err != nil {
		return err
	}
	t = t.withDefaults()
	streams := []jetstream.StreamConfig{{
		Name:        JobsStream,
		Description: "verdict jobs: one shard of one submission each",
		Subjects:    []string{jobsPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    t.Replicas,
		Duplicates:  t.DedupeWindow,
		MaxMsgSize:  1 << 20,
	}, {
		Name:        ResultsStream,
		Description: "verdict results: one per job, deduplicated by Nats-Msg-Id",
		Subjects:    []string{resultsPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    t.Replicas,
		Duplicates:  t.DedupeWindow,
		MaxAge:      ResultsMaxAge,
		MaxMsgSize:  1 << 20,
	}, {
		Name:        AdvisoriesStream,
		Description: "JetStream's max-deliveries advisories on " + JobsStream,
		Subjects:    []string{maxDeliverPrefix + JobsStream + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    t.Replicas,
		MaxAge:      ResultsMaxAge,
	}, {
		Name:        DeadStream,
		Description: "verdict jobs no worker finished after MaxDeliver tries",
		Subjects:    []string{deadPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    t.Replicas,
		Duplicates:  t.DedupeWindow,
		MaxAge:      7 * ResultsMaxAge,
	}}
	for _, sc := range streams {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("set up stream %s: %w", sc.Name, err)
		}
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{
		Durable:       WorkersConsumer,
		Description:   "every worker's pull consumer: one job per slot",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       t.AckWait(),
		MaxDeliver:    t.MaxDeliver,
		MaxAckPending: -1,
		Replicas:      t.Replicas,
	}); err != nil {
		return fmt.Errorf("set up consumer %s: %w", WorkersConsumer, err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, AdvisoriesStream, jetstream.ConsumerConfig{
		Durable:     AdvisoriesConsumer,
		Description: "the coordinator: moves dead jobs to " + DeadStream,
		AckPolicy:   jetstream.AckExplicitPolicy,
		AckWait:     time.Minute,
		Replicas:    t.Replicas,
	}); err != nil {
		return fmt.Errorf("set up consumer %s: %w", AdvisoriesConsumer, err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, DeadStream, jetstream.ConsumerConfig{
		Durable:     DeadConsumer,
		Description: "the coordinator: publishes each dead job's crash result",
		AckPolicy:   jetstream.AckExplicitPolicy,
		AckWait:     time.Minute,
		Replicas:    t.Replicas,
	}); err != nil {
		return fmt.Errorf("set up consumer %s: %w", DeadConsumer, err)
	}
	buckets := []jetstream.ObjectStoreConfig{
		{Bucket: InputsBucket, Description: "modules and feature shards by SHA-256", Storage: jetstream.FileStorage, Replicas: t.Replicas},
		{Bucket: OutputsBucket, Description: "prediction shards by SHA-256", Storage: jetstream.FileStorage, Replicas: t.Replicas, TTL: ResultsMaxAge},
	}
	for _, bc := range buckets {
		if _, err := js.CreateOrUpdateObjectStore(ctx, bc); err != nil {
			return fmt.Errorf("set up bucket %s: %w", bc.Bucket, err)
		}
	}
	return nil
}

// WorkerPermissions are what WorkerUser may do: take jobs from
// WorkersConsumer and ack them, read InputsBucket, write OutputsBucket,
// publish results, and receive replies on WorkerInbox. Nothing else: not
// the results of others, not the advisories, the dead letters, another
// stream or the JetStream API at large.
func WorkerPermissions() *server.Permissions {
	in, out := "OBJ_"+InputsBucket, "OBJ_"+OutputsBucket
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.CONSUMER.INFO." + JobsStream + "." + WorkersConsumer,
			"$JS.API.CONSUMER.MSG.NEXT." + JobsStream + "." + WorkersConsumer,
			"$JS.ACK." + JobsStream + "." + WorkersConsumer + ".>",
			resultsPrefix + "*.*",
			// Read inputs: bucket info, an object's meta, its chunks
			// through an ordered push consumer and its flow control.
			"$JS.API.STREAM.INFO." + in,
			"$JS.API.STREAM.MSG.GET." + in,
			"$JS.API.DIRECT.GET." + in + ".>",
			"$JS.API.CONSUMER.CREATE." + in,
			"$JS.API.CONSUMER.CREATE." + in + ".>",
			"$JS.API.CONSUMER.DELETE." + in + ".>",
			"$JS.FC." + in + ".>",
			// Write outputs: bucket info, an object's meta, its chunks.
			"$JS.API.STREAM.INFO." + out,
			"$JS.API.STREAM.MSG.GET." + out,
			"$JS.API.DIRECT.GET." + out + ".>",
			"$O." + OutputsBucket + ".C.>",
			"$O." + OutputsBucket + ".M.>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{WorkerInbox + ".>"}},
	}
}

// jobToken is the subject token of a job: its row range.
func jobToken(start, end int) string { return fmt.Sprintf("%d-%d", start, end) }

// JobID is a job's dedupe id (Nats-Msg-Id) on every stream: the
// submission, the shard's row range and the job's identity (Job.Identity:
// a hash of what it computes), so that evaluating a submission again on
// other data, another module or other limits is never deduplicated
// against an older result.
func JobID(submission string, start, end int, identity string) string {
	return submission + ":" + jobToken(start, end) + ":" + identity
}

// checkToken refuses an id that cannot be a subject token.
func checkToken(id string) error {
	if id == "" || len(id) > 256 || strings.ContainsAny(id, ".*> \t\r\n") {
		return fmt.Errorf("submission %.64q: %w", id, ErrBadID)
	}
	return nil
}
