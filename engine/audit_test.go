package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/verdictlab/verdict/engine"
)

// TestAuditTrail records a rescore, a close, a promotion and a
// revocation, each at the injected clock, and checks who sees what.
func TestAuditTrail(t *testing.T) {
	e, clk, _ := rescoreContest(t)
	ctx := engine.WithActor(context.Background(), engine.Actor{Who: "alice@host", Why: "label fix in r3"})
	steps := []struct {
		name string
		do   func() error
	}{
		{"rescore", func() error { _, err := e.Rescore(ctx, "contest", engine.RescoreOptions{}); return err }},
		{"close", func() error { _, err := e.CloseTask(ctx, "contest"); return err }},
		{"promote", func() error { _, err := e.Promote(context.Background(), "contest"); return err }},
		{"revoke", func() error {
			cs, err := e.Credentials("contest")
			if err != nil || len(cs) == 0 {
				return errors.Join(err, errors.New("no credential"))
			}
			_, err = e.Revoke(cs[0].ID, "leaked test labels")
			return err
		}},
	}
	for _, st := range steps {
		clk.Add(time.Hour)
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	host, err := e.AuditTrail("contest", engine.Host)
	if err != nil {
		t.Fatalf("AuditTrail: %v", err)
	}
	want := []struct {
		action, actor, reason, summary string
		at                             time.Time
	}{
		{engine.AuditRescore, "alice@host", "label fix in r3", "re-ran 3 submissions with their stored modules; the dataset was kept", day0.Add(10 * time.Hour)},
		{engine.AuditClose, "alice@host", "label fix in r3", "closed by the host; the private leaderboard is revealed; ", day0.Add(11 * time.Hour)},
		{engine.AuditPromote, "host", "", "promoted again by the host; ", day0.Add(12 * time.Hour)},
		{engine.AuditRevoke, "host", "leaked test labels", "revoked", day0.Add(13 * time.Hour)},
	}
	if len(host) != len(want) {
		t.Fatalf("host's trail: got %d entries %+v, want %d", len(host), host, len(want))
	}
	for i, w := range want {
		got := host[i]
		if got.Action != w.action || got.Actor != w.actor || got.Reason != w.reason || !strings.Contains(got.Summary, w.summary) || !got.Time.Equal(w.at) || len(got.Detail) == 0 {
			t.Errorf("entry %d: got %+v; want %s by %q for %q at %v, summary with %q, and a detail", i, got, w.action, w.actor, w.reason, w.at, w.summary)
		}
	}
	visitor, err := e.AuditTrail("contest", engine.Viewer{Participant: "bob"})
	if err != nil || len(visitor) != len(want) {
		t.Fatalf("participant's trail: got %+v, %v", visitor, err)
	}
	for i, got := range visitor {
		if got.Actor != "" || got.Reason != "" || got.Detail != nil || got.Summary != host[i].Summary || got.Action != host[i].Action {
			t.Errorf("participant's entry %d: got %+v; want the time, action and summary only", i, got)
		}
	}
	if _, err := e.AuditTrail("nope", engine.Host); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("unknown task: got %v, want ErrNotFound", err)
	}
}
