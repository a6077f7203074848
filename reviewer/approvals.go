package reviewer

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/spec"
)

// PullRequest is the approval engine's one narrow view of a pull request.
// The live implementation wraps the GitHub API, fetches lazily and caches
// for one run; tests use pulltest.Context, a struct literal.
type PullRequest interface {
	Info(ctx context.Context) (PRInfo, error)
	// Reviews lists every review, oldest first, as GitHub lists them.
	Reviews(ctx context.Context) ([]Review, error)
	// Commits lists the pull request's commits, with the GitHub logins
	// of their authors and committers. It fails rather than return part
	// of the list.
	Commits(ctx context.Context) ([]Commit, error)
	// IsTeamMember reports whether login is an active member of org/team.
	IsTeamMember(ctx context.Context, org, team, login string) (bool, error)
	// Permission returns login's permission on the pull request's base
	// repository (PRInfo.Repo). A login GitHub does not know has the level
	// "none"; that is an answer, not an error.
	Permission(ctx context.Context, login string) (Permission, error)
}

// PRInfo is what the engine needs to know about the pull request itself.
type PRInfo struct {
	Number int
	// Repo is the base repository, "owner/name". Its owner is the only
	// organisation whose teams can approve.
	Repo    string
	Author  string
	HeadSHA string
	BaseSHA string
	Draft   bool
}

// Review is one submitted (or pending) review.
type Review struct {
	ID       int64
	User     string
	State    string // one of the State constants
	CommitID string // the commit the review was made on
	// SubmittedAt is informational: the order of Reviews decides which
	// review is a user's latest.
	SubmittedAt time.Time
}

// Commit is one commit of a pull request. Author and Committer are the
// GitHub logins GitHub links the commit's author and committer to, or ""
// when it links none.
type Commit struct {
	SHA               string
	Author, Committer string
}

// webFlow is the login GitHub commits as for merges and edits made in its
// web interface; the person behind such a commit is its author.
const webFlow = "web-flow"

// Permission is a user's permission on a repository, as GitHub's
// collaborator permission endpoint answers it.
type Permission struct {
	// Level is GitHub's permission: admin, write, read or none; maintain
	// and triage are read as their names say.
	Level string
	// Role is role_name: admin, maintain, write, triage, read, or the name
	// of a custom role.
	Role string
}

// CanWrite reports whether the permission includes write access, without
// which GitHub does not count an approval toward branch protection. A
// built-in role below write vetoes whatever the level says.
func (p Permission) CanWrite() bool {
	level, role := strings.ToLower(p.Level), strings.ToLower(p.Role)
	switch role {
	case "read", "triage", "none":
		return false
	}
	return level == "admin" || level == "maintain" || level == "write"
}

func (p Permission) String() string {
	level := p.Level
	if level == "" {
		level = "none"
	}
	if p.Role != "" && !strings.EqualFold(p.Role, p.Level) {
		return fmt.Sprintf("permission %s as role %s", level, p.Role)
	}
	return "permission " + level
}

// The review states, as GitHub spells them.
const (
	StateApproved         = "APPROVED"
	StateChangesRequested = "CHANGES_REQUESTED"
	StateCommented        = "COMMENTED"
	StateDismissed        = "DISMISSED"
	StatePending          = "PENDING"
)

// OwnedFile is a changed file with its CODEOWNERS, already resolved.
type OwnedFile struct {
	Path string
	// Owners are "@user", "@org/team" or email addresses; empty means the
	// file is unowned and needs no CODEOWNERS approval.
	Owners []string
}

// ApprovalRules are the approvals a pull request needs.
type ApprovalRules struct {
	// Files are the CODEOWNERS of every changed file; nil when CODEOWNERS
	// approvals are off.
	Files []OwnedFile
	// Tier is the risk level of the diff (diffing.Risk.String()). "none"
	// or "" demands nothing of the tier.
	Tier string
	// TierRule is what that tier demands.
	TierRule config.Tier
	// Specs are the changed specs at head.
	Specs []*spec.Workflow
	// Generators are the logins of bots that never count as approvers.
	Generators []string
	// Base are the base versions of the changed specs. Every exception of
	// Specs that is not identical at base for the same principal is new,
	// and its approvedBy must approve the head commit (see Exception).
	// Their owners and requesters never count where those of Specs do not:
	// changing metadata.owner or metadata.requester moves no one out of
	// the exclusions.
	Base []*spec.Workflow
	// Context are the specs of unchanged files that hold the principal of
	// a changed spec. Their owners own the principal too: with
	// ownerMayApprove false they do not count, like the owners of Specs
	// and Base.
	Context []*spec.Workflow
	// Head, when set, is the commit the rules were computed from. If the
	// pull request has moved on since, Approvals fails rather than count
	// approvals of a commit nobody reviewed here. Callers should set it.
	Head string
}

// Required lists the approval requirements of rules without checking them:
// what a local review can say of who would have to approve. Each is
// unsatisfied, with a reason saying it was not checked. Requirements are
// in Approvals' order and merged as Approvals merges them.
func Required(rules ApprovalRules) []Requirement {
	out := []Requirement{}
	for _, n := range collect(rules) {
		out = append(out, Requirement{
			Description: n.describe(),
			Reason:      "not checked: a local review cannot see the pull request's reviews",
			Exceptions:  n.exceptions,
		})
	}
	return out
}

// Approvals decides which approval requirements the pull request meets. It
// returns every requirement, satisfied or not, in a fixed order: CODEOWNERS
// in file order, then the risk tier, then each spec. Requirements that ask
// the same thing (one approval from the same owners, or the same number of
// approvals under the same exclusions) are merged into one that names all
// its sources.
//
// An error from pr is returned, never read as "not approved": the caller
// must fail closed. With nothing required, the result is empty but not nil,
// and pr is not called.
func Approvals(ctx context.Context, pr PullRequest, rules ApprovalRules) ([]Requirement, error) {
	needs := collect(rules)
	out := []Requirement{}
	if len(needs) == 0 {
		return out, nil
	}
	info, err := pr.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("get pull request: %w", err)
	}
	if info.HeadSHA == "" {
		return nil, fmt.Errorf("get pull request: no head commit, so no approval can be checked")
	}
	if rules.Head != "" && !strings.EqualFold(rules.Head, info.HeadSHA) {
		return nil, fmt.Errorf("the pull request moved from %s to %s during the review; run it again on the new head", short(rules.Head), short(info.HeadSHA))
	}
	reviews, err := pr.Reviews(ctx)
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	commits, err := pr.Commits(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the commits of the pull request: %w", err)
	}
	excluded := exclusions(info, rules, commits)
	run := &approvalRun{
		ctx: ctx, pr: pr, head: info.HeadSHA, repo: info.Repo,
		people:  standings(reviews, excluded),
		static:  excluded,
		members: map[string]bool{},
		perms:   map[string]string{},
	}
	run.org, _, _ = strings.Cut(info.Repo, "/")
	// Only people with write access count, as on GitHub: ask once for
	// each reviewer who would otherwise count.
	for _, p := range run.people {
		if p.state != StateApproved || p.excluded != "" || !strings.EqualFold(p.commit, run.head) {
			continue
		}
		if p.excluded, err = run.writeAccess(p.login); err != nil {
			return nil, err
		}
	}
	for _, n := range needs {
		var r Requirement
		if len(n.owners) > 0 {
			r, err = run.oneOf(n)
		} else {
			r, err = run.atLeast(n)
		}
		if err != nil {
			return nil, err
		}
		r.Exceptions = n.exceptions
		out = append(out, r)
	}
	return out, nil
}

// ownerKind says how an owner can be matched to a reviewer.
type ownerKind int

const (
	invalidOwner ownerKind = iota
	userOwner
	teamOwner
	emailOwner
)

// owner is a parsed "@user", "@org/team" or email address.
type owner struct {
	raw       string
	kind      ownerKind
	login     string // userOwner
	org, team string // teamOwner, lower-cased since GitHub ignores case
}

func parseOwner(s string) owner {
	s = strings.TrimSpace(s)
	o := owner{raw: s}
	switch name, ok := strings.CutPrefix(s, "@"); {
	case ok:
		org, team, isTeam := strings.Cut(name, "/")
		switch {
		case !isTeam && name != "" && !strings.ContainsAny(name, "@ "):
			o.kind, o.login = userOwner, name
		case isTeam && org != "" && team != "" && !strings.ContainsAny(team, "/@ "):
			o.kind, o.org, o.team = teamOwner, strings.ToLower(org), strings.ToLower(team)
		}
	case strings.Count(s, "@") == 1 && !strings.HasSuffix(s, "@") && !strings.Contains(s, " "):
		o.kind = emailOwner
	}
	return o
}

// shown is the owner as written, or "" quoted when it is empty.
func (o owner) shown() string {
	if o.raw == "" {
		return `""`
	}
	return o.raw
}

// key identifies the owner regardless of case.
func (o owner) key() string { return strings.ToLower(o.raw) }

// phrase names who the owner admits, for "is not ..." notes.
func (o owner) phrase() string {
	if o.kind == teamOwner {
		return "a member of " + o.raw
	}
	return o.raw
}

// need is one requirement before it is evaluated.
type need struct {
	key string
	// owners, when set, asks for one approval from any of them; otherwise
	// count approvals from different people are needed, not counting
	// notOwners.
	owners    []owner
	count     int
	notOwners []owner
	sources   []*source
	// exceptions are the spec exceptions the requirement approves.
	exceptions []ExceptionRef
}

// source is where a requirement comes from: "CODEOWNERS of" a list of
// files, "risk tier high", "approvals.required of" a list of specs.
type source struct {
	label string
	items []string
}

func (n *need) from(label, item string) {
	for _, s := range n.sources {
		if s.label == label {
			if item != "" && !slices.Contains(s.items, item) {
				s.items = append(s.items, item)
			}
			return
		}
	}
	s := &source{label: label}
	if item != "" {
		s.items = []string{item}
	}
	n.sources = append(n.sources, s)
}

func oneOf(raw []string) *need {
	n := &need{count: 1}
	var keys []string
	for _, r := range raw {
		o := parseOwner(r)
		if slices.Contains(keys, o.key()) {
			continue
		}
		keys = append(keys, o.key())
		n.owners = append(n.owners, o)
	}
	slices.Sort(keys)
	n.key = "one of\x00" + strings.Join(keys, "\x00")
	return n
}

func atLeast(count int, notOwners []owner) *need {
	keys := make([]string, len(notOwners))
	for i, o := range notOwners {
		keys[i] = o.key()
	}
	slices.Sort(keys)
	return &need{key: fmt.Sprintf("%d\x00%s", count, strings.Join(keys, "\x00")), count: count, notOwners: notOwners}
}

// collect turns the rules into requirements, merging those that ask the
// same thing.
func collect(rules ApprovalRules) []*need {
	var needs []*need
	byKey := map[string]*need{}
	add := func(n *need, label, item string) *need {
		if old, ok := byKey[n.key]; ok {
			n = old
		} else {
			byKey[n.key] = n
			needs = append(needs, n)
		}
		n.from(label, item)
		return n
	}
	for _, f := range rules.Files {
		if len(f.Owners) > 0 {
			add(oneOf(f.Owners), "CODEOWNERS of", f.Path)
		}
	}
	if rules.Tier != "" && rules.Tier != "none" {
		label := "risk tier " + rules.Tier
		for _, a := range rules.TierRule.Approvers {
			add(oneOf([]string{a}), label, "")
		}
		if c := rules.TierRule.MinApprovals; c > 0 {
			var notOwners []owner
			// Like config.Data, an unset ownerMayApprove means false: the
			// stricter reading. The owners are those at head and at base,
			// and of the principal's other specs, so that changing
			// metadata.owner frees no one.
			if may := rules.TierRule.OwnerMayApprove; may == nil || !*may {
				notOwners = specOwners(slices.Concat(rules.Specs, rules.Base, rules.Context))
			}
			add(atLeast(c, notOwners), label, "")
		}
	}
	for _, w := range rules.Specs {
		if w == nil {
			continue
		}
		for _, a := range w.Spec.Approvals.Required {
			add(oneOf([]string{a}), "approvals.required of", specName(w))
		}
		if c := w.Spec.Approvals.MinApprovals; c > 0 {
			add(atLeast(c, nil), "approvals.minApprovals of", specName(w))
		}
	}
	for _, e := range newExceptions(rules.Specs, rules.Base) {
		n := add(oneOf([]string{e.approvedBy}), "exception", e.label)
		n.exceptions = append(n.exceptions, e.ref)
	}
	return needs
}

// specOwners are the distinct metadata.owner of the specs that can be
// matched to reviewers: users and teams.
func specOwners(specs []*spec.Workflow) []owner {
	var out []owner
	for _, w := range specs {
		if w == nil || w.Metadata.Owner == "" {
			continue
		}
		o := parseOwner(w.Metadata.Owner)
		if (o.kind == userOwner || o.kind == teamOwner) &&
			!slices.ContainsFunc(out, func(p owner) bool { return p.key() == o.key() }) {
			out = append(out, o)
		}
	}
	return out
}

func specName(w *spec.Workflow) string {
	switch {
	case w.Metadata.Name != "":
		return w.Metadata.Name
	case w.Source.File != "":
		return w.Source.File
	}
	return "a changed spec"
}

// maxListed bounds the files or specs a description names, so a pull request
// that touches a hundred specs of one team gives one readable line.
const maxListed = 3

func (n *need) describe() string {
	var b strings.Builder
	switch {
	case len(n.owners) == 1:
		fmt.Fprintf(&b, "1 approval from %s", n.owners[0].shown())
	case len(n.owners) > 1:
		fmt.Fprintf(&b, "1 approval from one of %s", raws(n.owners))
	case n.count == 1:
		b.WriteString("1 approval")
	default:
		fmt.Fprintf(&b, "%d approvals from different people", n.count)
	}
	if len(n.notOwners) > 0 {
		fmt.Fprintf(&b, ", not counting the owner %s", raws(n.notOwners))
	}
	parts := make([]string, len(n.sources))
	for i, s := range n.sources {
		parts[i] = s.label
		if len(s.items) > 0 {
			parts[i] += " " + list(s.items, maxListed)
		}
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
	return b.String()
}

func raws(owners []owner) string {
	s := make([]string, len(owners))
	for i, o := range owners {
		s[i] = o.shown()
	}
	return strings.Join(s, ", ")
}

func list(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// exclusions says, for a login, why it never counts: the PR author, a
// generator, a bot, the requester of a changed spec at head or at base
// (separation of duties: the requester is excluded from every requirement,
// not only their own spec's), or someone who authored or committed one of
// the pull request's commits: whoever changed it does not approve it.
func exclusions(info PRInfo, rules ApprovalRules, commits []Commit) func(login string) string {
	pushed := map[string]bool{}
	for _, c := range commits {
		for _, login := range []string{c.Author, c.Committer} {
			if login != "" && !strings.EqualFold(login, webFlow) {
				pushed[strings.ToLower(login)] = true
			}
		}
	}
	requested := map[string][]string{}
	for _, w := range slices.Concat(rules.Specs, rules.Base) {
		if w != nil && w.Metadata.Requester != "" {
			k := strings.ToLower(strings.TrimPrefix(w.Metadata.Requester, "@"))
			if name := specName(w); !slices.Contains(requested[k], name) {
				requested[k] = append(requested[k], name)
			}
		}
	}
	return func(login string) string {
		k := strings.ToLower(login)
		switch {
		case info.Author != "" && k == strings.ToLower(info.Author):
			return "is the PR author"
		case slices.ContainsFunc(rules.Generators, func(g string) bool {
			return strings.EqualFold(strings.TrimPrefix(g, "@"), login)
		}):
			return "is a generator bot"
		case strings.HasSuffix(k, "[bot]"):
			return "is a bot"
		case len(requested[k]) > 0:
			return "is the requester of " + list(requested[k], maxListed)
		case pushed[k]:
			return "pushed commits to this pull request"
		}
		return ""
	}
}

// standing is where one reviewer stands after all their reviews.
type standing struct {
	login    string // as GitHub spells it
	state    string // their latest review that changes their state
	commit   string
	at       time.Time // when the latest such review was submitted
	excluded string    // why they never count, or ""
}

// standings replays the reviews in order. COMMENTED and PENDING reviews
// leave a reviewer's state as it was; any other state replaces it, so a
// later CHANGES_REQUESTED or DISMISSED undoes an approval. A state GitHub
// may add in future also replaces it: failing closed.
func standings(reviews []Review, excluded func(string) string) []*standing {
	byLogin := map[string]*standing{}
	var out []*standing
	for _, r := range reviews {
		state := strings.ToUpper(r.State)
		if r.User == "" || state == StateCommented || state == StatePending || state == "" {
			continue
		}
		// Logins are case-insensitive; the first spelling seen is the one shown.
		k := strings.ToLower(r.User)
		s := byLogin[k]
		if s == nil {
			s = &standing{login: r.User, excluded: excluded(r.User)}
			byLogin[k] = s
			out = append(out, s)
		}
		s.state, s.commit, s.at = state, r.CommitID, r.SubmittedAt
	}
	slices.SortFunc(out, func(a, b *standing) int {
		return cmp.Compare(strings.ToLower(a.login), strings.ToLower(b.login))
	})
	return out
}

func (s *standing) counts(head string) bool {
	return s.state == StateApproved && s.excluded == "" && strings.EqualFold(s.commit, head)
}

// why says why the reviewer does not count; "" if they do.
func (s *standing) why(head string) string {
	switch {
	case s.state == StateApproved && s.excluded != "":
		return s.login + " " + s.excluded
	case s.state == StateApproved && !strings.EqualFold(s.commit, head):
		return fmt.Sprintf("%s's approval is on an older commit (%s)", s.login, short(s.commit))
	case s.state == StateChangesRequested:
		return s.login + " requested changes"
	case s.state == StateDismissed:
		return s.login + "'s review was dismissed"
	case s.state != StateApproved:
		return fmt.Sprintf("%s's latest review is %s, which does not count", s.login, s.state)
	}
	return ""
}

func short(sha string) string {
	if sha == "" {
		return "unknown commit"
	}
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// approvalRun evaluates requirements against one pull request's reviews.
type approvalRun struct {
	ctx  context.Context
	pr   PullRequest
	head string
	// repo is the base repository, "owner/name"; org its owner.
	repo, org string
	people    []*standing // sorted by login
	// static says why a login never counts whatever its permission, or "".
	static  func(login string) string
	members map[string]bool
	// perms holds, by lower-cased login, why a login that was asked about
	// has no write access, or "" when it has.
	perms map[string]string
}

// excluded says why login never counts, or "": static exclusions, and a
// missing write access once it is known.
func (r *approvalRun) excluded(login string) string {
	if why := r.static(login); why != "" {
		return why
	}
	return r.perms[strings.ToLower(login)]
}

// writeAccess asks GitHub once per login whether it can write to the
// repository, and says why not; "" when it can. An error is returned,
// never read as "no".
func (r *approvalRun) writeAccess(login string) (string, error) {
	k := strings.ToLower(login)
	if why, ok := r.perms[k]; ok {
		return why, nil
	}
	p, err := r.pr.Permission(r.ctx, login)
	if err != nil {
		return "", fmt.Errorf("check the permission of %s on %s: %w", login, r.repoName(), err)
	}
	why := ""
	if !p.CanWrite() {
		why = fmt.Sprintf("has no write access to %s (%s)", r.repoName(), p)
	}
	r.perms[k] = why
	return why, nil
}

func (r *approvalRun) repoName() string {
	if r.repo == "" {
		return "the repository"
	}
	return r.repo
}

// foreign reports whether o is a team of an organisation other than the
// repository's. Such a team can never approve: anyone can create an
// organisation and name a team in it.
func (r *approvalRun) foreign(o owner) bool {
	return o.kind == teamOwner && (r.org == "" || !strings.EqualFold(o.org, r.org))
}

// foreignNote says why a team of another organisation cannot approve.
func (r *approvalRun) foreignNote(o owner) string {
	if r.org == "" {
		return o.raw + " cannot approve: the repository's organisation is unknown, so no team can be trusted"
	}
	return fmt.Sprintf("%s is a team of another organisation than %s (the owner of %s): only teams of %s can approve", o.raw, r.org, r.repo, r.org)
}

// isMember asks GitHub once per team and login.
func (r *approvalRun) isMember(o owner, login string) (bool, error) {
	k := o.org + "/" + o.team + "\x00" + strings.ToLower(login)
	if m, ok := r.members[k]; ok {
		return m, nil
	}
	m, err := r.pr.IsTeamMember(r.ctx, o.org, o.team, login)
	if err != nil {
		return false, fmt.Errorf("check whether %s is a member of %s: %w", login, o.raw, err)
	}
	r.members[k] = m
	return m, nil
}

// match returns the first owner that admits login, or nil. Users are tried
// before teams so that a direct match costs no API call. A team of another
// organisation admits no one to approve; when the owners are those who
// may not approve (anyOrg), its members are still found.
func (r *approvalRun) match(login string, owners []owner, anyOrg bool) (*owner, error) {
	for i, o := range owners {
		if o.kind == userOwner && strings.EqualFold(o.login, login) {
			return &owners[i], nil
		}
	}
	for i, o := range owners {
		if o.kind != teamOwner || !anyOrg && r.foreign(o) {
			continue
		}
		m, err := r.isMember(o, login)
		if err != nil {
			return nil, err
		}
		if m {
			return &owners[i], nil
		}
	}
	return nil, nil
}

// oneOf evaluates a requirement for one approval from any of n.owners.
func (r *approvalRun) oneOf(n *need) (Requirement, error) {
	req := Requirement{Description: n.describe()}
	var by, credits []string
	for _, p := range r.people {
		if !p.counts(r.head) {
			continue
		}
		o, err := r.match(p.login, n.owners, false)
		if err != nil {
			return Requirement{}, err
		}
		if o == nil {
			continue
		}
		by = append(by, p.login)
		req.Approvals = append(req.Approvals, Approval{Login: p.login, Satisfies: o.raw, CommitID: r.head, At: p.at})
		if o.kind == teamOwner {
			credits = append(credits, fmt.Sprintf("%s (%s)", p.login, o.raw))
		} else {
			credits = append(credits, p.login)
		}
	}
	if len(by) > 0 {
		req.Satisfied, req.By = true, by
		req.Reason = "approved on the head commit by " + strings.Join(credits, ", ")
		return req, nil
	}

	// Pending: say who could still approve and why the reviews so far do
	// not count.
	var admits []string
	for _, o := range n.owners {
		if o.kind == userOwner || o.kind == teamOwner && !r.foreign(o) {
			admits = append(admits, o.phrase())
		}
	}
	var notes []string
	noted := map[string]bool{}
	for _, p := range r.people {
		if p.counts(r.head) {
			if len(admits) > 0 {
				notes = append(notes, p.login+" approved but is not "+strings.Join(admits, " or "))
			}
			continue
		}
		o, err := r.match(p.login, n.owners, false)
		if err != nil {
			return Requirement{}, err
		}
		if o != nil {
			notes = append(notes, p.why(r.head))
			noted[strings.ToLower(p.login)] = true
		}
	}
	for _, o := range n.owners {
		switch o.kind {
		case userOwner:
			if why := r.excluded(o.login); why != "" {
				if !noted[strings.ToLower(o.login)] {
					notes = append(notes, o.login+" "+why)
				}
				continue
			}
		case teamOwner:
			if r.foreign(o) {
				notes = append(notes, r.foreignNote(o))
				continue
			}
		case emailOwner:
			notes = append(notes, o.raw+" is an email address, which nhigate cannot match to a GitHub login (name the owner as @login or @org/team)")
			continue
		case invalidOwner:
			notes = append(notes, fmt.Sprintf("%q is not an @login, @org/team or email address", o.raw))
			continue
		}
		req.Candidates = append(req.Candidates, o.raw)
	}
	if len(req.Candidates) == 0 {
		notes = append(notes, "no listed owner can approve it")
	}
	req.Reason = "pending: needs 1 approval from "
	if len(n.owners) == 1 {
		req.Reason += n.owners[0].shown()
	} else {
		req.Reason += "one of " + raws(n.owners)
	}
	if len(notes) > 0 {
		req.Reason += "; " + strings.Join(notes, ", ")
	}
	return req, nil
}

// atLeast evaluates a requirement for n.count approvals from different
// people. With notOwners (a tier whose ownerMayApprove is false), the spec
// owner, or any member of the owning team, does not count toward it; they
// still count for every other requirement.
func (r *approvalRun) atLeast(n *need) (Requirement, error) {
	req := Requirement{Description: n.describe()}
	var notes []string
	for _, p := range r.people {
		if !p.counts(r.head) {
			notes = append(notes, p.why(r.head))
			continue
		}
		o, err := r.match(p.login, n.notOwners, true)
		if err != nil {
			return Requirement{}, err
		}
		if o != nil {
			if o.kind == teamOwner {
				notes = append(notes, fmt.Sprintf("%s is a member of the owner %s", p.login, o.raw))
			} else {
				notes = append(notes, p.login+" is the owner")
			}
			continue
		}
		req.By = append(req.By, p.login)
		req.Approvals = append(req.Approvals, Approval{Login: p.login, CommitID: r.head, At: p.at})
	}
	have := len(req.By)
	if have >= n.count {
		req.Satisfied = true
		req.Reason = fmt.Sprintf("approved on the head commit by %s (%d needed)", strings.Join(req.By, ", "), n.count)
		return req, nil
	}
	switch {
	case have == 0 && n.count == 1:
		req.Reason = "pending: needs 1 approval"
	case have == 0:
		req.Reason = fmt.Sprintf("pending: needs %d approvals from different people", n.count)
	default:
		more := "more approvals from different people"
		if n.count-have == 1 {
			more = "more approval from a different person"
		}
		req.Reason = fmt.Sprintf("pending: needs %d %s (%d of %d so far: %s)", n.count-have, more, have, n.count, strings.Join(req.By, ", "))
	}
	if len(notes) > 0 {
		req.Reason += "; " + strings.Join(notes, ", ")
	}
	return req, nil
}
