package publish

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/ghtest"
	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/internal/spectest"
)

// sweepNow is the sweep's clock; the fixtures' dates are relative to it.
var sweepNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func sweepSpec(name string, expires time.Time, rest string) string {
	return spectest.YAML(name, "", `  expiresAt: "`+expires.Format(time.RFC3339)+`"
  revocation: {onCompletion: true}
`+rest)
}

// sweepTree writes files into a new directory, committed to git when git.
func sweepTree(t *testing.T, files map[string]string, git bool) string {
	t.Helper()
	if git {
		return gittest.Repo(t, files)
	}
	dir := t.TempDir()
	gittest.Write(t, dir, files)
	return dir
}

func expiredFiles() map[string]string {
	return map[string]string{
		".nhigate.yaml":        "specs: [\"identities/*.yaml\"]\n",
		"identities/old.yaml":  sweepSpec("old-release", sweepNow.Add(-5*24*time.Hour), ""),
		"identities/soon.yaml": sweepSpec("soon", sweepNow.Add(3*24*time.Hour), ""),
		"identities/live.yaml": sweepSpec("live", sweepNow.Add(60*24*time.Hour), ""),
	}
}

// Sweep reads a revision's specs and judges them as of the clock: what is
// overdue, what is due within the lookahead.
func TestSweep(t *testing.T) {
	for _, git := range []bool{true, false} {
		dir := sweepTree(t, expiredFiles(), git)
		rev := "HEAD"
		if !git {
			rev = dir
		}
		s, err := Sweep(context.Background(), dir, rev, sweepNow, 7*24*time.Hour)
		if err != nil {
			t.Fatalf("git %v: %v", git, err)
		}
		r := s.Result
		var items []string
		for _, it := range r.Items {
			items = append(items, string(it.Kind)+" "+it.Identity)
		}
		if diff := cmp.Diff([]string{"grant-expired old-release", "grant-expiring soon"}, items); diff != "" {
			t.Errorf("git %v: items (-want +got):\n%s", git, diff)
		}
		if r.Within != "168h" || r.Files != 3 || r.Overdue() != 1 || !r.Blocked() || !r.Now.Equal(sweepNow) {
			t.Errorf("git %v: within %q, files %d, overdue %d, blocked %v, now %v", git, r.Within, r.Files, r.Overdue(), r.Blocked(), r.Now)
		}
	}
	_, err := Sweep(context.Background(), t.TempDir(), "no-such-branch", sweepNow, 0)
	var re *review.RevisionError
	if !errors.As(err, &re) || re.Flag != "--head" {
		t.Errorf("Sweep of a missing revision = %v, want a --head RevisionError", err)
	}
}

// The revocation pull request is previewed without a client, refused on a
// directory, skipped when nothing can be revoked by itself, and opened on
// the swept commit, on a branch that names the day and the change.
func TestRevoke(t *testing.T) {
	ctx := context.Background()
	t.Run("directory", func(t *testing.T) {
		dir := sweepTree(t, expiredFiles(), false)
		s, err := Sweep(ctx, dir, dir, sweepNow, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ue *review.UsageError
		if err := s.Revoke(ctx, RevokeRequest{Log: &bytes.Buffer{}}); !errors.As(err, &ue) {
			t.Errorf("Revoke of a directory = %v, want a usage error", err)
		}
	})
	t.Run("nothing to revoke", func(t *testing.T) {
		files := expiredFiles()
		delete(files, "identities/old.yaml")
		dir := sweepTree(t, files, true)
		s, err := Sweep(ctx, dir, "HEAD", sweepNow, 0)
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if err := s.Revoke(ctx, RevokeRequest{Log: &log}); err != nil || !strings.Contains(log.String(), "nothing to revoke automatically; no pull request opened") {
			t.Errorf("Revoke = %v\n%s", err, log.String())
		}
	})
	t.Run("preview", func(t *testing.T) {
		dir := sweepTree(t, expiredFiles(), true)
		s, err := Sweep(ctx, dir, "HEAD", sweepNow, 0)
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if err := s.Revoke(ctx, RevokeRequest{Base: "main", Log: &log}); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`--dry-run: would open a pull request from nhigate/sweep-2026-11-25-[0-9a-f]{8} onto main`).MatchString(log.String()) ||
			!strings.Contains(log.String(), "delete identities/old.yaml") || !strings.Contains(log.String(), "title: nhigate: revoke 1 expired grant") {
			t.Errorf("preview:\n%s", log.String())
		}
	})
	t.Run("open", func(t *testing.T) {
		dir := sweepTree(t, expiredFiles(), true)
		s, err := Sweep(ctx, dir, "HEAD", sweepNow, 0)
		if err != nil {
			t.Fatal(err)
		}
		head, _ := source.Commit(s.tree)
		srv := ghtest.NewServer()
		t.Cleanup(srv.Close)
		gd := srv.EnableGitData()
		gd.AddRepoAt("acme", "policies", "main", head, expiredFiles())
		client, err := ghapi.New(ghapi.Options{Token: ghtest.DefaultToken, BaseURL: srv.URL, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if err := s.Revoke(ctx, RevokeRequest{Owner: "acme", Repo: "policies", Client: client, Log: &log}); err != nil {
			t.Fatalf("Revoke: %v\n%s", err, log.String())
		}
		pulls := gd.Pulls("acme", "policies")
		if len(pulls) != 1 || pulls[0].Title != "nhigate: revoke 1 expired grant" || !cmp.Equal(pulls[0].Labels, []string{"nhigate:revocation"}) {
			t.Fatalf("pull requests %+v", pulls)
		}
		branch := gd.Files("acme", "policies", pulls[0].Head)
		if _, ok := branch["identities/old.yaml"]; ok || branch["identities/live.yaml"] == "" {
			t.Errorf("the branch holds %v, want old.yaml gone and the rest kept", branch)
		}
		if !strings.Contains(log.String(), "opened revocation pull request #") {
			t.Errorf("log:\n%s", log.String())
		}
	})
}

// Two sweeps on one day that revoke different things get different
// branches; the same revocation gets the same one.
func TestRevocationBranch(t *testing.T) {
	ctx := context.Background()
	branch := func(files map[string]string) string {
		t.Helper()
		dir := sweepTree(t, files, true)
		s, err := Sweep(ctx, dir, "HEAD", sweepNow, 0)
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if err := s.Revoke(ctx, RevokeRequest{Log: &log}); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`from (nhigate/sweep-\S+) onto`).FindStringSubmatch(log.String())
		if m == nil {
			t.Fatalf("no branch in:\n%s", log.String())
		}
		return m[1]
	}
	a := branch(expiredFiles())
	again := branch(expiredFiles())
	other := expiredFiles()
	other["identities/older.yaml"] = sweepSpec("older", sweepNow.Add(-9*24*time.Hour), "")
	b := branch(other)
	if a != again || a == b || !strings.HasPrefix(b, "nhigate/sweep-2026-11-25-") {
		t.Errorf("branches %q, %q (same change) and %q (another change)", a, again, b)
	}
}
