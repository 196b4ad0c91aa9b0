package bbs2023

import (
	"encoding/base64"
	"errors"
	"testing"
)

// The proof value decoders take untrusted input: they must not panic,
// must return ErrEncoding for anything they reject, and must bound what
// they allocate (MaxProofValueLen, the CBOR decoder's element limits).

func FuzzParseBaseProof(f *testing.F) {
	var s map[string]any
	readJSON(f, "wind/addSignedSDBase.json", &s)
	f.Add(s["proof"].(map[string]any)["proofValue"].(string))
	f.Add("u2V0C")
	f.Add("u2V0ChQ")
	f.Add("u" + base64.RawURLEncoding.EncodeToString([]byte{0xd9, 0x5d, 0x02, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	f.Fuzz(func(t *testing.T, pv string) {
		p, err := ParseBaseProof(pv)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error %v is not ErrEncoding", err)
			}
			return
		}
		if len(p.Signature) != 80 || len(p.Header) != 64 || len(p.PublicKey) != 96 || len(p.HMACKey) != 32 {
			t.Fatalf("accepted wrong field sizes: %d %d %d %d", len(p.Signature), len(p.Header), len(p.PublicKey), len(p.HMACKey))
		}
		if _, err := p.Encode(); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

func FuzzParseDerivedProof(f *testing.F) {
	var d map[string]any
	readJSON(f, "wind/derivedRevealDocument.json", &d)
	f.Add(d["proof"].(map[string]any)["proofValue"].(string))
	f.Add("u2V0D")
	f.Add("u2V0DhUCgQIBA")
	f.Add("u" + base64.RawURLEncoding.EncodeToString([]byte{0xd9, 0x5d, 0x03, 0x85, 0x40, 0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	f.Fuzz(func(t *testing.T, pv string) {
		p, err := ParseDerivedProof(pv)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error %v is not ErrEncoding", err)
			}
			return
		}
		for i, x := range p.SelectiveIndexes {
			if x < 0 || (i > 0 && x <= p.SelectiveIndexes[i-1]) {
				t.Fatalf("accepted selective indexes %v", p.SelectiveIndexes)
			}
		}
		if _, err := p.Encode(); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
	})
}
