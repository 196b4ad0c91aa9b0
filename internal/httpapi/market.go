package httpapi

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	if _, err := s.identify(w, r); err != nil {
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
	writeJSON(w, http.StatusOK, es)
}

func (s *Server) marketEntry(w http.ResponseWriter, r *http.Request) {
	if _, err := s.identify(w, r); err != nil {
		s.fail(w, err)
		return
	}
	me, err := s.m.Entry(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, me)
}

// marketBundle sends an entry's bundle as a tar archive.
func (s *Server) marketBundle(w http.ResponseWriter, r *http.Request) {
	if _, err := s.identify(w, r); err != nil {
		s.fail(w, err)
		return
	}
	dir, err := os.MkdirTemp("", "verdict-bundle-*")
	if err != nil {
		s.fail(w, err)
		return
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "bundle")
	me, err := s.m.ExportBundle(r.PathValue("id"), out)
	if err != nil {
		s.fail(w, err)
		return
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{market.BundleModule, market.BundleCredential, market.BundleCard, market.BundleStatusList} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil {
			err = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		}
		if err == nil {
			_, err = tw.Write(b)
		}
		if err != nil {
			s.fail(w, err)
			return
		}
	}
	if err := tw.Close(); err != nil {
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
