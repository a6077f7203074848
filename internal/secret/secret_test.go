package secret

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

// TestKindsMatchPolicy holds the Go patterns and markers equal to those of
// NHI-SEC-001, so that what the policy flags is what the output masks.
func TestKindsMatchPolicy(t *testing.T) {
	src, err := os.ReadFile("../../policies/nhigate/secrets/secrets.rego")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := ast.ParseModuleWithOpts("secrets.rego", string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	rule := func(name string) *ast.Term {
		for _, r := range mod.Rules {
			if r.Head.Name.String() == name || r.Head.Ref().String() == name {
				return r.Head.Value
			}
		}
		t.Fatalf("secrets.rego has no rule %s", name)
		return nil
	}
	policy := map[string]string{}
	obj, ok := rule("secret_kinds").Value.(ast.Object)
	if !ok {
		t.Fatalf("secret_kinds is not an object")
	}
	obj.Foreach(func(k, v *ast.Term) {
		name, ok1 := k.Value.(ast.String)
		pattern, ok2 := v.Value.(ast.String)
		if !ok1 || !ok2 {
			t.Errorf("secret_kinds entry %v: %v is not a pair of strings", k, v)
			return
		}
		policy[string(name)] = string(pattern)
	})
	ours := map[string]string{}
	for _, k := range Kinds {
		ours[k.Name] = k.Pattern
	}
	if diff := cmp.Diff(policy, ours); diff != "" {
		t.Errorf("secret kinds differ from secrets.rego (-rego +go):\n%s", diff)
	}

	var markers []string
	arr, ok := rule("markers").Value.(*ast.Array)
	if !ok {
		t.Fatalf("markers is not an array")
	}
	arr.Foreach(func(v *ast.Term) { markers = append(markers, string(v.Value.(ast.String))) })
	if diff := cmp.Diff(markers, Markers); diff != "" {
		t.Errorf("markers differ from secrets.rego (-rego +go):\n%s", diff)
	}
}

// Samples are assembled at run time so that secret scanners do not flag
// this file, as in secrets_test.rego.
var (
	x36     = "abcdefghijklmnopqrstuvwxyz0123456789"
	aws     = "AK" + "IAIOSFODNN7EXAMPLE"
	github  = "gh" + "p_" + x36
	pat     = "github" + "_pat_" + "11ABCDEFG0123456789_abcdefghijklmnop"
	slack   = "xo" + "xb-" + "1234567890-abcdef"
	google  = "AI" + "za" + "SyA-abcdefghijklmnopqrstuvwxyz01234"
	jwt     = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJhbGljZSJ9" + ".c2lnbmF0dXJlLXNpZw"
	stripe  = "sk" + "_live_" + x36
	pemHead = "-----BEGIN RSA " + "PRIVATE KEY-----"
	pemTail = "-----END RSA " + "PRIVATE KEY-----"
)

func TestMask(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"clean", "arn:aws:s3:::payments/*", "arn:aws:s3:::payments/*"},
		{"AWS key", "use " + aws + " now", "use [redacted: an AWS access key id] now"},
		{"AWS key alone", aws, "[redacted: an AWS access key id]"},
		{"two AWS keys one character apart", aws + " " + aws, "[redacted: an AWS access key id] [redacted: an AWS access key id]"},
		{"AWS key inside a longer word is not one", "X" + aws, "X" + aws},
		{"GitHub token", "token=" + github, "token=[redacted: a GitHub token]"},
		{"fine-grained GitHub token", pat, "[redacted: a GitHub token]"},
		{"Slack token", "hook " + slack, "hook [redacted: a Slack token]"},
		{"Google key", google, "[redacted: a Google API key]"},
		{"JWT", "Bearer " + jwt, "Bearer [redacted: a JSON Web Token]"},
		{"Stripe key", stripe + ".", "[redacted: a Stripe secret key]."},
		{"password in a URL", "postgres://app:hunter2@db/payments", "postgres://app:[redacted: a password in a URL]@db/payments"},
		{"placeholder in a URL is not a password", "postgres://app:${DB_PASSWORD}@db/payments", "postgres://app:${DB_PASSWORD}@db/payments"},
		{"private key with its body", "key: " + pemHead + "\nMIIEowIBAAKCAQEA\nabc+/==\n" + pemTail + "\nafter", "key: [redacted: a private key]\nafter"},
		{"private key cut short", pemHead + "\nMIIEowIBAAKCAQEA\nabc+/== (cut) after", "[redacted: a private key](cut) after"},
		{"private key escaped as in JSON", `"` + pemHead + `\nMIIEowIBAAKCAQEA\nabc" next`, `"[redacted: a private key]" next`},
		{"overlapping kinds", "https://u:" + github + "@host", "https://u:[redacted: a GitHub token]@host"},
		{"many kinds", aws + "," + slack + "," + stripe, "[redacted: an AWS access key id],[redacted: a Slack token],[redacted: a Stripe secret key]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Mask(tt.in)
			if got != tt.want {
				t.Errorf("Mask(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := Mask(got); again != got {
				t.Errorf("masking is not idempotent: %q became %q", got, again)
			}
		})
	}
}

// FuzzMask asserts that nothing the policy's patterns match survives
// masking, and that the markers are a sound filter for the patterns.
func FuzzMask(f *testing.F) {
	for _, s := range []string{aws, github, pat, slack, google, jwt, stripe, pemHead + "\nabc\n" + pemTail,
		"https://ci:hunter2@registry.example.com/v2", "x" + aws + " " + aws + "y", "a://b:c@d://e:f@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		masked := Mask(s)
		for _, k := range Kinds {
			if k.re.MatchString(masked) {
				t.Errorf("after masking %q, %s still matches in %q", s, k.Name, masked)
			}
			if k.re.MatchString(s) && !Suspicious(s) {
				t.Errorf("%s matches %q, which holds no marker", k.Name, s)
			}
		}
		if strings.Contains(s, "[redacted") {
			return // the input imitates a replacement; the length check below does not apply
		}
		if masked != s && !strings.Contains(masked, "[redacted: ") {
			t.Errorf("Mask changed %q without saying so: %q", s, masked)
		}
	})
}
