package engine_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/verdictlab/verdict/engine"
)

// moduleFiles returns the size of each file under DIR/modules (temporary
// files included), by name.
func moduleFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(filepath.Join(dir, "modules"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[path] = fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func total(files map[string]int64) (n int64) {
	for _, s := range files {
		n += s
	}
	return n
}

// big returns module with a custom section of size bytes appended: the
// same model, another SHA-256, a module of about size bytes.
func big(module []byte, size, n int) []byte {
	name := []byte("verdict-test-pad")
	body := append(append([]byte{byte(len(name))}, name...), make([]byte, size)...)
	body[len(name)+1] = byte(n)
	out := append(slices.Clone(module), 0) // custom section id
	out = appendLEB(out, uint32(len(body)))
	return append(out, body...)
}

// TestRefusedUploadsWriteNothing: a submission the rules refuse (quota,
// task closed, task not open yet, bad participant, a duplicate) leaves
// DIR/modules as it was; only an accepted one is kept.
func TestRefusedUploadsWriteNothing(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	e, _ := contest(t, "limits: {daily_limit: 1}\n", engine.Config{DataDir: dir})
	createContest(t, e, "shut", "")
	createContest(t, e, "later", "schedule: {start: \"2026-03-05T00:00:00Z\"}\n")
	if _, err := e.CloseTask(context.Background(), "shut"); err != nil {
		t.Fatal(err)
	}
	const size = 2 << 20
	accepted := big(linear, size, 0)
	if _, err := e.Submit(ctx, engine.SubmitRequest{Task: "contest", Participant: "ada", Module: accepted}); err != nil {
		t.Fatalf("the accepted submission: %v", err)
	}
	before := moduleFiles(t, dir)
	if n := total(before); n < size {
		t.Fatalf("DIR/modules holds %d bytes after an accepted %d-byte module", n, len(accepted))
	}
	tests := []struct {
		name        string
		task, who   string
		module      []byte
		want        error // nil: a duplicate, returned without error
		wantDupFlag bool
	}{
		{"ErrQuotaExceeded", "contest", "ada", big(linear, size, 1), engine.ErrQuotaExceeded, false},
		{"ErrClosed", "shut", "ada", big(linear, size, 2), engine.ErrClosed, false},
		{"ErrNotOpen", "later", "ada", big(linear, size, 3), engine.ErrNotOpen, false},
		{"ErrBadRequest", "contest", "not a name", big(linear, size, 4), engine.ErrBadRequest, false},
		{"Duplicate", "contest", "ada", accepted, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := e.Submit(ctx, engine.SubmitRequest{Task: tc.task, Participant: tc.who, Module: tc.module})
			switch {
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got %v, want %v", err, tc.want)
			case tc.want == nil && (err != nil || !sub.Duplicate):
				t.Fatalf("got %+v, %v; want the earlier submission", sub, err)
			}
			if after := moduleFiles(t, dir); !maps.Equal(after, before) {
				t.Errorf("DIR/modules: got %d bytes in %d files, want %d bytes in %d files as before the refused upload",
					total(after), len(after), total(before), len(before))
			}
		})
	}
}
