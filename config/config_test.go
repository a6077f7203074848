package config

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/spec"
)

func TestParseMergesOverDefaults(t *testing.T) {
	c, err := Parse(File, []byte(`
specs: ["identities/**/*.yaml"]
generators: ["bot[bot]"]
environments:
  prod: {maxTTL: 2h, maxGrant: 48h}
riskTiers:
  high: {approvers: ["@acme/security"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"identities/**/*.yaml"}, c.Specs); diff != "" {
		t.Errorf("Specs (-want +got):\n%s", diff)
	}
	if _, ok := c.Environments["production"]; ok {
		t.Errorf("listing environments must replace the defaults, got %v", c.Environments)
	}
	if got := c.Environments["prod"].MaxTTL.Text; got != "2h" {
		t.Errorf("prod maxTTL = %q, want 2h", got)
	}
	high := c.RiskTiers["high"]
	if diff := cmp.Diff([]string{"@acme/security"}, high.Approvers); diff != "" {
		t.Errorf("high approvers (-want +got):\n%s", diff)
	}
	if high.MinApprovals != 2 || *high.OwnerMayApprove {
		t.Errorf("fields left out of a tier must keep their defaults, got %+v", high)
	}
	if c.Delegated.MaxTTL.Text != "1h" || c.MaxExceptionDays != 90 {
		t.Errorf("unset fields must keep their defaults, got %+v", c)
	}
}

func TestParseLimits(t *testing.T) {
	c, err := Parse(File, []byte("limits: {maxPatternLength: 4096, maxGrantsPerReview: 250000, maxConditionsBytes: 1024}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{MaxFileSize: spec.DefaultMaxFileSize, MaxDocumentsPerFile: spec.DefaultMaxDocuments,
		MaxPatternLength: 4096, MaxGrantsPerSpec: spec.DefaultMaxGrants, MaxGrantsPerReview: 250000, MaxConditionsBytes: 1024}
	if diff := cmp.Diff(want, c.Limits); diff != "" {
		t.Errorf("Limits (-want +got):\n%s", diff)
	}
	wantSpec := spec.Limits{MaxFileSize: spec.DefaultMaxFileSize, MaxDocuments: spec.DefaultMaxDocuments, MaxPatternLength: 4096, MaxGrants: spec.DefaultMaxGrants, MaxConditionsBytes: 1024}
	if diff := cmp.Diff(wantSpec, c.SpecLimits()); diff != "" {
		t.Errorf("SpecLimits (-want +got):\n%s", diff)
	}
}

func TestDefaultNamesNoTeam(t *testing.T) {
	for level, tier := range Default().RiskTiers {
		if len(tier.Approvers) > 0 {
			t.Errorf("default tier %s names approvers %v; defaults cannot know an organisation's teams", level, tier.Approvers)
		}
		if tier.MinApprovals < 1 {
			t.Errorf("default tier %s demands no approval", level)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error, in order
	}{
		{"unknown field", "spec: [x]\n", []string{".nhigate.yaml:1:1", `unknown field "spec"`, `did you mean "specs"?`}},
		{"bad duration", "environments:\n  production: {maxTTL: 8 hours, maxGrant: 720h}\n", []string{".nhigate.yaml:2:24", "is not a duration"}},
		{"missing limit", "environments:\n  production: {maxTTL: 8h}\n", []string{".nhigate.yaml:2:3", "needs maxTTL and maxGrant"}},
		{"unknown tier", "riskTiers:\n  severe: {minApprovals: 1}\n", []string{".nhigate.yaml:2:3", `"severe" is not a risk level`}},
		{"policy dir escapes", "policies: [../elsewhere]\n", []string{".nhigate.yaml:1:12", "is not a directory inside the repo"}},
		{"unknown platform", "highRiskPlatforms: [vault, oracle]\n", []string{"highRiskPlatforms[1]", `"oracle" is not a platform`}},
		{"two documents", "specs: []\n---\nspecs: []\n", []string{"more than one YAML document"}},
		{"wrong type", "codeowners: yes\n", []string{".nhigate.yaml:1:13", "must be true or false"}},
		// A glob that cannot match a clean repo path would leave its specs
		// (or governance files) unjudged without a word.
		{"spec glob with ./", "specs: [./identities/*.yaml]\n", []string{".nhigate.yaml:1:9", "not a clean repo-relative glob", `write "identities/*.yaml"`}},
		{"spec glob with //", "specs: [identities//*.yaml]\n", []string{"specs[0]", `write "identities/*.yaml"`}},
		{"spec glob with ..", "specs: [identities/../x/*.yaml]\n", []string{"specs[0]", "leaves the repo"}},
		{"absolute spec glob", "specs: [/identities/*.yaml]\n", []string{"specs[0]", `write "identities/*.yaml"`}},
		{"bad governance glob", "governance: [\"deploy/[\"]\n", []string{"governance[0]", "is not a valid glob"}},
		{"governance glob with ./", "governance: [./deploy/**]\n", []string{"governance[0]", `write "deploy/**"`}},
		{"zero grants per spec", "limits:\n  maxGrantsPerSpec: 0\n", []string{".nhigate.yaml:2:3", "limits.maxGrantsPerSpec: must be at least 1", "write a number of grants"}},
		{"negative pattern length", "limits: {maxPatternLength: -1}\n", []string{".nhigate.yaml:1:10", "limits.maxPatternLength: must be at least 1"}},
		{"zero documents", "limits: {maxDocumentsPerFile: 0}\n", []string{"limits.maxDocumentsPerFile: must be at least 1"}},
		{"zero grants per review", "limits: {maxGrantsPerReview: 0}\n", []string{"limits.maxGrantsPerReview: must be at least 1"}},
		{"zero conditions bytes", "limits: {maxConditionsBytes: 0}\n", []string{"limits.maxConditionsBytes: must be at least 1", "write a size in bytes"}},
		{"spec limit over the review limit", "limits: {maxGrantsPerSpec: 500, maxGrantsPerReview: 400}\n", []string{".nhigate.yaml:1:10", "500 is more than limits.maxGrantsPerReview (400)"}},
		{"unknown limit", "limits: {maxGrants: 5}\n", []string{`unknown field "maxGrants"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(File, []byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			msg := err.Error()
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q (in order)", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestCandidatePath(t *testing.T) {
	withGlobs := &Config{Specs: []string{"identities/**/*.yaml", "extra/*.json", "**/*.yml"}}
	tests := []struct {
		cfg      *Config
		path     string
		wantOK   bool
		wantMode spec.Mode
	}{
		{Default(), "anywhere/deep/x.yaml", true, spec.Discover},
		{Default(), "x.JSON", true, spec.Discover},
		{Default(), "README.md", false, spec.Discover},
		{Default(), "identities/x", false, spec.Discover},
		{Default(), ".nhigate.yaml", false, spec.Discover},
		{Default(), ".github/workflows/ci.yml", false, spec.Discover},
		{withGlobs, "identities/x.yaml", true, spec.Strict},
		{withGlobs, "identities/a/b/c.yaml", true, spec.Strict},
		{withGlobs, "identities/a/b/c.YAML", false, spec.Strict},
		{withGlobs, "Identities/x.yaml", false, spec.Strict},
		{withGlobs, "extra/a.json", true, spec.Strict},
		{withGlobs, "extra/a/b.json", false, spec.Strict},
		{withGlobs, "other/x.yaml", false, spec.Strict},
		// A governance file is never a spec, even where a glob matches it.
		{withGlobs, "a/b.yml", true, spec.Strict},
		{withGlobs, ".github/workflows/ci.yml", false, spec.Strict},
		{withGlobs, "ci/action.yml", false, spec.Strict},
	}
	for _, tt := range tests {
		ok, mode := tt.cfg.CandidatePath(tt.path)
		if ok != tt.wantOK || (ok && mode != tt.wantMode) {
			t.Errorf("CandidatePath(%q) with specs %v = %v, %v; want %v, %v", tt.path, tt.cfg.Specs, ok, mode, tt.wantOK, tt.wantMode)
		}
	}
}

func TestMayHoldSpecs(t *testing.T) {
	withGlobs := &Config{Specs: []string{"identities/*/*.yaml", "deep/**/x.json"}}
	tests := []struct {
		cfg  *Config
		dir  string
		want bool
	}{
		{Default(), "vendor/lib", true},
		{withGlobs, "identities", true},
		{withGlobs, "identities/team", true},
		{withGlobs, "identities/team/sub", false},
		{withGlobs, "identities/x.yaml", true},
		{withGlobs, "deep/a/b/c", true},
		{withGlobs, "vendor/lib", false},
		{withGlobs, "Identities/team", false},
	}
	for _, tt := range tests {
		if got := tt.cfg.MayHoldSpecs(tt.dir); got != tt.want {
			t.Errorf("MayHoldSpecs(%q) with specs %v = %v, want %v", tt.dir, tt.cfg.Specs, got, tt.want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"**/*.yaml", "a.yaml", true},
		{"**/*.yaml", "a/b/c.yaml", true},
		{"a/**", "a/b/c", true},
		{"a/**/c", "a/c", true},
		{"a/**/c", "a/x/y/c", true},
		{"a/*/c", "a/x/y/c", false},
		{"*.yaml", "a/b.yaml", false},
		{"a/**/**/**/z", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/y", false},
	}
	for _, tt := range tests {
		if got := Glob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestIsGovernance(t *testing.T) {
	c := &Config{Policies: []string{"policy/"}, Governance: []string{"deploy/**", "scripts/*.sh"}}
	for p, want := range map[string]bool{
		// The rules that judge a review.
		".nhigate.yaml": true, "CODEOWNERS": true, ".github/CODEOWNERS": true, "docs/CODEOWNERS": true,
		"policy/extra.rego": true, "policy/data.json": true, "anywhere/x.rego": true,
		// What runs the gate: everything under .github/, and actions.
		".github/workflows/nhigate-review.yml": true, ".github/dependabot.yml": true, ".github/actions/x/run.sh": true,
		"action.yml": true, "action.yaml": true, "ci/gate/action.yml": true,
		// Where files come from and how the pull request shows them.
		".gitmodules": true, ".gitattributes": true, "identities/.gitattributes": true,
		// Other CI systems' pipelines, and the pre-commit hooks: they run
		// the gate, or stop running it.
		".gitlab-ci.yml": true, "Jenkinsfile": true, "ci/release.Jenkinsfile": true, ".circleci/config.yml": true,
		"azure-pipelines.yml": true, "bitbucket-pipelines.yml": true, ".buildkite/pipeline.yml": true,
		".pre-commit-config.yaml": true, ".gitlab/ci/gate.yml": true,
		// The scan index, which later reviews trust to skip files.
		".nhigate/scan-index": true, ".NHIGATE/Scan-Index": true, ".nhigate/other": false,
		// Named in the config.
		"deploy/apply.sh": true, "deploy/a/b/c": true, "scripts/run.sh": true,
		// Case variants, as a case-insensitive checkout sees them.
		".GitHub/workflows/x.yml": true, ".NHIGATE.yaml": true, "codeowners": true, "Policy/x.json": true,
		"x/Action.YML": true, "Deploy/apply.sh": true,
		// Not governance.
		"identities/a.yaml": false, "policyx/a.yaml": false, "src/CODEOWNERS": false, "github/x.yml": false,
		"actions.yml": false, "scripts/a/run.sh": false, "x.github/y": false,
		"docs/gitlab-ci.md": false, "jenkins/notes.txt": false, "identities/circleci.yaml": false,
	} {
		if got := c.IsGovernance(p); got != want {
			t.Errorf("IsGovernance(%q) = %v, want %v", p, got, want)
		}
	}
	if r := c.GovernanceReason("deploy/apply.sh"); !strings.Contains(r, `listed under governance ("deploy/**") in .nhigate.yaml`) {
		t.Errorf("reason for a configured governance file = %q", r)
	}
	if r := c.GovernanceReason(".github/workflows/nhigate-review.yml"); !strings.Contains(r, ".github/") {
		t.Errorf("reason for a workflow = %q", r)
	}
}

func TestParseGovernance(t *testing.T) {
	c, err := Parse(File, []byte("governance: [\"deploy/**\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"deploy/**"}, c.Governance); diff != "" {
		t.Errorf("Governance (-want +got):\n%s", diff)
	}
	if len(Default().Governance) != 0 {
		t.Errorf("default governance globs = %v; the built-in set needs none", Default().Governance)
	}
}

func TestData(t *testing.T) {
	d := Default().Data()
	envs := d["environments"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"maxTTL": "8h", "maxGrant": "720h"}, envs["production"]); diff != "" {
		t.Errorf("production limits (-want +got):\n%s", diff)
	}
}

// TestReadmeConfigIsTheDefault keeps the README's .nhigate.yaml reference
// true: the block it shows parses to exactly the defaults.
func TestReadmeConfigIsTheDefault(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Configuration: `.nhigate.yaml`")
	if !ok {
		t.Fatal("README.md has no configuration section")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the configuration section has no yaml block")
	}
	block, _, _ = strings.Cut(block, "```")
	got, err := Parse(File, []byte(block))
	if err != nil {
		t.Fatalf("the README's config does not parse: %v", err)
	}
	if diff := cmp.Diff(Default(), got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the README's config differs from Default (-default +readme):\n%s", diff)
	}
	for _, key := range []string{"specs:", "policies:", "governance:", "limits:", "riskTiers:"} {
		if !strings.Contains(block, "\n"+key) && !strings.HasPrefix(block, key) {
			t.Errorf("the README's config does not show %s", key)
		}
	}
}

// TestIsProduction: production is the environment of that name, any the
// config marks production, and (failing closed) any it does not list.
func TestIsProduction(t *testing.T) {
	c, err := Parse(File, []byte("environments:\n  prod: {maxTTL: 8h, maxGrant: 720h, production: true}\n  qa: {maxTTL: 24h, maxGrant: 720h}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]bool{"prod": true, "qa": false, "production": true, "unlisted": true} {
		if got := c.IsProduction(env); got != want {
			t.Errorf("IsProduction(%q) = %v, want %v", env, got, want)
		}
	}
	if got := c.Data()["environments"].(map[string]any)["prod"].(map[string]any)["production"]; got != true {
		t.Errorf("the policies' data says prod.production = %v, want true", got)
	}
	if _, ok := c.Data()["environments"].(map[string]any)["qa"].(map[string]any)["production"]; ok {
		t.Error("qa carries a production key it was not given")
	}
}
