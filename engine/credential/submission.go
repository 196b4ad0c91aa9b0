package credential

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"github.com/verdictlab/verdict/engine/credential/internal/jcs"
)

// SubmissionVersion is the "v" of the signed submissions this package
// writes and reads.
const SubmissionVersion = 1

// DefaultSubmissionWindow is how far a signed submission's time may be from
// the verifier's clock, either way, when SubmissionCheck.Window is zero.
const DefaultSubmissionWindow = 10 * time.Minute

// MaxSubmissionSize bounds the signed submissions VerifySubmission reads;
// a real one is about 400 bytes.
const MaxSubmissionSize = 4 << 10

// SubmissionStatement is what a participant signs to submit a model: this
// module, for this task, now, by me. Its wire form is the JSON object
//
//	{"v":1,"task":"iris","module_sha256":"9f86…","time":"2026-11-25T09:50:00.123456789Z",
//	 "signer":"did:key:z6Mk…","signature":"z3Fx…"}
//
// where signature is the base58btc multibase Ed25519 signature, by the
// signer's key, of the RFC 8785 (JCS) canonical form of the object without
// its signature member.
type SubmissionStatement struct {
	Task         string    // the task id
	ModuleSHA256 string    // lowercase hex SHA-256 of the module's bytes
	Time         time.Time // when it was signed, by the signer's clock
	Signer       string    // the signer's did:key
}

// SignedSubmission is a SubmissionStatement with its signature.
type SignedSubmission struct {
	SubmissionStatement
	// Signature is the multibase (base58btc, 'z') Ed25519 signature. Each
	// signature is unique to its statement, so a verifier that accepts a
	// statement once records it to refuse a replay.
	Signature string
	// Raw is the wire form, as signed by SignSubmission or as read by
	// VerifySubmission.
	Raw []byte
}

// SubmissionCheck is what VerifySubmission holds a signed submission to.
type SubmissionCheck struct {
	Task         string        // the task the submission is made to
	ModuleSHA256 string        // the SHA-256 (lowercase hex) of the module submitted
	Now          time.Time     // the verifier's clock
	Window       time.Duration // 0: DefaultSubmissionWindow
}

type submissionWire struct {
	V            int    `json:"v"`
	Task         string `json:"task"`
	ModuleSHA256 string `json:"module_sha256"`
	Time         string `json:"time"`
	Signer       string `json:"signer"`
	Signature    string `json:"signature,omitempty"`
}

// SignSubmission signs (task, moduleSHA256, t) with k.
func SignSubmission(k KeyPair, task, moduleSHA256 string, t time.Time) (SignedSubmission, error) {
	if err := k.valid(); err != nil {
		return SignedSubmission{}, err
	}
	if task == "" {
		return SignedSubmission{}, fieldErr(ErrMalformed, "task", "empty")
	}
	if !isSHA256Hex(moduleSHA256) {
		return SignedSubmission{}, fieldErr(ErrMalformed, "module_sha256", "want 64 lowercase hex digits")
	}
	w := submissionWire{
		V: SubmissionVersion, Task: task, ModuleSHA256: moduleSHA256,
		Time: t.UTC().Format(time.RFC3339Nano), Signer: k.DID(),
	}
	msg, err := submissionMessage(w)
	if err != nil {
		return SignedSubmission{}, err
	}
	w.Signature = "z" + encodeBase58(ed25519.Sign(k.priv, msg))
	raw, err := json.Marshal(w)
	if err != nil {
		return SignedSubmission{}, fmt.Errorf("encode signed submission: %w", err)
	}
	ts, _ := time.Parse(time.RFC3339Nano, w.Time)
	return SignedSubmission{
		SubmissionStatement: SubmissionStatement{Task: task, ModuleSHA256: moduleSHA256, Time: ts, Signer: w.Signer},
		Signature:           w.Signature, Raw: raw,
	}, nil
}

// submissionMessage is the signed message: the JCS form of w without its
// signature.
func submissionMessage(w submissionWire) ([]byte, error) {
	w.Signature = ""
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode submission statement: %w", err)
	}
	return jcs.Canonicalize(b)
}

// VerifySubmission checks a signed submission read from an untrusted
// source: well formed (ErrMalformed; ErrInvalidDID for the signer), signed
// by the signer's key (ErrBadSignature), for c.Task (ErrWrongTask) and
// c.ModuleSHA256 (ErrWrongModule), and signed within c.Window of c.Now
// (ErrStaleSubmission). Each failure is a *FieldError. It does not detect a
// replay: the caller records accepted signatures and refuses one it has
// seen.
func VerifySubmission(raw []byte, c SubmissionCheck) (*SignedSubmission, error) {
	if len(raw) > MaxSubmissionSize {
		return nil, fieldErr(ErrMalformed, "", "%d bytes, want at most %d", len(raw), MaxSubmissionSize)
	}
	m, err := parseObject(raw, "")
	if err != nil {
		return nil, err
	}
	for k := range m {
		switch k {
		case "v", "task", "module_sha256", "time", "signer", "signature":
		default:
			return nil, fieldErr(ErrMalformed, k, "unknown member")
		}
	}
	var v int
	if rv, ok := m["v"]; !ok || json.Unmarshal(rv, &v) != nil || v != SubmissionVersion {
		return nil, fieldErr(ErrMalformed, "v", "want %d", SubmissionVersion)
	}
	var w submissionWire
	w.V = v
	for _, f := range []struct {
		key string
		dst *string
	}{{"task", &w.Task}, {"module_sha256", &w.ModuleSHA256}, {"time", &w.Time}, {"signer", &w.Signer}, {"signature", &w.Signature}} {
		if *f.dst, err = stringField(m, f.key, f.key); err != nil {
			return nil, err
		}
	}
	if w.Task == "" {
		return nil, fieldErr(ErrMalformed, "task", "empty")
	}
	if !isSHA256Hex(w.ModuleSHA256) {
		return nil, fieldErr(ErrMalformed, "module_sha256", "want 64 lowercase hex digits")
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "time", "%.40q is not an RFC 3339 date-time", w.Time)
	}
	pub, err := ParseDIDKey(w.Signer)
	if err != nil || DIDKey(pub) != w.Signer {
		return nil, fieldErr(ErrInvalidDID, "signer", "%.120q", w.Signer)
	}
	if len(w.Signature) == 0 || w.Signature[0] != 'z' {
		return nil, fieldErr(ErrMalformed, "signature", "not base58btc (multibase prefix 'z')")
	}
	sig, err := decodeBase58(w.Signature[1:])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fieldErr(ErrMalformed, "signature", "not a %d-byte base58btc signature", ed25519.SignatureSize)
	}
	// The signed message is rebuilt from the members as read, so the time
	// is the exact string signed.
	msg, err := submissionMessage(w)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "", "%v", err)
	}
	if !ed25519.Verify(pub, msg, sig) {
		return nil, fieldErr(ErrBadSignature, "signature", "not a signature of the statement by %s", w.Signer)
	}
	if w.Task != c.Task {
		return nil, fieldErr(ErrWrongTask, "task", "signed for %q, submitted to %q", w.Task, c.Task)
	}
	if w.ModuleSHA256 != c.ModuleSHA256 {
		return nil, fieldErr(ErrWrongModule, "module_sha256", "signed for %s, submitted module is %s", w.ModuleSHA256, c.ModuleSHA256)
	}
	win := c.Window
	if win <= 0 {
		win = DefaultSubmissionWindow
	}
	if d := t.Sub(c.Now); d > win || d < -win {
		return nil, fieldErr(ErrStaleSubmission, "time", "signed at %s, %s from now (%s); the window is ±%s",
			t.UTC().Format(time.RFC3339), d.Round(time.Second), c.Now.UTC().Format(time.RFC3339), win)
	}
	return &SignedSubmission{
		SubmissionStatement: SubmissionStatement{Task: w.Task, ModuleSHA256: w.ModuleSHA256, Time: t, Signer: w.Signer},
		Signature:           w.Signature, Raw: raw,
	}, nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
