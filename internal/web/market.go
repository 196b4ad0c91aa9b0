package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/engine/credential"
	"github.com/verdictlab/verdict/market"
)

// marketForm is the marketplace search as the page's form holds it.
type marketForm struct {
	Text, Type, Metric, Task, Min, Features string
	Revoked                                 bool
}

type marketData struct {
	Form    marketForm
	Entries []marketRow
	Types   []string
	Err     string
	Total   bool // the query is empty: Entries is the whole catalogue
}

// marketQuery reads a search from the URL; the error wraps
// engine.ErrBadRequest.
func marketQuery(v url.Values) (marketForm, market.Query, error) {
	f := marketForm{
		Text: strings.TrimSpace(v.Get("q")), Type: v.Get("type"), Metric: strings.TrimSpace(v.Get("metric")),
		Task: strings.TrimSpace(v.Get("task")), Min: strings.TrimSpace(v.Get("min")),
		Features: strings.TrimSpace(v.Get("features")), Revoked: v.Get("revoked") != "",
	}
	q := market.Query{Text: f.Text, TaskType: f.Type, Metric: f.Metric, Task: f.Task, IncludeRevoked: f.Revoked, Limit: maxMarketRows}
	if f.Min != "" {
		m, err := strconv.ParseFloat(f.Min, 64)
		if err != nil {
			return f, q, fmt.Errorf("minimum score %q is not a number: %w", f.Min, engine.ErrBadRequest)
		}
		q.MinScore = &m
	}
	for _, name := range strings.Split(f.Features, ",") {
		if name = strings.TrimSpace(name); name != "" {
			q.Features = append(q.Features, name)
		}
	}
	return f, q, q.Validate()
}

// maxMarketRows bounds one page of search results.
const maxMarketRows = 200

func (s *Server) market(w http.ResponseWriter, r *http.Request) {
	f, q, err := marketQuery(r.URL.Query())
	d := marketData{Form: f, Types: []string{"binary", "multiclass", "regression", "ranking"}, Total: f == marketForm{}}
	status := http.StatusOK
	var entries []market.Entry
	if err == nil {
		entries, err = s.m.List(q)
	}
	names := map[string]map[string]string{}
	if err == nil {
		v := s.cfg.Viewer(r)
		entries, err = s.m.ConcealList(q, entries, func(c *engine.Credential) bool { return s.e.SeesCredential(c, v) })
	}
	for _, me := range entries {
		d.Entries = append(d.Entries, marketRow{Entry: me, Name: s.authorName(me, names)})
	}
	switch {
	case errors.Is(err, engine.ErrBadRequest):
		// The form stays, with the reason: a search is corrected, not retried.
		d.Err = strings.TrimPrefix(engine.Message(err), "market query: ")
		status = http.StatusBadRequest
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "market", page{Title: "Marketplace", Data: d})
}

// marketRow is a catalogue entry with its author's display name.
type marketRow struct {
	market.Entry
	Name string
}

// authorName is the display name the author of a model certified here
// gave on its task's board ("" for an ingested model: its names are the
// issuer's); names caches each task's names.
func (s *Server) authorName(me market.Entry, names map[string]map[string]string) string {
	if me.Origin != "promoted" {
		return ""
	}
	task := me.Card.Task.ID
	if names[task] == nil {
		names[task] = s.names(task)
	}
	return names[task][me.Card.Author]
}

type modelData struct {
	Name     string // the author's display name, "" when none
	Entry    *market.Entry
	Result   *credential.ModelResult
	Err      string
	Local    bool   // the credential is this server's: its page exists
	Status   bool   // revocation was checked against this server's list
	Download string // the bundle's URL, "" when there is no API to serve it
}

func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	me, err := s.m.Entry(r.PathValue("id"))
	if err == nil {
		err = s.conceal(r, me)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := modelData{Entry: me, Name: s.authorName(*me, map[string]map[string]string{})}
	if s.cfg.API != "-" {
		d.Download = s.cfg.API + "/market/" + url.PathEscape(me.ID) + "/bundle"
	}
	if _, err := s.e.Credential(me.Card.Credential); err == nil {
		d.Local = true
	}
	var res *credential.ModelResult
	if d.Local {
		res, err = s.verifyAny(r.Context(), me.Credential)
		d.Status = true
	} else {
		// Ingested: issued elsewhere, checked against its card's issuer;
		// its issuer's status list was checked when it was ingested.
		res, err = credential.VerifyModel(r.Context(), me.Credential,
			credential.VerifyOptions{Issuer: me.Card.Issuer, Now: s.cfg.Now()})
	}
	if err != nil {
		d.Err = err.Error()
	}
	d.Result = res
	title := me.Card.Task.Title
	if title == "" {
		title = me.Card.Task.ID
	}
	s.render(w, r, http.StatusOK, "model", page{Title: "Model " + short(me.ID) + " · " + title, Data: d})
}
