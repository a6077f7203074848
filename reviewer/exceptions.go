package reviewer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/spec"
)

// An exception in a spec is an approval, not a sentence: its approvedBy is
// written by the same author as the rest of the spec, so it waives nothing
// until the approver it names approved the pull request that brought it.
//
// An exception is identified by the principal it waives a rule for (the
// platform and identity.name, plus the environment, since an exception
// approved for staging was not approved for production) and by every field
// an approver agreed to (rule, approvedBy, expiresAt, reason, ticket). One
// that is identical at base for the same principal is unchanged: it was
// approved when it merged. File names, metadata.name and how specs are split
// into files play no part, so a rename or a move can neither make a new
// exception look old nor an old one look new.

// ExceptionStatus says whether a review may rely on a spec exception.
type ExceptionStatus string

// The statuses.
const (
	// ExceptionUnverified: nothing checked that the approver approved, in
	// a local review or a check. The verdict there does not rest on
	// approvals; the review of the pull request in GitHub Actions does.
	ExceptionUnverified ExceptionStatus = "unverified"
	// ExceptionUnchanged: an identical exception for the same principal is
	// at base; it was approved when it merged.
	ExceptionUnchanged ExceptionStatus = "unchanged"
	// ExceptionApproved: its approver approved the head commit.
	ExceptionApproved ExceptionStatus = "approved"
	// ExceptionWaiting: its approver has not approved the head commit, or
	// never can. The finding it would waive blocks.
	ExceptionWaiting ExceptionStatus = "waiting"
)

// Exception is the spec exception a finding relies on, and whether it may.
type Exception struct {
	Rule       string    `json:"rule"`
	Ticket     string    `json:"ticket,omitempty"`
	ApprovedBy string    `json:"approvedBy"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// Field locates it in its spec, e.g. spec.exceptions[0].
	Field  string          `json:"field"`
	Status ExceptionStatus `json:"status"`
	// Note says the status in words, e.g. "waiting for @acme/security to
	// approve exception SEC-1234 (NHI-CRED-001)".
	Note string `json:"note"`
	// Approvals are the reviews that approved it (status approved): who,
	// the team or login they stood for, and the commit they approved.
	Approvals []Approval `json:"approvals,omitempty"`
}

// ExceptionRef names one exception of a changed spec that an approval
// requirement stands for.
type ExceptionRef struct {
	File string `json:"file"`
	// Doc is the document in File (0-based); Index the entry of its
	// spec.exceptions.
	Doc    int    `json:"doc"`
	Index  int    `json:"index"`
	Rule   string `json:"rule"`
	Ticket string `json:"ticket,omitempty"`
}

// exceptionKey identifies an exception by its principal and by what its
// approver agreed to.
type exceptionKey struct {
	platform, identity, environment         string
	rule, approvedBy, expiresAt, reason, tk string
}

func keyOf(w *spec.Workflow, e spec.Exception) exceptionKey {
	return exceptionKey{
		platform: w.Spec.Identity.Platform, identity: w.Spec.Identity.Name, environment: w.Spec.Environment,
		rule: e.Rule, approvedBy: e.ApprovedBy, expiresAt: e.ExpiresAt.Text, reason: e.Reason, tk: e.Ticket,
	}
}

// exceptionSet holds the exceptions of some specs, by key.
type exceptionSet map[exceptionKey]bool

func exceptionsOf(specs []*spec.Workflow) exceptionSet {
	s := exceptionSet{}
	for _, w := range specs {
		if w == nil {
			continue
		}
		for _, e := range w.Spec.Exceptions {
			s[keyOf(w, e)] = true
		}
	}
	return s
}

// exceptionName names an exception for people: by its ticket when it has
// one, "exception SEC-1234 (NHI-CRED-001)".
func exceptionName(e spec.Exception, index int) string {
	rule := e.Rule
	if rule == "" {
		rule = "an unnamed rule"
	}
	if e.Ticket != "" {
		return fmt.Sprintf("exception %s (%s)", e.Ticket, rule)
	}
	return fmt.Sprintf("exception spec.exceptions[%d] (%s)", index, rule)
}

// approverText is approvedBy as a requirement names it: quoted when it
// is not an @login or @org/team, so that an empty one shows.
func approverText(approvedBy string) string {
	if o := parseOwner(approvedBy); o.kind == userOwner || o.kind == teamOwner {
		return o.raw
	}
	return fmt.Sprintf("%q", approvedBy)
}

// sameRule reports whether an exception's rule names a finding's rule, as
// the policies' waiver does (NHI-CRED-001 waives deny_nhi_cred_001).
func sameRule(exception, finding string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", "_")) }
	return exception != "" && norm(exception) == norm(finding)
}

// docKey names one document of one file.
type docKey struct {
	file string
	doc  int
}

func byDoc(specs []*spec.Workflow) map[docKey]*spec.Workflow {
	m := map[docKey]*spec.Workflow{}
	for _, w := range specs {
		if w != nil {
			m[docKey{w.Source.File, w.Source.Doc}] = w
		}
	}
	return m
}

type refKey struct {
	file       string
	doc, index int
}

// exceptionJudge decides the status of the exceptions of one set of specs.
type exceptionJudge struct {
	mode Mode
	now  time.Time
	// base holds the exceptions already on the branch: unchanged.
	base exceptionSet
	// approvals is nil when approvals were not checked.
	approvals []Requirement
	reqs      map[refKey]*Requirement
	// relied holds exceptions judged elsewhere (the head of the pull
	// request, for its merge result), by key.
	relied map[exceptionKey]*Exception
	// merge is set when judging the merge result, whose exceptions are
	// approved only as the head's or the base branch's are.
	merge bool
}

func newJudge(mode Mode, now time.Time, base []*spec.Workflow, approvals []Requirement) *exceptionJudge {
	j := &exceptionJudge{mode: mode, now: now, base: exceptionsOf(base), approvals: approvals, reqs: map[refKey]*Requirement{}}
	for i := range approvals {
		for _, r := range approvals[i].Exceptions {
			j.reqs[refKey{r.File, r.Doc, r.Index}] = &approvals[i]
		}
	}
	return j
}

// judge decides the status of exception i of w.
func (j *exceptionJudge) judge(w *spec.Workflow, i int) *Exception {
	e := w.Spec.Exceptions[i]
	x := &Exception{
		Rule: e.Rule, Ticket: e.Ticket, ApprovedBy: e.ApprovedBy, ExpiresAt: e.ExpiresAt.UTC(),
		Field: fmt.Sprintf("spec.exceptions[%d]", i),
	}
	name := exceptionName(e, i)
	approver := approverText(e.ApprovedBy)
	k := keyOf(w, e)
	if j.base[k] {
		x.Status, x.Note = ExceptionUnchanged, fmt.Sprintf("waived by %s, unchanged since base, where it was approved", name)
		return x
	}
	if r, ok := j.relied[k]; ok && (r.Status == ExceptionApproved || r.Status == ExceptionUnchanged) {
		x.Status, x.Approvals = r.Status, r.Approvals
		x.Note = fmt.Sprintf("waived by %s, as approved on the pull request", name)
		return x
	}
	switch j.mode {
	case GitHub:
	case MergeQueue:
		x.Status = ExceptionUnverified
		x.Note = fmt.Sprintf("waived by %s if %s approved it on its pull request, which the gate enforced before it joined the merge queue", name, approver)
		return x
	default:
		x.Status = ExceptionUnverified
		x.Note = fmt.Sprintf("waived if %s approves %s; unverified here, since only the review of the pull request in GitHub Actions checks that approval", approver, name)
		return x
	}
	// GitHub: the exception's own requirement decides.
	x.Status = ExceptionWaiting
	x.Note = fmt.Sprintf("waiting for %s to approve %s", approver, name)
	if j.merge {
		x.Note += ": on the merge result it is neither on the base branch nor approved on the pull request's head"
		return x
	}
	var req *Requirement
	if j.approvals != nil {
		req = j.reqs[refKey{w.Source.File, w.Source.Doc, i}]
	}
	switch {
	case j.approvals == nil:
		x.Note += ": approvals could not be checked"
	case req == nil:
		// Every new exception is a requirement; one that is not was
		// missed, and must not waive anything.
		x.Note += ": it is not among the approval requirements"
	case req.Satisfied:
		x.Status, x.Approvals = ExceptionApproved, approvalsOf(req, e.ApprovedBy)
		x.Note = fmt.Sprintf("waived by %s, approved by %s", name, credits(x.Approvals))
	case len(req.Candidates) == 0:
		x.Note += ", which can never happen: " + neverNotes(req.Reason)
	}
	return x
}

// all judges every exception of specs, by key: what the merge result may
// rely on.
func (j *exceptionJudge) all(specs []*spec.Workflow) map[exceptionKey]*Exception {
	m := map[exceptionKey]*Exception{}
	for _, w := range specs {
		if w == nil {
			continue
		}
		for i, e := range w.Spec.Exceptions {
			k := keyOf(w, e)
			if x := j.judge(w, i); better(x, m[k]) {
				m[k] = x
			}
		}
	}
	return m
}

// approvalsOf keeps the approvals that stood for approvedBy: a requirement
// merged with, say, CODEOWNERS of the same team has only those anyway.
func approvalsOf(req *Requirement, approvedBy string) []Approval {
	o := parseOwner(approvedBy)
	var out []Approval
	for _, a := range req.Approvals {
		if a.Satisfies == "" || parseOwner(a.Satisfies).key() == o.key() {
			out = append(out, a)
		}
	}
	if out == nil {
		out = slices.Clone(req.Approvals)
	}
	return out
}

func credits(approvals []Approval) string {
	var s []string
	for _, a := range approvals {
		c := a.Login
		if o := parseOwner(a.Satisfies); o.kind == teamOwner {
			c += " (" + a.Satisfies + ")"
		}
		s = append(s, fmt.Sprintf("%s on %s", c, short(a.CommitID)))
	}
	return strings.Join(s, ", ")
}

// neverNotes says why no one the requirement names can ever approve it,
// from the notes of its pending reason ("pending: ...; note, note"),
// leaving out those about other reviewers.
func neverNotes(reason string) string {
	var keep []string
	if _, after, ok := strings.Cut(reason, "; "); ok {
		for _, n := range strings.Split(after, ", ") {
			if !strings.Contains(n, " approved but is not ") && n != "no listed owner can approve it" {
				keep = append(keep, n)
			}
		}
	}
	if len(keep) == 0 {
		return "no one it names can approve it"
	}
	return strings.Join(keep, ", ")
}

// resolve links each finding that an exception waives to that exception
// and decides whether the waiver holds. A waiver that waits for its
// approver no longer waives: the finding blocks again, and its message
// says whom it waits for.
func (j *exceptionJudge) resolve(findings []Finding, specs []*spec.Workflow) []Finding {
	docs := byDoc(specs)
	out := slices.Clone(findings)
	for i := range out {
		f := &out[i]
		if !f.Excepted {
			continue
		}
		w := docs[docKey{f.File, f.Doc}]
		var best *Exception
		if w != nil {
			for k, e := range w.Spec.Exceptions {
				if !sameRule(e.Rule, f.Rule) || (!j.now.IsZero() && !e.ExpiresAt.After(j.now)) {
					continue
				}
				if x := j.judge(w, k); better(x, best) {
					best = x
				}
			}
		}
		if best == nil {
			// The policies waived the rule, but no exception of the spec
			// names it: nothing vouches for the waiver.
			best = &Exception{Rule: f.Rule, Status: ExceptionWaiting, Note: "no exception of this spec waives " + f.Rule}
			if j.mode != GitHub {
				best.Status = ExceptionUnverified
			}
		}
		f.Exception = best
		f.Message = strings.TrimSpace(f.Message + " — " + best.Note)
		if best.Status == ExceptionWaiting {
			f.Excepted = false
		}
	}
	return out
}

// better prefers an exception the review may rely on, then the one that
// lasts longest, then the first.
func better(x, best *Exception) bool {
	rank := func(e *Exception) int {
		switch e.Status {
		case ExceptionApproved, ExceptionUnchanged:
			return 2
		case ExceptionUnverified:
			return 1
		}
		return 0
	}
	switch {
	case best == nil:
		return true
	case rank(x) != rank(best):
		return rank(x) > rank(best)
	}
	return x.ExpiresAt.After(best.ExpiresAt)
}

// newExceptions lists the exceptions of specs that are not identical at
// base for the same principal: those the pull request adds or changes.
func newExceptions(specs, base []*spec.Workflow) []exceptionNeed {
	old := exceptionsOf(base)
	var out []exceptionNeed
	for _, w := range specs {
		if w == nil {
			continue
		}
		for i, e := range w.Spec.Exceptions {
			if old[keyOf(w, e)] {
				continue
			}
			out = append(out, exceptionNeed{
				approvedBy: e.ApprovedBy,
				label:      fmt.Sprintf("%s in %s", strings.TrimPrefix(exceptionName(e, i), "exception "), specName(w)),
				ref:        ExceptionRef{File: w.Source.File, Doc: w.Source.Doc, Index: i, Rule: e.Rule, Ticket: e.Ticket},
			})
		}
	}
	return out
}

type exceptionNeed struct {
	approvedBy string
	label      string
	ref        ExceptionRef
}
