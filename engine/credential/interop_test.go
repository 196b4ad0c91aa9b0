package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// interopReveal is what both sides disclose: a threshold, the metric,
// the public score with its interval, one gate and the rank.
var interopReveal = []string{
	"/credentialSubject/scoreAtLeast/6", "/credentialSubject/task/metric",
	"/credentialSubject/scores/public", "/credentialSubject/gates/0", "/credentialSubject/rank",
}

// TestInteropDigitalBazaar checks verdict's bbs-2023 model credentials
// against Digital Bazaar's implementation (@digitalbazaar/bbs-2023-cryptosuite
// with @digitalbazaar/vc and @digitalbazaar/data-integrity, pinned by
// testdata/interop/package-lock.json and installed by npm ci into a
// temporary directory): a derived proof made here verifies there, one
// made there from verdict's base proof verifies here, and changing any
// revealed value fails on both sides. The JavaScript side's document
// loader is static (testdata/interop/interop.mjs): nothing is fetched at
// verify time. Without node and npm the test is skipped, except in CI.
func TestInteropDigitalBazaar(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or npm missing in CI: %v, %v", errNode, errNpm)
		}
		t.Skip("node or npm not installed")
	}
	if testing.Short() {
		t.Skip("-short: npm ci and node take about 10 s")
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "interop.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "interop", f))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, f), b)
	}
	writeTestFile(t, filepath.Join(dir, "context.jsonld"), ContextDocument())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(name string, args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "BBS_KEY="+w3cBBSKey(t).DID(), "npm_config_update_notifier=false")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s\n%s", filepath.Base(name), strings.Join(args, " "), err, out, stderr.Bytes())
		}
		return out
	}
	run(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")

	signed := signBBS(t)
	t.Run("verdict derives, Digital Bazaar verifies", func(t *testing.T) {
		derived, err := Derive(signed, interopReveal, []byte("interop nonce"))
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, "derived-here.json"), derived)
		out := run(node, "interop.mjs", "verify", "derived-here.json", "context.jsonld")
		var res struct {
			Verified bool
			Tampered []string
		}
		if err := json.Unmarshal(out, &res); err != nil || !res.Verified || len(res.Tampered) < 8 {
			t.Fatalf("got %s (%v), want verified with at least 8 revealed values each failing when changed", out, err)
		}
	})
	t.Run("Digital Bazaar derives, verdict verifies", func(t *testing.T) {
		// Digital Bazaar's derive takes the credential with its one
		// bbs-2023 proof.
		var doc map[string]any
		if err := json.Unmarshal(signed, &doc); err != nil {
			t.Fatal(err)
		}
		doc["proof"] = doc["proof"].([]any)[1]
		base, _ := json.Marshal(doc)
		writeTestFile(t, filepath.Join(dir, "base.json"), base)
		derived := run(node, append([]string{"interop.mjs", "derive", "base.json", "context.jsonld"}, interopReveal...)...)
		res, err := VerifyDerived(context.Background(), derived, derivedOpts(t, false))
		if err != nil {
			t.Fatalf("VerifyDerived: %v\n%s", err, derived)
		}
		if _, ok := res.Subject["author"]; ok || res.Subject["rank"] != 1.0 {
			t.Errorf("revealed subject: got %v, want rank and no author", res.Subject)
		}
		var d map[string]any
		if err := json.Unmarshal(derived, &d); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range pointerLeaves(d["credentialSubject"], "/credentialSubject") {
			if strings.HasSuffix(p, "/id") || strings.HasSuffix(p, "/type") {
				continue
			}
			var c map[string]any
			_ = json.Unmarshal(derived, &c)
			tamper(t, c, p)
			b, _ := json.Marshal(c)
			if _, err := VerifyDerived(context.Background(), b, derivedOpts(t, false)); !errors.Is(err, ErrBadSignature) {
				t.Errorf("changed %s: got %v, want %v", p, err, ErrBadSignature)
			}
			n++
		}
		if n < 8 {
			t.Errorf("tampered with %d revealed values, want at least 8", n)
		}
	})
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
