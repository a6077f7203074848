package ghapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// A token of GitHub's shape, assembled so that secret scanners skip it.
var realToken = "gh" + "p_" + "Zx8kQ2vN7rLw4TyP0aBcDeFgHiJkLmNoPqRs"

// forms are the ways a hostile server could echo a token back.
func forms(tok string) map[string]string {
	out := map[string]string{
		"as it is":        tok,
		"upper case":      strings.ToUpper(tok),
		"lower case":      strings.ToLower(tok),
		"mixed case":      mixCase(tok),
		"first 8":         tok[:8],
		"first 12, upper": strings.ToUpper(tok[:12]),
		"last 8":          tok[len(tok)-8:],
		"a middle slice":  tok[len(tok)/4 : len(tok)/4+9],
		"percent-encoded": percent(tok, "%%%02X"),
		"percent, lower":  percent(tok, "%%%02x"),
		"underscore only": strings.ReplaceAll(tok, "_", "%5F"),
		"twice encoded":   strings.ReplaceAll(percent(tok, "%%%02X"), "%", "%25"),
		"JSON escapes":    `\u0067\u0068\u0070` + tok[3:],
		"Bearer header":   "Authorization: Bearer " + tok,
	}
	for ename, enc := range map[string]*base64.Encoding{"std": base64.StdEncoding, "raw std": base64.RawStdEncoding, "url": base64.URLEncoding, "raw url": base64.RawURLEncoding} {
		for _, prefix := range []string{"", "x", "xy", "x-access-token:", "user:"} {
			for _, suffix := range []string{"", "!", "?&"} {
				out[fmt.Sprintf("base64 %s of %q+token+%q", ename, prefix, suffix)] = enc.EncodeToString([]byte(prefix + tok + suffix))
			}
		}
		out["base64 "+ename+" of the first 12"] = enc.EncodeToString([]byte(tok[:12]))
	}
	return out
}

func mixCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 {
			b[i] = strings.ToUpper(string(b[i]))[0]
		} else {
			b[i] = strings.ToLower(string(b[i]))[0]
		}
	}
	return string(b)
}

func percent(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

// leak reports how s still gives away 8 consecutive bytes of tok, found
// independently of the redactor: by searching s in any case, after
// percent-decoding, and after base64-decoding every run of base64
// characters at every alignment in both alphabets.
func leak(s, tok string) string {
	windows := func(hay string) string {
		hay = strings.ToLower(hay)
		low := strings.ToLower(tok)
		n := min(8, len(tok))
		for i := 0; i+n <= len(low); i++ {
			if strings.Contains(hay, low[i:i+n]) {
				return low[i : i+n]
			}
		}
		return ""
	}
	for _, text := range []string{s, unpercent(s), unpercent(unpercent(s)), strings.ReplaceAll(s, `\u00`, "%")} {
		if w := windows(text); w != "" {
			return "plain " + w
		}
		for _, run := range base64Runs(text) {
			for skip := 0; skip < 4 && skip < len(run); skip++ {
				r := strings.TrimRight(run[skip:], "=")
				for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
					for cut := 0; cut < 4 && cut < len(r); cut++ {
						if b, err := enc.DecodeString(r[:len(r)-cut]); err == nil {
							if w := windows(string(b)); w != "" {
								return "base64 " + w
							}
						}
					}
				}
			}
		}
	}
	return ""
}

func base64Runs(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && (isBase64(s[i]) || s[i] == '=') {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 8 {
			out = append(out, s[start:i])
		}
		start = -1
	}
	return out
}

func unpercent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestRedactForms(t *testing.T) {
	for _, tok := range []string{realToken, testToken, "ghs_" + strings.Repeat("A1b2", 9)} {
		r := newRedactor(tok)
		for name, form := range forms(tok) {
			if leak(form, tok) == "" {
				t.Fatalf("%s: the test's oracle misses %q", name, form)
			}
			in := "before " + form + " after"
			got := r.redact(in)
			if l := leak(got, tok); l != "" {
				t.Errorf("%s of %s: %q still gives away the token (%s):\n%q", name, tok, got, l, in)
			}
			if !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") || !strings.Contains(got, Redacted) {
				t.Errorf("%s: redacted more or less than the token: %q", name, got)
			}
		}
	}
}

func TestRedactLeavesOtherText(t *testing.T) {
	r := newRedactor(realToken)
	for _, s := range []string{
		"",
		"Bad credentials",
		"ghp_ is the prefix of a classic token",
		"gh" + "p_" + "Zx8" + "XXXXX", // seven characters in common
		"https://docs.github.com/rest?q=%20a%2Fb",
		`{"message": "Not Found", "path": "a\/b", "x": "\u00e9"}`,
		base64.StdEncoding.EncodeToString([]byte("some other secret value entirely")),
		"%%%", `\u00`, "%4", `\u006`,
	} {
		if got := r.redact(s); got != s {
			t.Errorf("redact(%q) = %q, want it unchanged", s, got)
		}
	}
	if got := newRedactor("").redact("anything"); got != "anything" {
		t.Errorf("an empty token redacted %q", got)
	}
	short := newRedactor("abc12")
	if got := short.redact("x ABC12 y abc1"); got != "x REDACTED y abc1" {
		t.Errorf("short token: %q", got)
	}
}

// TestTransportRedactsAnswers checks that what the API returns cannot
// carry the token into the report: a review whose login is the token in
// any form reads as redacted.
func TestTransportRedactsAnswers(t *testing.T) {
	for name, form := range forms(testToken) {
		t.Run(name, func(t *testing.T) {
			c, mux, _ := setupMux(t)
			mux.HandleFunc("/repos/acme/policy/pulls/7/reviews", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Echo", form)
				fmt.Fprintf(w, `[{"id": 1, "user": {"login": %q}, "state": "APPROVED", "commit_id": %q}]`, form, headSHA)
			})
			reviews, err := c.PullRequest("acme", "policy", 7).Reviews(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(reviews) != 1 {
				t.Fatalf("got %d reviews", len(reviews))
			}
			if l := leak(reviews[0].User, testToken); l != "" || !strings.Contains(reviews[0].User, Redacted) {
				t.Errorf("login %q gives away the token (%s)", reviews[0].User, l)
			}
		})
	}
}

// TestTransportBoundsAnswers checks that an answer over the limit fails
// with an error that names the limit, instead of being read whole.
func TestTransportBoundsAnswers(t *testing.T) {
	c, mux, _ := setupMux(t)
	mux.HandleFunc("/repos/acme/policy/pulls/7/reviews", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := strings.Repeat(" ", 1<<20)
		for range maxResponseBody>>20 + 1 {
			if _, err := fmt.Fprint(w, chunk); err != nil {
				return
			}
		}
	})
	_, err := c.PullRequest("acme", "policy", 7).Reviews(context.Background())
	if err == nil || !strings.Contains(err.Error(), "is over 32 MiB") {
		t.Errorf("err = %v, want the size limit named", err)
	}
}

// TestRedactKeepsJSONValid redacts tokens next to JSON escapes: the body
// go-github decodes must stay valid JSON, so a redaction never starts or
// ends inside an escape.
func TestRedactKeepsJSONValid(t *testing.T) {
	r := newRedactor(realToken)
	suffix := realToken[len(realToken)/2:]
	for _, doc := range []string{
		`{"login": "a\n` + suffix + `"}`,
		`{"login": "a\\` + realToken + `"}`,
		`{"login": "\\u0067\\u0068\\u0070` + realToken[3:] + `"}`,
		`{"login": "\u0067\u0068\u0070` + realToken[3:] + `"}`,
		`{"login": "\"` + realToken + `\""}`,
		`{"login": "` + realToken[:12] + `\t` + realToken[12:] + `"}`,
		`{"url": "https:\/\/x\/` + percent(realToken, "%%%02X") + `"}`,
	} {
		if !json.Valid([]byte(doc)) {
			t.Fatalf("fixture is not JSON: %s", doc)
		}
		got := r.redact(doc)
		if !json.Valid([]byte(got)) {
			t.Errorf("redact(%s) = %s, not JSON", doc, got)
		}
		if l := leak(got, realToken); l != "" {
			t.Errorf("redact(%s) = %s gives away the token (%s)", doc, got, l)
		}
	}
}

// FuzzRedact puts a form of the token between arbitrary text, as an answer
// would, and asserts that no form of it is left and that valid JSON stays
// valid.
func FuzzRedact(f *testing.F) {
	all := forms(realToken)
	names := slices.Sorted(maps.Keys(all))
	f.Add("before ", " after", uint8(0))
	f.Add(`{"message": "`, `"}`, uint8(3))
	f.Add("%", "=", uint8(7))
	f.Fuzz(func(t *testing.T, before, after string, which uint8) {
		r := newRedactor(realToken)
		s := before + all[names[int(which)%len(names)]] + after
		got := r.redact(s)
		if l := leak(got, realToken); l != "" && leak(before+after, realToken) == "" {
			t.Fatalf("redact(%q) = %q gives away the token (%s)", s, got, l)
		}
		if json.Valid([]byte(s)) && !json.Valid([]byte(got)) {
			t.Fatalf("redact(%q) = %q is no longer JSON", s, got)
		}
	})
}
