package market_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/market"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

// BenchmarkVerifyBundle is what Ingest checks before it stores anything:
// two eddsa-jcs-2022 proofs, a status list, a module hash.
func BenchmarkVerifyBundle(b *testing.B) {
	host, err := credential.NewKeyPair(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	l, err := credential.NewStatusList(0)
	if err != nil {
		b.Fatal(err)
	}
	list, err := credential.IssueStatusList("https://verdict.example/status/1", l, host, goldenIssued)
	if err != nil {
		b.Fatal(err)
	}
	bundle := &market.Bundle{Module: sandboxtest.Wasm(sandboxtest.Linear), StatusList: list}
	for name, dst := range map[string]*[]byte{"credential.golden.json": &bundle.Credential, "card.golden.json": &bundle.Card} {
		if *dst, err = os.ReadFile(filepath.Join("testdata", name)); err != nil {
			b.Fatal(err)
		}
	}
	now := goldenIssued.Add(time.Hour)
	for b.Loop() {
		if _, _, err := market.VerifyBundle(context.Background(), bundle, market.IngestOptions{Issuer: host.DID()}, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredict runs a marketplace model (the linear fixture) on a CSV
// of new rows, parsing included.
func BenchmarkPredict(b *testing.B) {
	ctx := context.Background()
	e, m, _ := contest(b, "", engine.Config{})
	mustSubmit(b, e, "ada", linear)
	if _, err := e.CloseTask(context.Background(), "contest"); err != nil {
		b.Fatal(err)
	}
	proms, err := e.Promote(ctx, "contest")
	if err != nil || len(proms) == 0 || proms[0].Credential == nil {
		b.Fatalf("Promote: %+v, %v", proms, err)
	}
	id := proms[0].Credential.ID
	for _, rows := range []int{100, 10000} {
		var in strings.Builder
		in.WriteString("id,a,b\n")
		for i := range rows {
			fmt.Fprintf(&in, "r%d,%d.5,%d.25\n", i, i%7, i%5)
		}
		input := []byte(in.String())
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Predict(ctx, id, bytes.NewReader(input), "in.csv"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
