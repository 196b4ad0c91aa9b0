package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenDigest checks the cheap open of a stored file: the same dataset
// as Open while the bytes are those saved, and ErrHashMismatch naming the
// change once they are not, whether or not the change keeps the file
// readable.
func TestOpenDigest(t *testing.T) {
	mem := checkedAlloc(t)
	s := breastCancer(mem)
	d, err := Load(filepath.Join(exampleData, "breast_cancer_test.csv"), s)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	path := filepath.Join(t.TempDir(), "held-out.arrow")
	if err := d.Save(path); err != nil {
		t.Fatal(err)
	}
	digest, err := FileDigest(path)
	if err != nil {
		t.Fatal(err)
	}
	// Saving the same dataset again writes the same bytes, so a second
	// task on the same data keeps the first one's digest valid; SaveDigest
	// hashes them as it writes them.
	written, err := d.SaveDigest(path)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := FileDigest(path); again != digest || written != digest {
		t.Fatalf("got digest %s after saving again (%s as written), want %s", again, written, digest)
	}
	got, err := OpenDigest(path, digest, mem)
	if err != nil {
		t.Fatal(err)
	}
	sameDataset(t, got, d)
	if got.Hash != d.Hash {
		t.Errorf("got hash %s, want %s", got.Hash, d.Hash)
	}
	got.Release()

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func([]byte) []byte
	}{
		{"ErrHashMismatch/a byte flipped", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
		{"ErrHashMismatch/truncated", func(b []byte) []byte { return b[:len(b)-8] }},
		{"ErrHashMismatch/appended", func(b []byte) []byte { return append(b, 0) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "held-out.arrow")
			if err := os.WriteFile(p, tc.change(append([]byte(nil), raw...)), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := OpenDigest(p, digest, mem)
			var pe *ParseError
			if !errors.Is(err, ErrHashMismatch) || !errors.As(err, &pe) || pe.Path != p {
				t.Fatalf("got %v, want a *ParseError for %s wrapping ErrHashMismatch", err, p)
			}
		})
	}
	t.Run("no digest", func(t *testing.T) {
		if _, err := OpenDigest(path, "", mem); err == nil {
			t.Error("got nil error, want one")
		}
	})
}
