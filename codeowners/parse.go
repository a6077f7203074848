package codeowners

import (
	"fmt"
	"slices"
	"strings"
)

// Parse reads a CODEOWNERS file found at path. It never fails: as on GitHub,
// an invalid line is skipped, and it is reported in Invalid.
//
// A line is a pattern followed by owners, separated by spaces or tabs; a
// backslash escapes a space inside a pattern. A "#" starts a comment at the
// beginning of a line or of a field, so "*.js @a #note" is owned by @a.
func Parse(path string, data []byte) *File {
	f := &File{Path: path}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	for n := 1; text != ""; n++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		line = strings.TrimSuffix(line, "\r")

		fields := splitFields(line)
		for i, fl := range fields {
			if strings.HasPrefix(fl, "#") {
				fields = fields[:i]
				break
			}
		}
		if len(fields) == 0 {
			continue // blank or comment
		}

		p, reason := compile(fields[0])
		if reason == "" {
			reason = checkOwners(fields[1:])
		}
		if reason != "" {
			f.Invalid = append(f.Invalid, LineError{Line: n, Text: line, Reason: reason})
			continue
		}
		var owners []string
		if len(fields) > 1 {
			owners = slices.Clip(fields[1:])
		}
		f.Rules = append(f.Rules, Rule{Pattern: fields[0], Owners: owners, Line: n})
		f.patterns = append(f.patterns, p)
	}
	return f
}

// splitFields splits a line at unescaped spaces and tabs.
func splitFields(line string) []string {
	var fields []string
	start := -1
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == ' ' || c == '\t' {
			if start >= 0 {
				fields = append(fields, line[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
		if c == '\\' && i+1 < len(line) {
			i++ // `\ ` keeps a space in the field
		}
	}
	if start >= 0 {
		fields = append(fields, line[start:])
	}
	return fields
}

// checkOwners returns why the owners are invalid, or "".
func checkOwners(owners []string) string {
	for _, o := range owners {
		if !isOwner(o) {
			return fmt.Sprintf("owner %q is not @user, @org/team or an email address", o)
		}
	}
	return ""
}

// isOwner reports whether o has the form of an owner. Whether the user or
// team exists and has write access only GitHub can say.
func isOwner(o string) bool {
	if name, ok := strings.CutPrefix(o, "@"); ok {
		org, team, isTeam := strings.Cut(name, "/")
		if !isTeam {
			return isLogin(name)
		}
		return isLogin(org) && team != "" && strings.IndexFunc(team, func(r rune) bool {
			return !isAlnum(r) && r != '-' && r != '_' && r != '.'
		}) < 0
	}
	return isEmail(o)
}

// isLogin accepts GitHub user and organization names. They are letters,
// digits and hyphens; "_" appears in managed users' names ("octo_acme"),
// and old accounts may have hyphens where new ones may not, so hyphen rules
// are not enforced.
func isLogin(s string) bool {
	if s == "" || !isAlnum(rune(s[0])) {
		return false
	}
	for _, r := range s {
		if !isAlnum(r) && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// isEmail accepts a plain address: local@domain.tld, without display names,
// quotes or comments.
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.ContainsAny(local, `@()<>[]:;,"\`) || !strings.Contains(domain, ".") {
		return false
	}
	for _, r := range local {
		if r <= ' ' || r >= 0x7f {
			return false
		}
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !isAlnum(r) && r != '-' {
				return false
			}
		}
	}
	return true
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
