package codeowners_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/codeowners"
)

// FuzzParse feeds Parse arbitrary bytes and Owners an arbitrary path. Neither
// may panic, and Parse must account for every line: each rule and each
// invalid line at its own line number, in order. Owners must answer from one
// of the file's rules, and quickly, however long the input.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("testdata/github-docs.CODEOWNERS")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example, "apps/github/x.go")
	f.Add(example, "deeply/nested/logs/x")
	for _, s := range []string{
		"",
		"\uFEFF* @a\r\n/x/ @b # c\r\n",
		"!x @a\n*.[ch] @a\n\\#x @a\n/ @a\na//b\n* user\n",
		`a\ b\  @a` + "\n" + `a\`,
		strings.Repeat("*a", 500) + " @a\n",
		strings.Repeat("**/a/", 300) + "b @a\n",
		strings.Repeat("a/", 2000) + " @a\n",
		strings.Repeat("* @a\n", 1000),
		"\xff\xfe @a\n?\xff @b",
	} {
		f.Add([]byte(s), strings.Repeat("a/", 500)+"b")
		f.Add([]byte(s), strings.Repeat("a", 5000))
		f.Add([]byte(s), "a/b/c.go")
	}

	f.Fuzz(func(t *testing.T, data []byte, path string) {
		file := codeowners.Parse("CODEOWNERS", data)
		lines := strings.Count(string(data), "\n") + 1
		last := 0
		for _, r := range file.Rules {
			if r.Line <= last || r.Line > lines {
				t.Fatalf("rule %+v out of order or past line %d", r, lines)
			}
			last = r.Line
			if r.Pattern == "" || strings.HasPrefix(r.Pattern, "#") || strings.HasPrefix(r.Pattern, "!") {
				t.Fatalf("rule %+v has a pattern GitHub rejects", r)
			}
		}
		last = 0
		for _, e := range file.Invalid {
			if e.Line <= last || e.Line > lines || e.Reason == "" {
				t.Fatalf("invalid line %+v out of order, past line %d, or without a reason", e, lines)
			}
			last = e.Line
			if slices.ContainsFunc(file.Rules, func(r codeowners.Rule) bool { return r.Line == e.Line }) {
				t.Fatalf("line %d is both a rule and invalid", e.Line)
			}
		}
		if diff := cmp.Diff(file, codeowners.Parse("CODEOWNERS", data), cmpopts.IgnoreUnexported(codeowners.File{})); diff != "" {
			t.Fatalf("Parse is not deterministic:\n%s", diff)
		}

		owners, rule := file.Owners(path)
		// The matcher never backtracks: each rule costs at most
		// 3·(len(pattern)+1)·(len(path)+1)² steps.
		bound := 0
		for _, r := range file.Rules {
			bound += 3 * (len(r.Pattern) + 1) * (len(path) + 1) * (len(path) + 1)
		}
		if steps := file.OwnersSteps(path); steps > bound {
			t.Errorf("Owners took %d steps, over the bound %d", steps, bound)
		}
		if rule == nil {
			if owners != nil {
				t.Fatalf("owners %q without a rule", owners)
			}
			return
		}
		ours := false
		for i := range file.Rules {
			ours = ours || &file.Rules[i] == rule
		}
		if !ours {
			t.Fatalf("rule %+v is not one of the file's", rule)
		}
		if !slices.Equal(owners, rule.Owners) {
			t.Fatalf("owners %q are not the rule's %q", owners, rule.Owners)
		}
	})
}

// FuzzMatch checks the package's matcher against a translation of the same
// rules into a regular expression, for one pattern and one path.
func FuzzMatch(f *testing.F) {
	for _, p := range []string{
		"*", "/*", "*.js", "docs/", "/docs/", "docs/*", "/build/logs/", "apps/github",
		"**/logs", "docs/**", "a/**/b", "**", "***/x", "foo**bar", "a*b", "?.go",
		`path\ with\ spaces/`, `\[id\].tsx`, `a\/b`, "docs/*/", "a/*/c",
	} {
		for _, path := range []string{"a", "docs/a", "docs/a/b", "x/docs/a", "a/x/b", "logs", "build/logs/x", "apps/github/x"} {
			f.Add(p, path)
		}
	}

	f.Fuzz(func(t *testing.T, pat, path string) {
		if pat == "" || strings.ContainsAny(pat, " \t\r\n") || pat[0] == '#' ||
			!utf8.ValidString(pat) || !utf8.ValidString(path) {
			t.Skip()
		}
		// Paths as git names them: no empty segments.
		path = strings.TrimPrefix(path, "/")
		if path == "" || path[0] == '/' || strings.HasSuffix(path, "/") || strings.Contains(path, "//") {
			t.Skip()
		}
		file := codeowners.Parse("CODEOWNERS", []byte(pat+" @o"))
		if len(file.Rules) != 1 {
			t.Skip()
		}
		// Not always pat: "a\ @o" is the pattern `a\ @o`, without owners.
		re := reference(file.Rules[0].Pattern)
		_, rule := file.Owners(path)
		if got, want := rule != nil, re.MatchString(path); got != want {
			t.Errorf("pattern %q, path %q: match = %v, want %v (by %s)", pat, path, got, want, re)
		}
	})
}

// reference translates a valid pattern into a regular expression, directly
// from the rules in the package documentation.
func reference(pat string) *regexp.Regexp {
	// Split at slashes, escaped or not, keeping other escapes.
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(pat); i++ {
		switch {
		case pat[i] == '\\' && pat[i+1] == '/':
			i++
			fallthrough
		case pat[i] == '/':
			segs = append(segs, cur.String())
			cur.Reset()
		case pat[i] == '\\':
			cur.WriteString(pat[i : i+2])
			i++
		default:
			cur.WriteByte(pat[i])
		}
	}
	segs = append(segs, cur.String())

	anchored, dirOnly := false, false
	if len(segs) > 1 && segs[0] == "" {
		anchored, segs = true, segs[1:]
	}
	if len(segs) > 1 && segs[len(segs)-1] == "" {
		dirOnly, segs = true, segs[:len(segs)-1]
	}
	anchored = anchored || len(segs) > 1

	var b strings.Builder
	b.WriteString(`(?s)\A`)
	if !anchored {
		b.WriteString(`(?:[^/]+/)*`)
	}
	for i, s := range segs {
		last := i == len(segs)-1
		if len(s) >= 2 && strings.Trim(s, "*") == "" {
			if last {
				b.WriteString(`[^/]+(?:/[^/]+)*`)
			} else {
				b.WriteString(`(?:[^/]+/)*`)
			}
			continue
		}
		for j := 0; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
				b.WriteString(regexp.QuoteMeta(s[j : j+1]))
			case '*':
				b.WriteString(`[^/]*`)
			case '?':
				b.WriteString(`[^/]`)
			default:
				b.WriteString(regexp.QuoteMeta(s[j : j+1]))
			}
		}
		if !last {
			b.WriteString("/")
		}
	}
	switch {
	case dirOnly:
		b.WriteString(`/.+`)
	case segs[len(segs)-1] == "*":
	default:
		b.WriteString(`(?:/.+)?`)
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}
