package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
)

// The competition's moves: leaderboards and their history, final
// selections and teams, each as the caller may see or make them.

func (s *Server) leaderboard(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	private, err := boolQuery(r, "private")
	if err != nil {
		s.fail(w, err)
		return
	}
	id := r.PathValue("id")
	phase := r.URL.Query().Get("phase")
	entries, err := s.e.PhaseLeaderboard(id, c.viewer(), private, phase)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Leaderboard{Task: id, Phase: phase, Private: private, Entries: entries})
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	evs, err := s.e.History(r.PathValue("id"), c.viewer())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, evs)
}

func (s *Server) selections(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	who, err := actingAs(c, r, true)
	if err != nil {
		s.fail(w, err)
		return
	}
	task := r.PathValue("id")
	if err := s.e.CheckAccess(task, c.viewer()); err != nil {
		s.fail(w, err)
		return
	}
	ids, err := s.e.Selections(task, who)
	if err != nil {
		s.fail(w, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, api.Selections{Participant: who, Submissions: ids})
}

func (s *Server) selectSubmissions(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	who, err := actingAs(c, r, true)
	if err == nil {
		err = s.e.CheckAccess(r.PathValue("id"), c.viewer())
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	body, err := s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(w, err)
		return
	}
	var in api.Select
	if err := decodeJSON(body, &in); err != nil {
		s.fail(w, err)
		return
	}
	task := r.PathValue("id")
	if err := s.e.Select(task, who, in.Submissions); err != nil {
		s.fail(w, err)
		return
	}
	ids, err := s.e.Selections(task, who)
	if err != nil {
		s.fail(w, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, api.Selections{Participant: who, Submissions: ids})
}

// decodeJSON decodes a request body strictly: one object, no unknown
// members.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "bad_request", "request body: %v", err)
	}
	if dec.More() {
		return refuse(http.StatusBadRequest, "bad_request", "request body: more than one JSON value")
	}
	return nil
}

func (s *Server) teams(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = s.e.CheckAccess(r.PathValue("id"), c.viewer())
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	ts, err := s.e.Teams(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if ts == nil {
		ts = []engine.Team{}
	}
	writeJSON(w, http.StatusOK, ts)
}

// joinTeam adds participants to a team. A participant joins only
// themself (an empty body, or their own DID); the host adds anyone.
func (s *Server) joinTeam(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needCaller(c, "join a team")
	}
	if err == nil {
		// An unlisted task is not found by whoever may not see it.
		err = s.e.CheckAccess(r.PathValue("id"), c.viewer())
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var in api.Join
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeJSON(body, &in); err != nil {
			s.fail(w, err)
			return
		}
	}
	if !c.host {
		for _, p := range in.Participants {
			if p != c.participant {
				s.fail(w, refuse(http.StatusForbidden, "forbidden", "participant %s may not add %q to a team", c.participant, p))
				return
			}
		}
		in.Participants = []string{c.participant}
	}
	if len(in.Participants) == 0 {
		s.fail(w, refuse(http.StatusBadRequest, "bad_request", "join team: name the participants"))
		return
	}
	tm, err := s.e.JoinTeam(r.PathValue("id"), r.PathValue("team"), in.Participants...)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tm)
}

// mergeTeams moves team {team} into the team named by "into". Host only: a
// merge needs both teams' consent, which the host arbitrates.
func (s *Server) mergeTeams(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "merge teams")
	}
	var body []byte
	if err == nil {
		body, err = s.readBody(w, r, c, s.cfg.MaxBodyBytes)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	var in api.Merge
	if err := decodeJSON(body, &in); err != nil {
		s.fail(w, err)
		return
	}
	if in.Into == "" {
		s.fail(w, refuse(http.StatusBadRequest, "bad_request", "merge: name the team to merge into (\"into\")"))
		return
	}
	tm, err := s.e.MergeTeams(r.PathValue("id"), r.PathValue("team"), in.Into)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tm)
}
