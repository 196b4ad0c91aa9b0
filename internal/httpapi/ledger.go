package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/ledger"
	"github.com/verdictlab/verdict/market"
)

// Metered use and the public usage ledger. A caller signs
// POST /v1/market/{id}/predict with their did:key (or holds the host
// token); each call is counted against the caller's daily quota (429
// naming the rule) and answered with its receipt in the ledger. The
// ledger is public and read-only: /ledger/checkpoint and the C2SP
// tlog-tiles under /ledger/tile/.

// predictMetered runs a listed model on the body's rows (CSV, Parquet or
// Arrow IPC) as a metered call; the answer is the predictions as CSV
// (default), Arrow IPC stream or JSON, by Accept.
func (s *Server) predictMetered(w http.ResponseWriter, r *http.Request) {
	c, err := s.identifyBuyer(w, r)
	if err == nil {
		err = needCaller(c, "use a model as a metered service")
	}
	if err == nil {
		err = s.chargeUpload(w, c, false)
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxDatasetBytes)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	media, err := predictionMedia(r.Header.Get("Accept"))
	if err != nil {
		s.fail(w, err)
		return
	}
	who, err := meteredCaller(c, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	res, err := s.m.PredictMetered(r.Context(), who, r.PathValue("id"), body, "request body")
	var qe *market.QuotaError
	if errors.As(err, &qe) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(qe.Reset.Sub(s.cfg.Now()).Seconds())))))
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	ur, err := s.usageReceipt(res)
	if err != nil {
		s.fail(w, err)
		return
	}
	me, err := s.m.Entry(res.Receipt.Model)
	if err != nil {
		s.fail(w, err)
		return
	}
	idCol := me.Card.Input.IDColumn
	if media == "application/json" {
		p := res.Predictions
		writeJSON(w, http.StatusOK, api.MeteredPrediction{Model: me.ID, IDColumn: idCol, IDs: p.IDs, Columns: p.Columns, Values: p.Values, Receipt: *ur})
		return
	}
	var out bytes.Buffer
	if err := market.WritePredictions(&out, media, idCol, res.Predictions); err != nil {
		s.fail(w, err)
		return
	}
	hdr, err := json.Marshal(ur)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set(api.ReceiptHeader, base64.StdEncoding.EncodeToString(hdr))
	w.Header().Set("Content-Type", media)
	_, _ = w.Write(out.Bytes())
}

// meteredCaller is who a metered call is counted to: a participant (a
// did:key signature) or a buyer token's holder as themself; the host as
// market.HostCaller, or as the did:key it names with ?participant= (a
// host acting for a buyer); "" for a visitor.
func meteredCaller(c caller, r *http.Request) (string, error) {
	named := r.URL.Query().Get("participant")
	switch {
	case c.host && named != "":
		if _, err := credential.ParseDIDKey(named); err != nil {
			return "", refuse(http.StatusBadRequest, "bad_request", "?participant=%.100q: the host acts for a did:key: %v", named, err)
		}
		return named, nil
	case c.host:
		return market.HostCaller, nil
	case c.participant != "":
		if named != "" && named != c.participant {
			return "", refuse(http.StatusForbidden, "forbidden", "%s may not act as %.100q", c.participant, named)
		}
		return c.participant, nil
	}
	return "", nil
}

// usageReceipt is a metered call's receipt with its inclusion proof in
// the checkpoint the append returned.
func (s *Server) usageReceipt(res *market.Metered) (*api.UsageReceipt, error) {
	proof, key, err := s.m.Proof(res)
	if err != nil {
		return nil, err
	}
	return &api.UsageReceipt{Entry: res.Entry, Index: res.Index, Checkpoint: string(res.Checkpoint),
		Proof: proof, VerifierKey: key, Salt: res.Salt}, nil
}

// predictionMedia picks the answer's media type from Accept: CSV unless
// the caller asks for Arrow or JSON.
func predictionMedia(accept string) (string, error) {
	if accept == "" {
		return market.MediaCSV, nil
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case market.MediaCSV, "*/*", "text/*":
			return market.MediaCSV, nil
		case market.MediaArrow, "application/vnd.apache.arrow.file":
			return market.MediaArrow, nil
		case "application/json":
			return "application/json", nil
		}
	}
	return "", refuse(http.StatusNotAcceptable, "not_acceptable", "Accept %.100q: predictions come as %s, %s or application/json", accept, market.MediaCSV, market.MediaArrow)
}

// ledgerCheckpoint sends the usage ledger's latest signed checkpoint.
func (s *Server) ledgerCheckpoint(w http.ResponseWriter, r *http.Request) {
	l, err := s.m.Ledger()
	if err != nil {
		s.fail(w, err)
		return
	}
	signed, _ := l.Checkpoint()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Verdict-Ledger-Key", l.VerifierKey())
	_, _ = w.Write(signed)
}

// ledgerTile sends a tile or entry bundle of the usage ledger (C2SP
// tlog-tiles paths under /ledger/).
func (s *Server) ledgerTile(w http.ResponseWriter, r *http.Request) {
	l, err := s.m.Ledger()
	if err != nil {
		s.fail(w, err)
		return
	}
	path := "tile/" + r.PathValue("path")
	if _, _, _, err := ledger.ParseTilePath(path); err != nil {
		s.fail(w, refuse(http.StatusNotFound, "not_found", "%v", err))
		return
	}
	b, err := l.Tile(path)
	if errors.Is(err, fs.ErrNotExist) {
		s.fail(w, refuse(http.StatusNotFound, "not_found", "ledger %s: no such tile (yet)", path))
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if !strings.Contains(path, ".p/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	_, _ = w.Write(b)
}

// ledgerStatement sends the host-signed revenue statement of
// ?period=YYYY-MM (and ?author=), computed from the ledger's latest
// checkpoint. Public: it holds nothing the public log does not.
func (s *Server) ledgerStatement(w http.ResponseWriter, r *http.Request) {
	if _, err := s.identify(w, r); err != nil {
		s.fail(w, err)
		return
	}
	q := r.URL.Query()
	_, signed, err := s.m.Statement(q.Get("period"), q.Get("author"))
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(signed)
}
