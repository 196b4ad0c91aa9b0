package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/internal/mcpserver"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// demoPrice is the price per 1,000 rows the demo's host sets on the model
// the agent uses, in units.
const demoPrice = 250

// agentDemo is what the demo's agent did through MCP, for --json.
type agentDemo struct {
	Agent     string           `json:"agent"` // its did:key
	Tools     []string         `json:"tools"`
	Found     []string         `json:"found"` // search_models' ids
	Verified  bool             `json:"verified"`
	Receipts  []int64          `json:"receipts"` // the ledger indexes of its two calls
	Statement ledger.Statement `json:"statement"`
}

// demoAgent is the demo's last part: an AI agent, an in-process MCP
// client (the official Go SDK's), searches the demo's marketplace through
// its MCP server, reads the card of the model it found, verifies it, and
// uses it twice as a metered service; the host then prints the month's
// statement, where both uses are counted to the model's author.
func demoAgent(ctx context.Context, g *globals, e *engine.Engine, mk *market.Market, names map[string]string) (*agentDemo, error) {
	say := func(format string, args ...any) {
		if !g.json {
			fmt.Fprintf(g.stdout, format, args...)
		}
	}
	key, err := credential.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	ad := &agentDemo{Agent: key.DID()}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := mcpserver.New(mcpserver.Config{Market: mk, Caller: key.DID()}).Connect(ctx, st, nil)
	if err != nil {
		return nil, err
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "demo-agent", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, t := range tools.Tools {
		ad.Tools = append(ad.Tools, t.Name)
	}
	say("\nagent     an AI agent with a key (%s) connects over MCP (verdict mcp --key agent.key)\n", shortDID(key.DID()))
	say("          tools: %s\n", strings.Join(ad.Tools, ", "))

	var found mcpserver.SearchOutput
	if err := callTool(ctx, cs, "search_models", map[string]any{"task_type": "binary", "features": []string{"mean_radius"}, "trusted_only": true}, &found); err != nil {
		return nil, err
	}
	say("          search_models {task_type: binary, features: [mean_radius], trusted_only}: %d found\n", len(found.Models))
	for _, m := range found.Models {
		ad.Found = append(ad.Found, m.ID)
		say("            %s  %s %s  by %s, certified by %s (trusted: %s)\n", short(m.ID), m.Metric, formatScore(m.Score),
			displayName(names[m.Author], m.Author), shortDID(m.CertifiedBy), m.IssuerName)
	}
	if len(found.Models) == 0 {
		return ad, nil
	}
	best := found.Models[0]
	var card mcpserver.CardOutput
	if err := callTool(ctx, cs, "get_model_card", map[string]any{"id": best.ID}, &card); err != nil {
		return nil, err
	}
	say("          get_model_card %s: reads %s and %d features (%s, …), writes %s, license %s\n", short(best.ID),
		card.Card.Input.IDColumn, len(card.Card.Input.Features), strings.Join(card.Card.Input.Features[:min(3, len(card.Card.Input.Features))], ", "),
		strings.Join(card.Card.Output.Columns, ", "), card.Card.License)
	var v market.Verification
	if err := callTool(ctx, cs, "verify_model", map[string]any{"id": best.ID}, &v); err != nil {
		return nil, err
	}
	ad.Verified = v.Valid && v.StatusChecked && v.Revoked == nil
	outcome := "VALID (credential proof, issuer, wasm hash, signed card, not revoked)"
	if !ad.Verified {
		outcome = "NOT VALID: " + v.Error
	}
	say("          verify_model %s: %s\n", short(best.ID), outcome)

	if err := mk.SetPrice(best.ID, demoPrice); err != nil {
		return nil, err
	}
	say("host      verdict ledger price %s %d: %d units per 1,000 rows\n", short(best.ID), demoPrice, demoPrice)
	input, err := demoInput(card.Card.Input)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(strings.TrimRight(string(input), "\n"), "\n")
	for _, n := range []int{demoNewRows, 3} {
		var out mcpserver.PredictOutput
		if err := callTool(ctx, cs, "predict", map[string]any{"id": best.ID, "rows_csv": strings.Join(lines[:n+1], "") + "\n"}, &out); err != nil {
			return nil, err
		}
		ad.Receipts = append(ad.Receipts, out.Receipt.Index)
		size, err := checkMCPReceipt(&out.Receipt)
		if err != nil {
			return nil, fmt.Errorf("predict receipt: %w", err)
		}
		say("agent     predict %s on %d rows: %d outputs, %s units; receipt #%d in the usage ledger\n",
			short(best.ID), n, len(out.IDs), ledger.Units(out.Usage.MilliUnits), out.Receipt.Index)
		say("          (its inclusion in the host-signed checkpoint of size %d verified by the agent)\n", size)
	}

	period := e.Now().UTC().Format("2006-01")
	ssm, _, err := mk.Statement(period, "")
	if err != nil {
		return nil, err
	}
	ad.Statement = ssm.Statement
	say("host      verdict ledger statement --period %s (signed, from the checkpoint of size %d):\n", period, ssm.Size)
	for _, l := range ssm.Lines {
		say("            %s  model %s  %d uses  %d rows  %s units\n", displayName(names[l.Author], l.Author), short(l.Model), l.Uses, l.Rows, ledger.Units(l.MilliUnits))
	}
	return ad, nil
}

// checkMCPReceipt checks a predict answer's receipt as its caller would:
// the checkpoint's signature with the verifier key, then the entry's
// inclusion proof in it. It returns the checkpoint's size.
func checkMCPReceipt(r *mcpserver.Receipt) (int64, error) {
	cp, err := ledger.ParseCheckpoint([]byte(r.Checkpoint), r.VerifierKey)
	if err != nil {
		return 0, err
	}
	entry, err := base64.StdEncoding.DecodeString(r.Entry)
	if err != nil {
		return 0, err
	}
	proof := make([]ledger.Hash, len(r.Proof))
	for i, h := range r.Proof {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil || len(b) != len(proof[i]) {
			return 0, fmt.Errorf("proof hash %d: not base64 of %d bytes", i, len(proof[i]))
		}
		copy(proof[i][:], b)
	}
	return cp.Size, ledger.VerifyInclusion(proof, r.Index, cp, entry)
}

// callTool calls an MCP tool and decodes its structured answer into out;
// a tool error is an error.
func callTool(ctx context.Context, cs *mcp.ClientSession, name string, args map[string]any, out any) error {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return fmt.Errorf("mcp %s: %w", name, err)
	}
	if res.IsError {
		var msg []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				msg = append(msg, tc.Text)
			}
		}
		return fmt.Errorf("mcp %s: %s", name, strings.Join(msg, "; "))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
