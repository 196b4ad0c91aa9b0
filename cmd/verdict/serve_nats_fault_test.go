package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/examples"
)

// TestNATSWorkerKills is the fault test at its size: the real
// binary as a coordinator (verdict serve, its embedded NATS server and no
// local worker) and three worker processes on loopback; 200 submissions
// from 20 participants (the shipped breast-cancer data, the C and Rust
// example models, each sharded in four jobs), uploaded in waves while a
// worker busy with a job is SIGKILLed every 1.5 s and restarted. Every
// worker is also armed (VERDICT_WORKER_FAULT) to exit whenever it takes a
// job of one poisoned module, uploaded once.
//
// It checks that every accepted submission ends scored exactly once, with
// the scores of a single-process run (serve --nats off) of the same
// modules, bit for bit; that the poisoned one ends failed, kind crash,
// after --nats-max-deliver tries; that the store holds each participant's
// accepted submissions and no other, the quota counts each once (the task
// allows 10, and an 11th is refused) and the crash is not charged; and
// that the engine evaluated 201 submissions, no more.
func TestNATSWorkerKills(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes and kills workers for a minute or more")
	}
	const (
		participants = 20
		perEach      = 10 // each participant's submissions, the task's total_limit
		waves        = 25 // 8 uploads each: a round releases at most two, so at least 12 kills
		minKills     = 10
		killEvery    = 1500 * time.Millisecond
		maxDeliver   = 5
	)
	dir, _ := workspace(t)
	bin := verdictBinary(t)
	data, direct := filepath.Join(dir, "data"), filepath.Join(dir, "direct")

	// The demo task without its deterministic gate (which keeps a task on
	// the coordinator), with a quota of perEach submissions in all.
	spec, err := os.ReadFile(filepath.Join(dir, "examples", examples.DemoTask))
	if err != nil {
		t.Fatal(err)
	}
	queued := strings.NewReplacer("id: breast-cancer", "id: kills", "  deterministic: true\n", "",
		"limits: {", fmt.Sprintf("limits: {total_limit: %d, ", perEach)).Replace(string(spec))
	if strings.Contains(queued, "deterministic") || !strings.Contains(queued, "total_limit") {
		t.Fatalf("the demo task changed: cannot derive the test's task from:\n%s", spec)
	}
	task := writeFile(t, filepath.Join(dir, "examples", filepath.Dir(examples.DemoTask), "kills.yaml"), []byte(queued))
	for _, d := range []string{data, direct} {
		if out, err := exec.Command(bin, "--data-dir", d, "task", "create", task).CombinedOutput(); err != nil {
			t.Fatalf("task create: %v\n%s", err, out)
		}
	}
	// perEach distinct modules (a participant may submit a module once):
	// the two example models, each with custom sections naming a variant.
	variant := func(base []byte, name string) []byte {
		mod := append(append([]byte{}, base...), 0, byte(1+1+len(name)), 1, 'x')
		return append(mod, name...)
	}
	var bases [][]byte
	for _, p := range []string{"breast-cancer/c-model/model.wasm", "breast-cancer/rust-model/model.wasm"} {
		b, err := os.ReadFile(filepath.Join(dir, "examples", p))
		if err != nil {
			t.Fatal(err)
		}
		bases = append(bases, b)
	}
	modules := make([][]byte, perEach)
	for i := range modules {
		modules[i] = variant(bases[i%len(bases)], fmt.Sprintf("v%d", i))
	}
	poison := variant(bases[0], "poison")
	poisonSHA := sha256.Sum256(poison)

	limits := []string{"--queue", "10000", "--ip-upload-rate", "1000000", "--ip-upload-burst", "1000000",
		"--upload-rate", "1000000", "--upload-burst", "1000000"}

	// The reference: the same modules evaluated in one process, no queue.
	want := make([]string, perEach)
	{
		s := startServeProc(t, bin, nil, append([]string{"--data-dir", direct, "serve", "--addr", "127.0.0.1:0", "--init", "--nats", "off"}, limits...)...)
		ids := make([]string, perEach)
		for i, m := range modules {
			ids[i] = uploadSubmission(t, s, s.token, "kills", fmt.Sprintf("solo%d", i), m)
		}
		for i, id := range ids {
			sub := awaitSubmission(t, s, s.token, id)
			if sub.Status != "scored" {
				t.Fatalf("direct run of module %d: %s %+v", i, sub.Status, sub.Error)
			}
			want[i] = canonical(t, sub.Scores)
		}
		if strings.Contains(s.stderr.String(), "dispatching through nats") {
			t.Errorf("serve --nats off dispatched through nats: %s", s.stderr.String())
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		if err := s.cmd.Wait(); err != nil {
			t.Fatalf("serve --nats off after SIGTERM: %v", err)
		}
	}

	coord := startServeProc(t, bin, nil, append([]string{"--data-dir", data, "serve", "--addr", "127.0.0.1:0", "--init",
		"--nats-listen", "127.0.0.1:0", "--workers", "0", "--nats-heartbeat", "100ms",
		"--nats-max-deliver", fmt.Sprint(maxDeliver), "--nats-shard-rows", "50"}, limits...)...)
	token := coord.token
	url, err := os.ReadFile(filepath.Join(data, "nats", "worker-url"))
	if err != nil {
		t.Fatalf("worker-url: %v; serve's stderr: %s", err, coord.stderr.String())
	}
	if !strings.Contains(coord.stderr.String(), "dispatching through nats") {
		t.Fatalf("serve without --nats does not dispatch through nats: %s", coord.stderr.String())
	}

	// Three worker processes, each restarted whenever it ends until stop.
	type instance struct {
		cmd    *exec.Cmd
		jobs   *jobWatch
		killed bool // by the test, not by the fault
	}
	var (
		mu         sync.Mutex
		current    = make([]*instance, 3)
		stop       bool
		kills      atomic.Int64 // confirmed by the exit status: SIGKILL
		faultExits atomic.Int64 // the armed fault: exit status 3
		started    atomic.Int64
		supervise  sync.WaitGroup
		taken      = make(chan struct{}, 1) // a worker took a job
	)
	env := append(os.Environ(), "VERDICT_NATS_URL="+strings.TrimSpace(string(url)),
		"VERDICT_WORKER_FAULT=exit-before-run:"+hex.EncodeToString(poisonSHA[:]))
	for i := range current {
		supervise.Go(func() {
			for {
				w := &instance{cmd: exec.Command(bin, "worker", "--cache", filepath.Join(dir, fmt.Sprintf("worker-%d", i))), jobs: &jobWatch{notify: taken}}
				w.cmd.Env, w.cmd.Stderr = env, w.jobs
				mu.Lock()
				if stop {
					mu.Unlock()
					return
				}
				if err := w.cmd.Start(); err != nil {
					mu.Unlock()
					t.Error(err)
					return
				}
				current[i] = w
				started.Add(1)
				mu.Unlock()
				err := w.cmd.Wait()
				mu.Lock()
				stopping, killed := stop, w.killed
				mu.Unlock()
				status, _ := w.cmd.ProcessState.Sys().(syscall.WaitStatus)
				switch {
				case status.Signaled() && status.Signal() == syscall.SIGKILL && (killed || stopping):
					if !stopping {
						kills.Add(1)
					}
				case status.Exited() && status.ExitStatus() == 3:
					faultExits.Add(1)
				default:
					t.Errorf("worker %d ended by itself: %v; its log:\n%s", i, err, w.jobs.tail())
				}
				if stopping {
					return
				}
			}
		})
	}
	stopWorkers := func() {
		mu.Lock()
		stop = true
		for _, w := range current {
			if w != nil {
				w.cmd.Process.Kill()
			}
		}
		mu.Unlock()
		supervise.Wait()
	}
	defer stopWorkers()

	// Uploads, in waves; a poller follows every accepted submission to
	// its end.
	var (
		acceptedMu sync.Mutex
		accepted   = map[string]string{} // submission id -> participant
		moduleOf   = map[string]int{}    // submission id -> module index, -1 the poison
		final      = map[string]submissionView{}
	)
	poisonID := "" // set by the first wave, before the killer reads it
	upload := func(participant string, module int, body []byte) {
		id := uploadSubmission(t, coord, token, "kills", participant, body)
		if id == "" {
			return
		}
		if module < 0 {
			poisonID = id
		}
		acceptedMu.Lock()
		accepted[id], moduleOf[id] = participant, module
		acceptedMu.Unlock()
	}
	nextWave := 0
	release := func() bool {
		if nextWave == waves {
			return false
		}
		per := participants * perEach / waves
		for k := range per {
			n := nextWave*per + k
			upload(fmt.Sprintf("p%d", n%participants), n/participants, modules[n/participants])
		}
		if nextWave == 0 {
			upload("p0", -1, poison)
		}
		nextWave++
		return true
	}
	unfinished := func() int {
		acceptedMu.Lock()
		defer acceptedMu.Unlock()
		return len(accepted) - len(final)
	}
	pollDone := make(chan struct{})
	var poller sync.WaitGroup
	var pollFailed atomic.Bool
	poller.Go(func() {
		defer func() { pollFailed.Store(true) }() // read only before pollDone
		for {
			acceptedMu.Lock()
			var open []string
			for id := range accepted {
				if _, ok := final[id]; !ok {
					open = append(open, id)
				}
			}
			acceptedMu.Unlock()
			for _, id := range open {
				code, body, err := coord.do(token, "GET", "/v1/submissions/"+id, nil)
				if err != nil || code != http.StatusOK {
					t.Errorf("GET submission %s: %d %v %s", id, code, err, body)
					return
				}
				var sub submissionView
				if err := json.Unmarshal(body, &sub); err != nil {
					t.Errorf("submission %s: %v: %s", id, err, body)
					return
				}
				if sub.Status == "scored" || sub.Status == "failed" {
					acceptedMu.Lock()
					final[id] = sub
					acceptedMu.Unlock()
				}
			}
			select {
			case <-pollDone:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
	defer func() { close(pollDone); poller.Wait() }()

	// The killer: every killEvery, SIGKILL a worker that has a job in
	// hand, then release the next wave; while no worker is seen busy and
	// no submission is open, release a wave. The uploads so stretch over
	// the rounds, and each round's kill lands on a worker that has just
	// logged taking a job (unless it finished between the line and the
	// signal).
	release()
	deadline := time.Now().Add(10 * time.Minute)
	for round := 0; ; round++ {
		time.Sleep(killEvery)
		killed := false
		for !killed {
			if pollFailed.Load() {
				t.Fatal("the poller stopped")
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %d rounds, %d submissions still open; coordinator:\n%s", round, unfinished(), tail(coord.stderr.String()))
			}
			mu.Lock()
			var busy []*instance
			for _, w := range current {
				// Not one taking the poisoned job: it exits by itself.
				if w != nil && !w.killed && w.jobs.busy(poisonID) {
					busy = append(busy, w)
				}
			}
			if len(busy) > 0 {
				w := busy[rand.IntN(len(busy))]
				if w.cmd.Process.Signal(syscall.SIGKILL) == nil {
					w.killed, killed = true, true
				}
			}
			mu.Unlock()
			if killed {
				break
			}
			if unfinished() == 0 && !release() {
				break
			}
			select { // at once when a worker takes a job
			case <-taken:
			case <-time.After(5 * time.Millisecond):
			}
		}
		if !killed {
			break // all released and all ended
		}
		release()
	}
	stopWorkers()
	close(pollDone)
	poller.Wait()
	pollDone = make(chan struct{}) // for the deferred close

	// Every accepted submission ended, with the reference's scores.
	acceptedMu.Lock()
	defer acceptedMu.Unlock()
	if want := participants*perEach + 1; len(accepted) != want {
		t.Errorf("accepted %d uploads, want %d", len(accepted), want)
	}
	for id, m := range moduleOf {
		sub := final[id]
		switch {
		case m < 0:
			if sub.Status != "failed" || sub.Error == nil || sub.Error.Kind != "crash" {
				t.Errorf("poisoned submission %s: %s %+v, want failed, kind crash", id, sub.Status, sub.Error)
			}
		case sub.Status != "scored":
			t.Errorf("submission %s (module %d, %s): %s %+v, want scored", id, m, accepted[id], sub.Status, sub.Error)
		default:
			if got := canonical(t, sub.Scores); got != want[m] {
				t.Errorf("submission %s (module %d): scores %s, want the direct run's %s", id, m, got, want[m])
			}
		}
	}
	// The store holds each participant's accepted submissions, once each,
	// and the quota counts each once: the poisoned one was not charged,
	// so p0 too has used exactly its perEach, and one more is refused.
	for p := range participants {
		who := fmt.Sprintf("p%d", p)
		code, body, err := coord.do(token, "GET", "/v1/tasks/kills/submissions?participant="+who, nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("list %s's submissions: %d %v %s", who, code, err, body)
		}
		var listed []submissionView
		if err := json.Unmarshal(body, &listed); err != nil {
			t.Fatalf("list %s's submissions: %v: %s", who, err, body)
		}
		seen := map[string]bool{}
		for _, s := range listed {
			if accepted[s.ID] != who || seen[s.ID] {
				t.Errorf("%s's submissions: %s listed, accepted for %q, seen before %v", who, s.ID, accepted[s.ID], seen[s.ID])
			}
			seen[s.ID] = true
		}
		wantN := perEach
		if p == 0 {
			wantN++
		}
		if len(seen) != wantN {
			t.Errorf("%s's submissions: %d in the store, want %d", who, len(seen), wantN)
		}
		code, body, err = coord.do(token, "POST", "/v1/tasks/kills/submissions?participant="+who, variant(bases[1], "one-more"))
		if err != nil || code != http.StatusTooManyRequests || !strings.Contains(string(body), "quota") {
			t.Errorf("%s's submission beyond total_limit %d: %d %v %s, want 429 quota", who, perEach, code, err, body)
		}
	}
	// The engine evaluated each submission once.
	code, metrics, err := coord.do(token, "GET", "/metrics", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", code, err)
	}
	for outcome, n := range map[string]int{"scored": participants * perEach, "host": 1, "failed": 0, "requeued": 0} {
		line := fmt.Sprintf("verdict_evaluations_total{outcome=%q} %d\n", outcome, n)
		if !strings.Contains(string(metrics), line) {
			t.Errorf("metrics lack %q:\n%s", line, regexp.MustCompile(`(?m)^verdict_evaluations_total.*$`).FindAllString(string(metrics), -1))
		}
	}
	if faultExits.Load() < maxDeliver {
		t.Errorf("fault exits: got %d, want at least %d (one per try of each poisoned job)", faultExits.Load(), maxDeliver)
	}
	if kills.Load() < minKills {
		t.Errorf("kills: got %d, want at least %d", kills.Load(), minKills)
	}
	t.Logf("%d submissions; %d workers SIGKILLed with a job in hand, %d exits on the poisoned module, %d worker processes in all",
		len(accepted), kills.Load(), faultExits.Load(), started.Load())
	coord.cmd.Process.Signal(syscall.SIGTERM)
	if err := coord.cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
}

// submissionView is the part of GET /v1/submissions/{id} the fault tests
// read.
type submissionView struct {
	ID     string          `json:"id"`
	Status string          `json:"status"`
	Scores json.RawMessage `json:"scores"`
	Error  *struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"error"`
}

// uploadSubmission posts module as the host for participant and returns
// the accepted submission's id ("" and a test error otherwise).
func uploadSubmission(t *testing.T, s *serveProc, token, task, participant string, module []byte) string {
	t.Helper()
	code, body, err := s.do(token, "POST", "/v1/tasks/"+task+"/submissions?participant="+participant, module)
	if err != nil || code != http.StatusAccepted {
		t.Errorf("upload for %s: %d %v %s", participant, code, err, body)
		return ""
	}
	var sub struct{ ID string }
	if err := json.Unmarshal(body, &sub); err != nil || sub.ID == "" {
		t.Errorf("upload for %s: %v %s", participant, err, body)
	}
	return sub.ID
}

// awaitSubmission polls a submission until it is scored or failed.
func awaitSubmission(t *testing.T, s *serveProc, token, id string) submissionView {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); ; {
		code, body, err := s.do(token, "GET", "/v1/submissions/"+id, nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET submission %s: %d %v %s", id, code, err, body)
		}
		var sub submissionView
		if err := json.Unmarshal(body, &sub); err != nil {
			t.Fatalf("submission %s: %v: %s", id, err, body)
		}
		if sub.Status == "scored" || sub.Status == "failed" {
			return sub
		}
		if time.Now().After(deadline) {
			t.Fatalf("submission %s still %s; serve:\n%s", id, sub.Status, tail(s.stderr.String()))
		}
		time.Sleep(50 * time.Millisecond) // the API has no wait (the event stream aside)
	}
}

// canonical re-encodes JSON with sorted keys; numbers go through float64,
// whose encoding is exact, so equal outputs mean bit-identical scores.
func canonical(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("scores %s: %v", raw, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// tail is the end of a long log.
func tail(s string) string {
	if len(s) > 8000 {
		return "…" + s[len(s)-8000:]
	}
	return s
}

// jobWatch is a worker process's stderr: it counts the jobs the worker
// took and ended, from its log lines, and keeps the log.
type jobWatch struct {
	mu           sync.Mutex
	log          bytes.Buffer
	line         []byte
	taken, ended int
	lastTaken    string        // the last "job taken" line
	notify       chan struct{} // if set, signalled (without blocking) on each job taken
}

var jobEnded = regexp.MustCompile(`"msg":"(job done|[^"]*given back|fault injected[^"]*)"`)

func (w *jobWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log.Write(p)
	w.line = append(w.line, p...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			break
		}
		l := w.line[:i]
		switch {
		case bytes.Contains(l, []byte(`"msg":"job taken"`)):
			w.taken++
			w.lastTaken = string(l)
			select {
			case w.notify <- struct{}{}:
			default:
			}
		case jobEnded.Match(l):
			w.ended++
		}
		w.line = w.line[i+1:]
	}
	return len(p), nil
}

// busy reports whether the worker holds a job it took, and not one of
// the submission skip.
func (w *jobWatch) busy(skip string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.taken > w.ended && (skip == "" || !strings.Contains(w.lastTaken, skip))
}

func (w *jobWatch) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return tail(w.log.String())
}
