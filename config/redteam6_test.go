package config

import (
	"fmt"
	"math/rand/v2"
	"path"
	"strings"
	"testing"
)

// TestRedteam6GovernanceAsBefore: GovernanceReason classifies every path
// exactly as the version before it was rewritten to allocate less
// (prevGovernanceReason, kept verbatim below), on random paths built from
// the names it looks for, their case variants, letters whose lower case
// has another length in bytes, and dots and slashes.
func TestRedteam6GovernanceAsBefore(t *testing.T) {
	parts := []string{"", ".", "..", "/", "//", "a", "A", "policies", "Policies", "POLICIES", "rego", "p", "x.rego", "K", "\u212a", "İ", "ı", "ß",
		".github", ".GitHub", "codeowners", "CODEOWNERS", "docs", ".nhigate.yaml", "action.yml", "Action.YAML", ".gitlab-ci.yml", "jenkinsfile",
		"JenkinsFile", "x.jenkinsfile", ".gitlab", ".circleci", ".buildkite", ".woodpecker", ".tekton", ".azure-pipelines", "azure-pipelines.yml",
		".pre-commit-config.yaml", ".travis.yml", "buildkite.yml", ".gitmodules", ".gitattributes", "gov", "ops"}
	policies := [][]string{nil, {"policies"}, {"/Policies/"}, {"."}, {"/"}, {"a/b"}, {"\u212a"}, {"k"}, {"İ"}, {"policies", "ops/../gov"}, {""}}
	governance := [][]string{nil, {"gov/**"}, {"OPS/*.yml"}}
	r := rand.New(rand.NewPCG(6, 6))
	for i := range 200000 {
		var b strings.Builder
		for range 1 + r.IntN(5) {
			if b.Len() > 0 && r.IntN(3) > 0 {
				b.WriteByte('/')
			}
			b.WriteString(parts[r.IntN(len(parts))])
		}
		p := b.String()
		c := &Config{Policies: policies[r.IntN(len(policies))], Governance: governance[r.IntN(len(governance))]}
		if got, want := c.GovernanceReason(p), prevGovernanceReason(c, p); got != want {
			t.Fatalf("case %d: GovernanceReason(%q) with policies %q = %q, before %q", i, p, c.Policies, got, want)
		}
	}
}

func prevGovernanceReason(c *Config, p string) string {
	lower := strings.ToLower(p)
	base := path.Base(lower)
	switch {
	case lower == strings.ToLower(File):
		return judged + " (the config); " + stillBase
	case lower == "codeowners" || lower == ".github/codeowners" || lower == "docs/codeowners":
		return judged + " (who must approve); " + stillBase
	case strings.HasPrefix(lower, ".github/"):
		return "a file under .github/ (workflows, actions, CODEOWNERS, dependabot) changes how CI and the gate itself run; a pull request's own workflow run uses its edited version, so only approvals can vouch for it"
	case base == "action.yml" || base == "action.yaml":
		return "an action definition: a workflow can run it, the gate's own included"
	case prevCIFile(lower):
		return "a CI pipeline definition: where nhigate runs outside GitHub Actions, it decides whether the gate runs at all"
	case base == ".gitmodules":
		return "says where submodules come from: their files lie outside this repository and nhigate cannot read them"
	case base == ".gitattributes":
		return "changes how files are checked out and shown in the pull request (e.g. linguist-generated hides a diff)"
	case strings.HasSuffix(lower, ".rego"):
		return judged + " (a policy); " + stillBase
	}
	for _, dir := range c.Policies {
		dir = strings.Trim(path.Clean(dir), "/")
		// HasPrefix(lower, ToLower(dir)+"/"), without a new string per path.
		ld := strings.ToLower(dir)
		if dir == "." || len(lower) > len(ld) && lower[len(ld)] == '/' && strings.HasPrefix(lower, ld) {
			return judged + " (a file in the policy directory " + dir + "); " + stillBase
		}
	}
	for _, g := range c.Governance {
		if Glob(strings.ToLower(g), lower) {
			return fmt.Sprintf("listed under governance (%q) in %s", g, File)
		}
	}
	return ""
}
func prevCIFile(p string) bool {
	if strings.IndexByte(p, '/') < 0 {
		switch p {
		case ".gitlab-ci.yml", ".gitlab-ci.yaml", "jenkinsfile", "azure-pipelines.yml", "azure-pipelines.yaml",
			"bitbucket-pipelines.yml", ".travis.yml", ".drone.yml", ".woodpecker.yml", ".woodpecker.yaml",
			"buildkite.yml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml":
			return true
		}
	}
	for _, dir := range []string{".gitlab/", ".circleci/", ".buildkite/", ".woodpecker/", ".tekton/", ".azure-pipelines/"} {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	return path.Base(p) == "jenkinsfile" || strings.HasSuffix(p, ".jenkinsfile")
}
