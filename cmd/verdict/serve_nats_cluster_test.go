package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/verdictlab/verdict/dispatch"
	"github.com/verdictlab/verdict/sandbox/sandboxtest"
)

var (
	natsServerOnce sync.Once
	natsServerPath string
	natsServerErr  error
)

// natsServerBinary builds the real nats-server from the module go.mod
// names (github.com/nats-io/nats-server/v2), once per test run.
func natsServerBinary(t *testing.T) string {
	t.Helper()
	natsServerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "verdict-nats-server-")
		if err != nil {
			natsServerErr = err
			return
		}
		natsServerPath = filepath.Join(dir, "nats-server")
		if out, err := exec.Command("go", "build", "-o", natsServerPath, "github.com/nats-io/nats-server/v2").CombinedOutput(); err != nil {
			natsServerErr = &buildError{err, out}
		}
	})
	if natsServerErr != nil {
		t.Fatalf("go build nats-server: %v", natsServerErr)
	}
	return natsServerPath
}

// freePorts returns n loopback ports free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// natsNode is one nats-server process of a test cluster.
type natsNode struct {
	name, url string
	cmd       *exec.Cmd
	log       *syncBuffer
}

// startNATSCluster starts n nats-server processes clustered on loopback,
// each with JetStream in its own store dir, and waits until JetStream
// answers on the cluster.
func startNATSCluster(t *testing.T, n int) []*natsNode {
	t.Helper()
	bin := natsServerBinary(t)
	ports := freePorts(t, 2*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
	}
	nodes := make([]*natsNode, n)
	for i := range n {
		dir := t.TempDir()
		name := fmt.Sprintf("n%d", i+1)
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream {
  store_dir: %q
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: verdict-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, name, ports[i], filepath.Join(dir, "js"), ports[n+i], strings.Join(routes, ", "))
		path := writeFile(t, filepath.Join(dir, "nats.conf"), []byte(conf))
		cmd := exec.Command(bin, "-c", path)
		node := &natsNode{name: name, url: fmt.Sprintf("nats://127.0.0.1:%d", ports[i]), cmd: cmd, log: &syncBuffer{}}
		cmd.Stdout, cmd.Stderr = node.log, node.log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		nodes[i] = node
	}
	js := clusterJetStream(t, nodes)
	for deadline := time.Now().Add(time.Minute); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			var logs strings.Builder
			for _, n := range nodes {
				fmt.Fprintf(&logs, "--- %s\n%s\n", n.name, n.log.String())
			}
			t.Fatalf("the cluster's JetStream never answered: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond) // the election has no event to wait on from outside
	}
	return nodes
}

// clusterJetStream connects the test itself to the cluster.
func clusterJetStream(t *testing.T, nodes []*natsNode) jetstream.JetStream {
	t.Helper()
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.url)
	}
	nc, err := nats.Connect(strings.Join(urls, ","), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestNATSClusterNodeKill runs `verdict serve --nats URL1,URL2,URL3
// --nats-replicas 3` against a three-node JetStream cluster of the real
// nats-server binary, with two `verdict worker` processes given the same
// URL list. Every stream and bucket must have three replicas. Once the
// first submissions are scored, the node leading the jobs stream is
// SIGKILLed, and more are submitted while the cluster elects a new
// leader: all of them end scored, once each, with the public score of a
// single-process run of the module.
func TestNATSClusterNodeKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs a three-node cluster, a coordinator and two workers")
	}
	dir := t.TempDir()
	bin := verdictBinary(t)
	nodes := startNATSCluster(t, 3)
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.url)
	}
	natsURL := strings.Join(urls, ",")

	data, direct := filepath.Join(dir, "data"), filepath.Join(dir, "direct")
	createLinearTask(t, bin, dir, "cluster", "nats-cluster-node-kill", data, direct)
	linear := sandboxtest.Wasm(sandboxtest.Linear)
	out, err := exec.Command(bin, "--data-dir", direct, "--json", "submit", "--task", "cluster", "--participant", "solo",
		writeFile(t, filepath.Join(dir, "linear.wasm"), linear)).Output()
	if err != nil {
		t.Fatal(err)
	}
	// Every upload below is the Linear fixture with its own custom
	// section: the same function, so the same public score.
	var ref struct{ Scores struct{ Public *float64 } }
	if err := json.Unmarshal(out, &ref); err != nil || ref.Scores.Public == nil {
		t.Fatalf("direct submit: %v: %s", err, out)
	}
	want := *ref.Scores.Public

	s := startServeProc(t, bin, nil, "--data-dir", data, "serve", "--addr", "127.0.0.1:0", "--init",
		"--nats", natsURL, "--nats-replicas", "3", "--workers", "0",
		"--nats-heartbeat", "1s", "--nats-shard-rows", "1000", "--queue", "1000",
		"--ip-upload-rate", "1000000", "--ip-upload-burst", "1000000", "--upload-rate", "1000000", "--upload-burst", "1000000")

	js := clusterJetStream(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, name := range []string{dispatch.JobsStream, dispatch.ResultsStream, dispatch.AdvisoriesStream, dispatch.DeadStream,
		"OBJ_" + dispatch.InputsBucket, "OBJ_" + dispatch.OutputsBucket} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		info := st.CachedInfo()
		if info.Config.Replicas != 3 {
			t.Errorf("stream %s: config replicas %d, want 3", name, info.Config.Replicas)
		}
		if info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != 2 {
			t.Errorf("stream %s: cluster %+v, want a leader and 2 other replicas", name, info.Cluster)
		}
	}
	for _, c := range [][2]string{{dispatch.JobsStream, dispatch.WorkersConsumer}, {dispatch.AdvisoriesStream, dispatch.AdvisoriesConsumer}, {dispatch.DeadStream, dispatch.DeadConsumer}} {
		cons, err := js.Consumer(ctx, c[0], c[1])
		if err != nil {
			t.Fatalf("consumer %s/%s: %v", c[0], c[1], err)
		}
		if info := cons.CachedInfo(); info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Errorf("consumer %s/%s: cluster %+v, want a leader and 2 other replicas", c[0], c[1], info.Cluster)
		}
	}

	for i := range 2 {
		w := exec.Command(bin, "worker", "--nats", natsURL, "--cache", filepath.Join(dir, fmt.Sprintf("worker-%d", i)))
		w.Stderr = &syncBuffer{}
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Process.Kill(); w.Wait() })
	}

	var ids []string
	upload := func(n int) {
		t.Helper()
		for range n {
			variant := fmt.Sprintf("v%d", len(ids))
			mod := append(append([]byte{}, linear...), 0, byte(1+1+len(variant)), 1, 'x')
			mod = append(mod, variant...)
			code, body, err := s.do(s.token, "POST", fmt.Sprintf("/v1/tasks/cluster/submissions?participant=p%d", len(ids)%5), mod)
			if err != nil || code != http.StatusAccepted {
				t.Fatalf("upload %s: %d %v %s", variant, code, err, body)
			}
			var sub struct{ ID string }
			json.Unmarshal(body, &sub)
			ids = append(ids, sub.ID)
		}
	}
	// wait polls a submission until it ends; it returns its status and
	// public score.
	wait := func(id string) (string, *float64, string) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Minute); ; {
			code, body, err := s.do(s.token, "GET", "/v1/submissions/"+id, nil)
			if err != nil || code != http.StatusOK {
				t.Fatalf("submission %s: %d %v %s", id, code, err, body)
			}
			var sub struct {
				Status string
				Scores struct{ Public *float64 }
			}
			json.Unmarshal(body, &sub)
			if sub.Status == "scored" || sub.Status == "failed" {
				return sub.Status, sub.Scores.Public, string(body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("submission %s still %s; serve: %s", id, sub.Status, s.stderr.String())
			}
			time.Sleep(20 * time.Millisecond) // the API has no wait
		}
	}

	upload(5)
	wait(ids[0])
	// Kill the node that leads the jobs stream: the cluster must elect
	// another while jobs are queued, taken and acked.
	st, err := js.Stream(ctx, dispatch.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	leader := st.CachedInfo().Cluster.Leader
	var killed *natsNode
	for _, n := range nodes {
		if n.name == leader {
			killed = n
		}
	}
	if killed == nil {
		t.Fatalf("jobs stream leader %q is none of the nodes", leader)
	}
	if err := killed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed.cmd.Wait()
	upload(15)

	for _, id := range ids {
		status, public, body := wait(id)
		if status != "scored" || public == nil || *public != want {
			t.Errorf("submission %s: %s with public score %v, want scored with %v: %s", id, status, public, want, body)
		}
	}
	code, body, err := s.do(s.token, "GET", "/v1/tasks/cluster/submissions", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("list submissions: %d %v %s", code, err, body)
	}
	var subs []struct{ ID, Status string }
	if err := json.Unmarshal(body, &subs); err != nil {
		t.Fatalf("list submissions: %v: %s", err, body)
	}
	seen := map[string]int{}
	for _, sub := range subs {
		seen[sub.ID]++
	}
	if len(subs) != len(ids) {
		t.Errorf("submissions listed: got %d, want %d", len(subs), len(ids))
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("submission %s listed %d times, want once", id, seen[id])
		}
	}
	if t.Failed() {
		t.Logf("serve's stderr: %s", s.stderr.String())
	}
	t.Logf("killed %s (the jobs stream's leader) after %d uploads; %d submissions scored; the coordinator retried %d NATS calls",
		leader, 5, len(ids), strings.Count(s.stderr.String(), `"msg":"nats: will retry"`))
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v; stderr: %s", err, s.stderr.String())
	}
}

// TestServeReplicasNeedCluster: the embedded server is one node, so more
// than one replica is refused, by name.
func TestServeReplicasNeedCluster(t *testing.T) {
	code, _, stderr := cli(t, "--data-dir", t.TempDir(), "serve", "--addr", "127.0.0.1:0", "--nats", "embedded", "--nats-replicas", "3")
	if code == 0 || !strings.Contains(stderr, "--nats-replicas 3 needs a cluster") {
		t.Errorf("serve --nats embedded --nats-replicas 3: exit %d, stderr %q; want refused as needing a cluster", code, stderr)
	}
}

// TestRedactURLList: a cluster's URL list is redacted URL by URL.
func TestRedactURLList(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"one", "nats://worker:secret@h1:4222", "nats://worker:xxxxx@h1:4222"},
		{"list", "nats://u:p1@h1:4222,nats://u:p2@h2:4222, nats://h3:4222", "nats://u:xxxxx@h1:4222,nats://u:xxxxx@h2:4222,nats://h3:4222"},
		{"invalid", "nats://h1:4222,nats://u:p@[::1", "nats://h1:4222,(invalid URL)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := redactURL(tc.in); got != tc.want {
				t.Errorf("redactURL(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
