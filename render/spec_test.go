package render_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nhigate/nhigate/render"
	// rendertest registers -update, so that go test ./render/... -update
	// runs here too; this package has no golden file of its own.
	_ "github.com/nhigate/nhigate/render/internal/rendertest"
	"github.com/nhigate/nhigate/spec"
)

var decided = regexp.MustCompile(`[A-Za-z]+: "" # decide:.*`)

var fillIns = map[string]string{
	"owner": `"@acme/payments"`, "requester": "dana", "consumer": "pipeline",
	"environment": "production", "expiresAt": `"2026-04-01T00:00:00Z"`,
	"onTimeout": "2h", "minApprovals": "2",
}

// An imported spec loads with the strict loader, keeps the grants, and
// leaves what import cannot know empty, each with what to decide.
func TestSpecLoads(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := render.Principal{
		Identity: spec.Identity{Name: "payments-ci", Type: "workload-identity", Platform: "aws"},
		Entitlements: []spec.Entitlement{{
			Actions:    []string{"s3:GetObject", "yes"},
			Resources:  []string{"arn:aws:s3:::b/*"},
			Conditions: map[string]any{"aws:RequestedRegion": "eu-west-1"},
		}},
		CredentialKind: "ephemeral",
		TTL:            90 * time.Minute,
	}
	for _, tc := range []struct {
		name      string
		from      render.Imported
		expires   string
		decisions []string
	}{
		{"nothing known", render.Imported{}, "2026-04-01T00:00:00Z", []string{"owner", "requester", "consumer", "environment", "expiresAt", "onTimeout", "minApprovals"}},
		{"expires in", render.Imported{ExpiresIn: 24 * time.Hour, Environment: "staging"}, "2026-03-02T12:00:00Z", []string{"owner", "requester", "consumer", "onTimeout", "minApprovals"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.from.Generator, tc.from.File, tc.from.Data, tc.from.At = "nhigate-import@test", "role.json", []byte("{}"), at
			b, err := render.Spec(p, tc.from)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range tc.decisions {
				if !strings.Contains(string(b), d+`: "" # decide:`) {
					t.Errorf("%s is not left to decide:\n%s", d, b)
				}
			}
			if got := strings.Count(string(b), "# decide:"); got != len(tc.decisions) {
				t.Errorf("%d decisions, want %d (%v):\n%s", got, len(tc.decisions), tc.decisions, b)
			}
			// Once a person decides, the spec loads.
			filled := decided.ReplaceAllStringFunc(string(b), func(m string) string {
				key := m[:strings.Index(m, ":")]
				return key + ": " + fillIns[key]
			})
			ws, err := spec.Parse("x.yaml", []byte(filled), spec.Strict, spec.Limits{})
			if err != nil {
				t.Fatalf("parse:\n%s\n%v", filled, err)
			}
			w := ws[0]
			if err := render.SameAccess("aws", p.Entitlements, w.Spec.Entitlements); err != nil {
				t.Errorf("grants changed: %v", err)
			}
			if w.Spec.ExpiresAt.Text != tc.expires || w.Spec.Credential.TTL.Text != "1h30m" {
				t.Errorf("expiresAt %q ttl %q", w.Spec.ExpiresAt.Text, w.Spec.Credential.TTL.Text)
			}
		})
	}
}

func TestSameAccess(t *testing.T) {
	e := func(a, r string) spec.Entitlement {
		return spec.Entitlement{Actions: []string{a}, Resources: []string{r}}
	}
	for _, tc := range []struct {
		name string
		a, b []spec.Entitlement
		same bool
	}{
		{"equal", []spec.Entitlement{e("s3:GetObject", "arn:aws:s3:::b/*")}, []spec.Entitlement{e("S3:getobject", "arn:aws:s3:::b/*")}, true},
		{"split", []spec.Entitlement{{Actions: []string{"a", "b"}, Resources: []string{"r"}}}, []spec.Entitlement{e("b", "r"), e("a", "r")}, true},
		{"wider", []spec.Entitlement{e("s3:GetObject", "arn:aws:s3:::b/x")}, []spec.Entitlement{e("s3:GetObject", "arn:aws:s3:::b/*")}, false},
		{"condition dropped", []spec.Entitlement{{Actions: []string{"a"}, Resources: []string{"r"}, Conditions: map[string]any{"k": "v"}}}, []spec.Entitlement{e("a", "r")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := render.SameAccess("aws", tc.a, tc.b); (err == nil) != tc.same {
				t.Errorf("SameAccess = %v, want same %v", err, tc.same)
			}
		})
	}
}

func TestImportName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"payments-ci", "payments-ci"},
		{"AmazonS3ReadOnlyAccess", "amazons3readonlyaccess"},
		{"bi-vendor@acme.iam.gserviceaccount.com", "bi-vendor-acme-iam-gserviceaccount-com"},
		{"system:serviceaccount:ci:deployer", "system-serviceaccount-ci-deployer"},
		{"__x__", "x"},
		{"日本", "cf2abf0c"},
		{strings.Repeat("a", 70), strings.Repeat("a", 54) + "-" + "6bd5e503"},
	} {
		got := render.ImportName(render.Principal{Identity: spec.Identity{Name: tc.in}})
		if got != tc.want {
			t.Errorf("ImportName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !regexp.MustCompile(spec.DNSLabelPattern).MatchString(got) {
			t.Errorf("ImportName(%q) = %q, not a DNS label", tc.in, got)
		}
	}
}
