package credential

import (
	"context"
	"testing"
)

// benchReveal is what a typical holder reveals: the score's threshold,
// the metric and the public score.
var benchReveal = []string{"/credentialSubject/scoreAtLeast/6", "/credentialSubject/task/metric", "/credentialSubject/scores/public"}

// A model credential (the test credential with status and thresholds):
// issuing it with the eddsa-jcs-2022 proof alone and with the proof set,
// deriving a disclosure, verifying the proof set and the disclosure.
// ms/op is reported for each.
func BenchmarkModelCredential(b *testing.B) {
	k, bk := vectorKey(b), w3cBBSKey(b)
	c := bbsCredential()
	signed, err := c.SignWithBBS(k, bk, testHMACKey)
	if err != nil {
		b.Fatal(err)
	}
	derived, err := Derive(signed, benchReveal, []byte("nonce"))
	if err != nil {
		b.Fatal(err)
	}
	opts := derivedOpts(b, false)
	steps := []struct {
		name string
		run  func() error
	}{
		{"sign/eddsa", func() error { _, err := c.Sign(k); return err }},
		{"sign/eddsa+bbs", func() error { _, err := c.SignWithBBS(k, bk, testHMACKey); return err }},
		{"derive", func() error { _, err := Derive(signed, benchReveal, []byte("nonce")); return err }},
		{"verify/proof set", func() error { _, err := Verify(signed, nil); return err }},
		{"verify/derived", func() error { _, err := VerifyDerived(context.Background(), derived, opts); return err }},
	}
	for _, s := range steps {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				if err := s.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}
