package mcpserver

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/market"
)

// The predict tool: metered use of a listed model. Unlike the other
// tools it needs to know who calls, for the call is counted against the
// caller's quota and recorded in the public usage ledger under their
// did:key. Over stdio the caller is fixed when the server starts
// (Config.Caller: `verdict mcp --key FILE`); over HTTP the adapter that
// authenticates the request says who it is (WithCaller). Without one,
// predict is refused (ErrNoCaller) and the other tools still answer.

// MaxPredictCSV bounds predict's rows, in bytes of CSV text, and
// MaxPredictRows their number: an agent sends a batch of rows, not a data
// set (the HTTP route, POST /v1/market/{id}/predict, takes larger ones).
const (
	MaxPredictCSV  = MaxSampleCSV
	MaxPredictRows = market.MaxSampleRows
	// DefaultMaxConcurrentPredicts bounds how many predict calls run at
	// once (Config.MaxConcurrentPredicts).
	DefaultMaxConcurrentPredicts = 4
)

type callerKey struct{}

// WithCaller returns ctx carrying the authenticated caller of a request
// (a did:key, or market.HostCaller): an HTTP adapter wraps each /mcp
// request's context with it once it has checked the request's
// credentials, and predict meters the call to it. It overrides
// Config.Caller. Over Handler (stateless), each request's context is the
// root of the session its call runs in, and the SDK keeps its values for
// the tool handlers (jsonrpc2's notDone wrapper): TestPredict/http and
// internal/httpapi's TestBuyerToken hold it to that, and were it to
// change, predict would be refused (no caller), never metered to another.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// caller is who a predict call is metered to, or "".
func (s *server) caller(ctx context.Context) string {
	if c, ok := ctx.Value(callerKey{}).(string); ok && c != "" {
		return c
	}
	return s.fixedCaller
}

// PredictInput are predict's arguments.
type PredictInput struct {
	ID      string `json:"id" jsonschema:"the model's id, or a unique prefix of at least 8 characters"`
	RowsCSV string `json:"rows_csv" jsonschema:"the rows to predict as CSV text with a header: the model's id column and its feature columns by name (get_model_card lists them)"`
}

// Usage is what a receipt records, as the agent reads it.
type Usage struct {
	Model        string `json:"model"`
	Module       string `json:"module" jsonschema:"SHA-256 (hex) of the model's wasm"`
	Author       string `json:"author"`
	Caller       string `json:"caller" jsonschema:"the did:key the call is metered to (host for the host)"`
	Rows         int64  `json:"rows"`
	Time         string `json:"time" jsonschema:"when the call was served (RFC 3339, UTC)"`
	PricePer1000 int64  `json:"price_per_1000_rows" jsonschema:"the listing's price per 1,000 rows, in units"`
	MilliUnits   int64  `json:"milli_units" jsonschema:"what this call costs, in thousandths of a unit"`
	CertifiedBy  string `json:"certified_by" jsonschema:"the did:key of the host that certified the model"`
	Trusted      bool   `json:"issuer_trusted" jsonschema:"whether this marketplace trusted that issuer for the model when it served the call"`
}

// Receipt is a metered call's receipt with its inclusion proof in the
// usage ledger: the same JSON as the HTTP route's (api.UsageReceipt;
// bytes in base64), so `verdict ledger verify` checks it as it is.
type Receipt struct {
	Entry       string   `json:"entry" jsonschema:"the ledger entry (the receipt's JSON), base64"`
	Index       int64    `json:"index" jsonschema:"the entry's place in the ledger"`
	Checkpoint  string   `json:"checkpoint" jsonschema:"the host-signed checkpoint (C2SP signed note) of a tree holding the entry"`
	Proof       []string `json:"proof" jsonschema:"the entry's inclusion proof in that tree (RFC 6962 hashes, base64)"`
	VerifierKey string   `json:"verifier_key" jsonschema:"the key that signs the ledger's checkpoints"`
	Salt        string   `json:"salt" jsonschema:"opens the receipt's request digest, SHA-256(salt ‖ rows_csv), base64; only the caller gets it"`
}

// PredictOutput is predict's answer.
type PredictOutput struct {
	Model    string      `json:"model"`
	IDColumn string      `json:"id_column"`
	IDs      []string    `json:"ids"`
	Columns  []string    `json:"columns" jsonschema:"the model's output columns"`
	Values   [][]float64 `json:"values" jsonschema:"values[k][i] is output column k of row i"`
	Usage    Usage       `json:"usage"`
	Receipt  Receipt     `json:"receipt"`
}

func (s *server) predict(ctx context.Context, _ *mcp.CallToolRequest, in PredictInput) (*mcp.CallToolResult, PredictOutput, error) {
	var out PredictOutput
	who := s.caller(ctx)
	if who == "" {
		return nil, out, fmt.Errorf("predict is metered to an authenticated caller: %s: %w", s.noCaller, ErrNoCaller)
	}
	if len(in.RowsCSV) > MaxPredictCSV {
		return nil, out, fmt.Errorf("rows_csv: %d bytes, more than %d: %w", len(in.RowsCSV), MaxPredictCSV, ErrArgument)
	}
	if in.RowsCSV == "" {
		return nil, out, fmt.Errorf("rows_csv: required: %w", ErrArgument)
	}
	// Lines bound records from above (a quoted field may span lines):
	// refuse before any row is parsed or charged.
	if n := strings.Count(strings.TrimRight(in.RowsCSV, "\r\n"), "\n"); n > MaxPredictRows {
		return nil, out, fmt.Errorf("rows_csv: %d rows, more than %d: %w", n, MaxPredictRows, ErrArgument)
	}
	if _, err := s.entry(in.ID); err != nil {
		return nil, out, err
	}
	select {
	case s.predicts <- struct{}{}:
		defer func() { <-s.predicts }()
	case <-ctx.Done():
		return nil, out, ctx.Err()
	}
	res, err := s.mk.PredictMetered(ctx, who, in.ID, []byte(in.RowsCSV), "rows.csv")
	if err != nil {
		return nil, out, err
	}
	proof, key, err := s.mk.Proof(res)
	if err != nil {
		return nil, out, err
	}
	me, err := s.mk.Entry(res.Receipt.Model)
	if err != nil {
		return nil, out, err
	}
	r, p := res.Receipt, res.Predictions
	out = PredictOutput{Model: me.ID, IDColumn: me.Card.Input.IDColumn, IDs: p.IDs, Columns: p.Columns, Values: p.Values,
		Usage: Usage{Model: r.Model, Module: r.Module, Author: r.Author, Caller: r.Caller, Rows: r.Rows,
			Time: r.Time.Format(time.RFC3339), PricePer1000: r.PricePer1000, MilliUnits: r.MilliUnits,
			CertifiedBy: r.Issuer, Trusted: r.Trusted},
		Receipt: Receipt{Entry: base64.StdEncoding.EncodeToString(res.Entry), Index: res.Index, Checkpoint: string(res.Checkpoint),
			VerifierKey: key, Salt: base64.StdEncoding.EncodeToString(res.Salt), Proof: make([]string, len(proof))}}
	for i, h := range proof {
		out.Receipt.Proof[i] = base64.StdEncoding.EncodeToString(h)
	}
	return nil, out, nil
}
