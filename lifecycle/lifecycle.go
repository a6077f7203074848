// Package lifecycle finds access that should end or change: grants past or
// near their expiry, expired exceptions, static credentials overdue for
// rotation and identities with no way to be revoked. It is pure: the caller
// supplies the workflows, the clock and each file's last change in history.
package lifecycle

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/nhigate/nhigate/spec"
)

// Kind is what a sweep found.
type Kind string

// The kinds of findings, in the order of their urgency within one time.
const (
	// GrantExpired is a workflow past its expiresAt: its access must go.
	GrantExpired Kind = "grant-expired"
	// GrantExpiring is a workflow whose expiresAt falls within the window.
	GrantExpiring Kind = "grant-expiring"
	// ExceptionExpired is a waiver past its expiry; its rule applies again.
	ExceptionExpired Kind = "exception-expired"
	// RotationOverdue is a static credential older than its rotation
	// period, judged from the last change of its file.
	RotationOverdue Kind = "rotation-overdue"
	// RotationDue is a static credential due for rotation within the window.
	RotationDue Kind = "rotation-due"
	// RotationUnknown is a static credential whose age cannot be judged,
	// because its file has no known last change (a directory, a shallow
	// clone or a history longer than the walk).
	RotationUnknown Kind = "rotation-unknown"
	// NoRevocation is an identity whose access has no end: no expiresAt, no
	// revocation on completion and no revocation on timeout.
	NoRevocation Kind = "no-revocation"
)

// Item is one finding.
type Item struct {
	Kind Kind `json:"kind"`
	// Identity is the workflow's metadata.name.
	Identity string `json:"identity"`
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	// Field is the spec field the finding is about, e.g. "spec.expiresAt".
	Field string `json:"field"`
	// When is the deadline that passed or approaches; zero when there is
	// none (no revocation path, unknown age).
	When time.Time `json:"when,omitzero"`
	// Overdue says that action is needed now, not merely soon.
	Overdue bool `json:"overdue"`
	// Rule is the waived rule, for an exception.
	Rule string `json:"rule,omitempty"`
	// Exception is the index of the exception in spec.exceptions, for an
	// exception; -1 otherwise.
	Exception int `json:"-"`
	// Action is a sentence saying what to do.
	Action string `json:"action"`
}

// Report is the outcome of a sweep.
type Report struct {
	Now    time.Time     `json:"now"`
	Within time.Duration `json:"-"`
	Items  []Item        `json:"items"`
}

// Overdue counts the items that need action now.
func (r *Report) Overdue() int {
	n := 0
	for _, it := range r.Items {
		if it.Overdue {
			n++
		}
	}
	return n
}

// Sweep judges the workflows as of now. lastChanged holds, per file, the
// time of the last commit that changed it; a file missing there has an
// unknown age. within is how far ahead an approaching deadline is reported.
//
// An identity with no revocation path is overdue: its access never ends on
// its own, so every sweep must say so until someone gives it an end.
func Sweep(workflows []*spec.Workflow, lastChanged map[string]time.Time, now time.Time, within time.Duration) Report {
	r := Report{Now: now, Within: within, Items: []Item{}}
	horizon := now.Add(within)
	for _, w := range workflows {
		at := func(kind Kind, field string, when time.Time, overdue bool, action string) Item {
			return Item{Kind: kind, Identity: w.Metadata.Name, File: w.Source.File, Line: w.Source.Position(field).Line,
				Field: field, When: when, Overdue: overdue, Exception: -1, Action: action}
		}
		s := w.Spec
		if exp := s.ExpiresAt; exp.IsSet() {
			switch {
			case !exp.After(now):
				r.Items = append(r.Items, at(GrantExpired, "spec.expiresAt", exp.Time, true, fmt.Sprintf(
					"revoke the access of %s and remove the workflow from %s: the grant ended at %s (nhigate sweep --open-pr proposes the removal)",
					identityName(w), w.Source.File, stamp(exp.Time))))
			case !exp.After(horizon):
				r.Items = append(r.Items, at(GrantExpiring, "spec.expiresAt", exp.Time, false, fmt.Sprintf(
					"renew it through a reviewed pull request before %s if the access is still needed; otherwise let it lapse",
					stamp(exp.Time))))
			}
		}
		for i, e := range s.Exceptions {
			if e.ExpiresAt.IsSet() && !e.ExpiresAt.After(now) {
				field := fmt.Sprintf("spec.exceptions[%d].expiresAt", i)
				it := at(ExceptionExpired, field, e.ExpiresAt.Time, true, fmt.Sprintf(
					"remove the expired exception to %s, or renew it with a new expiry and approval; until then %s applies again",
					e.Rule, e.Rule))
				it.Rule, it.Exception = e.Rule, i
				r.Items = append(r.Items, it)
			}
		}
		if s.Credential.Kind == "static" && s.Credential.Rotation.IsSet() && s.Credential.Rotation.Duration > 0 {
			field := "spec.credential.rotation"
			rot := s.Credential.Rotation
			changed, known := lastChanged[w.Source.File]
			due := changed.Add(rot.Duration)
			switch {
			case !known:
				r.Items = append(r.Items, at(RotationUnknown, field, time.Time{}, false,
					"rotate it if in doubt: its age is unknown because the history read holds no change of its file; sweep a git revision with full history (in Actions, check out with fetch-depth: 0)"))
			case !due.After(now):
				r.Items = append(r.Items, at(RotationOverdue, field, due, true, fmt.Sprintf(
					"rotate the static credential and commit the change: the file last changed at %s and the rotation period is %s; better, move to an ephemeral credential",
					stamp(changed), rot.Text)))
			case !due.After(horizon):
				r.Items = append(r.Items, at(RotationDue, field, due, false, fmt.Sprintf(
					"rotate the static credential before %s and commit the change", stamp(due))))
			}
		}
		rev := s.Revocation
		if !s.ExpiresAt.IsSet() && (rev.OnCompletion == nil || !*rev.OnCompletion) && !(rev.OnTimeout.IsSet() && rev.OnTimeout.Duration > 0) {
			r.Items = append(r.Items, at(NoRevocation, "spec.revocation", time.Time{}, true,
				"give the access an end: set spec.expiresAt, and revocation.onCompletion: true or revocation.onTimeout"))
		}
	}
	slices.SortStableFunc(r.Items, func(a, b Item) int {
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		return cmp.Or(a.When.Compare(b.When), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Kind, b.Kind))
	})
	return r
}

func identityName(w *spec.Workflow) string {
	if w.Spec.Identity.Name != "" {
		return w.Spec.Identity.Name
	}
	return w.Metadata.Name
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
