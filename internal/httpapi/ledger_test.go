package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// promotedModel creates a task, has alice submit the linear model,
// closes the task (which promotes it) and returns the marketplace id.
func promotedModel(t *testing.T, v *env) string {
	t.Helper()
	v.createTask("contest", "")
	alice := v.as(participantKey(t, "alice"))
	id := alice.mustSubmit("contest", module(""))
	if waitScored(t, v.e, []string{id}) != 1 {
		t.Fatal("alice's model not scored")
	}
	if r := v.host().do("POST", "/v1/tasks/contest/close", nil, ""); r.status != 200 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	list := v.anonymous().get("/v1/market").json(t)["list"].([]any)
	if len(list) != 1 {
		t.Fatalf("market: got %d entries, want 1", len(list))
	}
	return list[0].(map[string]any)["id"].(string)
}

const predictRows = "id,a,b\nn1,1,2\nn2,0.5,0.25\nn3,3,1\n"

// checkReceipt verifies a UsageReceipt as a buyer would: the checkpoint
// with the key, the entry's inclusion, the salted digest of the body.
func checkReceipt(t *testing.T, ur api.UsageReceipt, body []byte) *ledger.Receipt {
	t.Helper()
	cp, err := ledger.ParseCheckpoint([]byte(ur.Checkpoint), ur.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	proof := make([]ledger.Hash, len(ur.Proof))
	for i := range ur.Proof {
		copy(proof[i][:], ur.Proof[i])
	}
	if err := ledger.VerifyInclusion(proof, ur.Index, cp, ur.Entry); err != nil {
		t.Fatal(err)
	}
	r, err := ledger.ParseReceipt(ur.Entry)
	if err != nil {
		t.Fatal(err)
	}
	if r.Request != ledger.RequestDigest(ur.Salt, body) {
		t.Error("the salt does not open the request digest")
	}
	return r
}

func TestPredictMetered(t *testing.T) {
	v := newEnv(t, engine.Config{}, httpapi.Config{Quota: market.Quota{CallsPerDay: 5, RowsPerDay: -1}, UploadRate: 1000, UploadBurst: 100})
	id := promotedModel(t, v)
	path := "/v1/market/" + id + "/predict"
	alice := v.as(participantKey(t, "alice"))
	buyer := participantKey(t, "buyer")

	t.Run("JSON", func(t *testing.T) {
		req := v.as(buyer).request("POST", path, []byte(predictRows), "text/csv")
		req.Header.Set("Accept", "application/json")
		r := v.as(buyer).send(req)
		if r.status != 200 {
			t.Fatalf("predict: %d %s", r.status, r.body)
		}
		var mp api.MeteredPrediction
		if err := json.Unmarshal(r.body, &mp); err != nil {
			t.Fatal(err)
		}
		if len(mp.IDs) != 3 || mp.IDs[0] != "n1" || len(mp.Values) != 1 {
			t.Errorf("predictions %+v", mp)
		}
		rc := checkReceipt(t, mp.Receipt, []byte(predictRows))
		if rc.Caller != buyer.DID() || rc.Rows != 3 || rc.Model != id || rc.Author != participantKey(t, "alice").DID() {
			t.Errorf("receipt %+v", rc)
		}
		if strings.Contains(string(mp.Receipt.Entry), "n1") {
			t.Errorf("the receipt holds input: %s", mp.Receipt.Entry)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		r := alice.do("POST", path, []byte(predictRows), "text/csv")
		if r.status != 200 || r.header.Get("Content-Type") != market.MediaCSV || !strings.HasPrefix(string(r.body), "id,p\nn1,") {
			t.Fatalf("predict: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		b, err := base64.StdEncoding.DecodeString(r.header.Get(api.ReceiptHeader))
		if err != nil {
			t.Fatal(err)
		}
		var ur api.UsageReceipt
		if err := json.Unmarshal(b, &ur); err != nil {
			t.Fatal(err)
		}
		checkReceipt(t, ur, []byte(predictRows))
	})
	t.Run("Arrow", func(t *testing.T) {
		req := v.host().request("POST", path, []byte(predictRows), "text/csv")
		req.Header.Set("Accept", market.MediaArrow)
		r := v.host().send(req)
		if r.status != 200 {
			t.Fatalf("predict: %d %s", r.status, r.body)
		}
		rd, err := ipc.NewReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Release()
		if !rd.Next() || rd.RecordBatch().NumRows() != 3 || rd.Schema().Field(0).Name != "id" {
			t.Fatalf("arrow answer: %v", rd.Err())
		}
	})
	t.Run("Refusals", func(t *testing.T) {
		if r := v.anonymous().do("POST", path, []byte(predictRows), "text/csv"); r.status != 401 {
			t.Errorf("anonymous: got %d, want 401", r.status)
		}
		if r := alice.do("POST", path, []byte("id,a\nn1,1\n"), "text/csv"); r.status != 400 {
			t.Errorf("missing feature: got %d %s, want 400", r.status, r.body)
		}
		req := alice.request("POST", path, []byte(predictRows), "text/csv")
		req.Header.Set("Accept", "image/png")
		if r := alice.send(req); r.status != 406 {
			t.Errorf("Accept image/png: got %d, want 406", r.status)
		}
		if r := alice.do("POST", "/v1/market/nope/predict", []byte(predictRows), "text/csv"); r.status != 404 {
			t.Errorf("unknown model: got %d, want 404", r.status)
		}
	})
	t.Run("Ledger", func(t *testing.T) {
		r := v.anonymous().get("/ledger/checkpoint")
		vkey := r.header.Get("Verdict-Ledger-Key")
		cp, err := ledger.ParseCheckpoint(r.body, vkey)
		if err != nil || cp.Size != 3 {
			t.Fatalf("checkpoint: %+v, %v; want size 3", cp, err)
		}
		fetch := func(p string) ([]byte, error) {
			r := v.anonymous().get("/ledger/" + p)
			if r.status != 200 {
				return nil, fmt.Errorf("GET %s: %d %s", p, r.status, r.kind())
			}
			return r.body, nil
		}
		for i := range cp.Size {
			p, err := ledger.ProveInclusionFromTiles(cp, i, fetch)
			if err != nil {
				t.Fatal(err)
			}
			e, err := ledger.EntryFromTiles(cp.Size, i, fetch)
			if err != nil {
				t.Fatal(err)
			}
			if err := ledger.VerifyInclusion(p, i, cp, e); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []string{"/ledger/tile/0/001", "/ledger/tile/0/../checkpoint", "/ledger/tile/x"} {
			if r := v.anonymous().get(bad); r.status != 404 {
				t.Errorf("%s: got %d, want 404", bad, r.status)
			}
		}
	})
	// Quota: 5 calls a day per caller, exact under concurrency.
	t.Run("Quota", func(t *testing.T) {
		carol := v.as(participantKey(t, "carol"))
		var wg sync.WaitGroup
		statuses := make([]response, 12)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = carol.do("POST", path, []byte(predictRows), "text/csv")
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, r := range statuses {
			switch {
			case r.status == 200:
				ok++
			case r.status == 429 && r.kind() == "quota" && strings.Contains(string(r.body), "calls per day") && r.header.Get("Retry-After") != "":
				refused++
			default:
				t.Errorf("got %d %s", r.status, r.body)
			}
		}
		if ok != 5 || refused != 7 {
			t.Errorf("got %d served, %d refused; want 5 and 7", ok, refused)
		}
	})
}

// testLedgerRoles calls the metered and ledger routes as each role, for
// TestRoles: a visitor may not use a model but reads the ledger.
func testLedgerRoles(t *testing.T, v *env, participant *client) {
	list := v.anonymous().get("/v1/market").json(t)["list"].([]any)
	id := list[0].(map[string]any)["id"].(string)
	path := "/v1/market/" + id + "/predict"
	if r := v.anonymous().do("POST", path, []byte(predictRows), "text/csv"); r.status != 401 {
		t.Errorf("anonymous predict: got %d, want 401", r.status)
	}
	r := participant.do("POST", path, []byte(predictRows), "text/csv")
	if r.status != 200 {
		t.Fatalf("participant predict: %d %s", r.status, r.body)
	}
	if r := v.host().do("POST", path, []byte(predictRows), "text/csv"); r.status != 200 {
		t.Errorf("host predict: %d %s", r.status, r.body)
	}
	if r := v.anonymous().get("/ledger/checkpoint"); r.status != 200 {
		t.Errorf("checkpoint: %d", r.status)
	}
	if r := v.anonymous().get("/ledger/tile/0/000.p/2"); r.status != 200 || len(r.body) != 64 {
		t.Errorf("tile: %d, %d bytes", r.status, len(r.body))
	}
	if r := v.anonymous().get("/v1/ledger/statement?period=1999-01"); r.status != 200 || !strings.Contains(string(r.body), `"lines": []`) {
		t.Errorf("statement: %d %s", r.status, r.body)
	}
	if r := v.anonymous().get("/v1/ledger/statement?period=1999-13"); r.status != 400 {
		t.Errorf("statement of month 13: got %d, want 400", r.status)
	}
	// Prices and shares: the author or the host; team members.
	price := "/v1/market/" + id + "/price"
	if r := v.anonymous().postJSON("POST", price, api.Price{PricePer1000: 3}); r.status != 401 {
		t.Errorf("anonymous price: got %d, want 401", r.status)
	}
	if r := v.host().postJSON("POST", price, api.Price{PricePer1000: 3}); r.status != 200 {
		t.Errorf("host price: %d %s", r.status, r.body)
	}
	shares := "/v1/tasks/contest/teams/nobody/shares"
	if r := v.anonymous().get(shares); r.status != 404 {
		t.Errorf("shares of no team: got %d, want 404", r.status)
	}
	if r := v.anonymous().postJSON("POST", shares, api.Shares{}); r.status != 401 {
		t.Errorf("anonymous shares: got %d, want 401", r.status)
	}
	if r := participant.postJSON("POST", shares, api.Shares{Shares: []api.Weight{{Party: "x", BasisPoints: 10000}}}); r.status != 404 {
		t.Errorf("shares of no team: got %d, want 404: %s", r.status, r.body)
	}
}
