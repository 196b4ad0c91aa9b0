package httpapi_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/verdictlab/verdict/engine"
	"github.com/verdictlab/verdict/internal/httpapi"
)

// BenchmarkAPI measures the server over loopback on a real engine: an
// upload answered 202 (the evaluation runs on in the queue), and a public
// leaderboard read of 20 entrants.
func BenchmarkAPI(b *testing.B) {
	v := newEnv(b, engine.Config{QueueSize: 1 << 16},
		httpapi.Config{UploadRate: 1e9, UploadBurst: 1 << 30, IPUploadRate: 1e9, IPUploadBurst: 1 << 30})
	v.createTask("bench", "")
	var ids []string
	for i := range 20 {
		ids = append(ids, v.as(participantKey(b, fmt.Sprintf("p%d", i))).mustSubmit("bench", module("seed")))
	}
	waitScored(b, v.e, ids)
	b.Run("Upload", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			c := v.as(participantKey(b, fmt.Sprintf("u%d", n.Add(1))))
			for pb.Next() {
				if r := c.submit("bench", module(fmt.Sprint("b", n.Add(1))), ""); r.status != http.StatusAccepted {
					b.Fatalf("upload: %d %s", r.status, r.body)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uploads/s")
	})
	b.Run("Leaderboard", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			c := v.anonymous()
			for pb.Next() {
				if r := c.get("/v1/tasks/bench/leaderboard"); r.status != http.StatusOK {
					b.Fatalf("leaderboard: %d", r.status)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
	})
}
