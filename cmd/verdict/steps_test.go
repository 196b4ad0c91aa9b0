package main

import (
	"strings"
	"testing"
)

// cliStep is one command of a scripted CLI session: its exit code and
// fragments its stdout and stderr must hold.
type cliStep struct {
	name   string
	args   []string
	code   int
	stdout []string
	stderr []string
}

func runSteps(t *testing.T, steps []cliStep) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, st := range steps {
		code, stdout, stderr := cli(t, st.args...)
		if code != st.code {
			t.Fatalf("%s: exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", st.name, code, st.code, stdout, stderr)
		}
		for _, f := range st.stdout {
			if !strings.Contains(stdout, f) {
				t.Errorf("%s: stdout lacks %q:\n%s", st.name, f, stdout)
			}
		}
		for _, f := range st.stderr {
			if !strings.Contains(stderr, f) {
				t.Errorf("%s: stderr lacks %q:\n%s", st.name, f, stderr)
			}
		}
		out[st.name] = stdout
	}
	return out
}
