package aws

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/render"
)

// FuzzImport feeds untrusted files to the importer: it never panics, and
// whatever it imports renders (when AWS knows the actions) to a policy
// that imports to the same grants.
func FuzzImport(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(realworld, "*", "*.json"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}, "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}}}`))
	f.Add([]byte(`{"RoleDetailList": [{"RoleName": "r", "MaxSessionDuration": 3600, "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D", "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": "{\"Version\": \"2012-10-17\", \"Statement\": []}"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := Source.Import("fuzz.json", data)
		if err != nil {
			return
		}
		for _, p := range ps {
			if len(p.Entitlements) == 0 {
				continue
			}
			w := workflow(p)
			fs, err := Target.Render(w)
			if err != nil {
				continue // an action AWS does not know, a TTL out of range
			}
			back, err := Source.Import("again.json", fs[0].Data)
			if err != nil {
				t.Fatalf("rendered policy does not import: %v\n%s", err, fs[0].Data)
			}
			if d := cmp.Diff(p.Entitlements, back[0].Entitlements, principalCmp...); d != "" {
				t.Fatalf("import(render(import(x))) differs (-first +again):\n%s", d)
			}
			if err := render.SameAccess("aws", p.Entitlements, back[0].Entitlements); err != nil {
				t.Fatal(err)
			}
		}
	})
}
