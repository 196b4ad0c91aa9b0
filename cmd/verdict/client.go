package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/client"
)

// isTerminal reports whether w is a terminal, for progress output.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// spinner animates one self-overwriting progress line on a terminal (and
// writes nothing elsewhere) until stop.
type spinner struct {
	w     io.Writer
	start time.Time
	mu    sync.Mutex
	msg   string
	stopc chan struct{}
	done  chan struct{}
}

var spinFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// startSpinner starts a spinner on w, or a silent one if w is not a
// terminal.
func startSpinner(w io.Writer) *spinner {
	s := &spinner{w: w, start: time.Now(), stopc: make(chan struct{}), done: make(chan struct{})}
	if !isTerminal(w) {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for frame := 0; ; frame++ {
			s.mu.Lock()
			fmt.Fprintf(s.w, "\r\033[K%s %s  %s", spinFrames[frame%len(spinFrames)], s.msg, time.Since(s.start).Round(100*time.Millisecond))
			s.mu.Unlock()
			select {
			case <-s.stopc:
				fmt.Fprint(s.w, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// set changes the line shown.
func (s *spinner) set(format string, args ...any) {
	s.mu.Lock()
	s.msg = fmt.Sprintf(format, args...)
	s.mu.Unlock()
}

// stop clears the line.
func (s *spinner) stop() {
	select {
	case <-s.stopc:
	default:
		close(s.stopc)
	}
	<-s.done
}

// statusLine is the spinner's line for what (e.g. "submission ID") in
// status, with its rows done and to do while it runs (total 0: unknown):
// "submission ID: running: 40,960 / 100,000 rows (40%)", then ", scoring"
// once every row is predicted.
func statusLine(what, status string, done, total int) string {
	line := what + ": " + status
	if status == "running" && total > 0 {
		line += fmt.Sprintf(": %s / %s rows (%d%%)", groupDigits(done), groupDigits(total), int(int64(done)*100/int64(total)))
		if done >= total {
			line += ", scoring"
		}
	}
	return line
}

// groupDigits writes n with a comma between groups of three digits.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	if len(digits) < len(s) {
		b.WriteByte('-')
	}
	for i, d := range []byte(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(d)
	}
	return b.String()
}

// countingReader reports how much of a body was read.
type countingReader struct {
	r     io.Reader
	n     atomic.Int64
	total int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// submitOptions are submit's flags.
type submitOptions struct {
	task, participant, license, name, predictions string
	private, baseline                             bool
}

// submitRemote uploads module to the server, follows its evaluation with a
// spinner on a terminal's stderr, and prints the result as a local submit
// does.
func submitRemote(ctx context.Context, g *globals, c *client.Client, o submitOptions, module []byte) error {
	if o.predictions != "" {
		return errNoRemote("--predictions (the predictions stay on the server)")
	}
	if c.Signed() && o.participant != "" && o.participant != c.Participant() {
		return badInput(fmt.Errorf("--participant %q: a signed submission is by the key's %s", o.participant, c.Participant()))
	}
	if !c.Signed() && o.participant == "" {
		return badInput(fmt.Errorf("say who submits: --participant NAME (as the host), or --key FILE to sign"))
	}
	t, err := c.Task(ctx, o.task)
	if err != nil {
		return err
	}
	opts := client.UploadOptions{License: o.license, Name: o.name, Baseline: o.baseline, Sign: c.Signed()}
	if !c.Signed() {
		opts.Participant = o.participant
	}
	body := &countingReader{total: int64(len(module))} // the progress goroutine reads n and total only
	opts.Body = func(r io.Reader) io.Reader {
		body.r = r
		return body
	}
	sp := startSpinner(g.stderr)
	defer sp.stop()
	stopUpload := make(chan struct{})
	go func() {
		for {
			sp.set("uploading %s: %d / %d KiB", o.task, body.n.Load()>>10, body.total>>10)
			select {
			case <-stopUpload:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	acc, err := c.Upload(ctx, o.task, module, opts)
	close(stopUpload)
	if err != nil {
		return err
	}
	sp.set("%s", statusLine("submission "+acc.ID, string(acc.Status), 0, 0))
	sub, err := c.Follow(ctx, acc.ID, func(ev api.StatusEvent) {
		sp.set("%s", statusLine("submission "+ev.ID, string(ev.Status), ev.RowsDone, ev.RowsTotal))
	})
	if err != nil {
		return err
	}
	sp.stop()
	sub.Duplicate = acc.Duplicate
	if !o.private {
		sub.Scores.Private, sub.Scores.PrivateCI = nil, nil
	}
	if g.json {
		if err := g.emit(sub); err != nil {
			return err
		}
	} else {
		printSubmission(g.stdout, t, sub)
	}
	if sub.Failed() {
		return errSubmissionFailed
	}
	return nil
}
