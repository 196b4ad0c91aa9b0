package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
)

// Bounds of the tools' arguments: a longer, larger or more numerous one is
// refused (ErrArgument) before any work.
const (
	// MaxText bounds free text (search text, ids, column names), in bytes.
	MaxText = 200
	// MaxFeatures bounds the feature names of a search.
	MaxFeatures = 64
	// MaxSampleCSV bounds the sample of rank_models_on_sample, in bytes
	// of CSV text; the sample's rows are bounded by market.MaxSampleRows.
	MaxSampleCSV = 1 << 20
	// MaxLimit bounds a search's limit; DefaultLimit is a search's limit
	// when it gives none.
	MaxLimit     = 100
	DefaultLimit = 20
	// DefaultMaxConcurrentRanks bounds how many rank_models_on_sample
	// calls run at once (Config.MaxConcurrentRanks): each runs models in
	// the sandbox.
	DefaultMaxConcurrentRanks = 2
	// MaxRequestBytes bounds one HTTP request body on /mcp: a sample and
	// room for the JSON-RPC envelope (a sample's CSV escaped in JSON may
	// grow, hence the factor).
	MaxRequestBytes = 2*MaxSampleCSV + 64<<10
)

// Config configures a server. Market is required; the zero value of every
// other field works.
type Config struct {
	Market *market.Market
	// Version is the version reported to clients; "" is "dev".
	Version string
	// MaxConcurrentRanks bounds concurrent rank_models_on_sample calls;
	// 0 is DefaultMaxConcurrentRanks.
	MaxConcurrentRanks int
	// MaxConcurrentPredicts bounds concurrent predict calls; 0 is
	// DefaultMaxConcurrentPredicts.
	MaxConcurrentPredicts int
	// Caller is the did:key (or market.HostCaller) predict calls are
	// metered to when the request's context names none (WithCaller):
	// the key of `verdict mcp --key FILE`. "" refuses predict unless the
	// context names a caller.
	Caller string
	// NoCaller tells an agent refused for want of a caller how to be one,
	// e.g. "start verdict mcp with --key FILE"; "" is DefaultNoCaller.
	NoCaller string
}

// DefaultNoCaller is Config.NoCaller's default.
const DefaultNoCaller = "this server knows no caller to meter predict calls to (give one with Config.Caller or per request with WithCaller)"

// Validate reports a missing marketplace or a negative bound.
func (c Config) Validate() error {
	switch {
	case c.Market == nil:
		return errors.New("mcpserver: config: no marketplace")
	case c.MaxConcurrentRanks < 0:
		return fmt.Errorf("mcpserver: config: max concurrent ranks %d is negative", c.MaxConcurrentRanks)
	case c.MaxConcurrentPredicts < 0:
		return fmt.Errorf("mcpserver: config: max concurrent predicts %d is negative", c.MaxConcurrentPredicts)
	}
	return nil
}

// server holds what the tool handlers share.
type server struct {
	mk          *market.Market
	ranks       chan struct{} // a slot per running rank
	predicts    chan struct{} // a slot per running predict
	fixedCaller string        // Config.Caller
	noCaller    string        // Config.NoCaller
}

// New returns the MCP server of a marketplace, its tools and resources
// registered. It panics on an invalid Config (a programmer error).
func New(c Config) *mcp.Server {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.MaxConcurrentRanks == 0 {
		c.MaxConcurrentRanks = DefaultMaxConcurrentRanks
	}
	if c.MaxConcurrentPredicts == 0 {
		c.MaxConcurrentPredicts = DefaultMaxConcurrentPredicts
	}
	if c.NoCaller == "" {
		c.NoCaller = DefaultNoCaller
	}
	s := &server{mk: c.Market, ranks: make(chan struct{}, c.MaxConcurrentRanks), predicts: make(chan struct{}, c.MaxConcurrentPredicts),
		fixedCaller: c.Caller, noCaller: c.NoCaller}
	ms := mcp.NewServer(&mcp.Implementation{Name: "verdict", Title: "verdict marketplace", Version: c.Version}, &mcp.ServerOptions{
		Instructions: instructions,
	})
	ms.AddReceivingMiddleware(explainRefusals)
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: new(false)}
	mcp.AddTool(ms, &mcp.Tool{Name: "search_models", Annotations: readOnly, Description: `Search the certified models of this marketplace by task type, metric, minimum certified score, input feature names and text (task id, title or author). Results are best certified score first; each says who certified it (certified_by) and whether that issuer is trusted here (issuer_trusted). Revoked models are left out.`}, s.search)
	mcp.AddTool(ms, &mcp.Tool{Name: "get_model_card", Annotations: readOnly, Description: `A model's card: the task it was certified on, the input columns it reads (id column and features, by name), its outputs, certified scores with confidence intervals, author, license, and who certified it and whether that issuer is trusted here.`}, s.card)
	mcp.AddTool(ms, &mcp.Tool{Name: "verify_model", Annotations: readOnly, Description: `Check a model's certificate now: the W3C credential's signature and issuer, the wasm's SHA-256, the signed card's agreement with the credential, and revocation against the issuer's status list; and whether that issuer is trusted here.`}, s.verify)
	mcp.AddTool(ms, &mcp.Tool{Name: "rank_models_on_sample", Annotations: readOnly, Description: fmt.Sprintf(`Measure which certified models work best on your data: give a small labelled sample as CSV text (an id column, a label column, and the models' feature columns by name; at most %d bytes and %d rows), a task type and a metric. Every matching certified model (at most %d) runs on it in the sandbox; they are ranked by the metric on your sample, with 95%% bootstrap intervals. Models whose features the sample lacks are listed unscored with the reason. The sample is not stored.`, MaxSampleCSV, market.MaxSampleRows, market.MaxRankModels)}, s.rank)

	mcp.AddTool(ms, &mcp.Tool{Name: "predict", Annotations: &mcp.ToolAnnotations{DestructiveHint: new(false), OpenWorldHint: new(false)}, Description: fmt.Sprintf(`Use a listed model as a metered service: give its id and rows as CSV text (its id column and feature columns by name, as get_model_card lists them; at most %d bytes and %d rows). It runs in the sandbox under the limits it was certified with and answers its outputs per row, with the call's usage receipt: the rows, the price and what the call costs, as recorded in this marketplace's public usage ledger, with the inclusion proof and signed checkpoint to check it offline (verdict ledger verify). Each call counts against your daily quota. It needs an authenticated caller: over HTTP a buyer token or a signed request, over stdio verdict mcp --key FILE.`, MaxPredictCSV, MaxPredictRows)}, s.predict)

	ms.AddResourceTemplate(&mcp.ResourceTemplate{Name: "model card", URITemplate: "verdict://models/{id}/card", MIMEType: "application/json",
		Description: "A model's card as its issuer signed it (eddsa-jcs-2022)."}, s.resource)
	ms.AddResourceTemplate(&mcp.ResourceTemplate{Name: "model credential", URITemplate: "verdict://models/{id}/credential", MIMEType: "application/json",
		Description: "A model's W3C verifiable credential (eddsa-jcs-2022), as its issuer signed it."}, s.resource)
	return ms
}

const instructions = `verdict is a marketplace of machine-learning models certified by evaluation on held-out data. Find models with search_models, read what they need with get_model_card, check a certificate with verify_model, measure candidates on your own labelled rows with rank_models_on_sample, and use one on new rows with predict (metered: each call is recorded in the public usage ledger, and its receipt is returned). A certificate is only as good as its issuer: every answer says who certified the model and whether this marketplace trusts that issuer.`

// Handler serves s over streamable HTTP, statelessly (each request is
// its own session: nothing is kept between calls), with JSON responses
// and request bodies bounded by MaxRequestBytes.
func Handler(s *mcp.Server) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{
		Stateless: true, JSONResponse: true, MaxRequestBodyBytes: MaxRequestBytes,
	})
}

// ModelSummary is a model as the tools describe it.
type ModelSummary struct {
	ID             string   `json:"id" jsonschema:"the model's marketplace id (its credential's UUID)"`
	Task           string   `json:"task"`
	Title          string   `json:"title,omitempty"`
	TaskType       string   `json:"task_type"`
	Metric         string   `json:"metric"`
	HigherIsBetter bool     `json:"higher_is_better"`
	Score          float64  `json:"certified_score" jsonschema:"the score it was certified with, on the task's private held-out data"`
	Features       []string `json:"features" jsonschema:"the input feature columns it reads, by name, in order"`
	IDColumn       string   `json:"id_column"`
	Author         string   `json:"author"`
	License        string   `json:"license"`
	Origin         string   `json:"origin" jsonschema:"promoted (certified by this marketplace's host) or ingested (certified elsewhere)"`
	Revoked        string   `json:"revoked,omitempty" jsonschema:"why its credential was revoked, if it was"`
	CertifiedBy    string   `json:"certified_by" jsonschema:"the did:key of the host that certified it"`
	IssuerTrusted  bool     `json:"issuer_trusted" jsonschema:"whether this marketplace trusts that issuer for this model"`
	IssuerName     string   `json:"issuer_name,omitempty" jsonschema:"this marketplace's name for the issuer, when trusted"`
	CardURI        string   `json:"card_uri"`
	CredentialURI  string   `json:"credential_uri"`
}

// namer returns the registry's name for the issuer of a trusted entry
// ("this host" for the host's own), reading the registry once for a whole
// answer.
func (s *server) namer() (func(*market.Entry) string, error) {
	reg, err := s.mk.Registry()
	if err != nil {
		return nil, err
	}
	names := map[string]string{reg.Issuer: "this host"}
	for _, ti := range reg.Issuers {
		if ti.DID != reg.Issuer {
			names[ti.DID] = ti.Name
		}
	}
	return func(me *market.Entry) string {
		if !me.Trusted {
			return ""
		}
		return names[me.Card.Issuer]
	}, nil
}

func summary(me *market.Entry, name func(*market.Entry) string) ModelSummary {
	c := &me.Card
	ms := ModelSummary{ID: me.ID, Task: c.Task.ID, Title: c.Task.Title, TaskType: c.Task.Type, Metric: c.Task.Metric,
		HigherIsBetter: c.Task.HigherIsBetter, Score: me.Score, Features: c.Input.Features, IDColumn: c.Input.IDColumn,
		Author: c.Author, License: c.License, Origin: me.Origin, CertifiedBy: c.Issuer, IssuerTrusted: me.Trusted,
		IssuerName: name(me),
		CardURI:    "verdict://models/" + me.ID + "/card", CredentialURI: "verdict://models/" + me.ID + "/credential"}
	if me.Revoked != nil {
		ms.Revoked = me.Revoked.Reason
	}
	return ms
}

// SearchInput are search_models' arguments.
type SearchInput struct {
	TaskType    string   `json:"task_type,omitempty" jsonschema:"binary, multiclass, regression or ranking"`
	Metric      string   `json:"metric,omitempty" jsonschema:"the metric the model was certified with, e.g. roc_auc, rmse"`
	MinScore    *float64 `json:"min_score,omitempty" jsonschema:"keep models at least this good in the metric's direction (<= for error metrics)"`
	Features    []string `json:"features,omitempty" jsonschema:"input feature names the model must read (case-insensitive)"`
	Text        string   `json:"text,omitempty" jsonschema:"substring of the task id, title or author"`
	Task        string   `json:"task,omitempty" jsonschema:"a task id"`
	TrustedOnly bool     `json:"trusted_only,omitempty" jsonschema:"keep only models whose issuer this marketplace trusts"`
	Limit       int      `json:"limit,omitempty" jsonschema:"at most this many models (default 20, at most 100)"`
}

// SearchOutput is search_models' answer.
type SearchOutput struct {
	Models []ModelSummary `json:"models"`
}

func (in SearchInput) query() (market.Query, error) {
	q := market.Query{TaskType: in.TaskType, Metric: in.Metric, Task: in.Task, MinScore: in.MinScore, Features: in.Features, Text: in.Text, TrustedOnly: in.TrustedOnly}
	for _, a := range []struct{ name, v string }{{"task_type", in.TaskType}, {"metric", in.Metric}, {"text", in.Text}, {"task", in.Task}} {
		if err := text(a.name, a.v); err != nil {
			return q, err
		}
	}
	if len(in.Features) > MaxFeatures {
		return q, fmt.Errorf("features: %d names, more than %d: %w", len(in.Features), MaxFeatures, ErrArgument)
	}
	for i, f := range in.Features {
		if err := text(fmt.Sprintf("features[%d]", i), f); err != nil {
			return q, err
		}
	}
	return q, q.Validate()
}

// text bounds a text argument.
func text(name, v string) error {
	if len(v) > MaxText {
		return fmt.Errorf("%s: %d bytes, more than %d: %w", name, len(v), MaxText, ErrArgument)
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return fmt.Errorf("%s: not UTF-8 text: %w", name, ErrArgument)
	}
	return nil
}

func (s *server) search(_ context.Context, _ *mcp.CallToolRequest, in SearchInput) (*mcp.CallToolResult, SearchOutput, error) {
	out := SearchOutput{Models: []ModelSummary{}}
	q, err := in.query()
	if err != nil {
		return nil, out, err
	}
	switch {
	case in.Limit < 0 || in.Limit > MaxLimit:
		return nil, out, fmt.Errorf("limit: %d is not in [0, %d]: %w", in.Limit, MaxLimit, ErrArgument)
	case in.Limit == 0:
		in.Limit = DefaultLimit
	}
	q.Limit = in.Limit
	es, err := s.mk.List(q)
	if err != nil {
		return nil, out, err
	}
	name, err := s.namer()
	if err != nil {
		return nil, out, err
	}
	if es, err = s.mk.ConcealList(q, es, nil); err != nil {
		return nil, out, err
	}
	for i := range es {
		out.Models = append(out.Models, summary(&es[i], name))
	}
	return nil, out, nil
}

// IDInput names a model.
type IDInput struct {
	ID string `json:"id" jsonschema:"the model's id, or a unique prefix of at least 8 characters"`
}

// CardOutput is get_model_card's answer.
type CardOutput struct {
	Model ModelSummary `json:"model"`
	Card  market.Card  `json:"card"`
}

func (s *server) entry(id string) (*market.Entry, error) {
	if err := text("id", id); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, fmt.Errorf("id: required: %w", ErrArgument)
	}
	// An agent is a visitor: a model whose author hid its credential is
	// shown without its author (market.Market.Conceal).
	me, err := s.mk.Entry(id)
	if err == nil {
		_, err = s.mk.Conceal(me)
	}
	return me, err
}

func (s *server) card(_ context.Context, _ *mcp.CallToolRequest, in IDInput) (*mcp.CallToolResult, CardOutput, error) {
	me, err := s.entry(in.ID)
	if err != nil {
		return nil, CardOutput{}, err
	}
	name, err := s.namer()
	if err != nil {
		return nil, CardOutput{}, err
	}
	return nil, CardOutput{Model: summary(me, name), Card: me.Card}, nil
}

func (s *server) verify(ctx context.Context, _ *mcp.CallToolRequest, in IDInput) (*mcp.CallToolResult, market.Verification, error) {
	me, err := s.entry(in.ID)
	if err != nil {
		return nil, market.Verification{}, err
	}
	v, err := s.mk.Verify(ctx, in.ID)
	if err != nil {
		return nil, market.Verification{}, err
	}
	if v.Revoked != nil && me.Revoked != nil && me.Revoked.Reason == "" {
		// Concealed: the reason may name the author who hid it.
		v.Revoked, v.Error = me.Revoked, "revoked"
	}
	return nil, *v, nil
}

// RankInput are rank_models_on_sample's arguments.
type RankInput struct {
	TaskType    string   `json:"task_type" jsonschema:"binary, multiclass, regression or ranking"`
	Metric      string   `json:"metric" jsonschema:"the metric to rank by on your sample, e.g. roc_auc, rmse (any metric of the task type)"`
	SampleCSV   string   `json:"sample_csv" jsonschema:"your labelled rows as CSV text with a header: an id column, a label column and the models' feature columns by name"`
	IDColumn    string   `json:"id_column,omitempty" jsonschema:"the sample's id column (default id)"`
	LabelColumn string   `json:"label_column,omitempty" jsonschema:"the sample's label column (default label)"`
	GroupColumn string   `json:"group_column,omitempty" jsonschema:"the sample's query column, for ranking tasks"`
	Features    []string `json:"features,omitempty" jsonschema:"only models that read all these features"`
	Text        string   `json:"text,omitempty" jsonschema:"only models whose task id, title or author contains this"`
	TrustedOnly bool     `json:"trusted_only,omitempty" jsonschema:"only models whose issuer this marketplace trusts"`
}

// RankedModel is one model's measured score on the sample.
type RankedModel struct {
	Rank     int              `json:"rank" jsonschema:"1 for the best; 0 for a model that could not be scored"`
	Score    *float64         `json:"score,omitempty" jsonschema:"the metric on your sample"`
	Interval *engine.Interval `json:"interval,omitempty" jsonschema:"95% percentile bootstrap interval of the score"`
	Error    string           `json:"error,omitempty" jsonschema:"why it could not be scored"`
	Model    ModelSummary     `json:"model"`
}

// RankOutput is rank_models_on_sample's answer.
type RankOutput struct {
	TaskType       string        `json:"task_type"`
	Metric         string        `json:"metric"`
	HigherIsBetter bool          `json:"higher_is_better"`
	Rows           int           `json:"rows" jsonschema:"sample rows scored"`
	Models         []RankedModel `json:"models" jsonschema:"best first, then those not scored"`
	Left           int           `json:"left,omitempty" jsonschema:"matching models not run (too many)"`
}

func (s *server) rank(ctx context.Context, _ *mcp.CallToolRequest, in RankInput) (*mcp.CallToolResult, RankOutput, error) {
	out := RankOutput{Models: []RankedModel{}}
	if len(in.SampleCSV) > MaxSampleCSV {
		return nil, out, fmt.Errorf("sample_csv: %d bytes, more than %d: %w", len(in.SampleCSV), MaxSampleCSV, ErrArgument)
	}
	if in.SampleCSV == "" {
		return nil, out, fmt.Errorf("sample_csv: required: %w", ErrArgument)
	}
	q, err := SearchInput{TaskType: in.TaskType, Metric: in.Metric, Features: in.Features, Text: in.Text, TrustedOnly: in.TrustedOnly}.query()
	if err != nil {
		return nil, out, err
	}
	for _, a := range []struct{ name, v string }{{"id_column", in.IDColumn}, {"label_column", in.LabelColumn}, {"group_column", in.GroupColumn}} {
		if err := text(a.name, a.v); err != nil {
			return nil, out, err
		}
	}
	select {
	case s.ranks <- struct{}{}:
		defer func() { <-s.ranks }()
	case <-ctx.Done():
		return nil, out, ctx.Err()
	}
	r, err := s.mk.Rank(ctx, q, market.Sample{Data: []byte(in.SampleCSV), Name: "sample.csv", ID: in.IDColumn, Label: in.LabelColumn, Group: in.GroupColumn})
	if err != nil {
		return nil, out, err
	}
	out.TaskType, out.Metric, out.HigherIsBetter, out.Rows, out.Left = r.TaskType, r.Metric, r.HigherIsBetter, r.Rows, r.Left
	name, err := s.namer()
	if err != nil {
		return nil, out, err
	}
	// An agent is a visitor: a model whose author hid its credential is
	// shown without its author, and left out when q.Text matched it only
	// through that author (market.Market.ConcealList); the places of
	// those after it close up.
	place := 0
	for i := range r.Models {
		rm := r.Models[i]
		kept, err := s.mk.ConcealList(q, []market.Entry{rm.Entry}, nil)
		if err != nil {
			return nil, out, err
		}
		if len(kept) == 0 {
			continue
		}
		if rm.Rank > 0 {
			place++
			rm.Rank = place
		}
		out.Models = append(out.Models, RankedModel{Rank: rm.Rank, Score: rm.Score, Interval: rm.Interval, Error: rm.Error, Model: summary(&kept[0], name)})
	}
	return nil, out, nil
}

// resource reads verdict://models/{id}/card or …/credential.
func (s *server) resource(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	rest, ok := strings.CutPrefix(uri, "verdict://models/")
	id, what, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || len(uri) > 2*MaxText {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	me, err := s.entry(id)
	if errors.Is(err, engine.ErrNotFound) {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if err != nil {
		return nil, err
	}
	var doc []byte
	switch what {
	case "card":
		doc = me.SignedCard
	case "credential":
		doc = me.Credential
	default:
		return nil, mcp.ResourceNotFoundError(uri)
	}
	trust := "not trusted here"
	if me.Trusted {
		trust = "trusted here"
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
		URI: uri, MIMEType: "application/json", Text: string(doc),
		Meta: mcp.Meta{"certified_by": me.Card.Issuer, "issuer_trusted": me.Trusted, "trust": trust},
	}}}, nil
}
