package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestRun: timeit prints two times to the millisecond for a command that
// runs, whatever its exit status, and six numbers for two commands; it
// fails for one that cannot start, and is a usage error without a
// command, or without one on each side of :::.
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
		// Two commands, in turn: medians of each, and of the ratios.
		{[]string{"-runs", "3", "--", "sh", "-c", "exit 0", ":::", "sh", "-c", "exit 1"}, 0, `^(\d+\.\d{3} ){4}\d+\.\d{2} \d+\.\d{2}\n$`},
		{[]string{"--", "true", ":::"}, 2, `^$`},
		{[]string{"--", "true", ":::", "/nonexistent/command"}, 1, `^$`},
	} {
		var stdout, stderr strings.Builder
		if code := run(tc.args, &stdout, &stderr); code != tc.code || !regexp.MustCompile(tc.out).MatchString(stdout.String()) {
			t.Errorf("timeit %q = %d, %q (stderr %q); want %d and %s", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.out)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}
