package httpapi

import (
	"net/http"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
)

// phases serves a task's phases (engine.Phases) to whoever may see the
// task. Reading them lets the server notice a transition the schedule
// calls for, which it makes in the background.
func (s *Server) phases(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	ps, err := s.e.Phases(r.PathValue("id"), c.viewer())
	if err != nil {
		s.fail(w, err)
		return
	}
	if ps == nil {
		ps = []engine.Phase{}
	}
	writeJSON(w, http.StatusOK, ps)
}

// advancePhase moves a task into its next phase now (engine.AdvancePhase).
// Host only; entering a final phase re-runs the selections before it
// answers, so the write timeout is lifted as for a rescore.
func (s *Server) advancePhase(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err == nil {
		err = needHost(c, "advance a task's phase")
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
	var in api.PhaseAdvance
	if len(body) > 0 {
		if err := decodeJSON(body, &in); err != nil {
			s.fail(w, err)
			return
		}
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	ps, err := s.e.AdvancePhase(hostActor(r, c, in.Reason), r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}
