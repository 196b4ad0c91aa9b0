//go:build unix

package market_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/verdictlab/verdict/market"
)

// TestReadBundleMembers: a bundle member that is not a regular file (a
// FIFO, a symlink, a directory) is refused with an error naming the member
// and what it is, at once: a FIFO used to block ReadBundle forever (and
// `market ingest` with it, deaf to SIGTERM), and a symlink was followed,
// its target's first character quoted in a JSON error.
func TestReadBundleMembers(t *testing.T) {
	tests := []struct {
		name   string
		member string
		make   func(t *testing.T, path string)
		want   string
	}{
		{"fifo", market.BundleModule, func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "named pipe"},
		{"symlink", market.BundleCard, func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(target, []byte("s3cr3t"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link"},
		{"dir", market.BundleCredential, func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "directory"},
		{"statusListFIFO", market.BundleStatusList, func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "named pipe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, m := range []string{market.BundleModule, market.BundleCredential, market.BundleCard} {
				if m == tc.member {
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, m), []byte("{}"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, tc.member)
			tc.make(t, path)
			done := make(chan error, 1)
			go func() {
				_, err := market.ReadBundle(dir)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				// Let the blocked open return: a writer opens the FIFO.
				if w, werr := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); werr == nil {
					w.Close()
				}
				<-done
				t.Fatalf("ReadBundle still blocked after 10 s on a %s member", tc.name)
			}
			var be *market.BundleError
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want a *BundleError", err)
			}
			if be.File != tc.member || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("got %q (file %q), want file %q, %q, not a regular file", err, be.File, tc.member, tc.want)
			}
			if strings.Contains(err.Error(), "'s'") {
				t.Errorf("got %q, which quotes the symlink target", err)
			}
		})
	}
}
