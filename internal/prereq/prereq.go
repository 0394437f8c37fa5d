package prereq

import (
	"os"
	"testing"
)

// Missing ends tb because what it needs is missing (why), with fix saying
// how to install it: it fails tb when the environment variable env is 1
// and skips it otherwise.
func Missing(tb testing.TB, env, why, fix string) {
	tb.Helper()
	if os.Getenv(env) == "1" {
		tb.Fatalf("%s and %s=1; %s", why, env, fix)
	} else {
		tb.Skipf("%s; %s (set %s=1 to fail instead)", why, fix, env)
	}
}
