package codeowners_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/codeowners"
)

// match is what Owners answers, in a form cmp can compare: Line 0 means no
// rule matched.
type match struct {
	Owners []string
	Line   int
}

func owners(f *codeowners.File, path string) match {
	got, rule := f.Owners(path)
	if rule == nil {
		if got != nil {
			return match{Owners: got, Line: -1} // owners without a rule: a bug
		}
		return match{}
	}
	return match{Owners: got, Line: rule.Line}
}

func readExample(t *testing.T) *codeowners.File {
	t.Helper()
	data, err := os.ReadFile("testdata/github-docs.CODEOWNERS")
	if err != nil {
		t.Fatal(err)
	}
	return codeowners.Parse("CODEOWNERS", data)
}

func TestParseGitHubExample(t *testing.T) {
	f := readExample(t)
	want := []codeowners.Rule{
		{Pattern: "*", Owners: []string{"@global-owner1", "@global-owner2"}, Line: 11},
		{Pattern: "*.js", Owners: []string{"@js-owner"}, Line: 17}, // the inline comment is not an owner
		{Pattern: "*.go", Owners: []string{"docs@example.com"}, Line: 22},
		{Pattern: "*.txt", Owners: []string{"@octo-org/octocats"}, Line: 28},
		{Pattern: "/build/logs/", Owners: []string{"@doctocat"}, Line: 33},
		{Pattern: "docs/*", Owners: []string{"docs@example.com"}, Line: 38},
		{Pattern: "apps/", Owners: []string{"@octocat"}, Line: 42},
		{Pattern: "/docs/", Owners: []string{"@doctocat"}, Line: 47},
		{Pattern: "/scripts/", Owners: []string{"@doctocat", "@octocat"}, Line: 51},
		{Pattern: "**/logs", Owners: []string{"@octocat"}, Line: 56},
		{Pattern: "/apps/", Owners: []string{"@octocat"}, Line: 61},
		{Pattern: "/apps/github", Line: 62},
	}
	if diff := cmp.Diff(want, f.Rules); diff != "" {
		t.Errorf("Rules (-want +got):\n%s", diff)
	}
	if len(f.Invalid) != 0 {
		t.Errorf("Invalid = %+v, want none", f.Invalid)
	}
	if f.Path != "CODEOWNERS" {
		t.Errorf("Path = %q, want CODEOWNERS", f.Path)
	}
}

// TestOwnersGitHubExample asks the documentation's example who owns what,
// with the answers its comments give.
func TestOwnersGitHubExample(t *testing.T) {
	f := readExample(t)
	global := match{[]string{"@global-owner1", "@global-owner2"}, 11}
	jsOwner := match{[]string{"@js-owner"}, 17}
	goOwner := match{[]string{"docs@example.com"}, 22}
	octocats := match{[]string{"@octo-org/octocats"}, 28}
	anyApps := match{[]string{"@octocat"}, 42}
	rootDocs := match{[]string{"@doctocat"}, 47}
	scripts := match{[]string{"@doctocat", "@octocat"}, 51}
	logs := match{[]string{"@octocat"}, 56}
	rootApps := match{[]string{"@octocat"}, 61}
	unowned := match{nil, 62}

	for _, tt := range []struct {
		path string
		want match
	}{
		{"README.md", global},
		{".github/CODEOWNERS", global},
		{"a/b/c/d", global},
		{"/README.md", global}, // a leading slash is the root

		// Extensions at any depth; the last matching rule wins.
		{"index.js", jsOwner},
		{"src/app/index.js", jsOwner},
		{"index.jsx", global},
		{"index.JS", global}, // case-sensitive
		{"main.go", goOwner},
		{"cmd/tool/main.go", goOwner},
		{"notes.txt", octocats},
		{"a/b/notes.txt", octocats},

		// /build/logs/ is anchored, but **/logs comes later and wins.
		{"build/logs/out.txt", logs},
		{"build/logs/2024/01/out.txt", logs},
		{"build/logsx/out.txt", octocats},
		{"build/logsx/out.bin", global},
		{"build/out.js", jsOwner},

		// docs/* is overridden by /docs/ for the root docs; a docs directory
		// elsewhere is neither (docs/* has a slash, so it is anchored).
		{"docs/getting-started.md", rootDocs},
		{"docs/build-app/troubleshooting.md", rootDocs},
		{"docs/index.js", rootDocs},
		{"src/docs/getting-started.md", global},
		{"Docs/getting-started.md", global},
		{"docs", global}, // a file named docs: /docs/ names a directory

		// apps/ matches an apps directory anywhere, /apps/ the root one.
		{"web/apps/index.html", anyApps},
		{"web/apps/index.js", anyApps},
		{"a/b/apps/c/d.txt", anyApps},
		{"web/apps/github/index.html", anyApps}, // /apps/github is anchored
		{"apps/main.go", rootApps},
		{"apps/githubber/main.go", rootApps},
		{"apps", global},
		{"APPS/main.go", goOwner},
		{"APPS/README", global},

		// /apps/github has no owners: matched, explicitly unowned.
		{"apps/github/index.html", unowned},
		{"apps/github/deep/down/main.go", unowned},
		{"apps/github", unowned},

		{"scripts/deploy.sh", scripts},
		{"scripts/ci/deploy.js", scripts},
		{"src/scripts/deploy.sh", global},

		// **/logs: a logs directory (or file) at any depth, the root included.
		{"logs/today.txt", logs},
		{"logs", logs},
		{"scripts/logs/run.txt", logs},
		{"deeply/nested/logs/x/y.go", logs},
		{"web/apps/logs/x", logs},
		{"apps/logs/x", rootApps},          // /apps/ comes after **/logs
		{"apps/github/logs/x.go", unowned}, // and /apps/github after both
		{"mylogs/x.bin", global},
		{"logs.txt", octocats},
	} {
		if diff := cmp.Diff(tt.want, owners(f, tt.path)); diff != "" {
			t.Errorf("Owners(%q) (-want +got):\n%s", tt.path, diff)
		}
	}
}

// TestOwnersGitHubExampleLastBlock is the example's final block: a later rule
// gives the excluded subdirectory an owner of its own.
func TestOwnersGitHubExampleLastBlock(t *testing.T) {
	f := codeowners.Parse("CODEOWNERS", []byte("/apps/ @octocat\n/apps/github @doctocat\n"))
	for path, want := range map[string]match{
		"apps/main.go":          {[]string{"@octocat"}, 1},
		"apps/github/main.go":   {[]string{"@doctocat"}, 2},
		"apps/github":           {[]string{"@doctocat"}, 2},
		"apps/githubber/x.go":   {[]string{"@octocat"}, 1},
		"web/apps/github/x.go":  {},
		"README.md":             {},
		"apps/github/x/y/z.txt": {[]string{"@doctocat"}, 2},
	} {
		if diff := cmp.Diff(want, owners(f, path)); diff != "" {
			t.Errorf("Owners(%q) (-want +got):\n%s", path, diff)
		}
	}
}

// TestMatch tries one pattern at a time against paths it must and must not
// match.
func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		{"*", []string{"a", ".hidden", "a/b/c"}, nil},
		{"/*", []string{"a", "a.go"}, []string{"a/b"}},
		{"*.js", []string{"a.js", "a/b/c.js", ".js", "a.js/b"}, []string{"a.jsx", "ajs", "a.js.map"}},
		{"README", []string{"README", "a/README", "README/x"}, []string{"README.md", "xREADME", "readme"}},
		{"/README", []string{"README", "README/x"}, []string{"a/README"}},

		// A trailing slash: directories only, at any depth unless anchored.
		{"docs/", []string{"docs/a", "docs/a/b", "x/docs/a", "x/y/docs/a/b"}, []string{"docs", "x/docs", "docsx/a", "xdocs/a"}},
		{"/docs/", []string{"docs/a", "docs/a/b"}, []string{"docs", "x/docs/a"}},
		{"/build/logs/", []string{"build/logs/a", "build/logs/a/b/c"}, []string{"build/logs", "x/build/logs/a", "build/a/logs/b"}},

		// A slash in the middle anchors at the root.
		{"apps/github", []string{"apps/github", "apps/github/a", "apps/github/a/b"}, []string{"x/apps/github", "x/apps/github/a", "apps/githubx"}},

		// A final /* matches the directory's own files only (GitHub, not gitignore).
		{"docs/*", []string{"docs/a", "docs/.a", "docs/getting-started.md"}, []string{"docs", "docs/build-app/troubleshooting.md", "x/docs/a"}},
		{"/docs/*", []string{"docs/a"}, []string{"docs/a/b", "x/docs/a"}},
		{"docs/*/", []string{"docs/a/b", "docs/a/b/c"}, []string{"docs/a", "docs"}},
		// Other wildcards in the last segment still match directories.
		{"docs/*.d", []string{"docs/x.d", "docs/x.d/y"}, []string{"docs/a/x.d"}},
		{"a/*/c", []string{"a/b/c", "a/b/c/d"}, []string{"a/c", "a/b/x/c", "a/b/cc"}},

		// **
		{"**/logs", []string{"logs", "logs/a", "a/logs", "a/b/logs/c"}, []string{"logsx", "a/xlogs/b"}},
		{"**/logs/", []string{"logs/a", "a/logs/b"}, []string{"logs", "a/logs"}},
		{"docs/**", []string{"docs/a", "docs/a/b/c"}, []string{"docs", "x/docs/a"}},
		{"docs/**/", []string{"docs/a/b"}, []string{"docs/a", "docs"}},
		{"a/**/b", []string{"a/b", "a/x/b", "a/x/y/z/b", "a/b/c", "a/x/b/c"}, []string{"a/xb", "x/a/b", "a/x/c", "ab"}},
		{"a/**/b/**/c", []string{"a/b/c", "a/1/b/2/3/c", "a/b/b/c/d"}, []string{"a/c", "a/b", "a/c/b"}},
		{"**", []string{"a", "a/b/c"}, nil},
		{"a/**/**/b", []string{"a/b", "a/x/b", "a/x/y/b"}, []string{"a/xb", "b"}},
		{"a/**/**", []string{"a/x", "a/x/y"}, []string{"a"}},
		{"**/*.go", []string{"a.go", "x/y/a.go"}, []string{"a.gox"}},
		{"/**/*.go", []string{"a.go", "x/y/a.go"}, []string{"a.gox"}},
		{"***/x", []string{"x", "a/b/x"}, []string{"ax"}},                                          // as git: a segment of stars is **
		{"foo**bar", []string{"foobar", "fooXbar", "a/fooXbar"}, []string{"foo/bar", "foo/x/bar"}}, // ** inside a segment is *

		// * and ? stay within a segment.
		{"a*b", []string{"ab", "axxb", "x/ab"}, []string{"a/b", "axx/b"}},
		{"/a*/b", []string{"a/b", "ax/b"}, []string{"a/x/b"}},
		{"?.go", []string{"a.go", "é.go", "x/a.go"}, []string{".go", "ab.go", "a/.go"}},
		{"*a*a*a*a*b", []string{"aaaab", "xaxaxaxaxb"}, []string{"aaab", strings.Repeat("a", 1000)}},

		// Escapes.
		{`path\ with\ spaces/`, []string{"path with spaces/a", "x/path with spaces/a"}, []string{"path/a"}},
		{`\[id\].tsx`, []string{"[id].tsx", "pages/[id].tsx"}, []string{"i.tsx", "id.tsx"}},
		{`\*.txt`, []string{"*.txt"}, []string{"a.txt"}},
		{`a\?`, []string{"a?"}, []string{"ab"}},
		{`\!important`, []string{"!important"}, []string{"important"}},
		{`a\\b`, []string{`a\b`}, []string{"ab"}},
		{`a\/b`, []string{"a/b", "a/b/c"}, []string{"x/a/b"}},

		// Case-sensitive; # inside a pattern is literal.
		{"/Makefile", []string{"Makefile"}, []string{"makefile", "MAKEFILE"}},
		{"a#b", []string{"a#b"}, []string{"a"}},
	} {
		f := codeowners.Parse("CODEOWNERS", []byte(tt.pattern+" @o"))
		if len(f.Invalid) != 0 || len(f.Rules) != 1 {
			t.Errorf("Parse(%q): Rules %+v, Invalid %+v; want one rule", tt.pattern, f.Rules, f.Invalid)
			continue
		}
		for _, p := range tt.match {
			if _, r := f.Owners(p); r == nil {
				t.Errorf("%q does not match %q; want a match", tt.pattern, p)
			}
		}
		for _, p := range tt.noMatch {
			if _, r := f.Owners(p); r != nil {
				t.Errorf("%q matches %q; want none", tt.pattern, p)
			}
		}
	}
}

func TestParseSyntax(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want []codeowners.Rule
	}{
		{"empty", "", nil},
		{"comments and blanks", "# a\n\n   \n\t# indented comment\n#* @x\n", nil},
		{"tabs and spaces", "\t*.go\t @a  \tb@example.com\t\n", []codeowners.Rule{{Pattern: "*.go", Owners: []string{"@a", "b@example.com"}, Line: 1}}},
		{"CRLF", "# c\r\n*.go @a\r\n/x/ @b\r\n", []codeowners.Rule{
			{Pattern: "*.go", Owners: []string{"@a"}, Line: 2},
			{Pattern: "/x/", Owners: []string{"@b"}, Line: 3},
		}},
		{"byte order mark", "\uFEFF*.go @a", []codeowners.Rule{{Pattern: "*.go", Owners: []string{"@a"}, Line: 1}}},
		{"no final newline", "a @a\nb @b", []codeowners.Rule{
			{Pattern: "a", Owners: []string{"@a"}, Line: 1},
			{Pattern: "b", Owners: []string{"@b"}, Line: 2},
		}},
		{"inline comment", "*.js @a #@b is not an owner\n*.go @c # x @d\n", []codeowners.Rule{
			{Pattern: "*.js", Owners: []string{"@a"}, Line: 1},
			{Pattern: "*.go", Owners: []string{"@c"}, Line: 2},
		}},
		{"no owners", "/apps/github\n/apps/gitlab # still unowned\n", []codeowners.Rule{
			{Pattern: "/apps/github", Line: 1},
			{Pattern: "/apps/gitlab", Line: 2},
		}},
		{"escaped spaces", `/My\ Docs/ @a`, []codeowners.Rule{{Pattern: `/My\ Docs/`, Owners: []string{"@a"}, Line: 1}}},
		{"escaped trailing space", `trailing\  @a`, []codeowners.Rule{{Pattern: `trailing\ `, Owners: []string{"@a"}, Line: 1}}},
		{"# inside a pattern", "a#b @a", []codeowners.Rule{{Pattern: "a#b", Owners: []string{"@a"}, Line: 1}}},
		{"owner forms", "* @user @org/team @Mixed-Case_1 @org/team.name_x first.last+tag@mail.example.co.uk", []codeowners.Rule{
			{Pattern: "*", Owners: []string{"@user", "@org/team", "@Mixed-Case_1", "@org/team.name_x", "first.last+tag@mail.example.co.uk"}, Line: 1},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := codeowners.Parse("CODEOWNERS", []byte(tt.in))
			if diff := cmp.Diff(tt.want, f.Rules); diff != "" {
				t.Errorf("Rules (-want +got):\n%s", diff)
			}
			if len(f.Invalid) != 0 {
				t.Errorf("Invalid = %+v, want none", f.Invalid)
			}
		})
	}
}

// TestParseInvalid checks that each line GitHub rejects is skipped and
// reported, and that the lines around it still count.
func TestParseInvalid(t *testing.T) {
	const (
		negation = "negation (!) is not supported by GitHub"
		ranges   = `character ranges ([ ]) are not supported by GitHub; to match a bracket in a name, escape it as \[ or \]`
		hash     = `escaping a leading # (\#) is not supported by GitHub: the line cannot name a path that starts with #`
	)
	for _, tt := range []struct {
		line, reason string
	}{
		{"!*.js @a", negation},
		{"!/docs/ @a", negation},
		{"*.[ch] @a", ranges},
		{"Python/ceval*.[ch] @markshannon", ranges},
		{"pages/s/[org]/index.tsx @a", ranges},
		{"a]b @a", ranges},
		{`\[x] @a`, ranges},
		{`\#file_with_pound.rb @a`, hash},
		{`a\`, `the pattern ends with a lone backslash; write \\ for a backslash`},
		{"/ @a", "the pattern / matches nothing; to match every file, write *"},
		{"// @a", "the pattern // matches nothing; to match every file, write *"},
		{"a//b @a", "the pattern has an empty path segment (//) and matches nothing"},
		{"* user", `owner "user" is not @user, @org/team or an email address`},
		{"* @a user", `owner "user" is not @user, @org/team or an email address`},
		{"* @", `owner "@" is not @user, @org/team or an email address`},
		{"* @-a", `owner "@-a" is not @user, @org/team or an email address`},
		{"* @a.b", `owner "@a.b" is not @user, @org/team or an email address`},
		{"* @org/", `owner "@org/" is not @user, @org/team or an email address`},
		{"* @/team", `owner "@/team" is not @user, @org/team or an email address`},
		{"* @org/team/sub", `owner "@org/team/sub" is not @user, @org/team or an email address`},
		{"* @user@example.com", `owner "@user@example.com" is not @user, @org/team or an email address`},
		{"* user@localhost", `owner "user@localhost" is not @user, @org/team or an email address`},
		{"* user@-example.com", `owner "user@-example.com" is not @user, @org/team or an email address`},
		{"* user@example..com", `owner "user@example..com" is not @user, @org/team or an email address`},
		{"* <user@example.com>", `owner "<user@example.com>" is not @user, @org/team or an email address`},
		{"* a@b@example.com", `owner "a@b@example.com" is not @user, @org/team or an email address`},
		{"* @a#comment", `owner "@a#comment" is not @user, @org/team or an email address`}, // a comment needs a space before it
		{"* @é", `owner "@é" is not @user, @org/team or an email address`},
	} {
		in := "* @before\n" + tt.line + "\n*.go @after\n"
		f := codeowners.Parse("CODEOWNERS", []byte(in))
		wantRules := []codeowners.Rule{
			{Pattern: "*", Owners: []string{"@before"}, Line: 1},
			{Pattern: "*.go", Owners: []string{"@after"}, Line: 3},
		}
		if diff := cmp.Diff(wantRules, f.Rules); diff != "" {
			t.Errorf("%q: Rules (-want +got):\n%s", tt.line, diff)
		}
		wantInvalid := []codeowners.LineError{{Line: 2, Text: tt.line, Reason: tt.reason}}
		if diff := cmp.Diff(wantInvalid, f.Invalid); diff != "" {
			t.Errorf("%q: Invalid (-want +got):\n%s", tt.line, diff)
		}
	}
}

// TestOwnersSkipsInvalid: a skipped line does not take part in matching, so
// an earlier rule still applies.
func TestOwnersSkipsInvalid(t *testing.T) {
	f := codeowners.Parse("CODEOWNERS", []byte("*.c @c-owner\n*.[ch] @range-owner\n!vendor/*.c @nobody\n"))
	if diff := cmp.Diff(match{[]string{"@c-owner"}, 1}, owners(f, "vendor/x.c")); diff != "" {
		t.Errorf("Owners (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(match{}, owners(f, "x.h")); diff != "" {
		t.Errorf("Owners (-want +got):\n%s", diff)
	}
	if len(f.Invalid) != 2 {
		t.Errorf("Invalid = %+v, want lines 2 and 3", f.Invalid)
	}
}

func TestOwnersNoFile(t *testing.T) {
	var f *codeowners.File // what Find returns when there is none
	if got, rule := f.Owners("a.go"); got != nil || rule != nil {
		t.Errorf("Owners on nil File = %v, %v; want nil, nil", got, rule)
	}
	f = codeowners.Parse("CODEOWNERS", []byte("* @a"))
	for _, p := range []string{"", "/"} {
		if got, rule := f.Owners(p); got != nil || rule != nil {
			t.Errorf("Owners(%q) = %v, %v; want nil, nil", p, got, rule)
		}
	}
}

// TestOwnersHandBuilt: a File not made by Parse still matches.
func TestOwnersHandBuilt(t *testing.T) {
	f := &codeowners.File{Rules: []codeowners.Rule{
		{Pattern: "*", Owners: []string{"@a"}, Line: 1},
		{Pattern: "/docs/", Owners: []string{"@b"}, Line: 2},
		{Pattern: "!x", Owners: []string{"@c"}, Line: 3}, // invalid: never matches
	}}
	if diff := cmp.Diff(match{[]string{"@b"}, 2}, owners(f, "docs/x")); diff != "" {
		t.Errorf("Owners (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(match{[]string{"@a"}, 1}, owners(f, "x")); diff != "" {
		t.Errorf("Owners (-want +got):\n%s", diff)
	}
	// Edited after Parse: the edit counts.
	g := codeowners.Parse("CODEOWNERS", []byte("/a/ @a\n"))
	g.Rules[0].Pattern = "/b/"
	if diff := cmp.Diff(match{[]string{"@a"}, 1}, owners(g, "b/x")); diff != "" {
		t.Errorf("Owners after edit (-want +got):\n%s", diff)
	}
}

func TestFind(t *testing.T) {
	big := []byte(strings.Repeat("# padding\n", 3<<20/10+1))
	for _, tt := range []struct {
		name     string
		files    map[string][]byte
		broken   string // a path whose read fails with another error
		wantPath string // "" for no file
		wantErr  error  // matched with errors.Is; nil for none
	}{
		{name: "none", files: map[string][]byte{"README.md": []byte("x")}},
		{name: "root", files: map[string][]byte{"CODEOWNERS": []byte("* @root")}, wantPath: "CODEOWNERS"},
		{name: "docs", files: map[string][]byte{"docs/CODEOWNERS": []byte("* @docs")}, wantPath: "docs/CODEOWNERS"},
		{name: ".github first", files: map[string][]byte{
			"docs/CODEOWNERS":    []byte("* @docs"),
			"CODEOWNERS":         []byte("* @root"),
			".github/CODEOWNERS": []byte("* @github"),
		}, wantPath: ".github/CODEOWNERS"},
		{name: "root before docs", files: map[string][]byte{
			"docs/CODEOWNERS": []byte("* @docs"),
			"CODEOWNERS":      []byte("* @root"),
		}, wantPath: "CODEOWNERS"},
		{name: "an empty file still counts", files: map[string][]byte{
			".github/CODEOWNERS": nil,
			"CODEOWNERS":         []byte("* @root"),
		}, wantPath: ".github/CODEOWNERS"},
		{name: "too large, no fallback", files: map[string][]byte{
			".github/CODEOWNERS": big,
			"CODEOWNERS":         []byte("* @root"),
		}, wantErr: codeowners.ErrTooLarge},
		{name: "just under 3 MB", files: map[string][]byte{"CODEOWNERS": big[:3<<20-1]}, wantPath: "CODEOWNERS"},
		{name: "exactly 3 MB", files: map[string][]byte{"CODEOWNERS": big[:3<<20]}, wantErr: codeowners.ErrTooLarge},
		{name: "read error", files: map[string][]byte{"docs/CODEOWNERS": []byte("* @docs")}, broken: "CODEOWNERS", wantErr: fs.ErrPermission},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			read := func(path string) ([]byte, error) {
				asked = append(asked, path)
				if path == tt.broken {
					return nil, fmt.Errorf("open %s: %w", path, fs.ErrPermission)
				}
				data, ok := tt.files[path]
				if !ok {
					return nil, fmt.Errorf("base revision: %s: %w", path, fs.ErrNotExist)
				}
				return data, nil
			}
			f, err := codeowners.Find(read)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || f != nil {
					t.Fatalf("Find = %v, %v; want nil and an error wrapping %v", f, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gotPath := ""
			if f != nil {
				gotPath = f.Path
			}
			if gotPath != tt.wantPath {
				t.Errorf("found %q, want %q", gotPath, tt.wantPath)
			}
			// It stops at the first file found, in GitHub's order.
			wantAsked := codeowners.Locations
			for i, loc := range codeowners.Locations {
				if loc == tt.wantPath {
					wantAsked = codeowners.Locations[:i+1]
				}
			}
			if diff := cmp.Diff(wantAsked, asked); diff != "" {
				t.Errorf("paths read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindTooLargeMessage(t *testing.T) {
	_, err := codeowners.Find(func(path string) ([]byte, error) {
		return make([]byte, 4<<20), nil
	})
	want := ".github/CODEOWNERS: CODEOWNERS file too large: it is 4194304 bytes and GitHub ignores a CODEOWNERS file of 3 MB or more, so it requests no code owner; merge entries with wildcard patterns to shrink it"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
