package diffing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/spec"
)

// FoldName is how the diff spells an identity's name in a principal: ASCII
// lower case. Identity names are ASCII (spec validation rejects anything
// else, look-alike letters included), and the platforms nhigate knows treat
// names that differ only in case as the same identity (IAM, GitHub) or
// allow only lower case (Kubernetes, GCP service accounts). Where a
// platform does tell case apart, the diff still rates a differently spelled
// identity as a new one; see caseVariant.
func FoldName(name string) string { return strings.ToLower(name) }

// Principal is what a platform authorises: the platform and the folded
// identity name, as "aws/payments-ci". Access is compared per principal,
// never per file or metadata.name.
func Principal(id spec.Identity) string { return id.Platform + "/" + FoldName(id.Name) }

// Defaults for Options.
const (
	// DefaultMaxListed is how many changes a report lists; it counts the
	// rest by kind and risk.
	DefaultMaxListed = 1000
	// MaxFrom is how many replaced grants a widened or narrowed change
	// lists.
	MaxFrom = 10
)

// Options bound a diff.
type Options struct {
	// MaxGrants limits the grants compared, both sides together, after
	// expanding actions × resources; 0 means no limit.
	MaxGrants int
	// MaxListed limits the changes listed; DefaultMaxListed when 0.
	MaxListed int
	// MaxWork bounds pattern comparisons; DefaultMaxWork when 0.
	MaxWork int64
}

// LimitError says a diff would compare more grants than Options.MaxGrants.
type LimitError struct {
	Grants, Limit int
	// Largest is the workflow that contributes the most grants.
	Largest *spec.Workflow
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the review compares %d grants (actions × resources, base and head together), over the limit of %d", e.Grants, e.Limit)
}

// Compute compares base and head without a limit on grants. See
// Options.Compute.
func Compute(base, head []*spec.Workflow, governance []string) *Diff {
	d, err := Options{}.Compute(base, head, governance)
	if err != nil {
		panic("diffing: Compute without MaxGrants failed: " + err.Error())
	}
	return d
}

// Compute compares the workflows of base and head per principal. base and
// head hold the workflows of the changed files on each side, plus the
// workflows of unchanged files that hold a principal of theirs; a workflow
// of an unchanged file must be the same pointer on both sides. governance
// lists changed files that decide how reviews are judged (config,
// CODEOWNERS, policies).
//
// Where a grant is written never matters: file names, metadata.name, YAML
// or JSON, and how grants are split over workflows do not change the
// classification. A head grant that covers a base grant of its principal is
// widened, whether or not the base grant is still there.
func (o Options) Compute(base, head []*spec.Workflow, governance []string) (*Diff, error) {
	if o.MaxGrants > 0 {
		if n, largest := countGrants(base, head); n > o.MaxGrants {
			return nil, &LimitError{Grants: n, Limit: o.MaxGrants, Largest: largest}
		}
	}
	d := &Diff{Identities: []*Identity{}, Governance: []Change{}}
	for _, p := range slices.Sorted(slices.Values(governance)) {
		d.Governance = append(d.Governance, Change{
			Kind: Governance, File: p, Risk: Critical,
			Reason: "changes the rules that judge reviews; this pull request is still judged by the base version",
		})
	}
	r := newRun(base, head, o.MaxWork)
	r.compare()
	d.Identities = r.identities()
	d.Stats = r.c.stats
	d.limit(cmp.Or(o.MaxListed, DefaultMaxListed))
	return d, nil
}

// Withheld is the diff of a review whose grants were not compared, for
// why (a LimitError): only the governance changes, rated critical as a
// whole, since the access it did not compare may be anything.
func Withheld(governance []string, why string) *Diff {
	d := Compute(nil, nil, governance)
	d.Uncompared = why
	return d
}

// countGrants counts grants as expanded, before duplicates are dropped, so
// that the count costs nothing however large the product.
func countGrants(sides ...[]*spec.Workflow) (int, *spec.Workflow) {
	total, most := 0, 0
	var largest *spec.Workflow
	for _, ws := range sides {
		for _, w := range ws {
			n := 0
			for _, e := range w.Spec.Entitlements {
				n += len(e.Actions) * len(e.Resources)
			}
			total += n
			if n > most {
				most, largest = n, w
			}
		}
	}
	return total, largest
}

// principal is the workflows that hold one principal on each side.
type principal struct {
	key        string
	base, head []*spec.Workflow
	// baseByName and headNames index the workflows by metadata.name;
	// spellings lists how base workflows write the identity's name.
	baseByName map[string]*spec.Workflow
	headNames  map[string]bool
	spellings  map[string]bool
}

func (p *principal) index() {
	p.baseByName, p.headNames, p.spellings = map[string]*spec.Workflow{}, map[string]bool{}, map[string]bool{}
	for _, w := range p.base {
		if p.baseByName[w.Metadata.Name] == nil {
			p.baseByName[w.Metadata.Name] = w
		}
		p.spellings[w.Spec.Identity.Name] = true
	}
	for _, w := range p.head {
		p.headNames[w.Metadata.Name] = true
	}
}

// run is one computation.
type run struct {
	c          *comparer
	base, head []*spec.Workflow
	// unchanged holds the workflows of unchanged files, on both sides.
	unchanged  map[*spec.Workflow]bool
	principals map[string]*principal
	order      []string // principal keys, sorted
	// entry is the report entry of each changed workflow; entries lists
	// them in creation order.
	entry   map[*spec.Workflow]*Identity
	entries []*Identity
	grants  map[*spec.Workflow][]Grant
	fields  map[*spec.Workflow]map[Grant]string
	// ref is the base workflow each changed head workflow is compared
	// with: the same metadata.name and principal, or else the closest base
	// workflow of its principal; nil for a new principal.
	ref map[*spec.Workflow]*spec.Workflow
	// moved lists, per head workflow, base workflows its kept grants come
	// from whose attributes were stricter, riskiest first.
	moved    map[*spec.Workflow][]movedFrom
	attrRisk map[[2]*spec.Workflow]Risk
	// judgedKeys are the catalog judgements charged to the work bound.
	judgedKeys map[judgeKey]bool
}

// movedFrom is a base workflow that a head workflow's grants came from, and
// the risk of the attributes they gained.
type movedFrom struct {
	w    *spec.Workflow
	risk Risk
}

func newRun(base, head []*spec.Workflow, budget int64) *run {
	r := &run{
		c: newComparer(budget), base: base, head: head,
		unchanged: map[*spec.Workflow]bool{}, principals: map[string]*principal{},
		entry: map[*spec.Workflow]*Identity{}, grants: map[*spec.Workflow][]Grant{}, fields: map[*spec.Workflow]map[Grant]string{},
		ref: map[*spec.Workflow]*spec.Workflow{}, moved: map[*spec.Workflow][]movedFrom{},
		attrRisk: map[[2]*spec.Workflow]Risk{}, judgedKeys: map[judgeKey]bool{},
	}
	inBase := map[*spec.Workflow]bool{}
	for _, w := range base {
		inBase[w] = true
	}
	for _, w := range head {
		if inBase[w] {
			r.unchanged[w] = true
		}
	}
	get := func(w *spec.Workflow) *principal {
		k := Principal(w.Spec.Identity)
		p := r.principals[k]
		if p == nil {
			p = &principal{key: k}
			r.principals[k] = p
			r.order = append(r.order, k)
		}
		return p
	}
	for _, w := range base {
		p := get(w)
		p.base = append(p.base, w)
	}
	for _, w := range head {
		p := get(w)
		p.head = append(p.head, w)
	}
	slices.Sort(r.order)
	for _, p := range r.principals {
		p.index()
	}

	// One entry per metadata.name, pairing the base and head workflows of
	// that name; a name that repeats on one side (an error reported
	// elsewhere) gets an entry per workflow.
	byName := map[string]*Identity{}
	place := func(w *spec.Workflow, head bool) {
		if r.unchanged[w] {
			return
		}
		id := byName[w.Metadata.Name]
		if id == nil || head && id.Head != nil || !head && id.Base != nil {
			id = &Identity{Name: w.Metadata.Name}
			if byName[w.Metadata.Name] == nil {
				byName[w.Metadata.Name] = id
			}
			r.entries = append(r.entries, id)
		}
		if head {
			id.Head = w
		} else {
			id.Base = w
		}
		id.Principal = Principal(id.Current().Spec.Identity)
		r.entry[w] = id
	}
	for _, w := range base {
		place(w, false)
	}
	for _, w := range head {
		place(w, true)
	}
	return r
}

func (r *run) norm(w *spec.Workflow) []Grant {
	g, ok := r.grants[w]
	if !ok {
		g = Normalize(w)
		r.grants[w] = g
	}
	return g
}

// grantChange fills in c, a change of a grant that w holds (or held).
func (r *run) grantChange(w *spec.Workflow, c Change, rt rating) Change {
	fields, ok := r.fields[w]
	if !ok {
		fields = grantFields(w)
		r.fields[w] = fields
	}
	field, ok := fields[*c.Grant]
	if !ok {
		field = "spec.entitlements"
	}
	return change(w, field, c, rt)
}

func (r *run) add(w *spec.Workflow, c Change) {
	id := r.entry[w]
	id.Changes = append(id.Changes, c)
}

func (r *run) compare() {
	for _, k := range r.order {
		r.references(r.principals[k])
	}
	for _, k := range r.order {
		r.comparePrincipal(r.principals[k])
	}
	for _, k := range r.order {
		r.compareSpecs(r.principals[k])
	}
}

// references picks the base workflow each changed head workflow of p is
// compared with.
func (r *run) references(p *principal) {
	for _, h := range p.head {
		if r.unchanged[h] {
			continue
		}
		best := p.baseByName[h.Metadata.Name]
		bestScore := [3]int{}
		for _, b := range p.base {
			if best != nil && (bestScore == [3]int{} || r.c.exhausted()) {
				break
			}
			// The closest: the least risky attribute change, then the
			// fewest changes, then the same file.
			changes := r.attributes(b, h)
			score := [3]int{int(maxRisk(changes)), len(changes), 1}
			if b.Source.File == h.Source.File {
				score[2] = 0
			}
			if best == nil || slices.Compare(score[:], bestScore[:]) < 0 {
				best, bestScore = b, score
			}
			if r.c.exhausted() {
				// Any base workflow of the principal will do: one that is
				// not the closest can only show more risk, never less.
				break
			}
		}
		r.ref[h] = best
	}
}

// attributes compares the attributes of two workflows, charging the work.
func (r *run) attributes(b, h *spec.Workflow) []Change {
	r.c.charge(attributeCost)
	changes := compareAttributes(b, h)
	r.attrRisk[[2]*spec.Workflow{b, h}] = maxRisk(changes)
	return changes
}

// attributeCost is the work of comparing the attributes of two workflows.
const attributeCost = 4000

func maxRisk(cs []Change) Risk {
	m := None
	for _, c := range cs {
		m = max(m, c.Risk)
	}
	return m
}

// comparePrincipal classifies the grants of one principal.
func (r *run) comparePrincipal(p *principal) {
	c := r.c
	platform := strings.SplitN(p.key, "/", 2)[0]
	base, head := newGrantSet(FoldResources(platform)), newGrantSet(FoldResources(platform))
	head.resForm = headResources(platform)
	for _, w := range p.base {
		for _, g := range r.norm(w) {
			base.add(c, g, w)
		}
	}
	for _, w := range p.head {
		for _, g := range r.norm(w) {
			head.add(c, g, w)
		}
	}
	c.stats.Grants += len(base.list) + len(head.list)
	base.seal()
	head.seal()
	for _, h := range head.list {
		if b := base.byKey[h.Grant]; b != nil {
			h.other, b.other = b, h
		}
	}
	for _, h := range head.list {
		w := r.changedHolder(h.holders)
		if w == nil {
			continue // only unchanged workflows hold it: it is on both sides
		}
		if h.other != nil {
			r.kept(h, h.other)
			continue
		}
		r.classify(w, h, base)
	}
	for _, b := range base.list {
		if b.other != nil || b.consumed {
			continue
		}
		w := r.changedHolder(b.holders)
		if w == nil {
			continue
		}
		var still *cgrant
		head.coverersOf(c, b, func(h *cgrant) bool {
			if looserConditions(h.conds, b.conds) {
				still = h
				return false
			}
			return true
		})
		switch {
		case still == nil:
			r.add(w, r.grantChange(w, Change{Kind: GrantRemoved, Grant: &b.Grant}, rating{Low, "access removed"}))
		case still.other != nil:
			r.add(w, r.grantChange(w, Change{Kind: GrantRemoved, Grant: &b.Grant}, rating{Low, "redundant grant removed; still granted by " + still.String()}))
		}
		// Covered by a new grant: that grant is reported as a widening.
	}
}

// changedHolder is the first holder of a grant that is not unchanged, or
// nil.
func (r *run) changedHolder(holders []*spec.Workflow) *spec.Workflow {
	for _, w := range holders {
		if !r.unchanged[w] {
			return w
		}
	}
	return nil
}

// classify rates head grant h of changed workflow w, which base does not
// hold as it is.
func (r *run) classify(w *spec.Workflow, h *cgrant, base *grantSet) {
	c := r.c
	var kept *cgrant
	var narrower, conditional []*cgrant
	more := false
	collect := func(list *[]*cgrant, b *cgrant) {
		if len(*list) < MaxFrom {
			*list = append(*list, b)
		} else {
			more = true
		}
	}
	base.coverersOf(c, h, func(b *cgrant) bool {
		switch {
		case !looserConditions(b.conds, h.conds):
			// The same or broader patterns under other conditions: a
			// condition change on kept access, not provably narrower.
			collect(&conditional, b)
		case b.other != nil:
			kept = b
			return false
		default:
			collect(&narrower, b)
		}
		return true
	})
	switch {
	case kept != nil:
		r.add(w, r.grantChange(w, Change{Kind: GrantAdded, Grant: &h.Grant}, rating{Low, "already granted by " + kept.String()}))
		r.kept(h, kept)
		return
	case c.exhausted():
		r.uncompared(w, h, append(narrower, conditional...))
		return
	case len(narrower) > 0:
		from := consume(narrower)
		r.add(w, r.grantChange(w, Change{Kind: GrantNarrowed, Grant: &h.Grant, From: from, FromMore: more}, rating{Low, "access narrowed"}))
		r.kept(h, narrower[0])
		return
	}
	wider := conditional
	base.coveredBy(c, h, func(b *cgrant) bool {
		if !slices.Contains(wider, b) {
			collect(&wider, b)
		}
		return !more
	})
	switch {
	case c.exhausted():
		r.uncompared(w, h, wider)
		return
	case len(wider) > 0:
		rt := r.rateWidened(w, h.Grant)
		if slices.ContainsFunc(conditional, func(b *cgrant) bool { return !looserConditions(h.conds, b.conds) }) {
			rt.reason += "; conditions changed and are not provably narrower"
		}
		r.add(w, r.grantChange(w, Change{Kind: GrantWidened, Grant: &h.Grant, From: consume(wider), FromMore: more}, rt))
		return
	}
	// Neither covers the other. A grant that still shares strings with a
	// base grant extends that grant's reach: split a widening into pieces
	// that each cover nothing ("data/*a", "data/*b", ...) and every piece
	// overlaps the base grant. It is rated as the widening it is part of.
	var over []*cgrant
	base.overlapping(c, h, func(b *cgrant) bool {
		collect(&over, b)
		return !more
	})
	switch {
	case c.exhausted():
		r.uncompared(w, h, over)
	case len(over) > 0:
		rt := r.rateWidened(w, h.Grant)
		rt.reason = "overlaps " + over[0].String() + " without covering it, so it extends that reach: " + rt.reason
		from := make([]Grant, len(over))
		for i, b := range over {
			from[i] = b.Grant
		}
		r.add(w, r.grantChange(w, Change{Kind: GrantWidened, Grant: &h.Grant, From: from, FromMore: more}, rt))
	default:
		r.add(w, r.grantChange(w, Change{Kind: GrantAdded, Grant: &h.Grant}, r.rateAdded(w, h.Grant)))
	}
}

// uncompared rates a grant the work bound left undecided as a widening,
// the highest rating a grant change can get.
func (r *run) uncompared(w *spec.Workflow, h *cgrant, from []*cgrant) {
	rt := r.rateWidened(w, h.Grant)
	rt.reason = "not compared: the review's pattern comparisons reached their work bound, so it is rated as a widening (" + rt.reason + ")"
	r.add(w, r.grantChange(w, Change{Kind: GrantWidened, Grant: &h.Grant, From: consume(from), FromMore: len(from) > 0}, rt))
}

func consume(list []*cgrant) []Grant {
	out := make([]Grant, len(list))
	for i, b := range list {
		b.consumed = true
		out[i] = b.Grant
	}
	return out
}

// kept notes that head grant h is held in base by b's holders. When none of
// them is the workflow h's holder is compared with, the grant moved between
// workflows, and must not gain from the move: the attributes of the
// workflow it left (expiry, environment, credential...) are compared too.
//
// Only the first MaxFrom holders are weighed, and when the work bound is
// reached only the first one: a holder that is not the closest can only
// show more risk, never less.
func (r *run) kept(h, b *cgrant) {
	for _, w := range h.holders {
		if r.unchanged[w] {
			continue
		}
		ref := r.ref[w]
		if ref == nil {
			continue
		}
		if r.c.exhausted() {
			// No work left to look through the holders: compare with the
			// first, which can only show more risk than the closest.
			if from := b.holders[0]; from != ref {
				if risk := r.moveRisk(from, w); risk > Low {
					r.noteMove(w, movedFrom{from, risk})
				}
			}
			continue
		}
		r.c.charge(holderCost * int64(1+len(b.holders)))
		if slices.Contains(b.holders, ref) {
			continue
		}
		var best *spec.Workflow
		bestRisk := Critical + 1
		for _, from := range b.holders[:min(len(b.holders), MaxFrom)] {
			if _, known := r.attrRisk[[2]*spec.Workflow{from, w}]; !known && best != nil && r.c.exhausted() {
				break
			}
			risk := r.moveRisk(from, w)
			if risk < bestRisk {
				best, bestRisk = from, risk
			}
			if bestRisk <= Low {
				break
			}
		}
		if bestRisk > Low {
			r.noteMove(w, movedFrom{best, bestRisk})
		}
	}
}

// moveRisk is the risk of the attributes a grant gains by moving from the
// base workflow from to the head workflow w.
func (r *run) moveRisk(from, w *spec.Workflow) Risk {
	if risk, ok := r.attrRisk[[2]*spec.Workflow{from, w}]; ok {
		return risk
	}
	return maxRisk(r.attributes(from, w))
}

// holderCost is the work of weighing one holder of a grant.
const holderCost = 32

// noteMove keeps, per head workflow, the MaxFrom riskiest workflows its
// grants moved from, which decide the highest risk of the moves.
func (r *run) noteMove(w *spec.Workflow, m movedFrom) {
	list := r.moved[w]
	if slices.ContainsFunc(list, func(x movedFrom) bool { return x.w == m.w }) {
		return
	}
	i, _ := slices.BinarySearchFunc(list, m, func(x, y movedFrom) int { return cmp.Compare(y.risk, x.risk) })
	list = slices.Insert(list, i, m)
	r.moved[w] = list[:min(len(list), MaxFrom)]
}

// compareSpecs adds the changes of each changed workflow of p as a whole:
// its attributes against its reference, and what a new principal, a
// renamed workflow or a differently spelled identity brings.
func (r *run) compareSpecs(p *principal) {
	if len(p.head) == 0 {
		for _, b := range p.base {
			if !r.unchanged[b] {
				r.add(b, change(b, "metadata.name", Change{Kind: IdentityRemoved, Old: b.Metadata.Name}, rating{Low, "identity and all its access removed"}))
			}
		}
		return
	}
	for _, h := range p.head {
		if r.unchanged[h] {
			continue
		}
		id := r.entry[h]
		if id.Base != nil && Principal(id.Base.Spec.Identity) != p.key {
			r.principalChanged(id.Base, h)
		}
		ref := r.ref[h]
		if ref == nil {
			r.add(h, change(h, "metadata.name", Change{Kind: IdentityAdded, New: h.Metadata.Name}, rateIdentityAdded(h)))
			for _, c := range baseline(h) {
				r.add(h, c)
			}
			continue
		}
		own := compareAttributes(ref, h)
		for _, c := range own {
			r.add(h, c)
		}
		if ref.Metadata.Name != h.Metadata.Name {
			r.add(h, r.renamed(p, ref, h))
		} else if ref.Source.File != h.Source.File {
			// A move changes no access, but a reviewer should see it: a
			// moved file may fall under other CODEOWNERS.
			r.add(h, change(h, "metadata.name", Change{Kind: IdentityChanged, Field: "file", Old: ref.Source.File, New: h.Source.File},
				rating{Low, "the spec moved to another file"}))
		}
		if c, ok := caseVariant(p, h, r.norm(h), r.rateAdded); ok {
			r.add(h, c)
		}
		for _, m := range r.moved[h] {
			from := m.w
			for _, c := range compareAttributes(from, h) {
				if c.Risk <= Low || slices.ContainsFunc(own, func(o Change) bool { return o.Field == c.Field && o.New == c.New && o.Risk >= c.Risk }) {
					continue
				}
				c.Reason = "grants moved from " + from.Metadata.Name + " (" + from.Source.File + "): " + c.Reason
				r.add(h, c)
			}
		}
	}
}

// principalChanged reports that the workflow named like base now grants to
// another principal. Each principal's grants are compared on their own;
// this says why the access moved.
func (r *run) principalChanged(base, head *spec.Workflow) {
	b, h := base.Spec.Identity, head.Spec.Identity
	if FoldName(b.Name) != FoldName(h.Name) {
		r.add(head, change(head, "spec.identity.name", Change{Kind: IdentityChanged, Field: "spec.identity.name", Old: b.Name, New: h.Name},
			rating{Medium, "a different identity receives the access"}))
	}
	if b.Platform != h.Platform {
		r.add(head, change(head, "spec.identity.platform", Change{Kind: IdentityChanged, Field: "spec.identity.platform", Old: b.Platform, New: h.Platform},
			rating{High, "the access moves to another platform"}))
	}
}

// renamed notes a head workflow compared with a base workflow of another
// name.
func (r *run) renamed(p *principal, ref, h *spec.Workflow) Change {
	reason := "renamed from " + ref.Metadata.Name + "; its access is compared across every spec of " + p.key
	if p.headNames[ref.Metadata.Name] {
		reason = "a new spec for " + p.key + ", which " + ref.Metadata.Name + " already holds; compared with it"
	}
	return change(h, "metadata.name", Change{Kind: IdentityChanged, Field: "metadata.name", Old: ref.Metadata.Name, New: h.Metadata.Name}, rating{Low, reason})
}

// caseVariant rates a head workflow that spells its identity's name in a
// way no base workflow of the principal does ("CI" for "ci"). The diff
// treats the two as one principal, which is right where the platform
// ignores case; where it does not, the workflow's grants go to a new
// identity, so the change is rated as a new identity with those grants
// would be.
func caseVariant(p *principal, h *spec.Workflow, grants []Grant, rateAdded func(*spec.Workflow, Grant) rating) (Change, bool) {
	name := h.Spec.Identity.Name
	if p.spellings[name] || len(p.base) == 0 {
		return Change{}, false
	}
	was := p.base[0].Spec.Identity.Name
	rt := rateIdentityAdded(h)
	for _, g := range grants {
		if a := rateAdded(h, g); a.risk > rt.risk {
			rt = a
		}
	}
	rt.reason = "spelled differently from the base (" + was + "); where the platform tells case apart this is a new identity, rated as one: " + rt.reason
	return change(h, "spec.identity.name", Change{Kind: IdentityChanged, Field: "spec.identity.name", Old: was, New: name}, rt), true
}

// baseline rates the attributes of a workflow of a new principal by the
// rules a changed workflow meets, as if the base had the strictest values:
// a static credential, no expiry, no automatic revocation and exceptions
// are each a change.
func baseline(h *spec.Workflow) []Change {
	s := h.Spec
	var out []Change
	add := func(kind Kind, field, value string, r rating) {
		out = append(out, change(h, field, Change{Kind: kind, Field: field, New: value}, r))
	}
	if s.Credential.Kind == "static" {
		r := rating{High, "a static credential is introduced"}
		if production(h) {
			r = rating{Critical, "a static credential is introduced in production"}
		}
		add(CredentialChanged, "spec.credential.kind", s.Credential.Kind, r)
	}
	if !s.ExpiresAt.IsSet() {
		add(ExpiryChanged, "spec.expiresAt", "", rating{Critical, "the grant never expires"})
	}
	if (s.Revocation.OnCompletion == nil || !*s.Revocation.OnCompletion) && !s.Revocation.OnTimeout.IsSet() {
		add(RevocationChanged, "spec.revocation", "", rating{High, "nothing revokes the access automatically"})
	}
	if len(s.Exceptions) > 0 {
		add(ExceptionsChanged, "spec.exceptions", strings.Join(exceptionIDs(s.Exceptions), ", "), rating{High, "a policy exception is added or extended"})
	}
	return out
}

// identities sorts each entry's changes and returns the entries that have
// any, riskiest first.
func (r *run) identities() []*Identity {
	out := []*Identity{}
	for _, id := range r.entries {
		if len(id.Changes) == 0 {
			continue
		}
		slices.SortStableFunc(id.Changes, func(a, b Change) int {
			return cmp.Compare(slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind))
		})
		id.Risk = maxRisk(id.Changes)
		out = append(out, id)
	}
	slices.SortStableFunc(out, func(a, b *Identity) int {
		return cmp.Or(cmp.Compare(b.Risk, a.Risk), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// limit lists at most n changes, the riskiest, and counts the rest by kind
// and risk, so that a huge review neither floods the report nor hides its
// risk. Every changed identity stays, with its risk and the number of its
// changes left out.
func (d *Diff) limit(n int) {
	type ref struct{ id, i int }
	var all []ref
	for a, id := range d.Identities {
		for i := range id.Changes {
			all = append(all, ref{a, i})
		}
	}
	if len(all) <= n {
		return
	}
	slices.SortStableFunc(all, func(x, y ref) int {
		return cmp.Compare(d.Identities[y.id].Changes[y.i].Risk, d.Identities[x.id].Changes[x.i].Risk)
	})
	listed := map[ref]bool{}
	for _, x := range all[:n] {
		listed[x] = true
	}
	tally := map[[2]int]int{}
	for a, id := range d.Identities {
		cs := []Change{}
		for i, c := range id.Changes {
			if listed[ref{a, i}] {
				cs = append(cs, c)
				continue
			}
			id.Omitted++
			tally[[2]int{slices.Index(kindOrder, c.Kind), int(c.Risk)}]++
		}
		id.Changes = cs // Risk stays that of every change
	}
	keys := make([][2]int, 0, len(tally))
	for k := range tally {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]int) int { return cmp.Or(cmp.Compare(y[1], x[1]), cmp.Compare(x[0], y[0])) })
	for _, k := range keys {
		d.Omitted = append(d.Omitted, Tally{Kind: kindOrder[k[0]], Risk: Risk(k[1]), Count: tally[k]})
	}
}
