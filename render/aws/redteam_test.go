package aws

import (
	"fmt"
	"strings"
	"testing"

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
