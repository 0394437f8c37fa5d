package prereq

import (
	"fmt"
	"strings"
	"testing"
)

// recorder records how Missing ends a test instead of ending it.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }
func (r *recorder) Skipf(format string, a ...any)  { r.skip = fmt.Sprintf(format, a...) }

func TestMissing(t *testing.T) {
	const env = "PREREQ_TEST_REQUIRE"
	for _, c := range []struct {
		value      string
		fail, skip bool
	}{{"1", true, false}, {"", false, true}, {"0", false, true}} {
		t.Setenv(env, c.value)
		r := &recorder{TB: t}
		Missing(r, env, "/data is not installed", "run setup.sh")
		if (r.fatal != "") != c.fail || (r.skip != "") != c.skip {
			t.Errorf("%s=%q: failed %q, skipped %q; want fail %t, skip %t", env, c.value, r.fatal, r.skip, c.fail, c.skip)
		}
		if msg := r.fatal + r.skip; !strings.Contains(msg, "/data is not installed") || !strings.Contains(msg, "run setup.sh") {
			t.Errorf("%s=%q: message %q lacks the reason or the fix", env, c.value, msg)
		}
	}
}
