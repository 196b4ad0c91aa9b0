package engine_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// crashEnv carries the data dir and round to TestHelperCrashSubmitter.
const crashEnv = "VERDICT_ENGINE_CRASH"

// TestHelperCrashSubmitter is the child process of TestCrashRecovery: it
// submits distinct modules in a loop with Enqueue and prints "ack ID" once
// each is acknowledged (recorded as queued). Its workers evaluate them
// meanwhile. It stops by itself after a bound, in case its parent died.
func TestHelperCrashSubmitter(t *testing.T) {
	env := os.Getenv(crashEnv)
	if env == "" {
		return // not the child
	}
	dir, roundS, _ := strings.Cut(env, ",")
	round, _ := strconv.Atoi(roundS)
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir, QueueSize: 1000})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := e.Task("contest"); errors.Is(err, engine.ErrNotFound) {
		createContest(t, e, "contest", "")
	}
	for i := range 500 {
		sub, err := e.Enqueue(ctx, engine.SubmitRequest{Task: "contest", Participant: fmt.Sprintf("p%d", i%5),
			Module: variant(linear, round*10000+i)})
		if err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		fmt.Printf("ack %s\n", sub.ID)
	}
	time.Sleep(time.Minute)
}

// TestCrashRecovery kills a submitting child with SIGKILL at random points,
// 20 rounds on one data dir. After each kill it restarts the engine and
// recovers: every acknowledged submission is there and reaches scored or
// failed; at most the one submission in flight when the kill landed is
// there unacknowledged; none is evaluated or stored twice.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	acked := map[string]bool{}
	recovered := 0
	for round := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashSubmitter$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d", crashEnv, dir, round))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAt := 1 + rng.IntN(15)
		n, killed := 0, false
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			id, ok := strings.CutPrefix(sc.Text(), "ack ")
			if !ok {
				continue
			}
			acked[id] = true
			n++
			if n == killAt && !killed {
				time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond) // a random point after the ack
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !killed || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v after %d acks; stderr:\n%s", round, err, n, stderr.String())
		}

		e, err := engine.Open(ctx, engine.Config{DataDir: dir, CacheDir: cacheDir})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		r, err := e.Recover(ctx)
		if err != nil {
			t.Fatalf("round %d: Recover: %v", round, err)
		}
		recovered += r
		subs, err := e.Submissions("contest", engine.Host, "")
		if err != nil {
			t.Fatal(err)
		}
		extra := 0
		modules := map[string]bool{}
		for _, s := range subs {
			if s.Status != "scored" && s.Status != "failed" {
				t.Errorf("round %d: %s is %s after Recover", round, s.ID, s.Status)
			}
			if !acked[s.ID] {
				acked[s.ID] = true // counted once, in the round it appeared
				extra++
			}
			key := s.Participant + "/" + s.ModuleSHA256
			if modules[key] {
				t.Errorf("round %d: module %s stored twice", round, key)
			}
			modules[key] = true
		}
		if len(subs) != len(acked) {
			t.Errorf("round %d: got %d submissions, want %d acknowledged", round, len(subs), len(acked))
		}
		if extra > 1 {
			t.Errorf("round %d: %d unacknowledged submissions stored, want at most the one in flight", round, extra)
		}
		board, err := e.Leaderboard("contest", engine.Host, false)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, s := range subs {
			count[s.Participant]++
		}
		for _, row := range board {
			if row.Submissions != count[row.Participant] {
				t.Errorf("round %d: %s has %d submissions on the board, %d stored", round, row.Participant, row.Submissions, count[row.Participant])
			}
		}
		if err := e.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d submissions acknowledged over 20 kills; %d re-run by Recover", len(acked), recovered)
}
