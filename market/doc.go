// Package market is the marketplace of a data dir: the catalogue of the
// models its engine certified (and of those ingested from other data
// dirs), each with a model card the host signs; search; bundles (module,
// credential, card, status list) to export and ingest; revocation from an
// issuer's newer status list; and predictions on new rows.
//
// It sits above the engine, beside nothing and below the adapters:
//
//	cmd/verdict, internal/httpapi, internal/web, client -> market -> engine -> leaves
//
// The engine never imports it. A Market learns of the engine's certified
// models through the hooks New registers (engine.OnCertified,
// engine.OnRevoked): a promotion lists its models, a revocation marks them.
// Listing is idempotent, and Open catches up on every credential the
// engine has issued (CatchUp), so a crash between a promotion and its
// listing, or a promotion made while no Market was open (a CLI close), is
// made good the next time a Market opens on the data dir.
//
// The catalogue is the leaderboard store's table of MarketEntry, reached
// through the narrow catalogue interface (open.go): the marketplace writes
// nothing of the engine's. The status lists ingested models were checked
// against are kept as DIR/market/UUID.status.json.
//
// Its operator keeps a registry of the issuers it trusts (TrustedIssuer:
// a host did:key, a name, a period, optionally the tasks or datasets it
// may certify; Trust, Untrust, Issuers, TrustedFor), as
// DIR/market/issuers.json; each change is appended, with who
// (engine.WithActor) and when, to DIR/market/trust-log.jsonl (TrustLog). Every entry List and Entry return says whether
// its issuer is trusted here (Entry.Trusted), computed when read, so
// Untrust flags an issuer's models at once. Ingest refuses a bundle whose
// issuer is neither this host nor covered by the registry
// (ErrUntrustedIssuer) unless IngestOptions.AllowUntrusted, which lists it
// as untrusted.
//
// A bundle is untrusted input: every member is read bounded (ReadBundle,
// ReadBundleTar), and VerifyBundle checks the credential's proof and
// issuer, the module's hash, revocation and the card's own signature and
// agreement with the credential before Ingest stores anything. Every
// refusal is a *BundleError naming the file at fault; errors wrap the
// engine's sentinels (engine.ErrBadRequest, ErrNotFound, ErrExists), so
// the adapters map them as they map the engine's.
//
// A registry entry may also record the issuer's BBS did:key
// (TrustedIssuer.BBSDID; BBSKeyOf, which binds this host to its own
// pair). A disclosure bundle (DisclosureBundle, disclosure.go) carries a
// bbs-2023 selective disclosure that hides the author and a card without
// it; VerifyBundle checks it against that key (IngestOptions.BBSKey), as
// it checks a full credential's bbs-2023 base proof, and listings show its
// author as AuthorNotDisclosed. A promoted model whose author hid its
// credential (engine.Engine.HideCredential) is shown to visitors through
// Conceal and ConcealList (hidden.go): its public credential, a card
// without the author; the adapters decide who is a visitor.
//
// A listed model is also a metered service (metered.go): PredictMetered
// runs it for a caller (a did:key, or HostCaller) within the caller's
// daily Quota (a *QuotaError, before the model runs) and appends a
// ledger.Receipt to the data dir's usage ledger (DIR/ledger, package
// ledger, its checkpoints signed with the host key) before returning;
// the quota counts are recomputed from the ledger when it opens. Each
// listing has a price per 1,000 rows (Price, SetPrice, SetPriceAs for
// the model's author, DefaultPricePer1000), copied into each receipt with
// the team's agreed split (AgreeShares, Shares: shares.go; equal by
// default), the model's issuer and whether it is trusted here. Statement
// computes and signs what each author is owed for a month from the ledger
// (cached per period, author and log size); VerifyStatement recomputes it
// from the public log.
//
// # Usage
//
//	m, err := market.Open(ctx, e) // e: an open *engine.Engine
//	if err != nil { ... }
//	found, err := m.List(market.Query{TaskType: "binary", Features: []string{"mean_radius"}})
//	_, err = m.ExportBundle(found[0].ID, "bundle/")
//
//	b, err := market.ReadBundle("bundle/") // on another data dir
//	err = m2.Trust(ctx, market.TrustedIssuer{DID: hostDID, Name: "Lab A", Since: since})
//	entry, err := m2.Ingest(ctx, b, market.IngestOptions{Issuer: hostDID})
//	p, err := m2.Predict(ctx, entry.ID, rows, "rows.csv")
//	res, err := m2.PredictMetered(ctx, callerDID, entry.ID, body, "rows.csv") // res.Receipt, res.Index
//	defer m2.Close() // the usage ledger
package market
