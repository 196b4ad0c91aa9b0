package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/examples"
	"github.com/verdictlab/verdict/market"
)

// demoLicenses are the licenses the demo's participants give their models.
var demoLicenses = map[string]string{"alice": "Apache-2.0", "bob": "MIT"}

// demoNewRows is how many rows of the task's data the demo's agent
// predicts on, as "new" rows (without their label).
const demoNewRows = 5

// marketDemo is what the demo's marketplace part did, for --json.
type marketDemo struct {
	Found       string              `json:"found"` // the entry search found first
	Revoked     string              `json:"revoked,omitempty"`
	Search      []market.Entry      `json:"search"`
	Bundle      string              `json:"bundle"`
	IngestMS    float64             `json:"ingest_ms"`
	Refused     map[string]string   `json:"refused"` // case -> reason
	Predictions *engine.Predictions `json:"-"`
	PredictMS   float64             `json:"predict_ms"`
	Agent       *agentDemo          `json:"agent,omitempty"`
}

// demoMarket is the demo's marketplace part: the certified models are in
// the marketplace; the host revokes the last one; an agent searches,
// exports the best, ingests it into a second data dir (a tampered copy and
// the revoked model are refused) and predicts new rows with it.
func demoMarket(ctx context.Context, g *globals, e *engine.Engine, work, cacheDir string, proms []engine.Promotion, names map[string]string) (*marketDemo, error) {
	say := func(format string, args ...any) {
		if !g.json {
			fmt.Fprintf(g.stdout, format, args...)
		}
	}
	var certified []engine.Promotion
	for _, p := range proms {
		if p.Credential != nil {
			certified = append(certified, p)
		}
	}
	// The marketplace catches up on the models just certified.
	mk, err := market.Open(ctx, e)
	if err != nil {
		return nil, err
	}
	defer mk.Close()
	md := &marketDemo{Refused: map[string]string{}}
	if len(certified) == 0 {
		say("\nmarketplace: no certified model to show\n")
		return md, nil
	}
	say("\nmarketplace: each certified model is listed with its wasm, credential and a model card the host signs\n")
	bundles := filepath.Join(work, "bundles")

	// The last certified model is exported, then revoked: its bundle is
	// used below to show that a marketplace refuses it.
	var revokedBundle string
	if len(certified) > 1 {
		last := certified[len(certified)-1]
		revokedBundle = filepath.Join(bundles, "revoked")
		if _, err := mk.ExportBundle(last.Credential.ID, revokedBundle); err != nil {
			return nil, err
		}
		if _, err := e.Revoke(last.Credential.ID, "demo: the host withdraws it"); err != nil {
			return nil, err
		}
		md.Revoked = short(last.Credential.ID)
		say("host      revokes %s's credential: its entry %s is marked revoked and search leaves it out\n", names[last.Participant], md.Revoked)
	}

	// An agent looks for a binary classifier reading mean_radius.
	q := market.Query{TaskType: "binary", Features: []string{"mean_radius"}}
	found, err := mk.List(q)
	if err != nil {
		return nil, err
	}
	md.Search = found
	say("agent     verdict market search --type binary --feature mean_radius\n")
	for _, m := range found {
		say("          %s  %s  %s %s  by %s, license %s\n", short(m.ID), m.Card.Task.ID, m.Card.Task.Metric, formatScore(m.Score), displayName(names[m.Card.Author], m.Card.Author), m.Card.License)
	}
	if len(found) == 0 {
		return md, nil
	}
	best := found[0]
	md.Found = short(best.ID)

	md.Bundle = filepath.Join(bundles, short(best.ID))
	if _, err := mk.ExportBundle(best.ID, md.Bundle); err != nil {
		return nil, err
	}
	say("          verdict market export %s → model.wasm, credential.json, card.json, status.json\n", md.Found)

	// A second marketplace, on its own data dir.
	e2, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(work, "marketplace-2"), CacheDir: cacheDir})
	if err != nil {
		return nil, err
	}
	defer e2.Close(ctx)
	mk2, err := market.Open(ctx, e2)
	if err != nil {
		return nil, err
	}
	b, err := market.ReadBundle(md.Bundle)
	if err != nil {
		return nil, err
	}
	// The second marketplace's operator trusts the demo host as an issuer
	// (ingest refuses an unknown one).
	if err := mk2.Trust(ctx, market.TrustedIssuer{DID: e.HostDID(), Name: "the demo host", Since: best.Card.Created}); err != nil {
		return nil, err
	}
	say("          verdict market trust add %s (on another data dir: its operator trusts this host)\n", shortDID(e.HostDID()))
	start := time.Now()
	if _, err := mk2.Ingest(ctx, b, market.IngestOptions{Issuer: e.HostDID()}); err != nil {
		return nil, err
	}
	md.IngestMS = float64(time.Since(start).Microseconds()) / 1000
	say("          verdict market ingest into another data dir: accepted in %.1f ms (credential proof and\n", md.IngestMS)
	say("          did:key issuer, wasm hash, card signed by the same issuer and agreeing, not revoked)\n")

	tampered := *b
	tampered.Module = slices.Clone(b.Module)
	tampered.Module[len(tampered.Module)/2] ^= 1
	if _, err := mk2.Ingest(ctx, &tampered, market.IngestOptions{}); err != nil {
		md.Refused["tampered wasm"] = err.Error()
		say("          %-50s REFUSED (%s)\n", "a copy with one bit of its wasm flipped:", briefRefusal(err))
	}
	if revokedBundle != "" {
		rb, err := market.ReadBundle(revokedBundle)
		if err != nil {
			return nil, err
		}
		current, err := os.ReadFile(e.StatusListPath())
		if err != nil {
			return nil, err
		}
		if _, err := mk2.Ingest(ctx, rb, market.IngestOptions{StatusList: current}); err != nil {
			md.Refused["revoked"] = err.Error()
			say("          %-50s REFUSED (%s)\n", "the revoked model's bundle (current status list):", briefRefusal(err))
		}
	}
	input, err := demoInput(best.Card.Input)
	if err != nil {
		return nil, err
	}
	start = time.Now()
	p, err := mk2.Predict(ctx, best.ID, bytes.NewReader(input), "new-rows.csv")
	if err != nil {
		return nil, err
	}
	md.PredictMS = float64(time.Since(start).Microseconds()) / 1000
	md.Predictions = p
	say("          verdict market predict %s new-rows.csv: %d new rows, run in the sandbox (%.0f ms)\n", md.Found, len(p.IDs), md.PredictMS)
	say("            %s  %s (%s)\n", best.Card.Input.IDColumn, strings.Join(p.Columns, "  "), best.Card.Output.Meaning)
	for i, id := range p.IDs {
		var vals []string
		for k := range p.Values {
			vals = append(vals, strconv.FormatFloat(p.Values[k][i], 'f', 4, 64))
		}
		say("            %s  %s\n", id, strings.Join(vals, "  "))
	}
	if md.Agent, err = demoAgent(ctx, g, e, mk, names); err != nil {
		return nil, err
	}
	return md, nil
}

// briefRefusal is a refused bundle's file and root cause, for the demo:
// "model.wasm: module does not match the credential".
func briefRefusal(err error) string {
	var be *market.BundleError
	if !errors.As(err, &be) {
		return err.Error()
	}
	cause := be.Err
	for u := errors.Unwrap(cause); u != nil; u = errors.Unwrap(cause) {
		cause = u
	}
	msg := cause.Error()
	for _, p := range []string{"credential: ", "engine: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return be.File + ": " + msg
}

// demoInput is the first demoNewRows rows of the demo task's data as a CSV
// of the id column and the features only: new rows for a model.
func demoInput(in market.CardInput) ([]byte, error) {
	f, err := examples.FS.Open(path.Join(path.Dir(examples.DemoTask), "..", "data", "breast_cancer_test.csv"))
	if err != nil {
		return nil, fmt.Errorf("demo rows: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("demo rows: %w", err)
	}
	cols := append([]string{in.IDColumn}, in.Features...)
	idx := make([]int, len(cols))
	for j, c := range cols {
		if idx[j] = slices.Index(header, c); idx[j] < 0 {
			return nil, fmt.Errorf("demo rows: no column %q", c)
		}
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	_ = w.Write(cols)
	for range demoNewRows {
		rec, err := r.Read()
		if err != nil {
			return nil, fmt.Errorf("demo rows: %w", err)
		}
		row := make([]string, len(idx))
		for j, i := range idx {
			row[j] = rec[i]
		}
		_ = w.Write(row)
	}
	w.Flush()
	return out.Bytes(), w.Error()
}
