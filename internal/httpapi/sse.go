package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/verdictlab/verdict/api"
	"github.com/verdictlab/verdict/engine"
)

// Event streams (server-sent events) follow a submission's evaluation. The
// stream reads the submission's stored status every PollInterval and sends
// it whenever it changed: the store is the one source of truth, so a
// stream sees the same states after a restart, from any server process on
// the data dir, and needs no channel from the engine's workers.
//
//	event: status
//	data: {"id":"…","status":"running",…,"rows_done":40960,"rows_total":100000}
//
// While this server's engine evaluates the submission, a status event also
// carries the rows its model has predicted and must predict (engine
// Progress, kept in memory: a stream from another process on the data dir
// sees the status only), and the stream sends them as they advance.
//
// It ends with an "end" event once the submission is scored or failed,
// after streamMax (the client reconnects), or when the server shuts down.
const (
	streamMax       = 10 * time.Minute
	streamKeepalive = 15 * time.Second
)

// statusEvent adds the rows done of a running submission to sub.
func (s *Server) statusEvent(sub *engine.Submission) api.StatusEvent {
	ev := api.StatusEvent{Submission: *sub}
	if sub.Status == engine.StatusRunning {
		ev.RowsDone, ev.RowsTotal, _ = s.e.Progress(sub.ID)
	}
	return ev
}

func terminal(status engine.Status) bool { return status.Terminal() }

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	c, err := s.identify(w, r)
	if err != nil {
		s.fail(w, err)
		return
	}
	id, v := r.PathValue("id"), c.viewer()
	sub, err := s.e.Submission(id, v)
	if err != nil {
		s.fail(w, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		_ = rc.SetWriteDeadline(time.Now().Add(streamKeepalive * 2))
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	last := s.statusEvent(sub)
	if !send("status", last) {
		return
	}
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	keep := time.NewTicker(streamKeepalive)
	defer keep.Stop()
	end := time.After(streamMax)
	for !terminal(last.Status) {
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			send("end", map[string]string{"reason": "server shutting down; reconnect"})
			return
		case <-end:
			send("end", map[string]string{"reason": "stream time limit; reconnect"})
			return
		case <-keep.C:
			_ = rc.SetWriteDeadline(time.Now().Add(streamKeepalive * 2))
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-poll.C:
			cur, err := s.e.Submission(id, v)
			if err != nil {
				send("error", api.Error{Kind: "internal", Message: "read submission"})
				return
			}
			ev := s.statusEvent(cur)
			if ev.Status != last.Status || !ev.Updated.Equal(last.Updated) ||
				ev.RowsDone != last.RowsDone || ev.RowsTotal != last.RowsTotal {
				if !send("status", ev) {
					return
				}
				last = ev
			}
		}
	}
	send("end", map[string]string{"reason": string(last.Status)})
}
