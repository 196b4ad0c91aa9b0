package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/market"
)

// RefusalMeta is the _meta key of a tool error verdict explains in
// fields: a Refusal.
const RefusalMeta = "verdict/refusal"

// Refusal is why a tool call was refused, for an agent to act on: Kind
// "quota" names the quota Rule, what was used of its Limit, and when to
// retry (RetryAt, RetryAfterSeconds from now).
type Refusal struct {
	Kind              string `json:"kind"`
	Rule              string `json:"rule,omitempty"`
	Caller            string `json:"caller,omitempty"`
	Limit             int64  `json:"limit,omitempty"`
	Used              int64  `json:"used,omitempty"`
	Asked             int64  `json:"asked,omitempty"`
	RetryAt           string `json:"retry_at,omitempty"` // RFC 3339, UTC
	RetryAfterSeconds int64  `json:"retry_after_seconds,omitempty"`
}

// explainRefusals is the server's middleware that turns a quota refusal
// into a tool error an agent can act on: its text starts with the kind
// and says when to retry, and _meta[RefusalMeta] holds the Refusal.
func explainRefusals(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		ctr, ok := res.(*mcp.CallToolResult)
		var qe *market.QuotaError
		if err != nil || !ok || !ctr.IsError || !errors.As(ctr.GetError(), &qe) {
			return res, err
		}
		secs := max(1, int64(math.Ceil(qe.RetryAfter.Seconds())))
		r := Refusal{Kind: "quota", Rule: qe.Rule, Caller: qe.Caller, Limit: qe.Limit, Used: qe.Used, Asked: qe.Asked,
			RetryAt: qe.Reset.UTC().Format(time.RFC3339), RetryAfterSeconds: secs}
		if ctr.Meta == nil {
			ctr.Meta = mcp.Meta{}
		}
		ctr.Meta[RefusalMeta] = r
		ctr.Content = []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(
			"quota: %s reached the quota rule %q (%d used of %d today; this call needs %d); retry at %s, in %d s",
			qe.Caller, qe.Rule, qe.Used, qe.Limit, qe.Asked, r.RetryAt, secs)}}
		return res, err
	}
}
