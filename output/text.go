package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
)

// Text is the terminal format: a headline with the verdict, then each
// changed identity with its changes, findings and what to do.
type Text struct {
	Color bool
}

const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

func (t Text) paint(code, s string) string {
	if !t.Color || s == "" {
		return s
	}
	return code + s + reset
}

// risk paints a risk level. Every level's escape codes have the same length,
// so tabwriter, which counts them as width, still aligns the columns.
func (t Text) risk(r diffing.Risk) string {
	if !t.Color {
		return r.String()
	}
	code := "0;02"
	switch r {
	case diffing.Critical:
		code = "1;31"
	case diffing.High:
		code = "0;31"
	case diffing.Medium:
		code = "0;33"
	}
	return "\x1b[" + code + "m" + r.String() + reset
}

// Render implements Renderer. Untrusted strings are masked for secrets
// and show control and invisible characters as escapes (visible), so that
// each line's start is nhigate's own.
func (t Text) Render(w io.Writer, r *reviewer.Report) error {
	var buf bytes.Buffer
	t.render(&buf, prepare(r, visible))
	_, err := w.Write(guard(buf.Bytes(), textGuard))
	return err
}

func (t Text) render(w io.Writer, r *reviewer.Report) {
	if r.Scope == reviewer.ScopeCheck {
		fmt.Fprintf(w, "nhigate check\n\n")
	} else {
		fmt.Fprintf(w, "nhigate %s: %s → %s (%s mode)\n\n", r.Scope, r.Base, r.Head, r.Mode)
	}
	totals := Count(r)
	switch {
	case r.Scope == reviewer.ScopeDiff && r.Verdict == reviewer.Pass:
		fmt.Fprintf(w, "%s  risk %s\n", t.paint(bold, "DIFF"), t.risk(r.Diff.Risk()))
	case r.Verdict == reviewer.Pass && r.Scope == reviewer.ScopeCheck:
		fmt.Fprintf(w, "%s\n", t.paint(bold+green, "PASS"))
	case r.Verdict == reviewer.Pass:
		fmt.Fprintf(w, "%s  risk %s\n", t.paint(bold+green, "PASS"), t.risk(r.Diff.Risk()))
	default:
		fmt.Fprintf(w, "%s  %s\n", t.paint(bold+red, "BLOCKED"), strings.Join(r.Reasons, "; "))
	}
	fmt.Fprintf(w, "  %s\n", strings.Join(totals.parts(r), " · "))

	if len(r.Invalid) > 0 {
		fmt.Fprintf(w, "\n%s\n", t.paint(bold, "Invalid specs (fix these first; nothing else is judged for them)"))
		for _, e := range r.Invalid {
			fmt.Fprintf(w, "  %s %s\n", t.paint(red, "✗"), e)
		}
	}
	if len(r.Diff.Governance) > 0 {
		fmt.Fprintf(w, "\n%s\n", t.paint(bold, "Governance files changed"))
		for _, c := range r.Diff.Governance {
			fmt.Fprintf(w, "  %s  %s: %s\n", t.risk(c.Risk), c.File, c.Reason)
		}
	}
	if r.Scope != reviewer.ScopeCheck && len(r.Diff.Identities) == 0 && len(r.Diff.Governance) == 0 && len(r.Invalid) == 0 {
		fmt.Fprintln(w, "\nNo entitlement changes.")
	}
	for _, id := range r.Diff.Identities {
		t.identity(w, r, id)
	}
	if s := omitted(r.Diff); s != "" {
		fmt.Fprintf(w, "\n…and %s\n", s)
	}
	if others := unattached(r); len(others) > 0 {
		title := "Findings in specs without entitlement changes"
		if r.Scope == reviewer.ScopeCheck {
			title = "Findings"
		}
		fmt.Fprintf(w, "\n%s\n", t.paint(bold, title))
		for _, f := range others {
			t.finding(w, f)
		}
	}
	if r.Scope == reviewer.ScopeCheck && len(r.Findings) == 0 && len(r.Invalid) == 0 {
		fmt.Fprintln(w, "\nNo findings.")
	}
	t.approvals(w, r)
}

func (t Text) identity(w io.Writer, r *reviewer.Report, id *diffing.Identity) {
	fmt.Fprintf(w, "\n%s  %s  %s\n", t.paint(bold, id.Name), status(id), t.paint(dim, id.Current().Source.File))
	fmt.Fprintf(w, "  %s · risk %s\n", describe(id), t.risk(id.Risk))
	// Grants and attribute changes align as two blocks: their columns differ.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range id.Changes {
		switch {
		case isGrant(c):
			what := c.Grant.Action + "\t" + c.Grant.Resource
			if c.Grant.Conditions != "" {
				what += " if " + Conditions(c.Grant.Conditions)
			}
			reason := c.Reason
			if len(c.From) > 0 {
				reason = fmt.Sprintf("%s (was %s)", reason, fromText(c))
			}
			fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\n", t.risk(c.Risk), symbol(c.Kind), label(c), what, reason)
		case c.Kind == diffing.IdentityAdded || c.Kind == diffing.IdentityRemoved:
			fmt.Fprintf(tw, "  %s\t%s %s\t%s\t\t%s\n", t.risk(c.Risk), symbol(c.Kind), label(c), id.Name, c.Reason)
		}
	}
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range attributesOf(id) {
		fmt.Fprintf(tw, "  %s\t%s %s\t%s → %s\t%s\n", t.risk(c.Risk), symbol(c.Kind), label(c), orDash(c.Old), orDash(c.New), c.Reason)
	}
	tw.Flush()
	for _, f := range r.FindingsFor(id.Name) {
		t.finding(w, f)
	}
}

func (t Text) finding(w io.Writer, f reviewer.Finding) {
	mark, state := t.paint(red, "✗"), ""
	switch {
	case f.Excepted:
		mark, state = t.paint(dim, "○"), " waived by exception"
	case f.Kind == "warn":
		mark = t.paint(yellow, "!")
	}
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Col)
	}
	fmt.Fprintf(w, "  %s %s%s %s %s%s\n", mark, t.paint(bold, f.Rule), repoNamespace(f), f.Severity, loc, state)
	fmt.Fprintf(w, "      %s\n", f.Message)
	if f.Fix != "" {
		fmt.Fprintf(w, "      %s\n", t.paint(dim, "fix: "+f.Fix))
	}
	if ids := f.Controls.All(); len(ids) > 0 {
		fmt.Fprintf(w, "      %s\n", t.paint(dim, "controls: "+strings.Join(ids, ", ")))
	}
}

func (t Text) approvals(w io.Writer, r *reviewer.Report) {
	if r.Scope != reviewer.ScopeReview {
		return
	}
	fmt.Fprintf(w, "\n%s\n", t.paint(bold, "Approvals"))
	switch {
	case r.Mode == reviewer.MergeQueue:
		fmt.Fprintln(w, "  enforced on each pull request before it joined the merge queue.")
		return
	case r.Approvals == nil:
		fmt.Fprintln(w, "  not checked: this is a local review. In GitHub Actions nhigate also requires these")
		fmt.Fprintln(w, "  approvals, from base's CODEOWNERS, risk tiers and specs; that gate is the one that counts:")
		for _, a := range r.Required {
			fmt.Fprintf(w, "  %s %s\n", t.paint(yellow, "?"), a.Description)
		}
		if len(r.Required) == 0 {
			fmt.Fprintln(w, "  (none would be required)")
		}
		return
	case len(r.Approvals) == 0:
		fmt.Fprintln(w, "  none required.")
		return
	}
	for _, a := range r.Approvals {
		if a.Satisfied {
			fmt.Fprintf(w, "  %s %s: approved by %s\n", t.paint(green, "✓"), a.Description, strings.Join(a.By, ", "))
			continue
		}
		fmt.Fprintf(w, "  %s %s: %s\n", t.paint(red, "✗"), a.Description, a.Reason)
	}
}
