package diffing

import (
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		fold    bool
		s       string
		want    bool
	}{
		{"", false, "", true},
		{"", false, "a", false},
		{"*", false, "", true},
		{"*", false, "arn:aws:s3:::bucket/a/b", true},
		{"?", false, "", false},
		{"?", false, "é", true}, // one character, two bytes
		{"?", false, "ab", false},
		{"s3:GetObject", false, "s3:GetObject", true},
		{"s3:GetObject", false, "s3:getobject", false},
		{"s3:GetObject", true, "S3:GETOBJECT", true},
		{"s3:Get*", true, "s3:getobjectacl", true},
		{"s3:Get*", true, "s3:PutObject", false},
		{"s3:*Object", false, "s3:Object", true},
		{"s3:*Object", false, "s3:GetObjectAcl", false},
		{"arn:aws:s3:::bucket/*", false, "arn:aws:s3:::bucket/a/b/c", true},
		{"arn:aws:s3:::bucket/*", false, "arn:aws:s3:::bucket", false},
		{"arn:aws:s3:::bucket/*", false, "arn:aws:s3:::Bucket/a", false},
		{"arn:aws:s3:::bucket?", false, "arn:aws:s3:::bucket/", true},
		{"arn:aws:iam::*:role/ci-*", false, "arn:aws:iam::123456789012:role/ci-deploy", true},
		{"a*b*c", false, "abbbc", true},
		{"a*b*c", false, "acb", false},
		{"*a?", false, "xxaab", true},
		{"*a?", false, "xxab", true},
		{"*a?", false, "xxba", false},
		{"a??", false, "a\xffb", true},   // an invalid byte is one character
		{"\xff", false, "\uFFFD", false}, // and is not the replacement character
		{"\xff", false, "\xff", true},
		{"K", true, "\u212A", true}, // Kelvin sign folds to K
		{"ſ", true, "S", true},
		{"ß", true, "SS", false}, // simple folding only, as strings.EqualFold
	}
	for _, tt := range tests {
		if got := ParsePattern(tt.pattern, tt.fold).Match(tt.s); got != tt.want {
			t.Errorf("ParsePattern(%q, %v).Match(%q) = %v, want %v", tt.pattern, tt.fold, tt.s, got, tt.want)
		}
	}
}

func TestPatternMatchLongInput(t *testing.T) {
	// The shape that makes backtracking matchers exponential.
	p := ParsePattern(strings.Repeat("a*", 5000)+"b", false)
	s := strings.Repeat("a", 10000)
	ok, steps := p.match(s)
	if ok {
		t.Errorf("Match = true for a string without b")
	}
	// The bound Match promises: O(len(p)·len(s)), never exponential.
	if bound := (len(p.toks) + 1) * (len(s) + 1); steps > bound {
		t.Errorf("Match took %d steps on 10k characters, over the bound %d", steps, bound)
	}
}

func TestPatternZero(t *testing.T) {
	var zero Pattern
	empty := ParsePattern("", false)
	if !zero.Match("") || zero.Match("a") || zero.IsWildcard() || zero.Breadth() != BreadthExact {
		t.Errorf("the zero Pattern does not behave as the empty pattern")
	}
	if !zero.Covers(empty) || !empty.Covers(zero) || zero.Covers(ParsePattern("*", false)) {
		t.Errorf("the zero Pattern does not cover exactly the empty pattern")
	}
}

func TestPatternString(t *testing.T) {
	for _, s := range []string{"", "s3:Get*", "*?*", "**", "arn:aws:s3:::b/?*"} {
		if got := ParsePattern(s, true).String(); got != s {
			t.Errorf("ParsePattern(%q).String() = %q", s, got)
		}
	}
}

func TestPatternCovers(t *testing.T) {
	tests := []struct {
		p, q string
		fold bool
		want bool
	}{
		{"s3:*", "s3:Get*", true, true},
		{"s3:*", "s3:GetObject", true, true},
		{"s3:Get*", "s3:*", true, false},
		{"s3:Get*", "s3:GetObject", true, true},
		{"s3:Get*", "s3:PutObject", true, false},
		{"s3:*Object", "s3:Get*", true, false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/*", false, true},
		{"arn:aws:s3:::bucket/a/*", "arn:aws:s3:::bucket/*", false, false},
		{"arn:aws:s3:::bucket*", "arn:aws:s3:::bucket/*", false, true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket*", false, false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false, false},
		{"*", "*", false, true},
		{"*", "", false, true},
		{"*", "s3:*", true, true},
		{"*", "?*?", false, true},
		{"**", "*", false, true},
		{"s3:*", "*", true, false},
		{"?*", "*?", false, true},
		{"*?", "?*", false, true},
		{"*?*", "?*", false, true},
		{"?*", "*", false, false}, // "" is the witness
		{"??*", "?*?", false, true},
		{"a*b", "a*c*b", false, true},
		{"a*c*b", "a*b", false, false},
		{"*ab*", "a*b", false, false}, // "acb"
		{"a*b", "*ab*", false, false},
		{"*ab*", "ab*ab", false, true},
		{"a?*", "a*b", false, true}, // the "b" supplies the character "?" needs
		{"*?b", "a*b", false, true},
		{"a*?b", "a*b", false, false}, // "ab"
		{"a*b", "a?b", false, true},
		{"a?b", "a*b", false, false},
		{"S3:getobject", "s3:GetObject", true, true},
		{"s3:Get*", "S3:getobject", true, true},
		{"s3:Get*", "S3:getobject", false, false},
		{"", "", false, true},
		{"", "*", false, false},
		{"", "a", false, false},
		{"a", "", false, false},
		{"?", "", false, false},
		{"*", "", true, true},
		{"s3:GetObject", "s3:GetObject", false, true},
		{"s3:GetObject", "s3:GetObjectAcl", false, false},
		{"s3:GetObject*", "s3:GetObject", false, true},
		{"arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/ci-*", false, true},
		{"arn:aws:iam::*:role/ci-*", "arn:aws:iam::*:role/*", false, false},
		{"arn:*:s3:::*", "arn:aws:s3:::bucket/*", false, true},
	}
	for _, tt := range tests {
		p, q := ParsePattern(tt.p, tt.fold), ParsePattern(tt.q, tt.fold)
		if got := p.Covers(q); got != tt.want {
			t.Errorf("ParsePattern(%q, %v).Covers(%q) = %v, want %v", tt.p, tt.fold, tt.q, got, tt.want)
		}
	}
}

// The structural test alone misses these; coversSearch must find them.
func TestPatternCoversBeyondStructural(t *testing.T) {
	tests := []struct{ p, q string }{
		{"?*", "*a"},
		{"a?*", "a*b"},
		{"*a?*", "*a*b"},
		{"*??", "*a*bc"},
		{"arn:aws:s3:::?*", "arn:aws:s3:::*/*"},
		{"s3:Get?*", "s3:Get*Object"},
	}
	for _, tt := range tests {
		p, q := ParsePattern(tt.p, false), ParsePattern(tt.q, false)
		if coversStructural(p.toks, q.toks) {
			t.Errorf("coversStructural(%q, %q) = true; the case no longer exercises the search", tt.p, tt.q)
		}
		if !p.Covers(q) {
			t.Errorf("ParsePattern(%q).Covers(%q) = false, want true", tt.p, tt.q)
		}
	}
}

func TestPatternCoversMixedFold(t *testing.T) {
	// Mismatched fold settings compare case-insensitively.
	if !ParsePattern("s3:Get*", false).Covers(ParsePattern("S3:GETOBJECT", true)) {
		t.Errorf("fold=false s3:Get* does not cover fold=true S3:GETOBJECT")
	}
	if !ParsePattern("S3:GET*", true).Covers(ParsePattern("s3:getobject", false)) {
		t.Errorf("fold=true S3:GET* does not cover fold=false s3:getobject")
	}
}

func TestPatternCoversReflexive(t *testing.T) {
	for _, s := range []string{"", "*", "?", "*?*", "s3:Get*", "a*b?c*", "arn:aws:s3:::bucket/*", "??*a*?b**"} {
		for _, fold := range []bool{false, true} {
			if p := ParsePattern(s, fold); !p.Covers(p) {
				t.Errorf("ParsePattern(%q, %v) does not cover itself", s, fold)
			}
		}
	}
}

// TestPatternCoversExhaustive checks every pair of patterns of up to four
// characters over {a, b, *, ?} against every string of up to ten characters
// over {a, b, c}, where c stands for any character the patterns do not name.
func TestPatternCoversExhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive check takes a few seconds")
	}
	const maxPattern = 4
	const maxString = 2*maxPattern + 2
	patterns := allStrings("ab*?", maxPattern)
	inputs := allStrings("abc", maxString)
	// upTo[n] is the number of inputs of length at most n: inputs are
	// ordered by length.
	upTo := make([]int, maxString+1)
	for _, s := range inputs {
		for n := len(s); n <= maxString; n++ {
			upTo[n]++
		}
	}
	words := (len(inputs) + 63) / 64
	compiled := make([]Pattern, len(patterns))
	matches := make([][]uint64, len(patterns))
	for i, s := range patterns {
		compiled[i] = ParsePattern(s, false)
		matches[i] = make([]uint64, words)
		for k, in := range inputs {
			if compiled[i].Match(in) {
				matches[i][k/64] |= 1 << (k % 64)
			}
		}
	}
	// witness returns the first input that q matches and p does not, among
	// the first limit inputs, or -1.
	witness := func(pi, qi, limit int) int {
		for w := 0; w*64 < limit; w++ {
			d := matches[qi][w] &^ matches[pi][w]
			if d == 0 {
				continue
			}
			if k := w*64 + bits.TrailingZeros64(d); k < limit {
				return k
			}
			return -1
		}
		return -1
	}
	var failures int
	for pi, p := range compiled {
		for qi, q := range compiled {
			got := p.Covers(q)
			switch {
			case got:
				// Soundness: every string q matches, p matches.
				if k := witness(pi, qi, len(inputs)); k >= 0 {
					t.Errorf("%q covers %q, but %q matches only the second", p, q, inputs[k])
					failures++
				}
			default:
				// Completeness: a short string tells them apart.
				if witness(pi, qi, upTo[len(p.String())+len(q.String())+2]) < 0 {
					t.Errorf("%q does not cover %q, but no string up to length %d shows why", p, q, len(p.String())+len(q.String())+2)
					failures++
				}
			}
			if failures > 20 {
				t.Fatal("too many failures")
			}
		}
	}
}

// TestPatternCoversRandom compares Covers on longer patterns, with and without
// folding, against a textbook inclusion check by subset construction.
func TestPatternCoversRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		fold := rng.IntN(2) == 0
		alphabet := "ab*?"
		if fold {
			alphabet = "aAb*?"
		}
		p := randomString(rng, alphabet, 1+rng.IntN(9))
		q := randomString(rng, alphabet, 1+rng.IntN(9))
		got := ParsePattern(p, fold).Covers(ParsePattern(q, fold))
		want, witness := oracleCovers(p, q, fold)
		if got != want {
			t.Errorf("ParsePattern(%q, %v).Covers(%q) = %v, want %v (witness %q)", p, fold, q, got, want, witness)
		}
	}
}

// oracleCovers decides inclusion by exploring q's automaton against the
// determinised automaton of p, over the letters the patterns use plus c for
// every other character. It is exponential in general and meant for tests.
// When p does not cover q it also returns a string q matches and p does not.
func oracleCovers(p, q string, fold bool) (bool, string) {
	norm := func(r byte) byte {
		if fold && 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	alphabet := map[byte]bool{'c': true}
	for _, s := range []string{p, q} {
		for i := range len(s) {
			if s[i] != '*' && s[i] != '?' {
				alphabet[norm(s[i])] = true
			}
		}
	}
	// closure adds the positions reachable by skipping stars.
	closure := func(pat string, set map[int]bool) map[int]bool {
		for i := 0; i < len(pat); i++ {
			if set[i] && pat[i] == '*' {
				set[i+1] = true
			}
		}
		return set
	}
	step := func(pat string, set map[int]bool, c byte) map[int]bool {
		next := map[int]bool{}
		for i := range set {
			switch {
			case i == len(pat):
			case pat[i] == '*':
				next[i] = true
			case pat[i] == '?' || norm(pat[i]) == c:
				next[i+1] = true
			}
		}
		return closure(pat, next)
	}
	key := func(set map[int]bool, n int) string {
		b := make([]byte, n+1)
		for i := range b {
			if set[i] {
				b[i] = 1
			}
		}
		return string(b)
	}
	type node struct {
		q, p map[int]bool
		path string
	}
	start := node{closure(q, map[int]bool{0: true}), closure(p, map[int]bool{0: true}), ""}
	seen := map[string]bool{}
	queue := []node{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		k := key(n.q, len(q)) + "|" + key(n.p, len(p))
		if seen[k] {
			continue
		}
		seen[k] = true
		if n.q[len(q)] && !n.p[len(p)] {
			return false, n.path
		}
		if len(n.q) == 0 {
			continue
		}
		for c := range alphabet {
			queue = append(queue, node{step(q, n.q, c), step(p, n.p, c), n.path + string(c)})
		}
	}
	return true, ""
}

func TestPatternCoversPathological(t *testing.T) {
	// p covers q: the first of q's forty b's has at least 79 characters
	// after it. But every prefix of q leaves the search a different set of
	// partial matches of "b" followed by twenty "?", and those sets blow up
	// combinatorially. Covers must give up on the exact search and fall back
	// to the structural test, which errs towards false, quickly.
	p := ParsePattern("*b"+strings.Repeat("?", 20)+"*", false)
	q := ParsePattern("*"+strings.Repeat("b*?", 40), false)
	if _, decided := coversSearch(p.toks, q.toks, searchBudget(p.toks, q.toks)); decided {
		t.Fatalf("the search decided within budget; the case no longer exercises the fallback")
	}
	// The search stopped at its budget, which bounds its work; the
	// structural fallback runs in O(len(p)·len(q)).
	if p.Covers(q) {
		t.Errorf("Covers = true, want the structural answer false")
	}
}

func TestPatternBreadth(t *testing.T) {
	tests := []struct {
		pattern string
		want    Breadth
	}{
		{"", BreadthExact},
		{"s3:GetObject", BreadthExact},
		{"arn:aws:s3:::bucket/key", BreadthExact},
		{"s3:Get*", BreadthPartial},
		{"s3:*Object", BreadthPartial},
		{"s3:Get?bject", BreadthPartial},
		{"arn:aws:s3:::bucket/*", BreadthPartial},
		{"arn:aws:s3:::bucket/a/*", BreadthPartial},
		{"*Object", BreadthPartial},
		{"*:GetObject", BreadthPartial},
		{"s?:*", BreadthPartial},
		{"???", BreadthPartial},
		{"s3:*", BreadthService},
		{"s3:**", BreadthService},
		{"s3*", BreadthService},
		{"kafka-cluster:*", BreadthService},
		{"arn:aws:s3:::*", BreadthService},
		{"arn:aws:s3:*:*:*", BreadthService},
		{"arn:aws:iam::123456789012:*", BreadthService},
		{"*:*", BreadthService},
		{"*", BreadthAll},
		{"**", BreadthAll},
		{"*?*", BreadthAll},
		{"?*", BreadthAll},
	}
	var got, want []string
	for _, tt := range tests {
		got = append(got, tt.pattern+" "+ParsePattern(tt.pattern, true).Breadth().String())
		want = append(want, tt.pattern+" "+tt.want.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Breadth mismatch (-want +got):\n%s", diff)
	}
}

func TestBreadthOrder(t *testing.T) {
	if !(BreadthExact < BreadthPartial && BreadthPartial < BreadthService && BreadthService < BreadthAll) {
		t.Errorf("breadths are not ordered narrowest first")
	}
	if got := Breadth(7).String(); got != "unknown" {
		t.Errorf("Breadth(7).String() = %q", got)
	}
}

func TestPatternIsWildcard(t *testing.T) {
	tests := map[string]bool{"": false, "s3:GetObject": false, "s3:*": true, "a?c": true, "*": true}
	got := map[string]bool{}
	for s := range tests {
		got[s] = ParsePattern(s, false).IsWildcard()
	}
	if diff := cmp.Diff(tests, got); diff != "" {
		t.Errorf("IsWildcard mismatch (-want +got):\n%s", diff)
	}
}

func FuzzCovers(f *testing.F) {
	f.Add("s3:*", "s3:Get*", "s3:GetObject", true)
	f.Add("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/*", "arn:aws:s3:::bucket/a/b", false)
	f.Add("a?*", "a*b", "axb", false)
	f.Add("*ab*", "a*b", "acb", false)
	f.Add("*?*", "?*", "", false)
	f.Add("\xff*", "*\xff?", "\xff\xfe", true)
	f.Add("K*", "\u212A?", "kk", true)
	f.Fuzz(func(t *testing.T, ps, qs, s string, fold bool) {
		p, q := ParsePattern(ps, fold), ParsePattern(qs, fold)
		if !p.Covers(p) {
			t.Fatalf("%q does not cover itself", ps)
		}
		covers := p.Covers(q)
		if covers && q.Match(s) && !p.Match(s) {
			t.Fatalf("%q covers %q, but only the second matches %q", ps, qs, s)
		}
		if !covers && coversStructural(p.toks, q.toks) {
			t.Fatalf("%q covers %q structurally, but Covers = false", ps, qs)
		}
		if !strings.ContainsAny(s, "*?") && q.Match(s) && !q.Covers(ParsePattern(s, fold)) {
			t.Fatalf("%q matches %q but does not cover it", qs, s)
		}
	})
}

func BenchmarkCovers(b *testing.B) {
	cases := []struct{ name, p, q string }{
		{"action", "s3:Get*", "s3:GetObjectVersion"},
		{"resource", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/team-a/*"},
		{"search", "arn:aws:s3:::?*", "arn:aws:s3:::*/*"},
		{"long", strings.Repeat("ab*", 1000), strings.Repeat("ab*ab", 1000)},
		{"pathological", "*a" + strings.Repeat("?", 40) + "*", strings.Repeat("*a", 60) + "*"},
	}
	for _, c := range cases {
		p, q := ParsePattern(c.p, true), ParsePattern(c.q, true)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				p.Covers(q)
			}
		})
	}
}

// allStrings lists the strings over alphabet of length at most n, shortest
// first.
func allStrings(alphabet string, n int) []string {
	out := []string{""}
	prev := []string{""}
	for range n {
		var next []string
		for _, s := range prev {
			for i := range len(alphabet) {
				next = append(next, s+alphabet[i:i+1])
			}
		}
		out = append(out, next...)
		prev = next
	}
	return out
}

func randomString(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
