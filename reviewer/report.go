// Package reviewer decides whether a change to a policy repo may pass: it
// combines the entitlement diff, the policy findings and the approval state
// into a Report. It is pure; renderers in package output turn a Report into
// text, Markdown, JSON and the formats CI systems read.
package reviewer

import (
	"fmt"
	"slices"
	"strings"
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
	// Judged are the spec files the policies judged, sorted, for formats
	// that list passing checks too (JUnit).
	Judged []string `json:"-"`
	// FailOnRisk is the risk at or above which the change blocks (None:
	// only invalid specs, policies and approvals block), for formats that
	// fail each risky change on its own (JUnit).
	FailOnRisk diffing.Risk `json:"-"`
	// PolicyDigest identifies the policy set that produced Findings.
	PolicyDigest string `json:"policyDigest,omitempty"`
	// Required lists, in a local review, the approvals the pull request
	// would need in GitHub Actions, none of them checked; nil otherwise.
	// They never block: the gate that checks them runs in Actions.
	Required []Requirement `json:"requiredApprovals,omitempty"`
	// Approvals is nil when approvals were not checked (local mode).
	Approvals []Requirement `json:"approvals"`
	// Merge is the policy check of the merge result of the pull request
	// with its base branch, when it ran (GitHub mode on a pull request).
	Merge *MergeReport `json:"merge,omitempty"`
}

// MergeReport is what the policies found on the merge result: the
// refs/pull/N/merge commit, which is what merging deploys.
type MergeReport struct {
	// Commit is the merge commit; Base the base branch it merges into.
	Commit string `json:"commit"`
	Base   string `json:"base"`
	// Failures are the blocking findings on the merge result that the
	// head alone does not have.
	Failures []Finding `json:"failures"`
	// Invalid lists merged specs that cannot be read.
	Invalid []*spec.Error `json:"invalid"`
}

// Finding is one policy result about one workflow.
type Finding struct {
	Rule string `json:"rule"`
	// Namespace is the Rego package of the rule, as conftest reports it
	// (nhigate.credential, or a repo policy's own).
	Namespace string   `json:"namespace,omitempty"`
	Title     string   `json:"title,omitempty"` // the rule's title, from the catalog
	Kind      string   `json:"kind"`            // "deny" or "warn"
	Severity  string   `json:"severity"`
	Message   string   `json:"message"`
	Fix       string   `json:"fix,omitempty"`
	Identity  string   `json:"identity,omitempty"` // workflow metadata.name
	File      string   `json:"file"`
	Line      int      `json:"line,omitempty"`
	Col       int      `json:"col,omitempty"`
	Field     string   `json:"field,omitempty"`
	Controls  Controls `json:"controls"`
	// Excepted is set when a valid exception in the spec waives the rule.
	// In GitHub mode an exception waives only once its approver approved
	// the head commit (or it is unchanged since base); until then
	// Excepted is false and Exception says whom it waits for.
	Excepted bool `json:"excepted,omitempty"`
	// Exception is the spec exception that waives, or would waive, the
	// rule: set by Decide when the review knows the specs.
	Exception *Exception `json:"exception,omitempty"`
	// Doc is the document of File the finding is about (0-based).
	Doc int `json:"-"`
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
	// Exceptions are the spec exceptions whose approvedBy it asks for.
	Exceptions []ExceptionRef `json:"exceptions,omitempty"`
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
	// Required are the approvals a local review would need; see
	// Report.Required.
	Required []Requirement
	// Strict blocks on warnings too.
	Strict bool
	// FailOnRisk blocks when the diff's risk is at or above it; None never
	// blocks. Outside GitHub no approvals are enforced, so it is what stops
	// a critical change there.
	FailOnRisk diffing.Risk

	// Specs are the workflows the findings are about, and BaseSpecs the
	// base versions of the changed ones (none for a check, which has no
	// base). With Specs, Decide links each waived finding to its
	// exception and decides whether the waiver holds (see Exception);
	// without, findings stay as the policies left them.
	Specs, BaseSpecs []*spec.Workflow
	// Now is the time exceptions are judged at; zero skips the check of
	// their expiry here (the policies made it).
	Now time.Time
	// Merge is the policy check of the merge result, when one ran.
	Merge *MergeInput
}

// MergeInput is the policy check of a pull request's merge result.
type MergeInput struct {
	// Commit is the merge commit, Base the base branch (e.g. "main").
	Commit, Base string
	Findings     []Finding
	Invalid      spec.Errors
	// Specs are the specs the merge changes on the base branch, and
	// BaseSpecs their versions there (the merge's first parent).
	Specs, BaseSpecs []*spec.Workflow
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
		Required:      in.Required,
		FailOnRisk:    in.FailOnRisk,
		Reasons:       []string{},
	}
	if r.Diff == nil {
		r.Diff = &diffing.Diff{Identities: []*diffing.Identity{}, Governance: []diffing.Change{}}
	}
	if in.PolicyDigest != "" {
		for _, w := range in.Specs {
			r.Judged = append(r.Judged, w.Source.File)
		}
		slices.Sort(r.Judged)
		r.Judged = slices.Compact(r.Judged)
	}
	if r.Invalid == nil {
		r.Invalid = spec.Errors{}
	}
	r.Risk = r.Diff.Risk()
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	var judged map[exceptionKey]*Exception
	if in.Specs != nil {
		j := newJudge(in.Mode, in.Now, in.BaseSpecs, in.Approvals)
		r.Findings = j.resolve(r.Findings, in.Specs)
		judged = j.all(in.Specs)
	}
	waiting := r.WaitingExceptions()
	var merged *MergeReport
	if in.Merge != nil {
		// What fails only on the merge result joins the findings and the
		// invalid specs, so that every format shows it; the reasons count
		// it on its own.
		merged = merge(in, judged, r.Findings)
		r.Merge = merged
		r.Findings = slices.Concat(r.Findings, merged.Failures)
		r.Invalid = slices.Concat(r.Invalid, merged.Invalid)
	}
	// Counted per file: one broken manifest has many errors, but it is
	// one file to fix.
	if n := files(in.Invalid); n > 0 {
		r.Reasons = append(r.Reasons, plural(n, "spec file is invalid or unsafe to read", "spec files are invalid or unsafe to read"))
	}
	if n := r.PolicyFailures() - merged.failures(); n > 0 {
		r.Reasons = append(r.Reasons, plural(n, "policy check failed", "policy checks failed"))
	}
	if waiting > 0 {
		r.Reasons = append(r.Reasons, plural(waiting, "exception waits for its approver", "exceptions wait for their approvers"))
	}
	if n := merged.failures(); n > 0 {
		r.Reasons = append(r.Reasons, plural(n, "policy check fails on "+merged.where(), "policy checks fail on "+merged.where()))
	}
	if n := merged.invalid(); n > 0 {
		r.Reasons = append(r.Reasons, plural(n, "spec is invalid on "+merged.where(), "specs are invalid on "+merged.where()))
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

// WaitingExceptions counts the findings whose exception waits for its
// approver.
func (r *Report) WaitingExceptions() int {
	n := 0
	for _, f := range r.Findings {
		if f.Exception != nil && f.Exception.Status == ExceptionWaiting {
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

// merge judges the merge result: its findings, with their exceptions
// approved only as the head's (judged) or the base branch's are, and
// keeps the blocking ones that the head's findings do not have.
func merge(in Input, judged map[exceptionKey]*Exception, head []Finding) *MergeReport {
	m := in.Merge
	out := &MergeReport{Commit: m.Commit, Base: m.Base, Failures: []Finding{}, Invalid: spec.Errors{}}
	for _, e := range m.Invalid {
		if slices.ContainsFunc(in.Invalid, func(h *spec.Error) bool { return *h == *e }) {
			continue // invalid at head already
		}
		c := *e
		c.Msg = "on " + out.where() + ": " + c.Msg
		out.Invalid = append(out.Invalid, &c)
	}
	j := newJudge(in.Mode, in.Now, m.BaseSpecs, nil)
	j.relied, j.merge = judged, true
	merged := j.resolve(m.Findings, m.Specs)
	type key struct{ rule, identity, message string }
	atHead := map[key]bool{}
	for i, f := range head {
		if f.Blocking() {
			atHead[key{f.Rule, f.Identity, in.Findings[i].Message}] = true
		}
	}
	for i, f := range merged {
		if f.Blocking() && !atHead[key{f.Rule, f.Identity, m.Findings[i].Message}] {
			f.Message = "fails on " + out.where() + ": " + f.Message
			out.Failures = append(out.Failures, f)
		}
	}
	return out
}

// where names the merge result for people: "the merge result with main
// (1a2b3c4)". It goes into the reasons, which carry no untrusted text: a
// branch name with anything but letters, digits and "._/-" is not shown.
func (m *MergeReport) where() string {
	base := m.Base
	if base == "" || strings.Trim(base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") != "" {
		base = "the base branch"
	}
	return fmt.Sprintf("the merge result with %s (%s)", base, short(m.Commit))
}

func (m *MergeReport) failures() int {
	if m == nil {
		return 0
	}
	return len(m.Failures)
}

func (m *MergeReport) invalid() int {
	if m == nil {
		return 0
	}
	return files(m.Invalid)
}

// files counts the distinct files of errs.
func files(errs spec.Errors) int {
	seen := map[string]bool{}
	for _, e := range errs {
		seen[e.File] = true
	}
	return len(seen)
}
