package credential

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"os"
	"testing"
	"time"
)

func TestStatusList(t *testing.T) {
	l, err := NewStatusList(0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != MinStatusListSize {
		t.Errorf("Len: got %d, want %d", l.Len(), MinStatusListSize)
	}
	set := []int{0, 7, 8, 94567, MinStatusListSize - 1}
	for _, i := range set {
		if err := l.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	// Bit 0 is the most significant bit of the first byte.
	if l.bits[0] != 0x81 || l.bits[1] != 0x80 || l.bits[len(l.bits)-1] != 0x01 {
		t.Errorf("bit order: got %08b %08b … %08b, want 10000001 10000000 … 00000001", l.bits[0], l.bits[1], l.bits[len(l.bits)-1])
	}
	if err := l.Set(7, false); err != nil {
		t.Fatal(err)
	}
	enc, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.Encode()
	if err != nil || again != enc {
		t.Errorf("Encode is not deterministic: %s, %s", enc, again)
	}
	got, err := DecodeStatusList(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got.Len() {
		want := i == 0 || i == 8 || i == 94567 || i == MinStatusListSize-1
		if b, _ := got.Get(i); b != want {
			t.Fatalf("Get(%d): got %v, want %v", i, b, want)
		}
	}
	for _, i := range []int{-1, MinStatusListSize} {
		if _, err := l.Get(i); !errors.Is(err, ErrStatus) {
			t.Errorf("Get(%d): got %v, want %v", i, err, ErrStatus)
		}
		if err := l.Set(i, true); !errors.Is(err, ErrStatus) {
			t.Errorf("Set(%d): got %v, want %v", i, err, ErrStatus)
		}
	}
	for _, size := range []int{MinStatusListSize - 8, MinStatusListSize + 1, MaxStatusListSize + 8, -8} {
		if _, err := NewStatusList(size); !errors.Is(err, ErrStatusList) {
			t.Errorf("NewStatusList(%d): got %v, want %v", size, err, ErrStatusList)
		}
	}
}

func gzipped(t testing.TB, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func TestDecodeStatusListErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"ErrStatusList/empty", ""},
		{"ErrStatusList/not multibase u", "z" + gzipped(t, make([]byte, MinStatusListSize/8))[1:]},
		{"ErrStatusList/padding", gzipped(t, make([]byte, MinStatusListSize/8)) + "=="},
		{"ErrStatusList/not base64", "u!!!"},
		{"ErrStatusList/not gzip", "u" + base64.RawURLEncoding.EncodeToString([]byte("plain bytes"))},
		{"ErrStatusList/truncated gzip", gzipped(t, make([]byte, MinStatusListSize/8))[:20]},
		{"ErrStatusList/too short", gzipped(t, make([]byte, MinStatusListSize/8-1))},
		// 17 MiB of zeros gzip to ~17 KiB: decompression must stop at 16 MiB.
		{"ErrStatusList/gzip bomb", gzipped(t, make([]byte, MaxStatusListSize/8+1<<20))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := DecodeStatusList(tc.in)
			if !errors.Is(err, ErrStatusList) {
				t.Fatalf("got %v, %v; want %v", l, err, ErrStatusList)
			}
		})
	}
}

func TestCheckStatus(t *testing.T) {
	k := vectorKey(t)
	listVC := readFile(t, "testdata/model/status-list.json") // bit 94567 set
	tests := []struct {
		name  string
		index int
		want  bool
	}{
		{"set", 94567, true},
		{"clear", 94566, false},
		{"first", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckStatus(NewStatusEntry(testListURL, tc.index), listVC, k.DID(), testIssued)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	errs := []struct {
		name  string
		entry StatusEntry
		list  []byte
		want  error
	}{
		{"ErrStatus/index out of range", NewStatusEntry(testListURL, MinStatusListSize), listVC, ErrStatus},
		{"ErrStatus/index not canonical", StatusEntry{Type: StatusEntryType, StatusPurpose: "revocation", StatusListIndex: "07", StatusListCredential: testListURL}, listVC, ErrStatus},
		{"ErrStatus/purpose", StatusEntry{Type: StatusEntryType, StatusPurpose: "suspension", StatusListIndex: "1", StatusListCredential: testListURL}, listVC, ErrStatus},
		{"ErrStatus/URL", NewStatusEntry(testListURL+"/2", 1), listVC, ErrStatus},
		{"ErrStatus/not a list", NewStatusEntry(testListURL, 1), readFile(t, "testdata/model/credential.json"), ErrStatus},
		{"ErrBadSignature", NewStatusEntry(testListURL, 1), bytes.Replace(listVC, []byte("#list"), []byte("#lisT"), 1), ErrBadSignature},
		{"ErrMalformed", NewStatusEntry(testListURL, 1), []byte("{"), ErrMalformed},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckStatus(tc.entry, tc.list, k.DID(), testIssued)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := CheckStatus(NewStatusEntry(testListURL, 1), listVC, "did:key:z6Mkother", testIssued); !errors.Is(err, ErrIssuerMismatch) {
		t.Errorf("other issuer: got %v, want %v", err, ErrIssuerMismatch)
	}
	if _, err := CheckStatus(NewStatusEntry(testListURL, 1), listVC, k.DID(), testIssued.Add(-time.Second)); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("before validFrom: got %v, want %v", err, ErrNotYetValid)
	}
}

func FuzzDecodeStatusList(f *testing.F) {
	l, _ := NewStatusList(0)
	l.Set(94567, true)
	enc, _ := l.Encode()
	f.Add(enc)
	f.Add("u")
	f.Add(gzipped(f, []byte("short")))
	if b, err := os.ReadFile("testdata/model/status-list.json"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<16 {
			return
		}
		l, err := DecodeStatusList(s)
		if err != nil {
			if !errors.Is(err, ErrStatusList) {
				t.Fatalf("got %v, want an error wrapping ErrStatusList", err)
			}
			return
		}
		if l.Len() < MinStatusListSize || l.Len() > MaxStatusListSize || l.Len()%8 != 0 {
			t.Fatalf("Len %d out of bounds", l.Len())
		}
		if l.Len() > 1<<20 {
			return // re-compressing megabytes would slow the fuzzer down
		}
		enc, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeStatusList(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.bits, l.bits) {
			t.Fatal("round trip changed the bits")
		}
	})
}
