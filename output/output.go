// Package output renders a reviewer.Report in the formats people and CI
// systems read. Each format implements Renderer and is picked by name.
package output

import (
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
)

// Renderer writes a report in one format.
type Renderer interface {
	Render(w io.Writer, r *reviewer.Report) error
}

// Options tune renderers that have choices.
type Options struct {
	// Version is nhigate's version, for formats that name the tool.
	Version string
	// Color enables ANSI colour in the text format. The CLI sets it only for
	// a terminal without NO_COLOR.
	Color bool
}

// Totals are the counts a report's headline shows.
type Totals struct {
	Specs, Added, Widened, Narrowed, Removed, Failures, Warnings, Pending int
}

// Count sums a report up.
func Count(r *reviewer.Report) Totals {
	return Totals{
		Specs:    r.Files,
		Added:    r.Diff.Count(diffing.GrantAdded),
		Widened:  r.Diff.Count(diffing.GrantWidened),
		Narrowed: r.Diff.Count(diffing.GrantNarrowed),
		Removed:  r.Diff.Count(diffing.GrantRemoved),
		Failures: r.PolicyFailures(),
		Warnings: r.Warnings(),
		Pending:  r.PendingApprovals(),
	}
}

// parts lists the headline counts, leaving out what does not apply.
func (t Totals) parts(r *reviewer.Report) []string {
	if r.Scope == reviewer.ScopeCheck {
		out := []string{plural(t.Specs, "spec file", "spec files"), plural(t.Failures, "failure", "failures")}
		out = append(out, plural(t.Warnings, "warning", "warnings"))
		if len(r.Invalid) > 0 {
			out = append(out, plural(len(r.Invalid), "invalid spec", "invalid specs"))
		}
		return out
	}
	out := []string{
		plural(t.Specs, "spec file changed", "spec files changed"),
		plural(t.Added, "grant added", "grants added"),
		fmt.Sprintf("%d widened", t.Widened),
	}
	if t.Narrowed > 0 {
		out = append(out, fmt.Sprintf("%d narrowed", t.Narrowed))
	}
	out = append(out, fmt.Sprintf("%d removed", t.Removed))
	if r.Scope == reviewer.ScopeReview {
		out = append(out, plural(t.Failures, "policy failure", "policy failures"))
		if t.Warnings > 0 {
			out = append(out, plural(t.Warnings, "warning", "warnings"))
		}
		if r.Approvals == nil {
			out = append(out, "approvals not checked")
		} else {
			out = append(out, plural(t.Pending, "approval pending", "approvals pending"))
		}
	}
	if len(r.Invalid) > 0 {
		out = append(out, plural(len(r.Invalid), "invalid spec", "invalid specs"))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Symbols mark the kinds of change in every format.
func symbol(k diffing.Kind) string {
	switch k {
	case diffing.GrantAdded, diffing.IdentityAdded:
		return "+"
	case diffing.GrantRemoved, diffing.IdentityRemoved:
		return "-"
	case diffing.GrantWidened:
		return "▲"
	case diffing.GrantNarrowed:
		return "▼"
	}
	return "~"
}

// label is the short name of a change kind as a reviewer reads it.
func label(c diffing.Change) string {
	switch c.Kind {
	case diffing.Governance:
		return "governance"
	case diffing.IdentityAdded:
		return "new identity"
	case diffing.IdentityRemoved:
		return "identity removed"
	case diffing.GrantAdded:
		return "added"
	case diffing.GrantWidened:
		return "widened"
	case diffing.GrantNarrowed:
		return "narrowed"
	case diffing.GrantRemoved:
		return "removed"
	}
	return strings.TrimPrefix(strings.TrimPrefix(c.Field, "spec."), "metadata.")
}

func isGrant(c diffing.Change) bool { return c.Grant != nil }

// grantsOf and attributesOf split an identity's changes for tables.
func grantsOf(id *diffing.Identity) []diffing.Change {
	var out []diffing.Change
	for _, c := range id.Changes {
		if isGrant(c) {
			out = append(out, c)
		}
	}
	return out
}

func attributesOf(id *diffing.Identity) []diffing.Change {
	var out []diffing.Change
	for _, c := range id.Changes {
		if !isGrant(c) && c.Kind != diffing.IdentityAdded && c.Kind != diffing.IdentityRemoved {
			out = append(out, c)
		}
	}
	return out
}

// status says whether an identity is new, removed or changed.
func status(id *diffing.Identity) string {
	switch {
	case id.Base == nil:
		return "new"
	case id.Head == nil:
		return "removed"
	}
	return "changed"
}

// describe is a one-line description of an identity.
func describe(id *diffing.Identity) string {
	w := id.Current()
	s := w.Spec
	parts := []string{
		fmt.Sprintf("%s %s for %s", s.Identity.Platform, s.Identity.Type, s.Identity.Consumer),
		s.Environment,
	}
	cred := s.Credential.Kind
	if s.Credential.TTL.IsSet() {
		cred += " " + s.Credential.TTL.Text
	}
	parts = append(parts, cred+" credential")
	if s.ExpiresAt.IsSet() {
		parts = append(parts, "expires "+s.ExpiresAt.Text)
	} else {
		parts = append(parts, "no expiry")
	}
	return strings.Join(parts, " · ")
}

func expiryOf(id *diffing.Identity, c diffing.Change) string {
	w := id.Head
	if c.Kind == diffing.GrantRemoved || w == nil {
		w = id.Base
	}
	if !w.Spec.ExpiresAt.IsSet() {
		return "never"
	}
	return w.Spec.ExpiresAt.Text
}

// repoNamespace names the Rego package of a repo policy's finding, as
// conftest does ("[org.tags]"); built-in rules carry ids of their own.
func repoNamespace(f reviewer.Finding) string {
	if f.Namespace == "" || strings.HasPrefix(f.Namespace, "nhigate.") {
		return ""
	}
	return " [" + f.Namespace + "]"
}

// MaxConditionsShown is how many bytes of a grant's conditions a report
// shows per change. Every grant of an entitlement carries its conditions,
// so a report listing a thousand changes would repeat a large object a
// thousand times; longer conditions are shown as their first bytes, their
// size and a digest that tells two apart. The JSON report lists each such
// object whole, once, under its digest (see JSON).
const MaxConditionsShown = 160

// Conditions is how a text or Markdown report shows a grant's conditions
// (canonical JSON).
func Conditions(cond string) string {
	short, _ := conditionsRef(cond, 6)
	return short
}

// conditionsRef shortens conditions longer than MaxConditionsShown to their
// first bytes, size and the first n bytes of their SHA-256, returned as
// "sha256:<hex>" in digest; short ones come back whole, with no digest.
func conditionsRef(cond string, n int) (short, digest string) {
	if len(cond) <= MaxConditionsShown {
		return cond, ""
	}
	cut := MaxConditionsShown - 40
	for cut > 0 && !utf8.RuneStart(cond[cut]) {
		cut--
	}
	sum := sha256.Sum256([]byte(cond))
	digest = fmt.Sprintf("sha256:%x", sum[:n])
	return fmt.Sprintf("%s… (%d bytes, %s)", cond[:cut], len(cond), digest), digest
}

func fromText(c diffing.Change) string {
	var parts []string
	for _, f := range c.From {
		if f.Action != c.Grant.Action {
			parts = append(parts, f.Action)
		}
		if f.Resource != c.Grant.Resource {
			parts = append(parts, f.Resource)
		}
		if f.Conditions != c.Grant.Conditions {
			cond := Conditions(f.Conditions)
			if cond == "" {
				cond = "{}"
			}
			parts = append(parts, "if "+cond)
		}
	}
	return strings.Join(slices.Compact(parts), ", ")
}

// omitted says what a bounded report leaves out, counted by kind and risk,
// or "" when it lists every change.
func omitted(d *diffing.Diff) string {
	if len(d.Omitted) == 0 {
		return ""
	}
	parts := make([]string, len(d.Omitted))
	for i, t := range d.Omitted {
		parts[i] = fmt.Sprintf("%d %s %s", t.Count, t.Risk, t.Kind)
	}
	return fmt.Sprintf("%s not listed, to keep the report bounded: %s. The risk and the counts above include them.",
		plural(d.OmittedCount(), "more change is", "more changes are"), strings.Join(parts, ", "))
}

// unattached lists the findings that no shown identity carries: every
// finding of a check, and in a review those about specs whose grants did
// not change.
func unattached(r *reviewer.Report) []reviewer.Finding {
	shown := map[string]bool{}
	for _, id := range r.Diff.Identities {
		shown[id.Name] = true
	}
	var out []reviewer.Finding
	for _, f := range r.Findings {
		if !shown[f.Identity] {
			out = append(out, f)
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// ErrWriter keeps the first write error, so that a renderer can write
// freely and check once, at the end, in Err.
type ErrWriter struct {
	W   io.Writer
	Err error
}

func (e *ErrWriter) Write(p []byte) (int, error) {
	if e.Err != nil {
		return len(p), nil
	}
	_, e.Err = e.W.Write(p)
	return len(p), nil
}
