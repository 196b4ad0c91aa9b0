package credential_test

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine/credential"
)

// anyCredential is a valid unsigned VC 2.0 credential of no verdict type,
// issued by issuer.
func anyCredential(issuer string) map[string]any {
	return map[string]any{
		"@context": []any{credential.ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
		"id":       "urn:uuid:5c1b9a36-6f2d-4f8e-9d3c-2b1f0e7a6d54",
		"type":     []any{"VerifiableCredential", "ExampleDegreeCredential"},
		"issuer":   issuer,
		"name":     "Example degree",
		"credentialSubject": map[string]any{
			"id":     "did:example:ebfeb1f712ebc6f1c276e12ec21",
			"degree": map[string]any{"type": "ExampleBachelorDegree", "name": "Bachelor of Science and Arts"},
		},
		"validFrom":  "2026-01-01T00:00:00Z",
		"validUntil": "2036-01-01T00:00:00Z",
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var relatedData = []byte("the related resource")

func sri(data []byte) string {
	d := sha512.Sum384(data)
	return "sha384-" + base64.StdEncoding.EncodeToString(d[:])
}

func multihash(data []byte) string {
	d := sha256.Sum256(data)
	return "u" + base64.RawURLEncoding.EncodeToString(append([]byte{0x12, 0x20}, d[:]...))
}

// TestCheckDataModel has one case per VC Data Model 2.0 rule a JCS issuer
// checks itself: each mutates a valid credential so that it breaks the
// rule, and wants ErrDataModel naming the field.
func TestCheckDataModel(t *testing.T) {
	const held = "https://verdict.example/resource"
	tests := []struct {
		name   string
		mutate func(c map[string]any)
		field  string // "" : valid
	}{
		{"Valid", func(c map[string]any) {}, ""},
		{"ValidIssuerObject", func(c map[string]any) { c["issuer"] = map[string]any{"id": c["issuer"], "name": "Uni"} }, ""},
		{"ValidLanguageName", func(c map[string]any) {
			c["name"] = []any{map[string]any{"@value": "Diplôme", "@language": "fr"}, "Degree"}
		}, ""},
		{"ValidInlineContext", func(c map[string]any) {
			c["@context"] = []any{credential.ContextV2, map[string]any{"@protected": true, "Degree": "https://ex.org/Degree", "ex:x": "https://ex.org/x"}}
		}, ""},
		{"ValidTypedProperties", func(c map[string]any) {
			c["credentialSchema"] = map[string]any{"id": "https://ex.org/schema.json", "type": "JsonSchema"}
			c["refreshService"] = map[string]any{"type": "ManualRefreshService2021", "url": "https://ex.org/refresh"}
			c["credentialStatus"] = []any{map[string]any{"id": "https://ex.org/status/1#3", "type": "BitstringStatusListEntry"}}
		}, ""},
		{"ValidRelatedResource", func(c map[string]any) {
			c["relatedResource"] = []any{
				map[string]any{"id": held, "digestSRI": sri(relatedData)},
				map[string]any{"id": held + "/2", "digestMultibase": multihash([]byte("elsewhere"))},
				map[string]any{"id": held + "/3", "digestMultibase": "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"}, // a bare SHA-256, as the W3C suite sends
			}
		}, ""},
		{"ValidNoValidity", func(c map[string]any) { delete(c, "validFrom"); delete(c, "validUntil") }, ""},

		{"ContextMissing", func(c map[string]any) { delete(c, "@context") }, "@context"},
		{"ContextNotArray", func(c map[string]any) { c["@context"] = credential.ContextV2 }, "@context"},
		{"ContextFirstNotV2", func(c map[string]any) {
			c["@context"] = []any{"https://www.w3.org/2018/credentials/v1", credential.ContextV2}
		}, "@context[0]"},
		{"ContextEntryNotURL", func(c map[string]any) { c["@context"] = []any{credential.ContextV2, "not a url"} }, "@context[1]"},
		{"ContextEntryNumber", func(c map[string]any) { c["@context"] = []any{credential.ContextV2, 7} }, "@context[1]"},
		{"InlineContextTermNotTermOrURL", func(c map[string]any) {
			c["@context"] = []any{credential.ContextV2, map[string]any{"has space": "https://ex.org/x"}}
		}, "@context[1].has space"},
		{"InlineContextRedefinesProtected", func(c map[string]any) {
			c["@context"] = []any{credential.ContextV2, map[string]any{"issuer": "https://ex.org/issuer"}}
		}, "@context[1].issuer"},
		{"InlineContextMapsToNonURL", func(c map[string]any) {
			c["@context"] = []any{credential.ContextV2, map[string]any{"ExampleDegreeCredential": "https ://not-a-url#X"}}
		}, "@context[1].ExampleDegreeCredential"},
		{"InlineContextRedefinesEarlierProtected", func(c map[string]any) {
			c["@context"] = []any{credential.ContextV2,
				map[string]any{"@protected": true, "ExampleDegreeCredential": "https://ex.org/#A"},
				map[string]any{"ExampleDegreeCredential": "https://ex.org/#B"}}
		}, "@context[2].ExampleDegreeCredential"},
		{"IssuerNameExtraKey", func(c map[string]any) {
			c["issuer"] = map[string]any{"id": c["issuer"], "name": map[string]any{"@value": "Uni", "extra": "x"}}
		}, "issuer.name.extra"},
		{"TypeUnmapped", func(c map[string]any) {
			c["@context"] = []any{credential.ContextV2, map[string]any{"@vocab": nil}}
		}, "type"},
		{"IDNotURL", func(c map[string]any) { c["id"] = "not-a-url" }, "id"},
		{"IDNotSingle", func(c map[string]any) { c["id"] = []any{"urn:uuid:1", "urn:uuid:2"} }, "id"},
		{"TypeMissing", func(c map[string]any) { delete(c, "type") }, "type"},
		{"TypeWithoutVerifiableCredential", func(c map[string]any) { c["type"] = []any{"ExampleDegreeCredential"} }, "type"},
		{"TypeNotTermOrURL", func(c map[string]any) { c["type"] = []any{"VerifiableCredential", "two words"} }, "type"},
		{"TypeNotString", func(c map[string]any) { c["type"] = []any{"VerifiableCredential", 3} }, "type"},
		{"NameNumber", func(c map[string]any) { c["name"] = 5 }, "name"},
		{"DescriptionLanguageObjectWithoutValue", func(c map[string]any) { c["description"] = map[string]any{"@language": "en"} }, "description.@value"},
		{"NameLanguageObjectExtraKey", func(c map[string]any) {
			c["name"] = map[string]any{"@value": "x", "@language": "en", "extra": "y"}
		}, "name.extra"},
		{"IssuerMissing", func(c map[string]any) { delete(c, "issuer") }, "issuer"},
		{"IssuerNotURL", func(c map[string]any) { c["issuer"] = "issuer" }, "issuer"},
		{"IssuerObjectWithoutID", func(c map[string]any) { c["issuer"] = map[string]any{"name": "Uni"} }, "issuer.id"},
		{"SubjectMissing", func(c map[string]any) { delete(c, "credentialSubject") }, "credentialSubject"},
		{"SubjectEmpty", func(c map[string]any) { c["credentialSubject"] = map[string]any{} }, "credentialSubject"},
		{"SubjectIDNotURL", func(c map[string]any) { c["credentialSubject"] = map[string]any{"id": "bob"} }, "credentialSubject.id"},
		{"RefreshServiceUntyped", func(c map[string]any) { c["refreshService"] = map[string]any{"url": "https://ex.org/r"} }, "refreshService.type"},
		{"SchemaUntyped", func(c map[string]any) { c["credentialSchema"] = map[string]any{"id": "https://ex.org/s.json"} }, "credentialSchema.type"},
		{"SchemaWithoutID", func(c map[string]any) { c["credentialSchema"] = map[string]any{"type": "JsonSchema"} }, "credentialSchema.id"},
		{"SchemaIDNotURL", func(c map[string]any) { c["credentialSchema"] = map[string]any{"id": "schema", "type": "JsonSchema"} }, "credentialSchema.id"},
		{"StatusUntyped", func(c map[string]any) { c["credentialStatus"] = map[string]any{"id": "https://ex.org/s#1"} }, "credentialStatus.type"},
		{"StatusIDNotSingleURL", func(c map[string]any) {
			c["credentialStatus"] = map[string]any{"id": []any{"https://ex.org/s#1"}, "type": "BitstringStatusListEntry"}
		}, "credentialStatus.id"},
		{"StatusNotObject", func(c map[string]any) { c["credentialStatus"] = "https://ex.org/s#1" }, "credentialStatus"},
		{"EvidenceUntyped", func(c map[string]any) { c["evidence"] = map[string]any{"id": "https://ex.org/e"} }, "evidence.type"},
		{"TermsOfUseUntyped", func(c map[string]any) { c["termsOfUse"] = []any{map[string]any{"id": "https://ex.org/t"}} }, "termsOfUse.type"},
		{"RelatedResourceIDNotURL", func(c map[string]any) {
			c["relatedResource"] = map[string]any{"id": "resource", "digestSRI": sri(relatedData)}
		}, "relatedResource[0].id"},
		{"RelatedResourceDuplicateID", func(c map[string]any) {
			c["relatedResource"] = []any{map[string]any{"id": held, "digestSRI": sri(relatedData)}, map[string]any{"id": held, "digestSRI": sri(relatedData)}}
		}, "relatedResource[1].id"},
		{"RelatedResourceWithoutDigest", func(c map[string]any) { c["relatedResource"] = map[string]any{"id": held} }, "relatedResource[0]"},
		{"RelatedResourceBadSRI", func(c map[string]any) {
			c["relatedResource"] = map[string]any{"id": held + "/x", "digestSRI": "md5-AAAA"}
		}, "relatedResource[0].digestSRI"},
		{"RelatedResourceBadMultibase", func(c map[string]any) {
			c["relatedResource"] = map[string]any{"id": held + "/x", "digestMultibase": "uAAAA"}
		}, "relatedResource[0].digestMultibase"},
		{"RelatedResourceSRIMismatch", func(c map[string]any) {
			c["relatedResource"] = map[string]any{"id": held, "digestSRI": sri([]byte("other"))}
		}, "relatedResource[0].digestSRI"},
		{"RelatedResourceMultibaseMismatch", func(c map[string]any) {
			c["relatedResource"] = map[string]any{"id": held, "digestMultibase": multihash([]byte("other"))}
		}, "relatedResource[0].digestMultibase"},
		{"ValidFromNotDateTime", func(c map[string]any) { c["validFrom"] = "2026-01-01" }, "validFrom"},
		{"ValidFromWithoutZone", func(c map[string]any) { c["validFrom"] = "2026-01-01T00:00:00" }, "validFrom"},
		{"ValidUntilNotDateTime", func(c map[string]any) { c["validUntil"] = 2036 }, "validUntil"},
		{"ValidUntilBeforeValidFrom", func(c map[string]any) { c["validUntil"] = "2025-01-01T00:00:00Z" }, "validUntil"},
	}
	opts := credential.DataModelOptions{Resource: func(url string) ([]byte, bool) {
		return relatedData, url == held
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := anyCredential("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
			tc.mutate(c)
			err := credential.CheckDataModel(mustJSON(t, c), opts)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var fe *credential.FieldError
			if !errors.Is(err, credential.ErrDataModel) || !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("got %v, want ErrDataModel at %q", err, tc.field)
			}
		})
	}
}

// TestVerifyCredential signs credentials of a type verdict does not know
// with a fresh did:key and verifies them; then breaks them one way each.
func TestVerifyCredential(t *testing.T) {
	seed := make([]byte, 32)
	seed[0] = 7
	k, err := credential.NewKeyPair(seed)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	sign := func(t *testing.T, c map[string]any) []byte {
		t.Helper()
		b, err := credential.Sign(mustJSON(t, c), k, credential.ProofOptions{Created: now})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	list, err := credential.NewStatusList(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := list.Set(3, true); err != nil {
		t.Fatal(err)
	}
	const listURL = "https://verdict.example/issuer/status/revocation"
	signedList, err := credential.IssueStatusList(listURL, list, k, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	statusList := func(_ context.Context, url string) ([]byte, error) {
		if url == listURL {
			return signedList, nil
		}
		return nil, fmt.Errorf("%s: %w", url, credential.ErrStatusOffline)
	}
	withStatus := func(index int, url string) func(c map[string]any) {
		return func(c map[string]any) {
			e := credential.NewStatusEntry(url, index)
			c["credentialStatus"] = map[string]any{"id": e.ID, "type": e.Type, "statusPurpose": e.StatusPurpose,
				"statusListIndex": e.StatusListIndex, "statusListCredential": e.StatusListCredential}
		}
	}
	tests := []struct {
		name   string
		mutate func(c map[string]any)
		tamper func(signed []byte) []byte
		want   error
	}{
		{"Valid", nil, nil, nil},
		{"ValidWithStatus", withStatus(2, listURL), nil, nil},
		{"Tampered", nil, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "Bachelor of Science", "Doctor of Science", 1))
		}, credential.ErrBadSignature},
		{"Revoked", withStatus(3, listURL), nil, credential.ErrRevoked},
		{"StatusElsewhere", withStatus(3, "https://elsewhere.example/status/1"), nil, credential.ErrStatusOffline},
		{"Expired", func(c map[string]any) { c["validUntil"] = "2026-06-01T00:00:00Z" }, nil, credential.ErrExpired},
		{"NotYetValid", func(c map[string]any) { c["validFrom"] = "2027-06-01T00:00:00Z" }, nil, credential.ErrNotYetValid},
		{"DataModel", func(c map[string]any) { c["id"] = "nope" }, nil, credential.ErrDataModel},
		{"OtherIssuer", func(c map[string]any) { c["issuer"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK" }, nil, credential.ErrIssuerMismatch},
		{"OtherCryptosuite", nil, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"eddsa-jcs-2022"`, `"eddsa-rdfc-2022"`, 1))
		}, credential.ErrUnsupportedProof},
		{"Unsigned", nil, func([]byte) []byte { return mustJSON(t, anyCredential(k.DID())) }, credential.ErrNoProof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := anyCredential(k.DID())
			if tc.mutate != nil {
				tc.mutate(c)
			}
			signed := sign(t, c)
			if tc.tamper != nil {
				signed = tc.tamper(signed)
			}
			res, err := credential.VerifyCredential(context.Background(), signed, credential.CredentialOptions{Now: now, StatusList: statusList})
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && (res.Issuer != k.DID() || res.Cryptosuite != credential.Cryptosuite) {
				t.Errorf("got issuer %q suite %q, want %q %q", res.Issuer, res.Cryptosuite, k.DID(), credential.Cryptosuite)
			}
		})
	}
}

// FuzzCheckDataModel feeds arbitrary documents to the data model checks:
// they must not panic, and what passes must be a JSON object with the v2
// context first.
func FuzzCheckDataModel(f *testing.F) {
	f.Add(mustJSON(f, anyCredential("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2",{"a":1}],"type":"VerifiableCredential","issuer":"x:y","credentialSubject":{"a":1},"relatedResource":{"id":"a:b","digestMultibase":"z"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 1<<16 {
			return
		}
		if err := credential.CheckDataModel(doc, credential.DataModelOptions{}); err != nil {
			return
		}
		var raw struct {
			Context []json.RawMessage `json:"@context"`
		}
		if json.Unmarshal(doc, &raw) != nil || len(raw.Context) == 0 {
			t.Fatalf("accepted %q without a @context array", doc)
		}
		var first string
		if json.Unmarshal(raw.Context[0], &first) != nil || first != credential.ContextV2 {
			t.Fatalf("accepted %q whose first context is not v2", doc)
		}
	})
}
