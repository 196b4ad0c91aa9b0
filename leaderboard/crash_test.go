package leaderboard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
)

// crashDirEnv carries the store directory to the child process of
// TestCrashKeepsAcknowledgedWrites; TestHelperCrashWriter does nothing
// without it.
const crashDirEnv = "LEADERBOARD_CRASH_WRITER_DIR"

const crashTask = "crash"

// TestHelperCrashWriter is the child process of
// TestCrashKeepsAcknowledgedWrites: it moves submissions through Running to
// Scored or Failed, and after each final PutSubmission returns prints
// "ack <submission JSON>" to stdout. It stops by itself after a bound, in
// case its parent died before killing it.
func TestHelperCrashWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		return // not the child
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.CreateTask(Task{ID: crashTask, Metric: "auc", HigherIsBetter: true, Created: t0}); err != nil && !errors.Is(err, ErrExists) {
		t.Fatalf("CreateTask: %v", err)
	}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 2))
	for i := range 20000 {
		sub := Submission{
			ID:          uuid.NewString(),
			Task:        crashTask,
			Participant: fmt.Sprintf("p%d", rng.IntN(8)),
			Created:     t0.Add(time.Duration(i) * time.Millisecond),
			Status:      Running,
		}
		if err := s.PutSubmission(sub); err != nil {
			t.Fatalf("PutSubmission: %v", err)
		}
		if rng.IntN(5) == 0 {
			sub.Status, sub.ErrorKind, sub.ErrorMessage = Failed, "guest", "verdict_predict returned 1"
		} else {
			sub.Status = Scored
			sub.Public, sub.Private = f64(rng.Float64()), f64(rng.Float64())
		}
		sub.Elapsed = time.Duration(rng.IntN(1e9))
		if err := s.PutSubmission(sub); err != nil {
			t.Fatalf("PutSubmission: %v", err)
		}
		b, err := json.Marshal(sub)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		fmt.Printf("ack %s\n", b)
	}
}

// TestCrashKeepsAcknowledgedWrites runs TestHelperCrashWriter in a child
// process, SIGKILLs it after it acknowledged some writes, reopens the store
// and checks every acknowledged submission is there, intact, and the
// leaderboards agree with the submissions.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	const killAfter = 40
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("StdoutPipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start writer: %v", err)
	}

	var acked []Submission
	killed := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue
		}
		var sub Submission
		if err := json.Unmarshal([]byte(line), &sub); err != nil {
			t.Fatalf("child printed %q: %v", line, err)
		}
		acked = append(acked, sub)
		if len(acked) == killAfter && !killed {
			// Keep reading after the kill: lines already in the pipe were
			// acknowledged too.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill writer: %v", err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("writer exited after %d acknowledged writes (%v); stderr:\n%s", len(acked), err, stderr.String())
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("writer: got %v, want killed by SIGKILL; stderr:\n%s", err, stderr.String())
	}

	s, err := Open(dir)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	for _, want := range acked {
		got, err := s.Submission(want.ID)
		if err != nil {
			t.Errorf("acknowledged submission %s: %v", want.ID, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("acknowledged submission %s:\ngot  %+v\nwant %+v", want.ID, got, want)
		}
	}
	subs, err := s.Submissions(crashTask)
	if err != nil {
		t.Fatalf("Submissions: %v", err)
	}
	// At most one submission was in flight when the kill landed.
	if len(subs) < len(acked) || len(subs) > len(acked)+1 {
		t.Errorf("Submissions: got %d, want %d or %d", len(subs), len(acked), len(acked)+1)
	}
	task, err := s.Task(crashTask)
	if err != nil {
		t.Fatalf("Task: %v", err)
	}
	checkConsistent(t, s, task)
	t.Logf("%d acknowledged writes, %d submissions after reopen", len(acked), len(subs))
}
