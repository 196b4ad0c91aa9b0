// Package credential issues and verifies W3C Verifiable Credentials for
// certified models: a CertifiedModelCredential says that a WebAssembly
// module (named by its SHA-256) scored so much on a task's held-out data,
// ranked so, and passed every quality gate, signed by the host that ran
// the competition.
//
// Its place in the pipeline is the end of engine's:
//
//	task -> run (sandbox) -> score (metric) -> gates -> credential -> record (leaderboard)
//
// engine issues a credential once a submission's gates pass; anyone
// verifies it, offline, with this package alone. It is a public leaf: it
// imports the standard library (crypto/ed25519, crypto/sha256),
// internal/durable (key files) and its own sub-packages bbs and bbs2023
// (selective disclosure), never engine, sandbox, datasets or leaderboard; it never touches the
// store or runs a guest, and it does no I/O except the key file functions
// and the status-list fetch a verifier passes in.
//
// # Formats
//
//   - VC Data Model 2.0 documents, secured with a Data Integrity proof
//     (type DataIntegrityProof, cryptosuite eddsa-jcs-2022): the JCS
//     (RFC 8785) canonical forms of the proof options and of the document
//     are hashed with SHA-256 and signed with Ed25519; proofValue is the
//     base58btc multibase ('z') signature. The W3C test vectors are in
//     testdata/ and are reproduced byte for byte.
//   - Issuers are did:key DIDs of Ed25519 keys ("did:key:z6Mk…"); the
//     verification method is "did:key:z6Mk…#z6Mk…". The issuer of a
//     credential must be the DID whose key signed it.
//   - Revocation uses Bitstring Status List v1.0: a credential's
//     credentialStatus (BitstringStatusListEntry) points at bit
//     statusListIndex of a signed BitstringStatusListCredential whose
//     encodedList is the GZIP-compressed, base64url ('u') bitstring.
//   - Keys are stored as Multikey JSON files (mode 0600) holding the
//     publicKeyMultibase and secretKeyMultibase.
//   - Selective disclosure (SignWithBBS, Derive, VerifyDerived): a model
//     credential carries a proof set, the eddsa-jcs-2022 proof and a
//     bbs-2023 base proof by the host's BLS12-381 key (BBSKey,
//     "did:key:zUC7…"), with MandatoryPointers always revealed. The
//     holder derives a credential revealing chosen claims
//     (DisclosablePointers, and the threshold claims of NewThresholds)
//     with a fresh, unlinkable proof; VerifyDerived checks it, the
//     binding of the BBS key to the issuer (DerivedOptions.BBSKey) and
//     revocation through the mandatory credentialStatus. verdict's
//     context is registered with bbs2023's static loader.
//   - A participant signs a submission (SignSubmission): a small JSON
//     statement {v, task, module_sha256, time, signer} whose JCS form the
//     signer's did:key signs with Ed25519 (base58btc multibase). The
//     engine checks it with VerifySubmission and refuses a replay itself.
//
// Verification is strict where the specifications leave room: input must
// be I-JSON (duplicate keys, invalid UTF-8 and lone surrogates are
// errors), a document has exactly one eddsa proof (beside which a proof
// set may hold bbs-2023 base proofs, each verified too), and a proof's @context, if
// present, must equal the document's rather than merely prefix it, so that
// nothing outside the signature can change how the document is read.
//
// # Any credential
//
// VerifyCredential verifies a credential of any type from any did:key
// issuer (what the VC-API's POST /credentials/verify serves): the proof,
// chosen by its cryptosuite in one switch (verifySecured), the issuer
// binding, CheckDataModel (the VC Data Model 2.0 rules an issuer that does
// no JSON-LD processing checks itself: @context, id, type, names, typed
// properties, inline contexts, relatedResource, the validity period), the
// validity period at a time (CheckValidity), and each
// BitstringStatusListEntry against the lists the verifier holds. A status
// it cannot check is ErrStatusOffline, never a pass. A bbs-2023 proof
// (derived or base) verifies only against the BBS key the verifier binds
// to the issuer (CredentialOptions.BBSKeyOf); an issuer it knows no key
// for is ErrBBSKeyUnknown, never a pass:
//
//	res, err := credential.VerifyCredential(ctx, vc, credential.CredentialOptions{StatusList: held})
//	// res.Issuer, res.Document (the verified claims, canonical JSON)
//
// # The CertifiedModelCredential
//
// Its @context is [ContextV2, ContextURL]; ContextDocument is the JSON-LD
// context to serve at ContextURL. Every term below is @protected and maps
// to VocabURL ("https://verdict.dev/vocab#") + the name in brackets:
//
//	CertifiedModelCredential  credential type
//	CertifiedModel            credentialSubject type; its id is urn:sha256:<hex of the module>
//	author                    the participant's did:key, or for one     [author]
//	                          known by a name, ParticipantIRI's
//	                          urn:verdict:participant:TASK:NAME
//	task                      the task the model was scored on          [task]
//	  taskId                  the task's id in verdict                  [taskId]
//	  title                   its human title                           [title]
//	  taskType                binary, multiclass, regression or ranking [taskType]
//	  metric                  the metric's registry name                [metric]
//	  datasetHash             fingerprint of the held-out dataset       [datasetHash]
//	scores                    the model's scores                        [scores]
//	  public, private         score on the public / private part        [publicScore, privateScore]
//	    value                 the metric's value                        [value]
//	    ci                    [low, high] confidence interval (@set)    [confidenceInterval]
//	    level                 the interval's confidence, e.g. 0.95      [confidenceLevel]
//	rank                      1-based place when issued                 [rank]
//	rankedParticipants        participants ranked when issued           [rankedParticipants]
//	gates                     the quality gates passed (@set)           [gate]
//	  name                    the gate's name (schema:name, from ContextV2)
//	  passed                  always true in an issued credential       [passed]
//	  value, threshold        what was measured and the bound           [value, threshold]
//	engineVersion             the verdict version that scored it        [engineVersion]
//	scoreAtLeast, scoreAtMost thresholds the score meets, "0.90" (@set)  [scoreAtLeast, scoreAtMost]
//	rankAtMost                rank bounds the rank meets (@set)         [rankAtMost]
//
// The task's id and type are taskId and taskType, not id and type, because
// JSON-LD reads id and type as @id and @type.
//
// # Usage
//
// Issuing (engine):
//
//	key, err := credential.ReadKeyFile("verdict-data/issuer.key")
//	entry := credential.NewStatusEntry("https://verdict.example/status/1", 42)
//	vc, err := credential.IssueModel(credential.ModelSubject{
//		Model: sha256.Sum256(wasm), Author: "did:key:z6Mk…", Task: …, Scores: …,
//		Rank: 1, RankedParticipants: 12, Gates: …, EngineVersion: "v0.3.0",
//	}, key, &entry, time.Now())
//
// Verifying (anyone):
//
//	res, err := credential.VerifyModel(ctx, vc, credential.VerifyOptions{
//		Issuer: "did:key:z6Mk…", // the host's DID
//		Module: wasm,
//		StatusList: fetch,       // func(ctx, url) ([]byte, error)
//	})
//	switch {
//	case errors.Is(err, credential.ErrRevoked): …
//	case errors.Is(err, credential.ErrBadSignature): …
//	}
//
// Disclosing (the author) and checking a disclosure (anyone):
//
//	proof, err := credential.Derive(vc, []string{"/credentialSubject/scoreAtLeast/0"}, challenge)
//	res, err := credential.VerifyDerived(ctx, proof, credential.DerivedOptions{
//		Issuer: "did:key:z6Mk…", BBSKey: "did:key:zUC7…", Nonce: challenge, StatusList: fetch,
//	})
package credential
