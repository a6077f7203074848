package aws

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nhigate/nhigate/render"
)

// bigPolicyListing is an authorization listing in which one managed policy,
// a single statement of n actions, is attached to roles roles: a file of
// about 12n bytes whose principals hold n*roles actions.
func bigPolicyListing(n, roles int) []byte {
	acts := make([]string, n)
	for i := range acts {
		acts[i] = fmt.Sprintf(`"s3:Get%d"`, i)
	}
	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [` + strings.Join(acts, ",") + `], "Resource": "*"}]}`
	var rs []string
	for i := range roles {
		rs = append(rs, fmt.Sprintf(`{"RoleName": "r%d", "AttachedManagedPolicies": [{"PolicyName": "P", "PolicyArn": "arn:aws:iam::aws:policy/P"}]}`, i))
	}
	return []byte(`{"RoleDetailList": [` + strings.Join(rs, ",") + `], "Policies": [{"Arn": "arn:aws:iam::aws:policy/P", "DefaultVersionId": "v1", "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": ` + doc + `}]}]}`)
}

// The statement budget counted statements, not what they hold: a listing
// of 4 MB (one statement of 300,000 actions attached to 20 roles) imported
// 6 million actions, 1.2 GB and minutes of work, and 19,000 roles fitted in
// the file. What the principals hold is bounded, across the file.
func TestImportBoundsWhatPrincipalsHold(t *testing.T) {
	// Within the bound: it imports.
	n := render.MaxImportValues/4 - 1
	ps, err := Source.Import("ok.json", bigPolicyListing(n, 2))
	if err != nil {
		t.Fatalf("%d actions on 2 roles: %v", n, err)
	}
	if len(ps) != 2 || len(ps[1].Entitlements[0].Actions) != n {
		t.Fatalf("got %d principals", len(ps))
	}
	// Each role holds its own copy: five of them are over the bound,
	// though the file holds the actions once.
	_, err = Source.Import("amplified.json", bigPolicyListing(n, 5))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d actions and resources", render.MaxImportValues)) {
		t.Fatalf("a policy multiplied by its attachments: %v", err)
	}
	// One statement alone over the bound.
	_, err = Source.Import("one.json", bigPolicyListing(render.MaxImportValues, 1))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d actions and resources", render.MaxImportValues)) {
		t.Fatalf("one statement over the bound: %v", err)
	}
}

// A group listed twice: the user's access came from whichever description
// was read last, and the other's policies were dropped without a word.
// IAM group names are unique ignoring case, so a second spelling is the
// same group. A truncated listing whose IsTruncated is not a boolean is not
// read as complete.
func TestImportListingAmbiguity(t *testing.T) {
	policy := func(action string) string {
		return `[{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "` + action + `", "Resource": "*"}]}}]`
	}
	user := `"UserDetailList": [{"UserName": "ci", "GroupList": ["deployers"]}]`
	for _, tt := range []struct{ name, in, want string }{
		{"group twice",
			`{` + user + `, "GroupDetailList": [{"GroupName": "deployers", "GroupPolicyList": ` + policy("iam:*") + `}, {"GroupName": "deployers", "GroupPolicyList": ` + policy("s3:GetObject") + `}]}`,
			`group "deployers" is listed twice`},
		{"group twice in another case",
			`{` + user + `, "GroupDetailList": [{"GroupName": "Deployers", "GroupPolicyList": ` + policy("iam:*") + `}, {"GroupName": "deployers", "GroupPolicyList": ` + policy("s3:GetObject") + `}]}`,
			`group "deployers" is listed twice`},
		{"IsTruncated a string",
			`{` + user + `, "GroupDetailList": [{"GroupName": "deployers", "GroupPolicyList": ` + policy("s3:GetObject") + `}], "IsTruncated": "true", "Marker": "x"}`,
			"truncated"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := Source.Import("listing.json", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("imported %+v, error %v; want %q", ps, err, tt.want)
			}
		})
	}
}

// IAM reads condition keys in any case, the tag key of aws:ResourceTag/
// included: a spec requiring both team=a and Team=b (never both true)
// rendered both tests under one operator, of which IAM keeps one.
func TestRenderRefusesKeysEqualIgnoringCase(t *testing.T) {
	w := baseSpec()
	w.Spec.Entitlements[0].Conditions = map[string]any{"aws:ResourceTag/team": "payments", "aws:ResourceTag/Team": "billing"}
	_, err := Target.Render(w)
	var fes render.Errors
	if !errors.As(err, &fes) || len(fes) != 1 || fes[0].Field != "spec.entitlements[0].conditions.aws:ResourceTag/team" || !strings.Contains(fes[0].Msg, "one condition key to IAM") {
		t.Fatalf("got %v", err)
	}
	w.Spec.Entitlements[0].Conditions = map[string]any{"aws:ResourceTag/team": "payments", "aws:ResourceTag/owner": "billing"}
	if _, err := Target.Render(w); err != nil {
		t.Fatalf("two tags: %v", err)
	}
}

// The same key in two cases, which IAM reads as one key, is refused by
// import as by render.
func TestImportRefusesKeysEqualIgnoringCase(t *testing.T) {
	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
		"Condition": {"StringEquals": {"aws:ResourceTag/team": "payments", "aws:ResourceTag/Team": "billing"}}}]}`
	ps, err := Source.Import("ci.json", []byte(doc))
	if err == nil || !strings.Contains(err.Error(), "tested twice") {
		t.Fatalf("imported %+v, error %v", ps, err)
	}
}

// The expiry key twice, in two cases: import kept whichever sorted last,
// here the later date, though IAM tests both.
func TestImportRefusesExpiryTwice(t *testing.T) {
	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
		"Condition": {"DateLessThan": {"AWS:CurrentTime": "2026-12-01T00:00:00Z", "aws:CurrentTime": "2030-01-01T00:00:00Z"}}}]}`
	ps, err := Source.Import("ci.json", []byte(doc))
	if err == nil || !strings.Contains(err.Error(), "set twice") {
		t.Fatalf("imported %+v, error %v", ps, err)
	}
}

// The trust policy's cap on the session, written in another case than
// AWS's (IAM reads it the same), was missed: the imported TTL was the
// role's whole MaxSessionDuration, longer than any session the role gives.
func TestImportSessionCapInAnyCase(t *testing.T) {
	listing := func(cond string) []byte {
		trust := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole", "Condition": {"NumericLessThanEquals": ` + cond + `}}]}`
		return []byte(`{"RoleDetailList": [{"RoleName": "ci", "MaxSessionDuration": 43200, "AssumeRolePolicyDocument": ` + trust + `,
			"RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}]}]}`)
	}
	for cond, want := range map[string]time.Duration{
		`{"sts:DurationSeconds": "1200"}`:                              20 * time.Minute,
		`{"STS:durationseconds": "1200"}`:                              20 * time.Minute,
		`{"sts:DurationSeconds": "3600", "sts:durationSeconds": 1200}`: 20 * time.Minute,
		`{"sts:ExternalId": "1200"}`:                                   12 * time.Hour,
	} {
		ps, err := Source.Import("listing.json", listing(cond))
		if err != nil {
			t.Fatalf("%s: %v", cond, err)
		}
		if ps[0].TTL != want {
			t.Errorf("%s: TTL %v, want %v", cond, ps[0].TTL, want)
		}
	}
}
