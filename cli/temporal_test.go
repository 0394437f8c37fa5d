package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemporalFlagErrors: bad connection flags fail before anything runs,
// with a message that names the flag.
func TestTemporalFlagErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"worker"}, 2, "--temporal HOST:PORT is required"},
		{[]string{"worker", "--temporal", "127.0.0.1:7233", "--concurrency", "0"}, 2, "--concurrency: got 0"},
		{[]string{"worker", "--temporal", "localhost"}, 2, "give HOST:PORT"},
		{[]string{"worker", "--temporal", "no-such-host.invalid:7233"}, 1, "cannot resolve no-such-host.invalid"},
		{[]string{"search", "--temporal", "127.0.0.1:7233", "--tls-cert", "c.pem", "--out", out}, 2, "--tls-cert and --tls-key go together"},
		{[]string{"search", "--temporal", "127.0.0.1:7233", "--tls-ca", "/no/such/ca.pem", "--out", out}, 2, "--tls-ca"},
		{[]string{"search", "--temporal", "127.0.0.1:7233", "--resume", "--out", out}, 2, "re-attaches by its --workflow-id"},
		{[]string{"search", "--temporal", "127.0.0.1:7233", "--batch-size", "20", "--out", out}, 2, "history events"},
		{[]string{"search", "--batch-size", "-1", "--out", out}, 2, "--batch-size: got -1"},
		{[]string{"correlate", "--temporal", "127.0.0.1:7233", "--n", "6000", "--out", out}, 2, "history events"},
	} {
		code, _, errOut := runApp(t, context.Background(), c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
}
