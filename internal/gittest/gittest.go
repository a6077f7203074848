// Package gittest runs the git command for tests that build real
// repositories, with an identity and no user or system configuration, so
// that they behave the same on every machine.
package gittest

import (
	"os"
	"os/exec"
	"testing"
)

// Env is the environment that makes git reproducible in tests.
var Env = []string{
	"GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.com",
	"GIT_COMMITTER_NAME=Alice", "GIT_COMMITTER_EMAIL=alice@example.com",
	"GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
}

// Run runs git in dir and fails the test on error.
func Run(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}
