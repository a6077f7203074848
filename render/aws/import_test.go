package aws

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/internal/rendertest"
	"github.com/nhigate/nhigate/spec"
)

// apply is what AWS reports after applying rendered files: the role as
// `aws iam get-account-authorization-details` lists it, with the
// MaxSessionDuration that `aws iam get-role` adds.
func apply(t *testing.T, fs []render.File) []byte {
	t.Helper()
	var policy, trust any
	var role outRole
	for _, f := range fs {
		var err error
		switch path.Base(f.Name) {
		case "policy.json":
			err = json.Unmarshal(f.Data, &policy)
		case "trust-policy.json":
			err = json.Unmarshal(f.Data, &trust)
		case "role.json":
			err = json.Unmarshal(f.Data, &role)
		}
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
	listing := map[string]any{
		"RoleDetailList": []any{map[string]any{
			"Path": "/", "RoleName": role.RoleName, "RoleId": "AROAEXAMPLE", "Arn": "arn:aws:iam::123456789012:role/" + role.RoleName,
			"CreateDate": "2026-11-30T00:00:00Z", "AssumeRolePolicyDocument": trust, "InstanceProfileList": []any{},
			"RolePolicyList":          []any{map[string]any{"PolicyName": path.Dir(fs[0].Name), "PolicyDocument": policy}},
			"AttachedManagedPolicies": []any{}, "Tags": role.Tags, "MaxSessionDuration": role.MaxSessionDuration,
		}},
		"GroupDetailList": []any{}, "UserDetailList": []any{}, "Policies": []any{},
	}
	b, err := json.Marshal(listing)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// principalOf is the principal a spec describes, as far as an IAM role
// carries it: the identity's type and consumer are not access and have no
// place in IAM.
func principalOf(w *spec.Workflow) render.Principal {
	return render.Principal{
		Identity:       spec.Identity{Name: w.Spec.Identity.Name, Platform: "aws"},
		Entitlements:   w.Spec.Entitlements,
		CredentialKind: w.Spec.Credential.Kind,
		TTL:            w.Spec.Credential.TTL.Duration,
		ExpiresAt:      w.Spec.ExpiresAt.Time.UTC(),
	}
}

var principalCmp = []cmp.Option{cmpopts.EquateEmpty()}

// generator makes random specs of the grammar render accepts.
type generator struct {
	r       *rand.Rand
	actions []string
}

func newGenerator(t *testing.T, seed uint64) *generator {
	v, err := iamVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	g := &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, svc := range v.services {
		for _, a := range v.Actions[svc] {
			g.actions = append(g.actions, svc+":"+a)
		}
	}
	return g
}

func (g *generator) pick(ss ...string) string { return ss[g.r.IntN(len(ss))] }

func (g *generator) action() string {
	a := g.actions[g.r.IntN(len(g.actions))]
	switch g.r.IntN(6) {
	case 0: // a prefix wildcard, which matches at least a
		svc, name, _ := strings.Cut(a, ":")
		return svc + ":" + name[:1+g.r.IntN(len(name))] + "*"
	case 1:
		return strings.ToLower(a)
	case 2:
		svc, _, _ := strings.Cut(a, ":")
		return svc + ":*"
	}
	return a
}

func (g *generator) resource() string {
	acct := fmt.Sprintf("%012d", g.r.Int64N(1e12))
	switch g.r.IntN(5) {
	case 0:
		return "*"
	case 1:
		return fmt.Sprintf("arn:aws:s3:::bucket-%d/%s*", g.r.IntN(100), g.pick("", "logs/", "a?c/"))
	case 2:
		return fmt.Sprintf("arn:aws:ec2:%s:%s:instance/i-%x", g.pick("eu-west-1", "us-east-1", "*"), acct, g.r.Uint32())
	case 3:
		return fmt.Sprintf("arn:aws-us-gov:kms:us-gov-west-1:%s:key/%x", acct, g.r.Uint64())
	}
	return fmt.Sprintf("arn:aws:dynamodb:eu-west-1:%s:table/t%d", acct, g.r.IntN(50))
}

func (g *generator) conditions() map[string]any {
	n := g.r.IntN(4)
	if n == 0 {
		return nil
	}
	c := map[string]any{}
	for range n {
		switch g.r.IntN(7) {
		case 0:
			c["aws:RequestedRegion"] = g.pick("eu-west-1", "us-east-1")
		case 1:
			c["aws:PrincipalTag/"+g.pick("team", "cost-center")] = []any{g.pick("a", "b"), "payments"}
		case 2:
			c["aws:SecureTransport"] = g.r.IntN(2) == 0
		case 3:
			c["aws:MultiFactorAuthAge"] = float64(g.r.IntN(100000))
		case 4:
			c["aws:SourceIp"] = g.pick("10.0.0.0/8", "192.0.2.7", "2001:db8::/32")
		case 5:
			c["s3:prefix"] = g.pick("home/", "logs/2026/")
		case 6:
			c["s3:ExistingObjectTag/"+g.pick("env", "Team")] = g.pick("prod", "x y")
		}
	}
	return c
}

func (g *generator) spec(i int) *spec.Workflow {
	var ents []spec.Entitlement
	for range 1 + g.r.IntN(4) {
		var e spec.Entitlement
		for range 1 + g.r.IntN(4) {
			e.Actions = append(e.Actions, g.action())
		}
		for range 1 + g.r.IntN(3) {
			e.Resources = append(e.Resources, g.resource())
		}
		e.Conditions = g.conditions()
		ents = append(ents, e)
	}
	ttl := time.Duration(15+g.r.IntN(12*60-15+1)) * time.Minute
	if g.r.IntN(4) == 0 {
		ttl += time.Duration(g.r.IntN(60)) * time.Second
		ttl = min(ttl, 12*time.Hour)
	}
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.r.Int64N(365*24*3600)) * time.Second)
	return &spec.Workflow{
		Metadata: spec.Metadata{Name: fmt.Sprintf("gen-%d", i), Owner: "@acme/team-" + fmt.Sprint(i%7)},
		Spec: spec.Spec{
			Identity:     spec.Identity{Name: fmt.Sprintf("Role_%d.%s", i, g.pick("ci", "etl", "a-b_c@d")), Type: "workload-identity", Platform: "aws", Consumer: "pipeline"},
			Entitlements: ents,
			Credential:   spec.Credential{Kind: "ephemeral", TTL: spec.Duration{Duration: ttl, Text: ttl.String()}},
			ExpiresAt:    spec.Time{Time: exp, Text: exp.Format(time.RFC3339)},
		},
	}
}

// import(render(spec)) is the spec's principal, for random specs: from the
// role as AWS lists it after an apply, and from the policy document alone.
func TestRoundTrip(t *testing.T) {
	g := newGenerator(t, 14)
	for i := range 300 {
		w := g.spec(i)
		fs, err := Target.Render(w)
		if err != nil {
			t.Fatalf("spec %d: %v", i, err)
		}
		got, err := Source.Import("listing.json", apply(t, fs))
		if err != nil {
			t.Fatalf("spec %d: import: %v\n%s", i, err, rendertest.Archive(fs, nil))
		}
		want := principalOf(w)
		if len(got) != 1 {
			t.Fatalf("spec %d: %d principals", i, len(got))
		}
		if d := cmp.Diff(want, got[0], principalCmp...); d != "" {
			t.Fatalf("spec %d: import(render) differs (-want +got):\n%s\n%s", i, d, rendertest.Archive(fs, nil))
		}
		if err := render.SameAccess("aws", w.Spec.Entitlements, got[0].Entitlements); err != nil {
			t.Fatalf("spec %d: %v", i, err)
		}
		// The policy alone carries the grants and the expiry, not the
		// role's session or credential kind.
		alone, err := Source.Import("dir/"+w.Spec.Identity.Name+".json", fs[0].Data)
		if err != nil {
			t.Fatalf("spec %d: import policy.json: %v", i, err)
		}
		want.CredentialKind, want.TTL = "", 0
		if d := cmp.Diff([]render.Principal{want}, alone, principalCmp...); d != "" {
			t.Fatalf("spec %d: import(policy.json) differs (-want +got):\n%s", i, d)
		}
	}
}

const exp = `"Condition": {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}`

// What import refuses, each naming the statement or element and the file.
func TestImportRefusals(t *testing.T) {
	doc := func(statements ...string) string {
		return `{"Version": "2012-10-17", "Statement": [` + strings.Join(statements, ",") + `]}`
	}
	allow := `{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`
	for _, tc := range []struct {
		name, data string
		want       []string // substrings of the error
	}{
		{"deny", doc(allow, `{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}`), []string{`p.json: policy statement 1 (Sid "NoDelete"): Deny cannot be imported`}},
		{"not action", doc(`{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}`), []string{`policy statement 0: NotAction`}},
		{"not resource", doc(`{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}`), []string{`policy statement 0: NotResource`}},
		{"principal", doc(`{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}`), []string{`resource-based or trust policy`}},
		{"every refusal is named", doc(`{"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}`, `{"Sid": "B", "Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}`), []string{`(Sid "A"): Deny`, `(Sid "B"): NotAction`}},
		{"like operator", doc(`{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": {"StringLike": {"s3:prefix": "home/*"}}}`), []string{`StringLike on s3:prefix cannot be carried`}},
		{"set operator", doc(`{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}`), []string{`aws:TagKeys is multivalued`}},
		{"if exists", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}}`), []string{`StringEqualsIfExists on aws:RequestedRegion cannot be carried`}},
		{"unknown condition key", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:NoSuchKey": "x"}}}`), []string{`"aws:NoSuchKey" is not a condition key`}},
		{"condition policy variable", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}}`), []string{`policy variable`}},
		{"key tested twice", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:requestedregion": "us-east-1"}}}`), []string{`tested twice`}},
		{"resource policy variable", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}`), []string{`policy statement 0: "arn:aws:s3:::b/${aws:username}/*" holds a policy variable`}},
		{"resource with a space", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/my file"}`), []string{`printable ASCII`}},
		{"no resource", doc(`{"Effect": "Allow", "Action": "s3:GetObject"}`), []string{`has no Resource`}},
		{"mixed expiry", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", `+exp+`}`, allow), []string{`policy statement 1 has no expiry, but policy statement 0 has expiry 2027-01-01T00:00:00Z`}},
		{"expiry not RFC 3339", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2027-01-01"}}}`), []string{`not an RFC 3339 date`}},
		// The grammar, read strictly.
		{"duplicate key", `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Effect": "Allow", "Action": "*", "Resource": "*"}]}`, []string{`line 1 col 60: "Effect" is set twice`}},
		{"element in another case", doc(`{"effect": "Allow", "Action": "*", "Resource": "*"}`), []string{`"effect" must be written "Effect"`}},
		{"unknown element", doc(`{"Effect": "Allow", "Action": "*", "Resource": "*", "Actions": "s3:*"}`), []string{`unknown element "Actions"`}},
		{"old version", `{"Version": "2008-10-17", "Statement": [` + allow + `]}`, []string{`Version: is "2008-10-17"`}},
		{"no version", `{"Statement": [` + allow + `]}`, []string{`Version: is ""`}},
		{"effect misspelt", doc(`{"Effect": "allow", "Action": "*", "Resource": "*"}`), []string{`Statement[0].Effect: is "allow"`}},
		{"not an operator", doc(`{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqual": {"aws:RequestedRegion": "x"}}}`), []string{`"StringEqual" is not a condition operator`}},
		{"action a number", doc(`{"Effect": "Allow", "Action": [1], "Resource": "*"}`), []string{`Statement[0].Action[0]: is a number`}},
		{"trailing data", doc(allow) + `{}`, []string{`more after the JSON value`}},
		{"not an object", `[]`, []string{`is a list`}},
		{"deep", strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100), []string{`deeper than 32`}},
		{"not json", `{"Version": `, []string{`p.json: line 1 col`}},
		{"invalid UTF-8", "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:Get\xffObject\", \"Resource\": \"*\"}]}", []string{`p.json: is not valid UTF-8`}},
		{"policy variable in a condition key", doc(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/${aws:username}": "x"}}}`), []string{`policy variable in the key`}},
		{"neither", `{"Foo": 1}`, []string{`is neither a policy document`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := Source.Import("dir/p.json", []byte(tc.data))
			if err == nil {
				t.Fatalf("imported %+v", ps)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestImportLimits(t *testing.T) {
	big := make([]byte, MaxFileBytes+1)
	if _, err := Source.Import("big.json", big); err == nil || !strings.Contains(err.Error(), "over the limit of 33554432") {
		t.Errorf("oversized file: %v", err)
	}
	st := `{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}`
	many := `{"Version": "2012-10-17", "Statement": [` + strings.Repeat(st+",", maxStatements) + st + `]}`
	if _, err := Source.Import("many.json", []byte(many)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("over the limit of %d", maxStatements)) {
		t.Errorf("too many statements: %v", err)
	}
	// A managed policy attached to many roles counts once per role.
	var roles []string
	for i := range 3 {
		roles = append(roles, fmt.Sprintf(`{"RoleName": "r%d", "AttachedManagedPolicies": [{"PolicyName": "P", "PolicyArn": "arn:aws:iam::aws:policy/P"}]}`, i))
	}
	half := `{"Version": "2012-10-17", "Statement": [` + strings.Repeat(st+",", maxStatements/2) + st + `]}`
	listing := `{"RoleDetailList": [` + strings.Join(roles, ",") + `], "Policies": [{"Arn": "arn:aws:iam::aws:policy/P", "DefaultVersionId": "v1", "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": ` + half + `}]}]}`
	if _, err := Source.Import("listing.json", []byte(listing)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d statements", maxStatements)) {
		t.Errorf("statements multiplied by attachment: %v", err)
	}
}

// A listing gives one principal per role and user: inline policies,
// attached managed policies at their default version, and a user's
// groups, in that order.
func TestImportListing(t *testing.T) {
	pol := func(stmts string) string { return `{"Version": "2012-10-17", "Statement": ` + stmts + `}` }
	ro := pol(`{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}`)
	old := pol(`{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}`)
	listing := `{
 "RoleDetailList": [{
  "Path": "/", "RoleName": "deployer", "Arn": "arn:aws:iam::123456789012:role/deployer",
  "AssumeRolePolicyDocument": "` + strings.ReplaceAll(urlEncode(pol(`[{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]`)), `"`, `\"`) + `",
  "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": ` + pol(`[{"Effect": "Allow", "Action": "ecr:PutImage", "Resource": "arn:aws:ecr:eu-west-1:123456789012:repository/app", "Condition": {"StringEquals": {"aws:requestedregion": "eu-west-1"}}}]`) + `}],
  "AttachedManagedPolicies": [{"PolicyName": "RO", "PolicyArn": "arn:aws:iam::aws:policy/RO"}],
  "Tags": [], "RoleLastUsed": {}, "InstanceProfileList": []
 }],
 "UserDetailList": [{
  "UserName": "ci-bot", "Arn": "arn:aws:iam::123456789012:user/ci-bot",
  "UserPolicyList": [], "GroupList": ["readers"], "AttachedManagedPolicies": []
 }],
 "GroupDetailList": [{"GroupName": "readers", "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": ` + strings.ReplaceAll(fmt.Sprintf("%q", pol(`{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}`)), `\n`, ``) + `}], "AttachedManagedPolicies": [{"PolicyName": "RO", "PolicyArn": "arn:aws:iam::aws:policy/RO"}]}],
 "Policies": [{"PolicyName": "RO", "Arn": "arn:aws:iam::aws:policy/RO", "DefaultVersionId": "v2", "PolicyVersionList": [
   {"VersionId": "v2", "IsDefaultVersion": true, "Document": ` + ro + `},
   {"VersionId": "v1", "IsDefaultVersion": false, "Document": ` + old + `}]}]
}`
	got, err := Source.Import("account.json", []byte(listing))
	if err != nil {
		t.Fatal(err)
	}
	roEnt := spec.Entitlement{Actions: []string{"s3:GetObject", "s3:ListBucket"}, Resources: []string{"*"}}
	want := []render.Principal{
		{
			Identity: spec.Identity{Name: "deployer", Platform: "aws"},
			Entitlements: []spec.Entitlement{
				{Actions: []string{"ecr:PutImage"}, Resources: []string{"arn:aws:ecr:eu-west-1:123456789012:repository/app"}, Conditions: map[string]any{"aws:RequestedRegion": "eu-west-1"}},
				roEnt,
			},
			CredentialKind: "ephemeral",
		},
		{
			Identity:     spec.Identity{Name: "ci-bot", Platform: "aws"},
			Entitlements: []spec.Entitlement{{Actions: []string{"sqs:ReceiveMessage"}, Resources: []string{"*"}}, roEnt},
		},
	}
	if d := cmp.Diff(want, got, principalCmp...); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	for _, tc := range []struct{ name, from, to, want string }{
		{"truncated", `"Policies": [`, `"IsTruncated": true, "Policies": [`, "truncated"},
		{"boundary", `"Tags": []`, `"Tags": [], "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/RO"}`, `role "deployer" has a permissions boundary`},
		{"managed policy missing", `"PolicyArn": "arn:aws:iam::aws:policy/RO"}],
  "Tags"`, `"PolicyArn": "arn:aws:iam::aws:policy/Other"}],
  "Tags"`, `arn:aws:iam::aws:policy/Other is attached to role "deployer" but not in the listing's Policies`},
		{"group missing", `"GroupList": ["readers"]`, `"GroupList": ["writers"]`, `in group "writers", which the listing does not describe`},
		{"two defaults", `"IsDefaultVersion": false`, `"IsDefaultVersion": true`, `disagree`},
		{"unknown element", `"RoleLastUsed": {}`, `"RoleLastUsed": {}, "Extra": 1`, `RoleDetailList[0]: unknown element "Extra"`},
		{"name clash", `"UserName": "ci-bot"`, `"UserName": "Deployer"`, `role "deployer" and user "Deployer" would be the same principal`},
		{"deny in a managed policy", `"Document": ` + ro, `"Document": ` + pol(`{"Sid": "X", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}`), `role "deployer": managed policy arn:aws:iam::aws:policy/RO statement 0 (Sid "X"): Deny`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := strings.Replace(listing, tc.from, tc.to, 1)
			if changed == listing {
				t.Fatalf("%q is not in the listing", tc.from)
			}
			_, err := Source.Import("account.json", []byte(changed))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func urlEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || slices.Contains([]byte("-_.~"), c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// A role whose trust policy caps the session imports with that TTL.
func TestImportSessionCap(t *testing.T) {
	w := baseSpec()
	w.Spec.Credential.TTL = spec.Duration{Duration: 20 * time.Minute, Text: "20m"}
	fs, err := Target.Render(w)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Source.Import("l.json", apply(t, fs))
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].TTL != 20*time.Minute {
		t.Errorf("TTL %v, want 20m", ps[0].TTL)
	}
}

// The output of aws iam get-role-policy and get-user-policy names its
// principal; a group's policy has none.
func TestImportInlinePolicy(t *testing.T) {
	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:q", ` + exp + `}]}`
	ent := []spec.Entitlement{{Actions: []string{"sqs:SendMessage"}, Resources: []string{"arn:aws:sqs:eu-west-1:123456789012:q"}}}
	expires := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, data string
		want       []render.Principal
		err        string
	}{
		{"role", `{"RoleName": "worker", "PolicyName": "send", "PolicyDocument": ` + doc + `}`,
			[]render.Principal{{Identity: spec.Identity{Name: "worker", Platform: "aws"}, Entitlements: ent, CredentialKind: "ephemeral", ExpiresAt: expires}}, ""},
		{"user, URL-encoded as the API returns it", `{"UserName": "bot", "PolicyName": "send", "PolicyDocument": "` + urlEncode(doc) + `"}`,
			[]render.Principal{{Identity: spec.Identity{Name: "bot", Platform: "aws"}, Entitlements: ent, ExpiresAt: expires}}, ""},
		{"group", `{"GroupName": "g", "PolicyName": "send", "PolicyDocument": ` + doc + `}`, nil, "a group's policy grants no principal"},
		{"deny named", `{"RoleName": "worker", "PolicyName": "send", "PolicyDocument": {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}}`, nil, `p.json: role "worker": inline policy "send" statement 0: Deny`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Source.Import("p.json", []byte(tc.data))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, principalCmp...); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// A trust policy in the older language version still gives its cap; a
// permissions policy in it is refused, since it reads ${...} as text.
func TestImportTrustPolicyVersion(t *testing.T) {
	listing := `{"RoleDetailList": [{"RoleName": "old", "MaxSessionDuration": 7200,
	 "AssumeRolePolicyDocument": {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"NumericLessThanEquals": {"sts:DurationSeconds": 1800}}}]},
	 "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}}}]}]}`
	ps, err := Source.Import("l.json", []byte(listing))
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].TTL != 30*time.Minute {
		t.Errorf("TTL %v, want 30m", ps[0].TTL)
	}
	old := strings.Replace(listing, `"PolicyDocument": {"Version": "2012-10-17"`, `"PolicyDocument": {"Version": "2008-10-17"`, 1)
	if _, err := Source.Import("l.json", []byte(old)); err == nil || !strings.Contains(err.Error(), `role "old": inline policy "p": Version: is "2008-10-17"`) {
		t.Errorf("old permissions policy: %v", err)
	}
}
