package output

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nhigate/nhigate/lifecycle"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// The results of the commands that print something other than a review
// report. Their JSON carries a schemaVersion and camelCase keys, as the
// report's does; their text is masked (SafeText) and their Markdown
// escaped (Escape, Code), as the report's is.

// ResultSchemaVersion is the schemaVersion of the command results.
const ResultSchemaVersion = 1

// VerifyResult is what nhigate verify prints.
type VerifyResult struct {
	SchemaVersion int          `json:"schemaVersion"`
	Verified      bool         `json:"verified"`
	Results       []VerifyItem `json:"results"`
}

// VerifyItem is one spec's outcome.
type VerifyItem struct {
	Spec      string     `json:"spec"`
	Bundle    string     `json:"bundle"`
	Verified  bool       `json:"verified"`
	Reason    string     `json:"reason,omitempty"`
	Error     string     `json:"error,omitempty"`
	Signer    string     `json:"signer,omitempty"`
	Commit    string     `json:"commit,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// ValidUntil is when the verdict stops holding: ExpiresAt, or earlier
	// when an exception the review relied on expires first.
	ValidUntil *time.Time `json:"validUntil,omitempty"`
	Approvers  []string   `json:"approvers,omitempty"`
}

func verifyText(w io.Writer, res *VerifyResult) error {
	return safeText(w, func(w io.Writer) {
		for _, r := range res.Results {
			if !r.Verified {
				fmt.Fprintf(w, "FAIL  %s: %s\n", r.Spec, r.Error)
				continue
			}
			valid, expires := "", "-"
			if r.ExpiresAt != nil {
				expires = r.ExpiresAt.Format(time.RFC3339)
				if r.ValidUntil != nil && r.ValidUntil.Before(*r.ExpiresAt) {
					valid = fmt.Sprintf(", valid until %s (an exception it relies on expires then)", r.ValidUntil.Format(time.RFC3339))
				}
			}
			approvers := "no one (approvals unchecked)"
			if len(r.Approvers) > 0 {
				approvers = strings.Join(r.Approvers, ", ")
			}
			fmt.Fprintf(w, "ok    %s: signed by %s at %s, approved by %s, expires %s%s\n", r.Spec, r.Signer, shortSHA(r.Commit), approvers, expires, valid)
		}
	})
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// SweepResult is what nhigate sweep prints: the sweep and what it read.
type SweepResult struct {
	lifecycle.Report
	Revision string `json:"revision"`
	Within   string `json:"within"`
	// Files is the number of spec files swept.
	Files int `json:"files"`
	// Invalid specs could not be judged; they block like overdue items.
	Invalid spec.Errors `json:"invalid"`
}

// Blocked says whether the sweep needs action: an overdue item or a spec
// it could not read.
func (r *SweepResult) Blocked() bool { return r.Overdue() > 0 || len(r.Invalid) > 0 }

func (r *SweepResult) headline() string {
	soon := len(r.Items) - r.Overdue()
	parts := []string{fmt.Sprintf("%d overdue", r.Overdue()), fmt.Sprintf("%d due soon", soon)}
	if len(r.Invalid) > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable", len(r.Invalid)))
	}
	parts = append(parts, fmt.Sprintf("%d spec files swept", r.Files))
	return strings.Join(parts, " · ")
}

func (r *SweepResult) verdict() string {
	switch {
	case r.Blocked():
		return "ACTION NEEDED"
	case len(r.Items) > 0:
		return "OK, with deadlines ahead"
	}
	return "OK"
}

// SweepWhen is an item's deadline as reports show it.
func SweepWhen(it lifecycle.Item) string {
	if it.When.IsZero() {
		return "-"
	}
	return it.When.UTC().Format(time.RFC3339)
}

func sweepStatus(it lifecycle.Item) string {
	if it.Overdue {
		return "overdue"
	}
	return "soon"
}

func sweepJSON(w io.Writer, r *SweepResult) error {
	return WriteJSON(w, struct {
		SchemaVersion int `json:"schemaVersion"`
		*SweepResult
		OverdueCount int `json:"overdue"`
	}{ResultSchemaVersion, r, r.Overdue()})
}

func sweepText(w io.Writer, r *SweepResult) error {
	return safeText(w, func(w io.Writer) {
		fmt.Fprintf(w, "nhigate sweep: %s as of %s, looking %s ahead\n", r.Revision, r.Now.UTC().Format(time.RFC3339), r.Within)
		fmt.Fprintf(w, "%s: %s\n", r.verdict(), r.headline())
		if len(r.Items) > 0 {
			fmt.Fprintln(w)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, it := range r.Items {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d\t%s\n", sweepStatus(it), it.Kind, it.Identity, it.File, it.Line, SweepWhen(it))
				fmt.Fprintf(tw, "\t→ %s\n", it.Action)
			}
			tw.Flush()
		}
		for _, e := range r.Invalid {
			fmt.Fprintf(w, "\nunreadable %s\n  → fix the spec: a sweep cannot judge what it cannot read\n", e)
		}
	})
}

func sweepMarkdown(w io.Writer, r *SweepResult) error {
	r = Redact(r)
	ew := &ErrWriter{W: w}
	fmt.Fprintf(ew, "## nhigate sweep: %s\n\n%s, as of `%s`, looking %s ahead at %s.\n", r.verdict(), r.headline(),
		r.Now.UTC().Format(time.RFC3339), r.Within, Code(r.Revision))
	if len(r.Items) > 0 {
		fmt.Fprint(ew, "\n| | finding | identity | where | when | what to do |\n|---|---|---|---|---|---|\n")
		for _, it := range r.Items {
			fmt.Fprintf(ew, "| %s | `%s` | %s | %s | %s | %s |\n", sweepStatus(it), it.Kind, Code(it.Identity),
				Code(fmt.Sprintf("%s:%d", it.File, it.Line)), SweepWhen(it), Escape(it.Action))
		}
	}
	if len(r.Invalid) > 0 {
		fmt.Fprint(ew, "\n### Unreadable specs\n\n")
		for _, e := range r.Invalid {
			fmt.Fprintf(ew, "- %s\n", Code(e.Error()))
		}
	}
	return ew.Err
}

// ProposalLabel marks the pull requests a generator proposed.
const ProposalLabel = "nhigate:generated"

// ProposeResult is what nhigate propose prints: what one run did.
type ProposeResult struct {
	SchemaVersion int `json:"schemaVersion"`
	// Policies says whose config and policies judged the specs.
	Policies  string      `json:"policies"`
	Repo      string      `json:"repo,omitempty"`
	DryRun    bool        `json:"dryRun"`
	Opened    bool        `json:"opened"`
	Proposals []*Proposal `json:"proposals"`
}

// Proposal is one spec on its way to a pull request.
type Proposal struct {
	Spec         string `json:"spec"` // the file named on the command line
	Name         string `json:"name"`
	Path         string `json:"path"` // where the spec goes in the repo
	Branch       string `json:"branch"`
	Title        string `json:"title"`
	Body         string `json:"body"`
	Draft        bool   `json:"draft"`
	PromptSHA256 string `json:"promptSha256"`
	GeneratedAt  string `json:"generatedAt"`
	// Failures say why the spec may not merge; empty when it passes.
	Failures []string `json:"failures"`
	// Content is the stamped spec as committed.
	Content     string      `json:"content"`
	PullRequest *OpenedPull `json:"pullRequest,omitempty"`
}

// OpenedPull is a pull request propose opened.
type OpenedPull struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
}

func proposeText(w io.Writer, res *ProposeResult) error {
	return safeText(w, func(w io.Writer) {
		fmt.Fprintf(w, "nhigate propose: judged by the %s\n", res.Policies)
		for _, pr := range res.Proposals {
			verdict := "pass"
			if len(pr.Failures) > 0 {
				verdict = "FAILING"
			}
			fmt.Fprintf(w, "\n%s → %s: %s\n", pr.Spec, orNone(pr.Path), verdict)
			for _, f := range pr.Failures {
				fmt.Fprintf(w, "  ✗ %s\n", f)
			}
			if pr.Branch == "" || len(pr.Failures) > 0 && !pr.Draft {
				continue // refused: there is nothing to open
			}
			fmt.Fprintf(w, "  branch        %s\n  title         %s\n  promptSha256  %s\n  generatedAt   %s\n", pr.Branch, pr.Title, pr.PromptSHA256, pr.GeneratedAt)
			switch {
			case pr.PullRequest != nil:
				kind := "pull request"
				if pr.Draft {
					kind = "draft pull request"
				}
				fmt.Fprintf(w, "  opened %s #%d: %s\n", kind, pr.PullRequest.Number, pr.PullRequest.URL)
			case res.DryRun:
				fmt.Fprintf(w, "  dry run: would open a pull request in %s labelled %s with this body:\n\n", orNone(res.Repo), ProposalLabel)
				for _, line := range strings.Split(strings.TrimSuffix(pr.Body, "\n"), "\n") {
					fmt.Fprintf(w, "    %s\n", line)
				}
			case res.Repo == "":
				fmt.Fprintln(w, "  nothing opened: name the repository with --github-repo")
			}
		}
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// OwnersResult is what nhigate owners prints.
type OwnersResult struct {
	SchemaVersion int    `json:"schemaVersion"`
	Revision      string `json:"revision"`
	// CODEOWNERS is where the file was found; empty when there is none.
	CODEOWNERS string       `json:"codeowners"`
	Paths      []PathOwners `json:"paths"`
	// Invalid are the lines GitHub skips.
	Invalid []OwnersLineError `json:"invalid"`
	// Locations are where CODEOWNERS was looked for.
	Locations []string `json:"-"`
}

// PathOwners are the owners of one path.
type PathOwners struct {
	Path   string   `json:"path"`
	Owners []string `json:"owners"`
	// Line and Pattern are the rule that matched; Line is 0 when none did.
	Line    int    `json:"line,omitempty"`
	Pattern string `json:"pattern,omitempty"`
}

// OwnersLineError is a CODEOWNERS line GitHub skips.
type OwnersLineError struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

func ownersText(w io.Writer, res *OwnersResult) error {
	return safeText(w, func(w io.Writer) {
		if res.CODEOWNERS == "" {
			fmt.Fprintf(w, "%s has no CODEOWNERS (looked in %s): every path is unowned\n", res.Revision, strings.Join(res.Locations, ", "))
		} else {
			fmt.Fprintf(w, "CODEOWNERS: %s at %s\n", res.CODEOWNERS, res.Revision)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, po := range res.Paths {
			switch {
			case po.Line == 0:
				fmt.Fprintf(tw, "%s\t(unowned)\tno rule matches\n", po.Path)
			case len(po.Owners) == 0:
				fmt.Fprintf(tw, "%s\t(unowned)\t%s:%d: %s lists no owners\n", po.Path, res.CODEOWNERS, po.Line, po.Pattern)
			default:
				fmt.Fprintf(tw, "%s\t%s\t%s:%d: %s\n", po.Path, strings.Join(po.Owners, " "), res.CODEOWNERS, po.Line, po.Pattern)
			}
		}
		tw.Flush()
	})
}

// PoliciesResult is what nhigate policies prints: the built-in rules and
// the repo's own.
type PoliciesResult struct {
	SchemaVersion int          `json:"schemaVersion"`
	Rules         []PolicyRule `json:"rules"`
	RepoRules     []RepoRule   `json:"repoRules"`
	// From is the config that names the repo's policy directories.
	From string `json:"-"`
	// Reference is the built-in rules' reference in Markdown, as the
	// policies package documents them; the Markdown format prints it.
	Reference string `json:"-"`
}

// PolicyRule is a built-in rule, with the keys the report's findings use.
type PolicyRule struct {
	ID        string            `json:"id"`
	Namespace string            `json:"namespace"`
	Kind      string            `json:"kind"`
	Title     string            `json:"title"`
	Severity  string            `json:"severity"`
	Waivable  bool              `json:"waivable"`
	Fix       string            `json:"fix"`
	Controls  reviewer.Controls `json:"controls"`
}

// RepoRule is a deny, violation or warn rule of the repo's own policies.
type RepoRule struct {
	Namespace string `json:"namespace"`
	Rule      string `json:"rule"`
	Kind      string `json:"kind"`
}

func policiesText(w io.Writer, res *PoliciesResult) error {
	return safeText(w, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tKIND\tSEVERITY\tTITLE\tCONTROLS")
		for _, r := range res.Rules {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Severity, r.Title, strings.Join(r.Controls.All(), ", "))
		}
		for _, r := range res.RepoRules {
			fmt.Fprintf(tw, "%s [%s]\t%s\t(its results say)\trepo rule from %s\t\n", r.Rule, r.Namespace, r.Kind, res.From)
		}
		tw.Flush()
	})
}

func policiesMarkdown(w io.Writer, res *PoliciesResult) error {
	ew := &ErrWriter{W: w}
	io.WriteString(ew, res.Reference)
	if len(res.RepoRules) > 0 {
		fmt.Fprintf(ew, "\n## Repo rules (from %s)\n\n| rule | namespace | kind |\n|---|---|---|\n", Escape(res.From))
		for _, r := range res.RepoRules {
			fmt.Fprintf(ew, "| %s | %s | %s |\n", Escape(r.Rule), Escape(r.Namespace), Escape(r.Kind))
		}
	}
	return ew.Err
}
