package publish

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/lifecycle"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/spec"
)

// maxHistory bounds the commits walked to date the spec files; a file
// whose last change lies further back has an unknown age.
const maxHistory = 100000

// Swept is a sweep with what it read, for a revocation pull request.
type Swept struct {
	Result    *output.SweepResult
	workflows []*spec.Workflow
	tree      source.Tree
}

// Sweep reads every spec of rev in repoDir and judges it as of now,
// listing what is due within. A directory is swept too, without history,
// so the age of static credentials is unknown there.
func Sweep(ctx context.Context, repoDir, rev string, now time.Time, within time.Duration) (*Swept, error) {
	tree, err := source.Open(repoDir, rev)
	if err != nil {
		return nil, &review.RevisionError{Flag: "--head", Err: err}
	}
	cfg, err := source.LoadConfig(tree)
	if err != nil {
		return nil, err
	}
	files, err := tree.Files(".")
	if err != nil {
		return nil, fmt.Errorf("list files of %s: %w", tree, err)
	}
	loaded, err := source.LoadSpecs(tree, files, cfg)
	if err != nil {
		return nil, err
	}
	var lastChanged map[string]time.Time
	if _, ok := source.Commit(tree); ok {
		var paths []string
		for _, w := range loaded.Workflows {
			paths = append(paths, w.Source.File)
		}
		if lastChanged, err = source.LastChanges(ctx, tree, paths, maxHistory); err != nil {
			return nil, err
		}
	}
	return &Swept{
		Result: &output.SweepResult{
			Report:   lifecycle.Sweep(loaded.Workflows, lastChanged, now, within),
			Revision: tree.String(),
			Within:   shortDuration(within),
			Files:    review.SpecFiles(loaded),
			Invalid:  loaded.Errors,
		},
		workflows: loaded.Workflows,
		tree:      tree,
	}, nil
}

// RevokeRequest says where the revocation pull request goes.
type RevokeRequest struct {
	// Owner and Repo name the GitHub repository, and Client reaches it;
	// a nil Client previews the pull request on Log instead (--dry-run).
	Owner, Repo string
	Client      *ghapi.Client
	// Base is the branch it targets; "" is the repository's default.
	Base string
	// Log is where Revoke says what it did and did not do.
	Log io.Writer
}

// Revoke opens one pull request that removes the expired specs and cuts
// out the expired exceptions of the sweep, if there is anything to revoke
// automatically; what it cannot revoke is listed on req.Log for a person.
// The swept revision must be a commit: the change is computed on it, and
// GitHub refuses it when the branch has moved since.
func (s *Swept) Revoke(ctx context.Context, req RevokeRequest) error {
	commit, ok := source.Commit(s.tree)
	if !ok {
		return usageErrorf("--open-pr needs --head to be a git revision, not a directory")
	}
	rv := lifecycle.Plan(s.Result.Items, s.workflows, func(p string) ([]byte, error) { return s.tree.ReadFile(p, spec.DefaultMaxFileSize) })
	for _, m := range rv.Manual {
		fmt.Fprintf(req.Log, "nhigate: sweep: not in the pull request: %s\n", output.SafeText(m))
	}
	if len(rv.Files) == 0 {
		fmt.Fprintln(req.Log, "nhigate: sweep: nothing to revoke automatically; no pull request opened")
		return nil
	}
	change := revocationChange(s.Result, rv, commit, req.Base)
	if req.Client == nil {
		return output.RevocationPreview(req.Log, output.Change{Branch: change.Branch, Base: change.Base, BaseSHA: change.BaseSHA,
			Title: change.Title, Labels: change.Labels, Files: change.Files, Body: change.Body})
	}
	change.Owner, change.Repo = req.Owner, req.Repo
	opened, err := req.Client.OpenChange(ctx, change)
	if err != nil {
		return err
	}
	fmt.Fprintf(req.Log, "nhigate: sweep: opened revocation pull request #%d: %s\n", opened.Number, opened.URL)
	return nil
}

// revocationChange is the pull request a revocation plan becomes. Its
// branch names the day and a digest of the change, so that a second sweep
// on the same day that revokes something else gets a branch of its own.
func revocationChange(res *output.SweepResult, rv *lifecycle.Revocation, baseSHA, base string) ghapi.Change {
	date := res.Now.UTC().Format("2006-01-02")
	digest := sha256.New()
	for _, path := range slices.Sorted(maps.Keys(rv.Files)) {
		fmt.Fprintf(digest, "%s\x00%d\x00", path, len(rv.Files[path]))
		digest.Write(rv.Files[path])
		if rv.Files[path] == nil {
			digest.Write([]byte("\x00deleted"))
		}
	}
	grants, exceptions := 0, 0
	for _, it := range rv.Removed {
		if it.Kind == lifecycle.GrantExpired {
			grants++
		} else {
			exceptions++
		}
	}
	var what []string
	if grants > 0 {
		what = append(what, plural(grants, "expired grant", "expired grants"))
	}
	if exceptions > 0 {
		what = append(what, plural(exceptions, "expired exception", "expired exceptions"))
	}
	title := "nhigate: revoke " + strings.Join(what, " and ")
	return ghapi.Change{
		Base: base, BaseSHA: baseSHA,
		Branch:  fmt.Sprintf("nhigate/sweep-%s-%x", date, digest.Sum(nil)[:4]),
		Files:   rv.Files,
		Message: title + "\n\nOpened by nhigate sweep as of " + res.Now.UTC().Format(time.RFC3339) + ".",
		Title:   title,
		Body:    output.RevocationBody(res, rv),
		Labels:  []string{"nhigate:revocation"},
	}
}

// shortDuration writes a duration as people write it: 168h, not 168h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
