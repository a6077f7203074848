package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// LastChanges returns, for each path, the committer time of the last commit
// that changed it on the first-parent history of t's commit. The walk stops
// after limit commits and at a shallow clone's boundary; paths not dated by
// then are left out, and their age is unknown. A directory has no history:
// it returns nil.
func LastChanges(ctx context.Context, t Tree, paths []string, limit int) (map[string]time.Time, error) {
	g, ok := t.(*gitTree)
	if !ok {
		return nil, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repo
	shallow := map[plumbing.Hash]bool{}
	hs, err := r.Storer.Shallow()
	if err != nil {
		return nil, fmt.Errorf("read shallow commits: %w", err)
	}
	for _, h := range hs {
		shallow[h] = true
	}
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	out := map[string]time.Time{}
	c := g.commit
	for n := 0; len(want) > 0 && n < limit; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tree, err := c.Tree()
		if err != nil {
			return nil, fmt.Errorf("read tree of %s: %w", c.Hash, err)
		}
		if c.NumParents() == 0 {
			// The root commit added whatever is still undated.
			for p := range want {
				if _, err := tree.FindEntry(p); err == nil {
					out[p] = c.Committer.When
				}
			}
			break
		}
		if shallow[c.Hash] {
			break
		}
		parent, err := c.Parent(0)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			break // a shallow clone without a shallow file: history ends here
		}
		if err != nil {
			return nil, fmt.Errorf("read parent of %s: %w", c.Hash, err)
		}
		if parent.TreeHash != c.TreeHash {
			ptree, err := parent.Tree()
			if err != nil {
				return nil, fmt.Errorf("read tree of %s: %w", parent.Hash, err)
			}
			changes, err := object.DiffTreeWithOptions(ctx, ptree, tree, nil)
			if err != nil {
				return nil, fmt.Errorf("diff %s: %w", c.Hash, err)
			}
			for _, ch := range changes {
				for _, name := range []string{ch.From.Name, ch.To.Name} {
					if want[name] {
						out[name] = c.Committer.When
						delete(want, name)
					}
				}
			}
		}
		c = parent
	}
	return out, nil
}
