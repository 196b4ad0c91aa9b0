package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/market"
)

// The marketplace is public to read: every certified model, its card, and
// its bundle (module, credential, card, status list) as a tar archive of
// the files `verdict market export` writes. Ingesting a bundle is the
// host's.

// marketQuery reads a MarketQuery from the query string.
func marketQuery(r *http.Request) (market.Query, error) {
	q := r.URL.Query()
	mq := market.Query{TaskType: q.Get("task_type"), Metric: q.Get("metric"), Task: q.Get("task"), Text: q.Get("q")}
	if v := q.Get("features"); v != "" {
		mq.Features = strings.Split(v, ",")
	}
	if v := q.Get("min_score"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return mq, refuse(http.StatusBadRequest, "bad_request", "min_score: %q is not a number", v)
		}
		mq.MinScore = &f
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return mq, refuse(http.StatusBadRequest, "bad_request", "limit: %q is not an integer", v)
		}
		mq.Limit = n
	}
	var err error
	mq.IncludeRevoked, err = boolQuery(r, "include_revoked")
	return mq, err
}

func (s *Server) market(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	q, err := marketQuery(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	es, err := s.m.List(q)
	if err != nil {
		s.fail(w, err)
		return
	}
	if es == nil {
		es = []market.Entry{}
	}
	if !c.host {
		v := c.viewer()
		es, err = s.m.ConcealList(q, es, func(cred *engine.Credential) bool { return s.e.SeesCredential(cred, v) })
		if err != nil {
			s.fail(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, es)
}

func (s *Server) marketEntry(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	me, err := s.m.Entry(r.PathValue("id"))
	if err == nil {
		err = s.concealFor(c, me)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, me)
}

// marketBundle sends an entry's bundle as a tar archive. With
// ?hide_author=true it is a disclosure bundle (market.DisclosureBundle),
// which only the model's author or the host may ask for; a visitor asking
// for a model whose author hid its credential gets one either way.
func (s *Server) marketBundle(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	hideAuthor, err := boolQuery(r, "hide_author")
	if err != nil {
		s.fail(w, err)
		return
	}
	id := r.PathValue("id")
	me, err := s.m.Entry(id)
	if err != nil {
		s.fail(w, err)
		return
	}
	full, err := s.seesEntry(c, me)
	if err != nil {
		s.fail(w, err)
		return
	}
	if hideAuthor && !c.host && !s.isEntryAuthor(me, c.participant) && full {
		s.fail(w, refuse(http.StatusForbidden, "forbidden", "market entry %s: a disclosure bundle (hide_author=true) is made for the model's author (a request signed by their did:key) or the host", me.ID))
		return
	}
	var b *market.Bundle
	if hideAuthor || !full {
		me, b, err = s.m.DisclosureBundle(id)
	} else {
		me, b, err = s.m.Bundle(id)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var buf bytes.Buffer
	if err := market.WriteBundleTar(&buf, b); err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "verdict-"+me.ID+".tar"))
	_, _ = w.Write(buf.Bytes())
}

// maxBundleBytes bounds an ingested bundle: its members' bounds and tar
// headers.
const maxBundleBytes = market.MaxBundleBytes

// ingest adds a bundle (a tar archive, see market.ReadBundleTar) to this server's
// marketplace after verifying every signature; ?issuer= accepts only that
// issuer's; ?allow_untrusted=true accepts an issuer this marketplace does
// not trust, listed as untrusted. Host only.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = s.chargeUpload(w, c, true)
	}
	if err == nil {
		err = needHost(c, "ingest a bundle")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, maxBundleBytes)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	b, err := market.ReadBundleTar(bytes.NewReader(body))
	if err != nil {
		s.fail(w, err)
		return
	}
	allow, err := boolQuery(r, "allow_untrusted")
	if err != nil {
		s.fail(w, err)
		return
	}
	me, err := s.m.Ingest(r.Context(), b, market.IngestOptions{Issuer: r.URL.Query().Get("issuer"), AllowUntrusted: allow})
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Location", "/v1/market/"+me.ID)
	writeJSON(w, http.StatusCreated, me)
}
