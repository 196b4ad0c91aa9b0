package credential

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/model")

var (
	testModule   = []byte("\x00asm\x01\x00\x00\x00 test module")
	testIssued   = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	testListURL  = "https://verdict.example/credentials/status/1"
	testAuthorID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
)

func testCredential() ModelCredential {
	private := Score{Value: 0.9312, CI: [2]float64{0.9104, 0.95}, Level: 0.95}
	return ModelCredential{
		ID:        "urn:uuid:6a1f0c3e-9d4b-4e8a-b2f1-3c5d7e9a0b12",
		ValidFrom: testIssued,
		Subject: ModelSubject{
			Model:  sha256.Sum256(testModule),
			Author: testAuthorID,
			Task: Task{
				ID:          "churn-2026",
				Title:       "Customer churn, Q1 2026",
				Type:        "binary",
				Metric:      "roc_auc",
				DatasetHash: "sha256:5b1e8f3c2a7d4e9b0c6f1a8d3e5b7c9a2f4d6e8b0a1c3e5f7d9b2a4c6e8f0a1b",
			},
			Scores: Scores{
				Public:  Score{Value: 0.9427, CI: [2]float64{0.9211, 0.9603}, Level: 0.95},
				Private: &private,
			},
			Rank:               1,
			RankedParticipants: 12,
			Gates: []Gate{
				{Name: "min_score", Passed: true, Value: 0.9427, Threshold: 0.8},
				{Name: "max_latency_ms", Passed: true, Value: 3.25, Threshold: 50},
			},
			EngineVersion: "v0.3.0",
		},
	}
}

func revocableCredential() ModelCredential {
	c := testCredential()
	entry := NewStatusEntry(testListURL, 94567)
	c.Status = &entry
	c.ValidUntil = testIssued.AddDate(1, 0, 0)
	return c
}

// golden compares got with testdata/model/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "model", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got\n%s\nwant\n%s", path, got, want)
	}
}

func TestModelCredentialGolden(t *testing.T) {
	k := vectorKey(t)
	list, err := NewStatusList(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := list.Set(94567, true); err != nil {
		t.Fatal(err)
	}
	statusList, err := IssueStatusList(testListURL, list, k, testIssued)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sign func() ([]byte, error)
	}{
		{"credential.json", func() ([]byte, error) { return testCredential().Sign(k) }},
		{"revocable.json", func() ([]byte, error) { return revocableCredential().Sign(k) }},
		{"status-list.json", func() ([]byte, error) { return statusList, nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.sign()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, got)
			if _, err := Verify(got, nil); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// TestContextDefinesTerms checks that the JSON-LD context defines every
// term of the credential subject (but id, type and name, which ContextV2
// defines), protected, under VocabURL.
func TestContextDefinesTerms(t *testing.T) {
	var ctx struct {
		Context map[string]any `json:"@context"`
	}
	if err := json.Unmarshal(ContextDocument(), &ctx); err != nil {
		t.Fatalf("context.jsonld: %v", err)
	}
	if ctx.Context["@protected"] != true {
		t.Errorf("@protected: got %v, want true", ctx.Context["@protected"])
	}
	if ctx.Context["vd"] != VocabURL {
		t.Errorf("vd: got %v, want %s", ctx.Context["vd"], VocabURL)
	}
	signed, err := revocableCredential().Sign(vectorKey(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	terms := map[string]bool{ModelCredentialType: true, ModelSubjectType: true}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				terms[k] = true
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc["credentialSubject"])
	for term := range terms {
		if term == "id" || term == "type" || term == "name" {
			continue
		}
		def, ok := ctx.Context[term]
		if !ok {
			t.Errorf("term %q: not defined", term)
			continue
		}
		iri, _ := def.(string)
		if m, ok := def.(map[string]any); ok {
			iri, _ = m["@id"].(string)
		}
		if !strings.HasPrefix(iri, "vd:") {
			t.Errorf("term %q: got %v, want a vd: IRI", term, def)
		}
	}
}

func TestNewID(t *testing.T) {
	id, err := NewID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "urn:uuid:ffffffff-ffff-4fff-bfff-ffffffffffff"; id != want {
		t.Errorf("got %s, want %s", id, want)
	}
	re := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	signed, err := IssueModel(testCredential().Subject, vectorKey(t), nil, testIssued)
	if err != nil {
		t.Fatal(err)
	}
	res, err := VerifyModel(context.Background(), signed, VerifyOptions{Now: testIssued})
	if err != nil {
		t.Fatal(err)
	}
	if !re.MatchString(res.Credential.ID) {
		t.Errorf("IssueModel id: got %s, want a v4 UUID URN", res.Credential.ID)
	}
	if _, err := NewID(bytes.NewReader(nil)); err == nil {
		t.Error("NewID(empty reader): got nil error")
	}
}

// statusServer serves status list credentials from a map.
func statusServer(lists map[string][]byte) func(context.Context, string) ([]byte, error) {
	return func(ctx context.Context, url string) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, ok := lists[url]
		if !ok {
			return nil, errors.New("404 not found")
		}
		return b, nil
	}
}

func TestVerifyModel(t *testing.T) {
	k := vectorKey(t)
	want := revocableCredential()
	signed, err := want.Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := NewStatusList(0)
	listVC, err := IssueStatusList(testListURL, list, k, testIssued)
	if err != nil {
		t.Fatal(err)
	}
	res, err := VerifyModel(context.Background(), signed, VerifyOptions{
		Issuer:     k.DID(),
		Module:     testModule,
		StatusList: statusServer(map[string][]byte{testListURL: listVC}),
		Now:        testIssued.Add(time.Hour),
	})
	if err != nil {
		t.Fatalf("VerifyModel: %v", err)
	}
	if !res.StatusChecked {
		t.Error("StatusChecked: got false, want true")
	}
	if res.Issuer != k.DID() {
		t.Errorf("issuer: got %s, want %s", res.Issuer, k.DID())
	}
	if !reflect.DeepEqual(res.Credential, want) {
		t.Errorf("credential:\ngot  %+v\nwant %+v", res.Credential, want)
	}
	// Without a fetcher the status is reported unchecked, not an error.
	res, err = VerifyModel(context.Background(), signed, VerifyOptions{Now: testIssued})
	if err != nil || res.StatusChecked {
		t.Errorf("no StatusList: got %v, %v; want unchecked success", res, err)
	}
}

func TestVerifyModelErrors(t *testing.T) {
	k := vectorKey(t)
	other, err := GenerateKey(bytes.NewReader(make([]byte, 64)))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := revocableCredential().Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	revoked, _ := NewStatusList(0)
	revoked.Set(94567, true)
	clear, _ := NewStatusList(0)
	issueList := func(url string, l *StatusList, key KeyPair) []byte {
		b, err := IssueStatusList(url, l, key, testIssued)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	now := testIssued.Add(time.Hour)
	tests := []struct {
		name   string
		ctx    context.Context
		signed []byte
		opts   VerifyOptions
		want   error
	}{
		{"ErrIssuerMismatch", nil, signed, VerifyOptions{Issuer: other.DID(), Now: now}, ErrIssuerMismatch},
		{"ErrModelMismatch", nil, signed, VerifyOptions{Module: []byte("other module"), Now: now}, ErrModelMismatch},
		{"ErrNotYetValid", nil, signed, VerifyOptions{Now: testIssued.Add(-time.Second)}, ErrNotYetValid},
		{"ErrExpired", nil, signed, VerifyOptions{Now: testIssued.AddDate(1, 0, 0)}, ErrExpired},
		{"ErrNotModelCredential", nil, selfIssued(t), VerifyOptions{Now: now}, ErrNotModelCredential},
		{"ErrBadSignature", nil, bytes.Replace(signed, []byte("0.9427"), []byte("0.9999"), 1), VerifyOptions{Now: now}, ErrBadSignature},
		{"ErrRevoked", nil, signed, VerifyOptions{Now: now,
			StatusList: statusServer(map[string][]byte{testListURL: issueList(testListURL, revoked, k)})}, ErrRevoked},
		{"ErrStatus/fetch", nil, signed, VerifyOptions{Now: now, StatusList: statusServer(nil)}, ErrStatus},
		{"context.Canceled", cancelled, signed, VerifyOptions{Now: now,
			StatusList: statusServer(map[string][]byte{testListURL: issueList(testListURL, clear, k)})}, context.Canceled},
		{"ErrStatus/list for another URL", nil, signed, VerifyOptions{Now: now,
			StatusList: statusServer(map[string][]byte{testListURL: issueList(testListURL+"x", clear, k)})}, ErrStatus},
		{"ErrIssuerMismatch/list by another issuer", nil, signed, VerifyOptions{Now: now,
			StatusList: statusServer(map[string][]byte{testListURL: issueList(testListURL, revoked, other)})}, ErrIssuerMismatch},
		{"ErrNotYetValid/list", nil, signed, VerifyOptions{Now: now,
			StatusList: statusServer(map[string][]byte{testListURL: func() []byte {
				b, _ := IssueStatusList(testListURL, clear, k, now.Add(time.Hour))
				return b
			}()})}, ErrNotYetValid},
		{"ErrBadSignature/list", nil, signed, VerifyOptions{Now: now,
			StatusList: statusServer(map[string][]byte{testListURL: bytes.Replace(issueList(testListURL, clear, k), []byte(`"revocation"`), []byte(`"suspension"`), 1)})}, ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			res, err := VerifyModel(ctx, tc.signed, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %+v, %v; want %v", res, err, tc.want)
			}
		})
	}
}

func TestModelCredentialValidate(t *testing.T) {
	k := vectorKey(t)
	tests := []struct {
		name  string
		edit  func(c *ModelCredential)
		field string
	}{
		{"ErrMalformed/id", func(c *ModelCredential) { c.ID = "" }, "id"},
		{"ErrMalformed/validFrom", func(c *ModelCredential) { c.ValidFrom = time.Time{} }, "validFrom"},
		{"ErrMalformed/validUntil", func(c *ModelCredential) { c.ValidUntil = c.ValidFrom }, "validUntil"},
		{"ErrMalformed/model", func(c *ModelCredential) { c.Subject.Model = [32]byte{} }, "credentialSubject.id"},
		{"ErrMalformed/author", func(c *ModelCredential) { c.Subject.Author = "" }, "credentialSubject.author"},
		{"ErrMalformed/relative author", func(c *ModelCredential) { c.Subject.Author = "carol" }, "credentialSubject.author"},
		{"ErrMalformed/author with a space", func(c *ModelCredential) { c.Subject.Author = "urn:x:carol smith" }, "credentialSubject.author"},
		{"ErrMalformed/author bad scheme", func(c *ModelCredential) { c.Subject.Author = "1x:carol" }, "credentialSubject.author"},
		{"ErrMalformed/task id", func(c *ModelCredential) { c.Subject.Task.ID = "" }, "credentialSubject.task.taskId"},
		{"ErrMalformed/rank", func(c *ModelCredential) { c.Subject.Rank = 13 }, "credentialSubject.rank"},
		{"ErrMalformed/NaN score", func(c *ModelCredential) { c.Subject.Scores.Public.Value = nan() }, "credentialSubject.scores.public"},
		{"ErrMalformed/ci order", func(c *ModelCredential) { c.Subject.Scores.Private.CI = [2]float64{1, 0} }, "credentialSubject.scores.private.ci"},
		{"ErrMalformed/level", func(c *ModelCredential) { c.Subject.Scores.Public.Level = 95 }, "credentialSubject.scores.public.level"},
		{"ErrMalformed/failed gate", func(c *ModelCredential) { c.Subject.Gates[1].Passed = false }, "credentialSubject.gates[1].passed"},
		{"ErrMalformed/engine version", func(c *ModelCredential) { c.Subject.EngineVersion = "" }, "credentialSubject.engineVersion"},
		{"ErrStatus/index", func(c *ModelCredential) {
			c.Status = &StatusEntry{Type: StatusEntryType, StatusPurpose: "revocation", StatusListIndex: "-1", StatusListCredential: testListURL}
		}, "credentialStatus.statusListIndex"},
		{"ErrStatus/type", func(c *ModelCredential) { c.Status = &StatusEntry{Type: "StatusList2021Entry"} }, "credentialStatus.type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := revocableCredential()
			c.Subject.Gates = slices.Clone(c.Subject.Gates)
			p := *c.Subject.Scores.Private
			c.Subject.Scores.Private = &p
			tc.edit(&c)
			_, err := c.Sign(k)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("got %v, want a *FieldError at %s", err, tc.field)
			}
			want := ErrMalformed
			if strings.HasPrefix(tc.name, "ErrStatus") {
				want = ErrStatus
			}
			if !errors.Is(err, want) {
				t.Errorf("got %v, want %v", err, want)
			}
		})
	}
	if _, err := testCredential().Sign(KeyPair{}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("zero key: got %v, want %v", err, ErrInvalidKey)
	}
}

func nan() float64 { var z float64; return z / z }
