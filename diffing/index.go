package diffing

import (
	"slices"
	"strings"

	"github.com/nhigate/nhigate/spec"
)

// DefaultMaxWork bounds the pattern comparisons of one diff, in work units
// of about a nanosecond each. Honest reviews use a small fraction of it: the
// index below hands each grant only the few grants whose literal text could
// relate to it. Inputs built to defeat the index run out of it instead, and
// the grants left undecided are rated as widenings, never lower.
const DefaultMaxWork = 1_500_000_000

// Stats count the work of a diff, so that tests can bound it by counting
// rather than by timing.
type Stats struct {
	// Grants is the number of grants compared, both sides together.
	Grants int
	// Candidates is the number of grant pairs the index proposed.
	Candidates int
	// Covers is the number of pattern comparisons run (each pair of
	// patterns is compared at most once).
	Covers int
	// Work is the work spent on comparisons, in units of about a nanosecond.
	Work int64
	// Undecided is the number of coverage questions the search could not
	// decide (inputs built to blow it up); each was answered the way that
	// rates the change higher.
	Undecided int
	// Overlaps is the number of pattern intersections computed.
	Overlaps int
	// Judgements is the number of grants whose patterns were judged
	// against the catalog for the first time.
	Judgements int
	// Exhausted says the work bound was reached: some grants were rated as
	// widenings without being compared.
	Exhausted bool
}

// comparer compiles each pattern and each set of conditions once, and
// compares patterns under a work budget.
type comparer struct {
	patterns map[patternKey]*compiled
	memo     map[[2]*compiled]bool
	// unsure remembers the pairs whose coverage the search could not
	// decide; overlap remembers pattern intersections.
	unsure  map[[2]*compiled]bool
	overlap map[[2]*compiled]bool
	conds   map[string][]condition
	budget  int64
	stats   Stats
}

type patternKey struct {
	text string
	fold bool
}

// compiled is a pattern with the literal text that any pattern it covers, or
// that covers it, must share.
type compiled struct {
	Pattern
	// prefix and suffix are the literal tokens before the first and after
	// the last wildcard (the whole pattern when it has none), encoded so
	// that a token prefix is a string prefix; runs are all the maximal runs
	// of literal tokens, encoded the same way.
	prefix, suffix string
	runs           []string
	exact          bool
}

func newComparer(budget int64) *comparer {
	if budget <= 0 {
		budget = DefaultMaxWork
	}
	return &comparer{
		patterns: map[patternKey]*compiled{},
		memo:     map[[2]*compiled]bool{},
		unsure:   map[[2]*compiled]bool{},
		overlap:  map[[2]*compiled]bool{},
		conds:    map[string][]condition{},
		budget:   budget,
	}
}

func (c *comparer) pattern(s string, fold bool) *compiled {
	k := patternKey{s, fold}
	if p, ok := c.patterns[k]; ok {
		return p
	}
	p := &compiled{Pattern: ParsePattern(s, fold)}
	toks := p.toks
	first := slices.IndexFunc(toks, ptoken.wild)
	if first < 0 {
		p.exact = true
		p.prefix = encodeTokens(toks)
		p.suffix = p.prefix
	} else {
		last := len(toks) - 1
		for toks[last].literal() {
			last--
		}
		p.prefix = encodeTokens(toks[:first])
		p.suffix = encodeTokens(toks[last+1:])
	}
	for start := 0; start < len(toks); {
		end := start
		for end < len(toks) && toks[end].literal() {
			end++
		}
		if end > start {
			p.runs = append(p.runs, encodeTokens(toks[start:end]))
		}
		start = end + 1
	}
	c.patterns[k] = p
	return p
}

// runsFit is a necessary condition for p to cover q that costs no search:
// each run of literals in p lies within a run of literals in q. (Let every
// wildcard of q produce a character that no literal equals: p must still
// match, and its literals can then only fall on q's.)
func runsFit(p, q *compiled) bool {
	for _, r := range p.runs {
		if !slices.ContainsFunc(q.runs, func(s string) bool { return strings.Contains(s, r) }) {
			return false
		}
	}
	return true
}

// encodeTokens writes literal tokens as UTF-8, and an undecodable byte as
// 0xFF and the byte, which no UTF-8 contains: one token sequence is a prefix
// (or suffix) of another exactly when its encoding is.
func encodeTokens(toks []ptoken) string {
	var b strings.Builder
	for _, t := range toks {
		if t < 0 {
			b.WriteByte(0xFF)
			b.WriteByte(byte(-1 - t))
			continue
		}
		b.WriteRune(rune(t))
	}
	return b.String()
}

func (c *comparer) conditions(s string) []condition {
	if s == "" {
		return nil
	}
	if cs, ok := c.conds[s]; ok {
		return cs
	}
	cs := parseConditions(s)
	c.conds[s] = cs
	return cs
}

// charge spends work; it reports false once the budget is gone.
func (c *comparer) charge(units int64) bool {
	c.stats.Work += units
	if c.stats.Work > c.budget {
		c.stats.Exhausted = true
		return false
	}
	return true
}

func (c *comparer) exhausted() bool { return c.stats.Exhausted }

// covers reports whether p covers q, and whether it could afford to find
// out. Literal prefixes and suffixes rule most pairs out before the full
// comparison, whose result is remembered. Where the comparison itself
// cannot tell (a search built to blow up ran out of its own budget), it
// answers assume: the caller passes the answer that rates the change
// higher, so that an undecided comparison never lowers the risk.
func (c *comparer) covers(p, q *compiled, assume bool) (covered, decided bool) {
	if p == q {
		return true, true
	}
	if !c.charge(candidateCost + int64(len(p.prefix)+len(p.suffix))) {
		return false, false
	}
	if !strings.HasPrefix(q.prefix, p.prefix) || !strings.HasSuffix(q.suffix, p.suffix) {
		return false, true
	}
	if p.exact {
		return q.exact && p.prefix == q.prefix, true
	}
	k := [2]*compiled{p, q}
	if v, ok := c.memo[k]; ok {
		return v, true
	}
	if c.unsure[k] {
		c.stats.Undecided++
		return assume, true
	}
	if c.exhausted() || !c.charge(int64(len(p.toks)+len(q.toks))) {
		return false, false
	}
	if !runsFit(p, q) {
		return false, true
	}
	// Never start a comparison that could overrun the bound: at worst it
	// searches to its own budget and then falls back to the structural
	// test.
	worst := searchCallCost + int64(searchBudget(p.toks, q.toks))*searchUnitCost + int64(len(p.toks)+1)*int64(len(q.toks)+1)
	if c.stats.Work+worst > c.budget {
		c.stats.Exhausted = true
		return false, false
	}
	c.stats.Covers++
	v, known, work := coversCost(p.toks, q.toks)
	c.charge(work)
	if !known {
		// Every undecided comparison cost a whole search budget, so the
		// work bound keeps this map small.
		c.unsure[k] = true
		c.stats.Undecided++
		return assume, true
	}
	if len(c.memo) < maxMemo || work >= memoWork {
		c.memo[k] = v
	}
	return v, true
}

// intersects reports whether p and q match a common string, and whether it
// could afford to find out. Literal prefixes and suffixes rule most pairs
// out first: a common string starts with both prefixes, so one is a prefix
// of the other, and likewise ends with both suffixes.
func (c *comparer) intersects(p, q *compiled) (overlap, decided bool) {
	if p == q {
		return true, true
	}
	if !c.charge(candidateCost + int64(min(len(p.prefix), len(q.prefix))+min(len(p.suffix), len(q.suffix)))) {
		return false, false
	}
	if !affixed(p.prefix, q.prefix, strings.HasPrefix) || !affixed(p.suffix, q.suffix, strings.HasSuffix) {
		return false, true
	}
	if p.exact && q.exact {
		return p.prefix == q.prefix, true
	}
	k := [2]*compiled{p, q}
	if p.text > q.text || p.text == q.text && p.fold && !q.fold {
		k = [2]*compiled{q, p}
	}
	if v, ok := c.overlap[k]; ok {
		return v, true
	}
	work := int64(len(p.toks)+1) * int64(len(q.toks)+1)
	if c.stats.Work+work > c.budget {
		c.stats.Exhausted = true
		return false, false
	}
	c.stats.Overlaps++
	v, work := intersects(p.toks, q.toks)
	c.charge(work)
	if len(c.overlap) < maxMemo || work >= memoWork {
		c.overlap[k] = v
	}
	return v, true
}

// affixed reports whether one of a and b is a prefix (or suffix, by
// has) of the other.
func affixed(a, b string, has func(s, affix string) bool) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	return has(a, b)
}

// candidateCost is the work of looking at one pair of patterns. The memo
// remembers every comparison up to maxMemo of them, and past that only
// those costlier than memoWork, so that it holds at most maxMemo plus the
// budget over memoWork entries.
const (
	candidateCost = 16
	maxMemo       = 1 << 18
	memoWork      = 4096
)

// cgrant is a grant compiled for comparison, with the specs that hold it.
type cgrant struct {
	Grant
	act, res *compiled
	conds    []condition
	holders  []*spec.Workflow
	// other is the equal grant on the other side, if any.
	other *cgrant
	// consumed marks a base grant that a narrowing or widening replaced.
	consumed bool
}

// grantSet is the distinct grants of one principal on one side, in the
// order their specs list them, indexed by the literal prefixes of their
// action and resource.
type grantSet struct {
	// foldRes says resources compare case-insensitively (FoldResources).
	foldRes bool
	// resForm, when set, rewrites a resource before it is compiled, not
	// as the report shows it (see headResources).
	resForm func(string) string
	list    []*cgrant
	byKey   map[Grant]*cgrant
	// byAct groups grants by action prefix; actKeys and actLens list its
	// keys (sorted) and their distinct lengths.
	byAct   map[string]*resIndex
	actKeys []string
	actLens []int
}

// resIndex groups the grants of one action prefix by resource prefix.
type resIndex struct {
	byRes   map[string][]*cgrant
	resKeys []string
	resLens []int
}

func newGrantSet(foldRes bool) *grantSet {
	return &grantSet{foldRes: foldRes, byKey: map[Grant]*cgrant{}, byAct: map[string]*resIndex{}}
}

// headResources is how the head's resources compile on platform: Vault's
// "+" matches one path segment, which the patterns cannot say, so on the
// head side it counts as "*", a superset: a grant of
// "secret/data/payments/+" then widens "secret/data/payments/ci" rather
// than reading as added. The base side keeps "+" literal, so the
// approximation only ever rates a change higher.
func headResources(platform string) func(string) string {
	if platform != "vault" {
		return nil
	}
	return func(r string) string { return strings.ReplaceAll(r, "+", "*") }
}

// FoldResources reports whether platform compares resource names without
// regard to case, so that the diff must too: Azure Resource Manager IDs are
// case-insensitive ("/Subscriptions/s/resourcegroups/rg" is
// "/subscriptions/s/resourceGroups/rg"). Elsewhere case tells resources
// apart (S3 keys, Kubernetes names, Vault paths).
func FoldResources(platform string) bool { return platform == "azure" }

// add records that w holds g.
func (s *grantSet) add(c *comparer, g Grant, w *spec.Workflow) {
	if cg := s.byKey[g]; cg != nil {
		if !slices.Contains(cg.holders, w) {
			cg.holders = append(cg.holders, w)
		}
		return
	}
	res := g.Resource
	if s.resForm != nil {
		res = s.resForm(res)
	}
	cg := &cgrant{Grant: g, act: c.pattern(g.Action, true), res: c.pattern(res, s.foldRes),
		conds: c.conditions(g.Conditions), holders: []*spec.Workflow{w}}
	s.byKey[g] = cg
	s.list = append(s.list, cg)
	ri := s.byAct[cg.act.prefix]
	if ri == nil {
		ri = &resIndex{byRes: map[string][]*cgrant{}}
		s.byAct[cg.act.prefix] = ri
	}
	ri.byRes[cg.res.prefix] = append(ri.byRes[cg.res.prefix], cg)
}

// seal sorts the keys once every grant is added.
func (s *grantSet) seal() {
	s.actKeys, s.actLens = sortedKeys(s.byAct)
	for _, ri := range s.byAct {
		ri.resKeys, ri.resLens = sortedKeys(ri.byRes)
	}
}

func sortedKeys[V any](m map[string]V) (keys []string, lens []int) {
	keys = make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
		lens = append(lens, len(k))
	}
	slices.Sort(keys)
	slices.Sort(lens)
	return keys, slices.Compact(lens)
}

// prefixesOf calls fn with every key of m that is a prefix of s, using the
// distinct key lengths; it stops when fn returns false.
func prefixesOf[V any](c *comparer, m map[string]V, lens []int, s string, fn func(V) bool) bool {
	for _, n := range lens {
		if n > len(s) {
			break
		}
		if !c.charge(int64(n) + 1) {
			return false
		}
		if v, ok := m[s[:n]]; ok && !fn(v) {
			return false
		}
	}
	return true
}

// extensionsOf calls fn with every key of m that s is a prefix of; keys is
// m's sorted keys. It stops when fn returns false.
func extensionsOf[V any](c *comparer, m map[string]V, keys []string, s string, fn func(V) bool) bool {
	i, _ := slices.BinarySearch(keys, s)
	for ; i < len(keys) && strings.HasPrefix(keys[i], s); i++ {
		if !c.charge(int64(len(s)) + 1) {
			return false
		}
		if !fn(m[keys[i]]) {
			return false
		}
	}
	return c.charge(int64(len(s)) + 1)
}

// coverersOf calls fn with every grant of s whose patterns cover those of
// g; conditions are the caller's to judge. It returns false when fn stopped
// it or the work bound ran out (then c.exhausted() says which).
func (s *grantSet) coverersOf(c *comparer, g *cgrant, fn func(*cgrant) bool) bool {
	// A pattern that covers another has a literal prefix that is a prefix
	// of the other's.
	return prefixesOf(c, s.byAct, s.actLens, g.act.prefix, func(ri *resIndex) bool {
		return prefixesOf(c, ri.byRes, ri.resLens, g.res.prefix, func(list []*cgrant) bool {
			return visit(c, list, func(b *cgrant) (bool, bool) {
				return bothCover(c, b, g, false)
			}, fn)
		})
	})
}

// coveredBy calls fn with every grant of s whose patterns g's cover.
func (s *grantSet) coveredBy(c *comparer, g *cgrant, fn func(*cgrant) bool) bool {
	return extensionsOf(c, s.byAct, s.actKeys, g.act.prefix, func(ri *resIndex) bool {
		return extensionsOf(c, ri.byRes, ri.resKeys, g.res.prefix, func(list []*cgrant) bool {
			return visit(c, list, func(b *cgrant) (bool, bool) {
				return bothCover(c, g, b, true)
			}, fn)
		})
	})
}

func visit(c *comparer, list []*cgrant, match func(*cgrant) (bool, bool), fn func(*cgrant) bool) bool {
	for _, b := range list {
		c.stats.Candidates++
		ok, decided := match(b)
		if !decided {
			return false
		}
		if ok && !fn(b) {
			return false
		}
	}
	return true
}

// overlapping calls fn with every grant of s whose patterns intersect g's:
// some action and some resource both match. A common string starts with
// both literal prefixes, so the index yields the grants whose prefixes are
// prefixes of g's or extend them.
func (s *grantSet) overlapping(c *comparer, g *cgrant, fn func(*cgrant) bool) bool {
	return related(c, s.byAct, s.actKeys, s.actLens, g.act.prefix, func(ri *resIndex) bool {
		return related(c, ri.byRes, ri.resKeys, ri.resLens, g.res.prefix, func(list []*cgrant) bool {
			return visit(c, list, func(b *cgrant) (bool, bool) {
				ok, decided := c.intersects(b.act, g.act)
				if !ok || !decided {
					return false, decided
				}
				return c.intersects(b.res, g.res)
			}, fn)
		})
	})
}

// related calls fn with every key of m that is a prefix of s or that s is a
// prefix of, each once.
func related[V any](c *comparer, m map[string]V, keys []string, lens []int, s string, fn func(V) bool) bool {
	for _, n := range lens {
		if n >= len(s) {
			break
		}
		if !c.charge(int64(n) + 1) {
			return false
		}
		if v, ok := m[s[:n]]; ok && !fn(v) {
			return false
		}
	}
	return extensionsOf(c, m, keys, s, fn)
}

// bothCover reports whether outer's action and resource patterns cover
// inner's; assume is the answer where a comparison cannot tell.
func bothCover(c *comparer, outer, inner *cgrant, assume bool) (covered, decided bool) {
	ok, decided := c.covers(outer.act, inner.act, assume)
	if !ok || !decided {
		return false, decided
	}
	return c.covers(outer.res, inner.res, assume)
}
