// Package reviewer decides whether a change to a policy repo may pass: it
// combines the entitlement diff, the policy findings and the approval state
// into a Report. It is pure; renderers in package output turn a Report into
// text, Markdown, JSON and the formats CI systems read.
package reviewer

import (
	"fmt"
	"slices"
	"time"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/spec"
)

// SchemaVersion is the version of the JSON report. It changes only when a
// field is removed or changes meaning.
const SchemaVersion = 1

// Verdict is the outcome of a review.
type Verdict string

// The verdicts. There is no "warn": a review passes or it does not.
const (
	Pass    Verdict = "pass"
	Blocked Verdict = "blocked"
)

// Mode says where the review ran, which decides whether approvals were
// checked.
type Mode string

// The modes.
const (
	// Local reviews two revisions or directories without GitHub. Approvals
	// are not checked; the gate that counts runs in Actions.
	Local Mode = "local"
	// GitHub reviews a pull request with its reviews and team memberships.
	GitHub Mode = "github"
	// MergeQueue reviews a merge group: the diff and the policies again,
	// while approvals were enforced on each pull request before it joined.
	MergeQueue Mode = "merge-queue"
)

// Scope is what a report covers.
type Scope string

// The scopes.
const (
	ScopeDiff   Scope = "diff"
	ScopeReview Scope = "review"
	// ScopeCheck judges files on their own, without a base to compare.
	ScopeCheck Scope = "check"
)

// Report is the whole decision with its reasons.
type Report struct {
	SchemaVersion int     `json:"schemaVersion"`
	Verdict       Verdict `json:"verdict"`
	// Reasons say why the review is blocked, one line each; empty on pass.
	Reasons []string `json:"reasons"`
	Mode    Mode     `json:"mode"`
	// Scope says what ran: ScopeDiff shows only the diff, ScopeReview adds
	// policies and approvals.
	Scope Scope  `json:"scope"`
	Base  string `json:"base"`
	Head  string `json:"head"`

	// Risk is the diff's highest risk: "none" when nothing changed.
	Risk diffing.Risk `json:"risk"`
	// Files is the number of changed files that hold specs.
	Files int           `json:"specFilesChanged"`
	Diff  *diffing.Diff `json:"diff"`
	// Invalid lists specs that could not be read or are malformed. They are
	// never judged further, and always block.
	Invalid []*spec.Error `json:"invalid"`
	// Findings are the policy results, in file order.
	Findings []Finding `json:"findings"`
	// PolicyDigest identifies the policy set that produced Findings.
	PolicyDigest string `json:"policyDigest,omitempty"`
	// Approvals is nil when approvals were not checked (local mode).
	Approvals []Requirement `json:"approvals"`
}

// Finding is one policy result about one workflow.
type Finding struct {
	Rule     string   `json:"rule"`
	Title    string   `json:"title,omitempty"` // the rule's title, from the catalog
	Kind     string   `json:"kind"`            // "deny" or "warn"
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
	Identity string   `json:"identity,omitempty"` // workflow metadata.name
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Col      int      `json:"col,omitempty"`
	Field    string   `json:"field,omitempty"`
	Controls Controls `json:"controls"`
	// Excepted is set when a valid exception in the spec waives the rule.
	Excepted bool `json:"excepted,omitempty"`
}

// Blocking reports whether the finding stops the review.
func (f Finding) Blocking() bool { return f.Kind == "deny" && !f.Excepted }

// Controls are the control frameworks a rule maps to.
type Controls struct {
	OWASPNHI []string `json:"owaspNhi,omitempty"`
	NISTCSF  []string `json:"nistCsf,omitempty"`
	MAESTRO  []string `json:"maestro,omitempty"`
	AIRMF    []string `json:"aiRmf,omitempty"`
}

// All lists every control id, frameworks in a fixed order.
func (c Controls) All() []string {
	return slices.Concat(c.OWASPNHI, c.NISTCSF, c.MAESTRO, c.AIRMF)
}

// Requirement is one approval the change needs.
type Requirement struct {
	// Description says what is required, e.g. "1 approval from @acme/security
	// (CODEOWNERS of identities/vault/)".
	Description string `json:"description"`
	Satisfied   bool   `json:"satisfied"`
	// By lists who satisfied it; Candidates who still could.
	By         []string `json:"by,omitempty"`
	Candidates []string `json:"candidates,omitempty"`
	Reason     string   `json:"reason"`
	// Approvals are the reviews that count toward it, for attestations.
	Approvals []Approval `json:"approvals,omitempty"`
}

// Approval is one review that counts toward a requirement.
type Approval struct {
	Login string `json:"login"`
	// Satisfies is the owner the approver stands for ("@acme/security"),
	// empty for a requirement that only counts people.
	Satisfies string    `json:"satisfies,omitempty"`
	CommitID  string    `json:"commitId"`
	At        time.Time `json:"at,omitzero"`
}

// Input is what a review decides on.
type Input struct {
	Mode       Mode
	Scope      Scope
	Base, Head string
	Files      int
	Diff       *diffing.Diff
	Invalid    spec.Errors
	Findings   []Finding
	// PolicyDigest identifies the policy set; empty when none ran.
	PolicyDigest string
	// Approvals is nil when approvals were not checked.
	Approvals []Requirement
	// Strict blocks on warnings too.
	Strict bool
	// FailOnRisk blocks when the diff's risk is at or above it; None never
	// blocks. Outside GitHub no approvals are enforced, so it is what stops
	// a critical change there.
	FailOnRisk diffing.Risk
}

// Decide builds the report. It fails closed: anything it cannot vouch for
// blocks.
func Decide(in Input) *Report {
	r := &Report{
		SchemaVersion: SchemaVersion,
		Mode:          in.Mode,
		Scope:         in.Scope,
		Base:          in.Base,
		Head:          in.Head,
		Files:         in.Files,
		Diff:          in.Diff,
		Invalid:       in.Invalid,
		Findings:      in.Findings,
		PolicyDigest:  in.PolicyDigest,
		Approvals:     in.Approvals,
		Reasons:       []string{},
	}
	if r.Diff == nil {
		r.Diff = &diffing.Diff{Identities: []*diffing.Identity{}, Governance: []diffing.Change{}}
	}
	if r.Invalid == nil {
		r.Invalid = spec.Errors{}
	}
	r.Risk = r.Diff.Risk()
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if n := len(r.Invalid); n > 0 {
		r.Reasons = append(r.Reasons, plural(n, "spec is invalid or unsafe to read", "specs are invalid or unsafe to read"))
	}
	if n := r.PolicyFailures(); n > 0 {
		r.Reasons = append(r.Reasons, plural(n, "policy check failed", "policy checks failed"))
	}
	if in.FailOnRisk > diffing.None && r.Risk >= in.FailOnRisk {
		r.Reasons = append(r.Reasons, fmt.Sprintf("risk %s is at or above --fail-on-risk %s", r.Risk, in.FailOnRisk))
	}
	if n := r.Warnings(); in.Strict && n > 0 {
		r.Reasons = append(r.Reasons, plural(n, "warning (--fail-on-warn)", "warnings (--fail-on-warn)"))
	}
	if r.Mode == GitHub && r.Approvals == nil {
		r.Reasons = append(r.Reasons, "approvals could not be checked")
	}
	if n := r.PendingApprovals(); n > 0 {
		r.Reasons = append(r.Reasons, plural(n, "approval requirement is pending", "approval requirements are pending"))
	}
	r.Verdict = Pass
	if len(r.Reasons) > 0 {
		r.Verdict = Blocked
	}
	return r
}

// PolicyFailures counts the blocking findings.
func (r *Report) PolicyFailures() int {
	n := 0
	for _, f := range r.Findings {
		if f.Blocking() {
			n++
		}
	}
	return n
}

// Warnings counts the findings that do not block.
func (r *Report) Warnings() int {
	n := 0
	for _, f := range r.Findings {
		if f.Kind == "warn" && !f.Excepted {
			n++
		}
	}
	return n
}

// PendingApprovals counts unsatisfied requirements.
func (r *Report) PendingApprovals() int {
	n := 0
	for _, a := range r.Approvals {
		if !a.Satisfied {
			n++
		}
	}
	return n
}

// FindingsFor returns the findings about one workflow.
func (r *Report) FindingsFor(identity string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Identity == identity {
			out = append(out, f)
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
