// Package attest turns a passed review into signed proof: an in-toto
// statement per spec file, signed into a Sigstore bundle, and the checks a
// deployer runs on that bundle before applying the spec.
package attest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// PredicateType identifies an nhigate review attestation.
const PredicateType = "https://nhigate.dev/attestation/review/v1"

// Predicate is what nhigate vouches for about one spec file. It is
// documented, with its JSON Schema, in docs/ATTESTATION.md.
type Predicate struct {
	// Repo is the repository, as OWNER/NAME; empty when unknown (local mode
	// outside GitHub).
	Repo string `json:"repo"`
	// Commit is the revision the file was read from; BaseCommit the one the
	// change was judged against.
	Commit     string `json:"commit"`
	BaseCommit string `json:"baseCommit"`
	// PullRequest is the merged pull request; zero in local mode.
	PullRequest PullRequest `json:"pullRequest"`
	Approvals   Approvals   `json:"approvals"`
	Policy      Policy      `json:"policy"`
	// Workflows are the workflows the file holds, in file order.
	Workflows []Workflow `json:"workflows"`
	// ExpiresAt is the earliest expiry of the file's workflows: after it,
	// the file grants nothing.
	ExpiresAt time.Time `json:"expiresAt"`
	// Exceptions are the spec exceptions the review relied on to pass:
	// each waived a finding about this file.
	Exceptions []Exception `json:"exceptions"`
	// ValidUntil is the earliest of ExpiresAt and the expiry of every
	// exception in Exceptions: the review's verdict holds only until then.
	ValidUntil time.Time `json:"validUntil"`
	// NhigateVersion is the version that reviewed and signed.
	NhigateVersion string `json:"nhigateVersion"`
}

// PullRequest identifies the merged pull request.
type PullRequest struct {
	Number   int    `json:"number"`
	URL      string `json:"url"`
	Author   string `json:"author"`
	MergedBy string `json:"mergedBy"`
}

// Approvals records the approval requirements and who met them.
type Approvals struct {
	// Checked is false when the review ran without GitHub (local mode), so
	// nobody's approval was verified. Verify refuses such a bundle unless
	// told explicitly to accept it.
	Checked      bool          `json:"checked"`
	Requirements []Requirement `json:"requirements"`
}

// Requirement is one approval the change needed.
type Requirement struct {
	Description string     `json:"description"`
	Satisfied   bool       `json:"satisfied"`
	Approvals   []Approval `json:"approvals"`
}

// Approval is one review that counted towards a requirement: who, the
// owner (team or user) it satisfied, the commit reviewed, and when.
type Approval struct {
	Login     string `json:"login"`
	Satisfies string `json:"satisfies,omitempty"`
	Commit    string `json:"commit,omitempty"`
	When      string `json:"when,omitempty"`
}

// Exception is a spec exception the review relied on, and who approved it.
type Exception struct {
	// Identity is the workflow (metadata.name) whose exception it is;
	// Field locates it there, e.g. spec.exceptions[0].
	Identity   string    `json:"identity"`
	Field      string    `json:"field"`
	Rule       string    `json:"rule"`
	Ticket     string    `json:"ticket,omitempty"`
	ApprovedBy string    `json:"approvedBy"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// Status is "approved" (its approvedBy approved the pull request's
	// head), "unchanged" (identical at base, approved when it merged) or,
	// in local mode, "unverified".
	Status string `json:"status"`
	// Approvals are the reviews that approved it: who, the team or login
	// they stood for, and the commit they approved.
	Approvals []Approval `json:"approvals"`
}

// Policy is the outcome of the policy checks.
type Policy struct {
	// Verdict is the review's verdict: "pass" or "blocked".
	Verdict string `json:"verdict"`
	// Digest identifies the policy set that ran.
	Digest string `json:"digest"`
	// Results are the findings about this file's workflows.
	Results []RuleResult `json:"results"`
}

// RuleResult is one policy finding.
type RuleResult struct {
	Rule     string `json:"rule"`
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Identity string `json:"identity"`
	Excepted bool   `json:"excepted"`
}

// Workflow is what one workflow grants, normalized.
type Workflow struct {
	Name         string          `json:"name"`
	Identity     string          `json:"identity"`
	Platform     string          `json:"platform"`
	Environment  string          `json:"environment"`
	Entitlements []diffing.Grant `json:"entitlements"`
	ExpiresAt    time.Time       `json:"expiresAt"`
	Provenance   Provenance      `json:"provenance"`
}

// Provenance is how the workflow was generated.
type Provenance struct {
	Generator    string `json:"generator"`
	PromptSHA256 string `json:"promptSha256"`
}

// Origin is where a review ran: what the report itself does not say.
type Origin struct {
	Repo, Commit, BaseCommit string
	PullRequest              PullRequest
	Version                  string
}

// NewPredicate describes the file path from the review report and the
// workflows read from the file at the reviewed commit.
func NewPredicate(path string, rep *reviewer.Report, workflows []*spec.Workflow, o Origin) (*Predicate, error) {
	p := &Predicate{
		Repo:           o.Repo,
		Commit:         o.Commit,
		BaseCommit:     o.BaseCommit,
		PullRequest:    o.PullRequest,
		Approvals:      Approvals{Checked: rep.Approvals != nil, Requirements: []Requirement{}},
		Policy:         Policy{Verdict: string(rep.Verdict), Digest: rep.PolicyDigest, Results: []RuleResult{}},
		Workflows:      []Workflow{},
		Exceptions:     []Exception{},
		NhigateVersion: o.Version,
	}
	for _, r := range rep.Approvals {
		req := Requirement{Description: r.Description, Satisfied: r.Satisfied, Approvals: []Approval{}}
		for _, a := range r.Approvals {
			req.Approvals = append(req.Approvals, approvalOf(a))
		}
		p.Approvals.Requirements = append(p.Approvals.Requirements, req)
	}
	relied := map[[2]string]bool{}
	for _, f := range rep.Findings {
		if f.File != path {
			continue
		}
		p.Policy.Results = append(p.Policy.Results, RuleResult{Rule: f.Rule, Kind: f.Kind, Severity: f.Severity, Identity: f.Identity, Excepted: f.Excepted})
		if !f.Excepted {
			continue
		}
		x := f.Exception
		if x == nil || x.ExpiresAt.IsZero() {
			// Without it, the bundle could not say until when the waiver,
			// and so the verdict, holds.
			return nil, fmt.Errorf("%s: %s of %s is waived, but the review did not record by which exception", path, f.Rule, f.Identity)
		}
		if k := [2]string{f.Identity, x.Field}; !relied[k] {
			relied[k] = true
			p.Exceptions = append(p.Exceptions, exceptionOf(f.Identity, x))
		}
	}
	for _, w := range workflows {
		if w.Source.File != path {
			continue
		}
		if !w.Spec.ExpiresAt.IsSet() {
			return nil, fmt.Errorf("%s: workflow %s has no expiresAt; nhigate signs only access that ends", path, w.Metadata.Name)
		}
		grants := diffing.Normalize(w)
		if grants == nil {
			grants = []diffing.Grant{}
		}
		exp := w.Spec.ExpiresAt.UTC()
		p.Workflows = append(p.Workflows, Workflow{
			Name:         w.Metadata.Name,
			Identity:     w.Spec.Identity.Name,
			Platform:     w.Spec.Identity.Platform,
			Environment:  w.Spec.Environment,
			Entitlements: grants,
			ExpiresAt:    exp,
			Provenance:   Provenance{Generator: w.Metadata.Provenance.Generator, PromptSHA256: w.Metadata.Provenance.PromptSHA256},
		})
		if p.ExpiresAt.IsZero() || exp.Before(p.ExpiresAt) {
			p.ExpiresAt = exp
		}
	}
	if len(p.Workflows) == 0 {
		return nil, fmt.Errorf("%s holds no workflow to attest", path)
	}
	p.ValidUntil = p.ExpiresAt
	for _, x := range p.Exceptions {
		if x.ExpiresAt.Before(p.ValidUntil) {
			p.ValidUntil = x.ExpiresAt
		}
	}
	return p, nil
}

func exceptionOf(identity string, x *reviewer.Exception) Exception {
	e := Exception{
		Identity: identity, Field: x.Field, Rule: x.Rule, Ticket: x.Ticket, ApprovedBy: x.ApprovedBy,
		ExpiresAt: x.ExpiresAt.UTC(), Status: string(x.Status), Approvals: []Approval{},
	}
	for _, a := range x.Approvals {
		e.Approvals = append(e.Approvals, approvalOf(a))
	}
	return e
}

func approvalOf(a reviewer.Approval) Approval {
	when := ""
	if !a.At.IsZero() {
		when = a.At.UTC().Format(time.RFC3339)
	}
	return Approval{Login: a.Login, Satisfies: a.Satisfies, Commit: a.CommitID, When: when}
}

// Statement builds the in-toto statement about the file at path with the
// given exact content.
func Statement(path string, content []byte, p *Predicate) (*intoto.Statement, error) {
	if path == "" {
		return nil, fmt.Errorf("statement: empty subject path")
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	pred := &structpb.Struct{}
	if err := pred.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Name: path, Digest: map[string]string{"sha256": Digest(content)}}},
		PredicateType: PredicateType,
		Predicate:     pred,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	return st, nil
}

// Digest is the hex sha256 of content, as statement subjects carry it.
func Digest(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// Files lists the files the workflows come from, sorted and distinct.
func Files(workflows []*spec.Workflow) []string {
	var files []string
	for _, w := range workflows {
		files = append(files, w.Source.File)
	}
	slices.Sort(files)
	return slices.Compact(files)
}
