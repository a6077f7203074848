package diffing

import (
	"encoding/binary"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Pattern is a compiled action or resource pattern. It exists so that grants
// are compared by the strings they match, not by their spelling: `*` matches
// any run of characters (including `/` and `:`), `?` matches exactly one
// character, and every other character is literal. There is no escaping.
//
// The zero Pattern is the empty pattern, which matches only "".
type Pattern struct {
	text string
	fold bool
	toks []ptoken // normalised: see parseTokens
}

// ParsePattern compiles s. Set fold for patterns that compare case-insensitively
// (AWS actions); leave it unset for case-sensitive ones (resources). Every
// string is a valid pattern, so ParsePattern cannot fail.
func ParsePattern(s string, fold bool) Pattern {
	return Pattern{text: s, fold: fold, toks: parseTokens(s, fold)}
}

// String returns the text the pattern was parsed from, so reports show what
// the spec author wrote.
func (p Pattern) String() string { return p.text }

// IsWildcard reports whether p can match more than one string, that is whether
// it contains `*` or `?`.
func (p Pattern) IsWildcard() bool {
	return slices.ContainsFunc(p.toks, ptoken.wild)
}

// Match reports whether the concrete string s is one p grants. Inputs are
// untrusted, so it runs in O(len(p)·len(s)) time at worst, never exponential.
func (p Pattern) Match(s string) bool {
	ok, _ := p.match(s)
	return ok
}

// match is Match, also counting the steps of its loop, so that tests can
// hold it to its bound without timing it.
func (p Pattern) match(s string) (ok bool, steps int) {
	// The classic greedy algorithm: on a mismatch, let the most recent star
	// absorb one more character. Backtracking to earlier stars is never
	// needed, because a later star can absorb anything an earlier one could.
	toks := p.toks
	pi, si := 0, 0
	star, starS := -1, 0
	for si < len(s) {
		steps++
		c, size := decodeToken(s[si:], p.fold)
		if pi < len(toks) {
			switch t := toks[pi]; {
			case t == tokStar:
				star, starS = pi, si
				pi++
				continue
			case t == tokAny || t == c:
				pi++
				si += size
				continue
			}
		}
		if star < 0 {
			return false, steps
		}
		_, size = decodeToken(s[starS:], p.fold)
		starS += size
		pi, si = star+1, starS
	}
	for pi < len(toks) && toks[pi] == tokStar {
		pi++
	}
	return pi == len(toks), steps
}

// Covers reports whether every string q matches is also matched by p, so that
// a grant of q adds nothing to a grant of p. It is decided on the structure of
// the patterns, over the full Unicode alphabet, and is reflexive. If p and q
// disagree on case folding, both are compared case-insensitively.
//
// Covers is exact except on pathological inputs (thousands of wildcards
// arranged to make the search blow up), where it falls back to a cheaper test
// that can only err towards false: a broader grant is never reported as
// covered.
func (p Pattern) Covers(q Pattern) bool {
	pt, qt := p.toks, q.toks
	if p.fold != q.fold {
		pt, qt = foldTokens(pt), foldTokens(qt)
	}
	return coversTokens(pt, qt)
}

// Breadth classifies how much a pattern grants, so risk rules can treat
// "s3:GetObject", "s3:Get*", "s3:*" and "*" differently. The constants are
// ordered from narrowest to broadest and may be compared with < and max.
type Breadth int

// The breadths, narrowest first.
const (
	// BreadthExact is a pattern with no wildcard: it matches one string.
	BreadthExact Breadth = iota
	// BreadthPartial is a wildcard pattern that constrains more than a
	// service or namespace, such as "s3:Get*" or "arn:aws:s3:::bucket/a/*".
	BreadthPartial
	// BreadthService is a pattern that names at most a service or namespace
	// and then allows anything in it, such as "s3:*", "s3*",
	// "arn:aws:s3:::*" or "arn:aws:s3:*:*:*".
	BreadthService
	// BreadthAll is a pattern with no literal text and at least one `*`,
	// such as "*", "**" or "*?*": it matches every string (every non-empty
	// one, for "*?*"), whatever the service.
	BreadthAll
)

var breadthNames = [...]string{"exact", "partial", "service", "all"}

// String names the breadth for reports.
func (b Breadth) String() string {
	if b < 0 || int(b) >= len(breadthNames) {
		return "unknown"
	}
	return breadthNames[b]
}

// Breadth classifies p; see the Breadth constants.
func (p Pattern) Breadth() Breadth {
	toks := p.toks
	first := slices.IndexFunc(toks, ptoken.wild)
	if first < 0 {
		return BreadthExact
	}
	if !slices.ContainsFunc(toks, ptoken.literal) && slices.Contains(toks, tokStar) {
		return BreadthAll
	}
	// Service-wide means: a literal prefix that is only a namespace, then a
	// star, then nothing that constrains a name (only wildcards and the ':'
	// that separates ARN fields).
	if toks[first] != tokStar {
		return BreadthPartial
	}
	for _, t := range toks[first:] {
		if !t.wild() && t != ':' {
			return BreadthPartial
		}
	}
	prefix := toks[:first]
	if len(prefix) == 0 || prefix[len(prefix)-1] == ':' || serviceLike(prefix) {
		return BreadthService
	}
	return BreadthPartial
}

// serviceLike reports whether prefix looks like a bare service name such as
// "s3" or "kafka-cluster", so that "s3*" counts as service-wide.
func serviceLike(prefix []ptoken) bool {
	for _, t := range prefix {
		r := rune(t)
		if t < 0 || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ptoken is one element of a compiled pattern: a literal character (a rune,
// case-folded when the pattern folds), an undecodable byte, or a wildcard.
type ptoken int32

// Undecodable bytes b become -1-b, in [-256, -1], so that they only ever
// equal themselves; the wildcards sit below that range.
const (
	tokStar  ptoken = -1000 - iota // `*`
	tokAny                         // `?`
	tokFresh                       // a character no literal equals; used by coversSearch only
)

func (t ptoken) wild() bool    { return t == tokStar || t == tokAny }
func (t ptoken) literal() bool { return !t.wild() }

// decodeToken reads the first character of s (which must not be empty).
func decodeToken(s string, fold bool) (ptoken, int) {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		return ptoken(-1 - int32(s[0])), 1
	}
	if fold {
		return foldToken(ptoken(r)), size
	}
	return ptoken(r), size
}

// foldToken maps a literal to the smallest rune in its simple case-folding
// orbit, so that two literals are equal under folding exactly when
// strings.EqualFold says so.
func foldToken(t ptoken) ptoken {
	r := rune(t)
	switch {
	case t < 0:
		return t
	case 'a' <= r && r <= 'z':
		return t - ('a' - 'A')
	case r < utf8.RuneSelf:
		return t
	}
	low := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		low = min(low, f)
	}
	return ptoken(low)
}

func foldTokens(toks []ptoken) []ptoken {
	out := make([]ptoken, len(toks))
	for i, t := range toks {
		if t.literal() {
			t = foldToken(t)
		}
		out[i] = t
	}
	return out
}

// parseTokens compiles s into tokens and normalises every maximal run of
// wildcards to its `?`s followed by at most one `*`: "*?*", "?*" and "**?"
// all match the same strings, and one spelling per language keeps Covers
// simple.
func parseTokens(s string, fold bool) []ptoken {
	toks := make([]ptoken, 0, len(s))
	anys, star := 0, false
	flush := func() {
		for ; anys > 0; anys-- {
			toks = append(toks, tokAny)
		}
		if star {
			toks = append(toks, tokStar)
		}
		star = false
	}
	for i := 0; i < len(s); {
		switch s[i] {
		case '*':
			star = true
			i++
		case '?':
			anys++
			i++
		default:
			flush()
			t, size := decodeToken(s[i:], fold)
			toks = append(toks, t)
			i += size
		}
	}
	flush()
	return toks
}

// coversTokens reports whether normalised p covers normalised q. Where the
// search runs out of budget it takes the structural answer, which errs
// towards "not covered"; the diff does not use it (see coversCost).
func coversTokens(p, q []ptoken) bool {
	covered, decided, _ := coversCost(p, q)
	if !decided {
		return coversStructural(p, q)
	}
	return covered
}

// searchUnitCost is what one bitset word of coversSearch costs in work
// units, which are about a nanosecond each, like a cell of coversStructural,
// and searchCallCost what setting a search up costs. A word costs more than
// its shift: the search allocates a state and a map key per word, which on
// inputs built to blow it up is most of its time.
const (
	searchUnitCost = 100
	searchCallCost = 3000
)

// coversCost is coversTokens with the work it did, in units of about a
// nanosecond, so that a caller comparing many patterns can bound the total.
// decided is false when neither the search nor the structural test could
// tell: the search ran out of budget and the structural test, which is
// sound but incomplete, said "not covered". The caller must then assume
// whichever answer rates the change higher.
func coversCost(p, q []ptoken) (covered, decided bool, work int64) {
	structural := int64(len(p)+1) * int64(len(q)+1)
	// When either side has no star, the structural test is exact; see
	// coversStructural.
	if !slices.Contains(p, tokStar) || !slices.Contains(q, tokStar) {
		return coversStructural(p, q), true, structural
	}
	budget := searchBudget(p, q)
	covered, decided, left := coversSearchLeft(p, q, budget)
	work = searchCallCost + int64(budget-left)*searchUnitCost
	if decided {
		return covered, true, work
	}
	// A structural consumption proves coverage; its absence proves nothing.
	if coversStructural(p, q) {
		return true, true, work + structural
	}
	return false, false, work + structural
}

// intersects reports whether normalised p and q match a common string, and
// the work it did (cells visited, about a nanosecond each). It is exact: a
// forward search over the product of the two patterns, where the state
// (i, j) says that some string takes p to token i and q to token j. From
// there a star of either side may match nothing or absorb a character the
// other side produces, and two non-star tokens consume one common
// character when they agree (equal literals, or a `?`). Every state is
// visited once, so it runs in O(len(p)·len(q)) time and O(len(q)) space.
func intersects(p, q []ptoken) (bool, int64) {
	work := int64(len(p)+1) * int64(len(q)+1)
	m := len(q)
	cur := make([]bool, m+1)
	next := make([]bool, m+1)
	cur[0] = true
	for i := 0; ; i++ {
		// Moves within the row: q's token j is read while p stays at i.
		for j := 0; j < m; j++ {
			if cur[j] && (i < len(p) && p[i] == tokStar || q[j] == tokStar) {
				cur[j+1] = true
			}
		}
		if i == len(p) {
			return cur[m], work
		}
		clear(next)
		t := p[i]
		for j := 0; j <= m; j++ {
			if !cur[j] {
				continue
			}
			if t == tokStar || j < m && q[j] == tokStar {
				next[j] = true // p's token i is read while q stays at j
			}
			if j < m && t != tokStar && q[j] != tokStar && (t == tokAny || q[j] == tokAny || t == q[j]) {
				next[j+1] = true
			}
		}
		cur, next = next, cur
	}
}

// coversStructural reports whether p's tokens can consume q's tokens: a
// q-literal by an equal p-literal, a `?` or a `*`; a q-`?` by a `?` or a `*`;
// a q-`*` only by a `*`; and a p-`*` consumes any run of q-tokens. It runs in
// O(len(p)·len(q)) time and O(len(q)) space.
//
// The test is sound: a consumption maps every string q matches onto a match
// of p. It is also complete when q has no star (then the single string q
// with every `?` replaced by a character absent from p is a witness) or when
// p has no star (p's language is finite, q's is not unless q has no star).
// It is not complete when both have stars: "a?*" covers "a*b", because the
// "b" guarantees the character "?" needs, but no consumption shows it.
// coversSearch decides those cases.
func coversStructural(p, q []ptoken) bool {
	// next[j] says whether p[i+1:] covers q[j:], cur[j] whether p[i:] does.
	next := make([]bool, len(q)+1)
	cur := make([]bool, len(q)+1)
	next[len(q)] = true
	for i := len(p) - 1; i >= 0; i-- {
		t := p[i]
		cur[len(q)] = t == tokStar && next[len(q)]
		for j := len(q) - 1; j >= 0; j-- {
			switch {
			case t == tokStar:
				cur[j] = next[j] || cur[j+1]
			case t == tokAny:
				cur[j] = q[j] != tokStar && next[j+1]
			default:
				cur[j] = q[j] == t && next[j+1]
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

// searchBudget bounds coversSearch, in bitset words touched (roughly 20ns
// each): a fixed allowance plus what a few states per character of q cost.
// Real patterns keep one or a few states per character of q; the bound only
// bites on inputs built to blow the search up (long runs of `?` in p against
// many stars in q), which then get the structural answer.
func searchBudget(p, q []ptoken) int {
	return 1<<20 + 16*len(q)*(len(p)/64+1)
}

// coversSearch decides whether p covers q exactly, for p and q that both
// contain a star, by looking for a string that q matches and p does not.
//
// Two facts keep the search small. First, it suffices to try strings in
// which every character that q's wildcards produce is a fresh character that
// no literal of p equals: if p matches such a string, the fresh characters are
// consumed by p's wildcards, which would accept any character there too. So q
// is read as a sequence of its literals, a fresh character for each `?`, and
// any number of fresh characters for each `*`.
//
// Second, p = T0 * T1 * ... * Tm is matched with one state per block: once
// p's j-th star is reachable, every earlier position of p is redundant (the
// star can absorb whatever they would still match), so a matcher state is the
// block j plus the set of partial matches of Tj, a bitset advanced by
// shift-and. A state whose language is contained in another's is at least as
// good for finding a counterexample, so after each token of q only the states
// with the smallest j, and among those only the subset-minimal bitsets, are
// kept. On contrived inputs the kept bitsets can still grow combinatorially,
// so it returns decided=false when the work exceeds budget.
func coversSearch(p, q []ptoken, budget int) (covered, decided bool) {
	covered, decided, _ = coversSearchLeft(p, q, budget)
	return covered, decided
}

// coversSearchLeft is coversSearch, also returning how much of the budget
// is left (negative when it ran out).
func coversSearchLeft(p, q []ptoken, budget int) (covered, decided bool, left int) {
	s := newInclusionSearch(p, budget)
	layer := []searchState{s.start()}
	for _, t := range q {
		var alive bool
		if t == tokStar {
			layer, alive = s.closure(layer)
		} else {
			x := t
			if t == tokAny {
				x = tokFresh
			}
			layer, alive = s.advance(layer, x)
		}
		if !alive {
			return false, true, s.budget
		}
		layer = s.prune(layer)
		if s.budget < 0 {
			return false, false, s.budget
		}
	}
	for _, st := range layer {
		if !s.accepts(st) {
			return false, true, s.budget
		}
	}
	return true, true, s.budget
}

// searchState is a set of positions of p: in the fixed prefix T0 at offset
// off (j == 0), or in block j at the star and the partial matches in set.
type searchState struct {
	j   int
	off int
	set []uint64 // bit o: the last o characters match Tj[:o]; bit 0 is the star
}

// patternBlock is one star-free run Tj of p, with its shift-and masks.
type patternBlock struct {
	toks  []ptoken
	words int
	any   []uint64            // bits of the `?`s: what a fresh character matches
	masks map[ptoken][]uint64 // per literal, built on first use
}

type inclusionSearch struct {
	blocks []*patternBlock // T0 ... Tm, m >= 1
	budget int
}

func newInclusionSearch(p []ptoken, budget int) *inclusionSearch {
	s := &inclusionSearch{budget: budget}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != tokStar {
			continue
		}
		toks := p[start:i]
		b := &patternBlock{toks: toks, words: (len(toks) + 64) / 64}
		b.any = make([]uint64, b.words)
		for o, t := range toks {
			if t == tokAny {
				b.any[o/64] |= 1 << (o % 64)
			}
		}
		s.blocks = append(s.blocks, b)
		start = i + 1
	}
	return s
}

func (s *inclusionSearch) last() int { return len(s.blocks) - 1 }

func (s *inclusionSearch) start() searchState {
	if len(s.blocks[0].toks) == 0 {
		return s.enter(1)
	}
	return searchState{j: 0}
}

// enter returns the state just past p's j-th star.
func (s *inclusionSearch) enter(j int) searchState {
	set := make([]uint64, s.blocks[j].words)
	set[0] = 1
	return searchState{j: j, set: set}
}

func (s *inclusionSearch) mask(b *patternBlock, x ptoken) []uint64 {
	if x == tokFresh {
		return b.any
	}
	if m, ok := b.masks[x]; ok {
		return m
	}
	s.budget -= b.words
	m := b.any
	if slices.Contains(b.toks, x) {
		m = slices.Clone(b.any)
		for o, t := range b.toks {
			if t == x {
				m[o/64] |= 1 << (o % 64)
			}
		}
	}
	if b.masks == nil {
		b.masks = make(map[ptoken][]uint64)
	}
	b.masks[x] = m
	return m
}

// step reads character x. It reports false when p can no longer match.
func (s *inclusionSearch) step(st searchState, x ptoken) (searchState, bool) {
	b := s.blocks[st.j]
	if st.j == 0 {
		s.budget--
		if t := b.toks[st.off]; t != tokAny && t != x {
			return searchState{}, false
		}
		if st.off+1 == len(b.toks) {
			return s.enter(1), true
		}
		return searchState{j: 0, off: st.off + 1}, true
	}
	s.budget -= b.words + 1
	m := s.mask(b, x)
	set := make([]uint64, b.words)
	var carry uint64 = 1 // the star stays and may start a new match of Tj
	for w := range set {
		v := st.set[w] & m[w]
		set[w] = v<<1 | carry
		carry = v >> 63
	}
	n := len(b.toks)
	if set[n/64]&(1<<(n%64)) != 0 && st.j < s.last() {
		// Tj is matched: the next star dominates everything in this block.
		return s.enter(st.j + 1), true
	}
	return searchState{j: st.j, set: set}, true
}

// advance reads the same character x in every state of layer.
func (s *inclusionSearch) advance(layer []searchState, x ptoken) ([]searchState, bool) {
	out := make([]searchState, 0, len(layer))
	for _, st := range layer {
		next, ok := s.step(st, x)
		if !ok {
			return nil, false
		}
		out = append(out, next)
	}
	return out, true
}

// closure reads any number of fresh characters, as a star of q may produce.
func (s *inclusionSearch) closure(layer []searchState) ([]searchState, bool) {
	seen := make(map[string]bool, len(layer))
	out := make([]searchState, 0, len(layer))
	for _, st := range layer {
		if k := s.key(st); !seen[k] {
			seen[k] = true
			out = append(out, st)
		}
	}
	for _, st := range layer {
		for cur := st; ; {
			next, ok := s.step(cur, tokFresh)
			if !ok {
				return nil, false
			}
			if next.j != st.j {
				break // dominated by st itself, which is in the layer
			}
			k := s.key(next)
			if seen[k] || s.budget < 0 {
				break
			}
			seen[k] = true
			out = append(out, next)
			cur = next
		}
	}
	return out, true
}

// prune keeps the states with the smallest languages: those in the earliest
// block, and among them those whose partial matches are subset-minimal.
func (s *inclusionSearch) prune(layer []searchState) []searchState {
	j := layer[0].j
	for _, st := range layer {
		j = min(j, st.j)
	}
	seen := make(map[string]bool, len(layer))
	out := layer[:0]
	for _, st := range layer {
		if st.j != j {
			continue
		}
		if k := s.key(st); !seen[k] {
			seen[k] = true
			out = append(out, st)
		}
	}
	if j == 0 || len(out) < 2 {
		return out
	}
	s.budget -= len(out) * len(out) * s.blocks[j].words
	if s.budget < 0 {
		return out
	}
	kept := make([]searchState, 0, len(out))
	for a, st := range out {
		redundant := false
		for b, other := range out {
			if a != b && subset(other.set, st.set) {
				redundant = true // distinct sets, so other is strictly smaller
				break
			}
		}
		if !redundant {
			kept = append(kept, st)
		}
	}
	return kept
}

func (s *inclusionSearch) accepts(st searchState) bool {
	if st.j != s.last() {
		return false
	}
	n := len(s.blocks[st.j].toks)
	return st.set[n/64]&(1<<(n%64)) != 0
}

// key identifies st among the states of one layer, which share j.
func (s *inclusionSearch) key(st searchState) string {
	s.budget -= len(st.set) + 1
	if st.j == 0 {
		return string(binary.LittleEndian.AppendUint64(nil, uint64(st.off)))
	}
	b := make([]byte, 0, 8*len(st.set))
	for _, w := range st.set {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return string(b)
}

func subset(a, b []uint64) bool {
	for i := range a {
		if a[i]&^b[i] != 0 {
			return false
		}
	}
	return true
}
