package credential

import (
	"bytes"
	_ "embed"
)

// JSON-LD contexts and vocabulary.
const (
	// ContextV2 is the W3C Verifiable Credentials Data Model 2.0 context,
	// first in every credential's @context.
	ContextV2 = "https://www.w3.org/ns/credentials/v2"
	// ContextURL is where verdict's context (ContextDocument) is served;
	// it is second in a CertifiedModelCredential's @context.
	ContextURL = "https://verdict.dev/credentials/v1"
	// VocabURL is the IRI prefix of every term ContextDocument defines.
	VocabURL = "https://verdict.dev/vocab#"

	ModelCredentialType = "CertifiedModelCredential"
	ModelSubjectType    = "CertifiedModel"
)

//go:embed context.jsonld
var contextDocument []byte

// ContextDocument returns the JSON-LD context served at ContextURL
// (media type application/ld+json). Its terms are @protected and map to
// VocabURL; doc.go lists them. It returns a copy.
func ContextDocument() []byte { return bytes.Clone(contextDocument) }
