package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/client"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// TestLedgerLoad: 20 callers × 50 metered calls on loopback against the
// real binary, which is SIGKILLed mid-run and restarted: every receipt a
// caller got is in the log after the restart, at its index; the log holds
// each caller's calls once, and at most the calls in flight at the kill
// besides (counted, never answered); the restarted server's quota counts,
// recomputed from the log, agree with it.
func TestLedgerLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 metered calls and a kill -9: slow")
	}
	bin := verdictBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	csv, err := filepath.Abs("../../engine/testdata/contest.csv")
	if err != nil {
		t.Fatal(err)
	}
	spec := writeFile(t, filepath.Join(dir, "task.yaml"), []byte("id: contest\ntype: regression\nmetric: rmse\n"+
		"data: {test: "+csv+"}\nsplit: {public_fraction: 0.5, seed: s}\nlimits: {memory_mb: 16}\n"))
	linear := writeFile(t, filepath.Join(dir, "linear.wasm"), sandboxtest.Wasm(sandboxtest.Linear))
	for _, args := range [][]string{{"task", "create", spec}, {"submit", "--task", "contest", "--participant", "ada", linear}, {"task", "close", "contest"}} {
		if out, err := exec.Command(bin, append([]string{"--data-dir", data}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command(bin, "--data-dir", data, "--json", "market", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Models []struct{ ID string } }
	if err := json.Unmarshal(out, &list); err != nil || len(list.Models) != 1 {
		t.Fatalf("market list: %v %s", err, out)
	}
	model := list.Models[0].ID

	start := func(extra ...string) (*exec.Cmd, string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--data-dir", data, "serve", "--addr", "127.0.0.1:0",
			"--upload-rate", "1000000", "--upload-burst", "1000000", "--ip-upload-rate", "1000000", "--ip-upload-burst", "1000000"}, extra...)...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr syncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		sc := bufio.NewScanner(stdout)
		listen := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := listen.FindStringSubmatch(sc.Text()); m != nil {
				go func() {
					for sc.Scan() {
					}
				}()
				return cmd, m[1]
			}
		}
		t.Fatalf("serve never listened: %s", stderr.String())
		return nil, ""
	}

	const callers, calls = 20, 50
	input := []byte("id,a,b\nn1,1,3\nn2,0.5,0.25\nn3,2,2\nn4,0,1\n")
	type got struct {
		index int64
		entry []byte
	}
	received := make([][]got, callers)
	keys := make([]credential.KeyPair, callers)
	for i := range keys {
		if keys[i], err = credential.GenerateKey(rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	var served atomic.Int64
	phase := func(base string, killAt int64, kill func()) (time.Duration, int64) {
		var wg sync.WaitGroup
		before := served.Load()
		t0 := time.Now()
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := client.New(client.Config{URL: base, Key: &keys[i]})
				if err != nil {
					t.Error(err)
					return
				}
				for len(received[i]) < calls {
					mp, err := c.PredictMetered(context.Background(), model, input, "text/csv")
					if err != nil {
						return // the server is gone: this phase is over for this caller
					}
					received[i] = append(received[i], got{mp.Receipt.Index, mp.Receipt.Entry})
					if n := served.Add(1); n == killAt {
						kill()
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(t0), served.Load() - before
	}
	srv, base := start()
	d1, n1 := phase(base, callers*calls/2, func() { srv.Process.Signal(syscall.SIGKILL) })
	srv.Wait()
	if n1 >= callers*calls {
		t.Fatalf("the kill came after every call")
	}
	_, base = start("--quota-calls-per-day", "51")
	d2, n2 := phase(base, -1, func() {})
	if served.Load() != callers*calls {
		t.Fatalf("served %d calls, want %d", served.Load(), callers*calls)
	}
	t.Logf("metered predict over loopback, %d callers: %.0f calls/s (%.0f rows/s) before the kill, %.0f calls/s after",
		callers, float64(n1)/d1.Seconds(), 4*float64(n1)/d1.Seconds(), float64(n2)/d2.Seconds())

	// The log, read from its public tiles and checked against the
	// checkpoint, holds every receipt a caller got, at its index.
	c, err := client.New(client.Config{URL: base})
	if err != nil {
		t.Fatal(err)
	}
	signed, _, err := c.LedgerCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cp, _, err := parseCheckpointOf(signed, "")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ledger.ReadLog(cp, func(p string) ([]byte, error) { return c.LedgerTile(context.Background(), p) })
	if err != nil {
		t.Fatal(err)
	}
	// The quota counts a UTC day's calls: today's are those of the day
	// the quota is checked on (a run may cross midnight).
	day := time.Now().UTC().Format(time.DateOnly)
	perCaller, today := map[string]int{}, map[string]int{}
	for _, e := range entries {
		r, err := ledger.ParseReceipt(e)
		if err != nil {
			t.Fatal(err)
		}
		perCaller[r.Caller]++
		if r.Time.UTC().Format(time.DateOnly) == day {
			today[r.Caller]++
		}
	}
	for i, rs := range received {
		for _, g := range rs {
			if g.index >= int64(len(entries)) || string(entries[g.index]) != string(g.entry) {
				t.Fatalf("caller %d: receipt %d is not in the log at its index", i, g.index)
			}
		}
		if n := perCaller[keys[i].DID()]; n < calls || n > calls+1 {
			t.Errorf("caller %d: %d receipts in the log, want %d (one more if a call was in flight at the kill)", i, n, calls)
		}
	}
	// The quota the restarted server counts is the log's: a caller with
	// 50 receipts there today has one call left of 51, one with 51 none.
	var quotaErrs []string
	for i := range callers {
		c, err := client.New(client.Config{URL: base, Key: &keys[i]})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.PredictMetered(context.Background(), model, input, "text/csv")
		if left := today[keys[i].DID()] < 51; (err == nil) != left {
			quotaErrs = append(quotaErrs, fmt.Sprintf("caller %d with %d receipts in the log today, quota 51: got %v", i, today[keys[i].DID()], err))
		}
	}
	if after := time.Now().UTC().Format(time.DateOnly); after != day {
		t.Logf("the quota check crossed UTC midnight (%s to %s): its counts are not today's, not checked", day, after)
	} else {
		for _, e := range quotaErrs {
			t.Error(e)
		}
	}
	if extra := len(entries) - callers*calls; extra < 0 || extra > callers {
		t.Errorf("log of %d entries for %d answered calls: want at most %d unanswered (in flight at the kill)", len(entries), callers*calls, callers)
	}
	t.Logf("log: %d entries for %d answered calls (%d in flight at the kill); checkpoint size %d", len(entries), callers*calls, len(entries)-callers*calls, cp.Size)

}
