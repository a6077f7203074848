package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestRun: timeit prints two times to the millisecond for a command that
// runs, whatever its exit status; it fails for one that cannot start, and
// is a usage error without a command.
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // a pattern
	}{
		{[]string{"-runs", "2", "--", "sh", "-c", "exit 0"}, 0, `^\d+\.\d{3} \d+\.\d{3}\n$`},
		{[]string{"--", "sh", "-c", "exit 1"}, 0, `^\d+\.\d{3} \d+\.\d{3}\n$`},
		{[]string{"--", "/nonexistent/command"}, 1, `^$`},
		{nil, 2, `^$`},
		{[]string{"-runs", "0", "--", "true"}, 2, `^$`},
	} {
		var stdout, stderr strings.Builder
		if code := run(tc.args, &stdout, &stderr); code != tc.code || !regexp.MustCompile(tc.out).MatchString(stdout.String()) {
			t.Errorf("timeit %q = %d, %q (stderr %q); want %d and %s", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.out)
		}
	}
}
