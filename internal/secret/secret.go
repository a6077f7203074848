// Package secret finds secrets pasted into text and masks them. Its
// patterns are those of policy NHI-SEC-001
// (policies/nhigate/secrets/secrets.rego), and a test holds the two lists
// equal, so that every value the policy flags is masked in every output.
package secret

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// Kind is one kind of secret: its name as the policy's message gives it,
// and the pattern that finds it.
type Kind struct {
	// Name reads as in "holds what looks like <Name>".
	Name string
	// Pattern is the policy's regular expression, verbatim.
	Pattern string

	re *regexp.Regexp
	// span narrows a match of re in s, at m (FindStringSubmatchIndex),
	// to the part to hide. Nil hides the whole match.
	span func(s string, m []int) (start, end int)
}

// Kinds are the secrets NHI-SEC-001 denies, in the policy's words.
var Kinds = []*Kind{
	{Name: "an AWS access key id", Pattern: `(^|[^A-Z0-9])(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}([^A-Z0-9]|$)`,
		// The pattern takes the characters on either side as boundaries;
		// only the key itself is hidden.
		span: func(_ string, m []int) (int, int) { return m[3], m[6] }},
	{Name: "a private key", Pattern: `-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`, span: pemSpan},
	{Name: "a GitHub token", Pattern: `(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})`},
	{Name: "a Slack token", Pattern: `xox[abposr]-[A-Za-z0-9-]{10,}`},
	{Name: "a Google API key", Pattern: `AIza[0-9A-Za-z_-]{35}`},
	{Name: "a JSON Web Token", Pattern: `eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`},
	{Name: "a Stripe secret key", Pattern: `[rs]k_live_[0-9A-Za-z]{20,}`},
	{Name: "a password in a URL", Pattern: `[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@${}]+@`,
		// Only the password goes: the scheme, user and host stay readable.
		span: func(s string, m []int) (int, int) {
			user := m[0] + strings.Index(s[m[0]:m[1]], "://") + len("://")
			return user + strings.IndexByte(s[user:m[1]], ':') + 1, m[1] - 1
		}},
}

// Markers are literals of which every secret contains one: text without
// any of them holds no secret, and costs a few substring searches.
var Markers = []string{"AKIA", "ASIA", "ABIA", "ACCA", "PRIVATE KEY", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AIza", "eyJ", "k_live_", "://"}

func init() {
	for _, k := range Kinds {
		k.re = regexp.MustCompile(k.Pattern)
	}
}

// Matches reports whether s holds this kind of secret: the policy's
// regex.match(pattern, s).
func (k *Kind) Matches(s string) bool { return k.re.MatchString(s) }

// pemEnd finds the end line of a PEM private key.
var pemEnd = regexp.MustCompile(`-----END ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`)

// pemSpan hides a private key from its BEGIN line to its END line. Without
// an END line it hides what follows for as long as it can be part of a PEM
// body (base64, headers such as Proc-Type, line breaks, and their escaped
// forms in JSON or XML), so that a key cut short does not leak its body.
func pemSpan(s string, m []int) (int, int) {
	if e := pemEnd.FindStringIndex(s[m[1]:]); e != nil {
		return m[0], m[1] + e[1]
	}
	end := m[1]
	for end < len(s) && strings.IndexByte(pemBody, s[end]) >= 0 {
		end++
	}
	return m[0], end
}

const pemBody = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n\\:,-&#;"

// Found is one secret in a text.
type Found struct {
	Kind       *Kind
	Start, End int // the bytes to hide
}

// Suspicious reports whether s contains a marker, the cheap test that
// comes before any pattern.
func Suspicious(s string) bool {
	// One pass over s, trying only the markers that start with each byte:
	// reports are walked string by string, most of them short and clean.
	for i := 0; i < len(s); i++ {
		for _, m := range byFirst[s[i]] {
			if strings.HasPrefix(s[i:], m) {
				return true
			}
		}
	}
	return false
}

// byFirst indexes Markers by their first byte.
var byFirst = func() (t [256][]string) {
	for _, m := range Markers {
		t[m[0]] = append(t[m[0]], m)
	}
	return t
}()

// Find lists the secrets in s, by position. Spans of different kinds may
// overlap; Mask merges them.
func Find(s string) []Found {
	if !Suspicious(s) {
		return nil
	}
	var out []Found
	for _, k := range Kinds {
		for pos := 0; pos < len(s); {
			m := k.re.FindStringSubmatchIndex(s[pos:])
			if m == nil {
				break
			}
			for i := range m {
				if m[i] >= 0 {
					m[i] += pos
				}
			}
			start, end := m[0], m[1]
			if k.span != nil {
				start, end = k.span(s, m)
			}
			out = append(out, Found{Kind: k, Start: start, End: end})
			// Search on from the end of the hidden part, not of the match:
			// a boundary character the match took may start the next one.
			pos = max(end, m[0]+1)
		}
	}
	return out
}

// Replacement is what a masked secret of kind k reads as.
func Replacement(k *Kind) string { return "[redacted: " + k.Name + "]" }

// Mask replaces every secret in s by Replacement(kind).
func Mask(s string) string {
	return MaskWith(s, Replacement)
}

// MaskWith replaces every secret in s by repl(kind), for formats that must
// escape the replacement.
func MaskWith(s string, repl func(*Kind) string) string {
	found := Find(s)
	if len(found) == 0 {
		return s
	}
	// By start; overlapping spans merge under the first one's kind.
	slices.SortStableFunc(found, func(a, b Found) int { return cmp.Compare(a.Start, b.Start) })
	var b strings.Builder
	last := 0
	for i := 0; i < len(found); {
		f := found[i]
		end := f.End
		for i++; i < len(found) && found[i].Start < end; i++ {
			end = max(end, found[i].End)
		}
		b.WriteString(s[last:f.Start])
		b.WriteString(repl(f.Kind))
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}
