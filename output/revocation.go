package output

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/lifecycle"
)

// Change is a pull request that a command would open, as a dry run shows
// it: Files maps each path to its new content, nil to delete it.
type Change struct {
	Branch, Base, BaseSHA string
	Title                 string
	Labels                []string
	Files                 map[string][]byte
	Body                  string
}

// RevocationPreview shows the revocation pull request that sweep --dry-run
// did not open.
func RevocationPreview(w io.Writer, c Change) error {
	return safeText(w, func(w io.Writer) {
		base := c.Base
		if base == "" {
			base = "the default branch"
		}
		fmt.Fprintf(w, "nhigate: sweep: --dry-run: would open a pull request from %s onto %s (at %s):\n", c.Branch, base, shortSHA(c.BaseSHA))
		fmt.Fprintf(w, "title: %s\nlabels: %s\nfiles:\n", c.Title, strings.Join(c.Labels, ", "))
		for _, path := range slices.Sorted(maps.Keys(c.Files)) {
			if c.Files[path] == nil {
				fmt.Fprintf(w, "  delete %s\n", path)
			} else {
				fmt.Fprintf(w, "  rewrite %s\n", path)
			}
		}
		fmt.Fprintf(w, "body:\n%s", c.Body)
	})
}

// RevocationBody is the body of the revocation pull request that a sweep
// opens: what it removes, and what is left for a person.
func RevocationBody(res *SweepResult, rv *lifecycle.Revocation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "nhigate sweep found access that has ended, as of `%s` at %s. This pull request only removes access, so the diff rates it low risk.\n\n",
		res.Now.UTC().Format(time.RFC3339), Code(res.Revision))
	b.WriteString("| finding | identity | where | expired | |\n|---|---|---|---|---|\n")
	for _, it := range rv.Removed {
		what := "spec file removed"
		if it.Kind == lifecycle.ExceptionExpired {
			what = "exception to " + Code(it.Rule) + " removed"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", it.Kind, Code(it.Identity),
			Code(fmt.Sprintf("%s:%d", it.File, it.Line)), SweepWhen(it), what)
	}
	if len(rv.Manual) > 0 {
		b.WriteString("\n**Left for a person** (not in this pull request):\n\n")
		for _, m := range rv.Manual {
			fmt.Fprintf(&b, "- %s\n", Escape(m))
		}
	}
	b.WriteString("\nMerging revokes the grants at the next deploy; the deployer's `nhigate verify` already refuses expired specs.\n")
	return b.String()
}
