// Package config reads .nhigate.yaml, the repo's rules for reviewing specs:
// where specs live, environment limits, risk tiers and who may approve. It is
// always read from the base revision, so a pull request cannot loosen the
// rules that judge it.
package config

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/spec"
)

// File is the config's path at the root of the repo.
const File = ".nhigate.yaml"

// ScanIndexFile is where a repository keeps its scan index, which reviews
// read from base to skip unchanged files that cannot hold a principal of
// the change (nhigate index writes it).
const ScanIndexFile = ".nhigate/scan-index"

// Config is the effective configuration: the file merged over Default.
type Config struct {
	// Specs are globs ("**" spans directories) of the files that must be
	// specs. When empty, every YAML or JSON file that claims apiVersion
	// nhigate.dev/* is a spec, wherever it sits.
	Specs []string `yaml:"specs"`
	// Policies are extra conftest policy directories, read from the base
	// revision, evaluated beside the built-in policies.
	Policies []string `yaml:"policies"`
	// Governance are globs of further files that decide how the gate runs
	// (scripts a workflow calls, a deploy manifest): a change to one is
	// critical, like a change to the built-in governance files.
	Governance []string `yaml:"governance"`
	Limits     Limits   `yaml:"limits"`
	// CODEOWNERS says whether CODEOWNERS approvals are required.
	CODEOWNERS *bool `yaml:"codeowners"`
	// Generators are the logins of bots that open pull requests. They never
	// count as approvers.
	Generators        []string             `yaml:"generators"`
	Environments      map[string]EnvLimits `yaml:"environments"`
	Delegated         EnvLimits            `yaml:"delegated"`
	RiskTiers         map[string]Tier      `yaml:"riskTiers"`
	HighRiskPlatforms []string             `yaml:"highRiskPlatforms"`
	MaxExceptionDays  int                  `yaml:"maxExceptionDays"`
}

// Limits bound the input nhigate reads and the work a review does on it.
type Limits struct {
	MaxFileSize int `yaml:"maxFileSize"` // bytes
	// MaxDocumentsPerFile is how many workflows one file may hold.
	MaxDocumentsPerFile int `yaml:"maxDocumentsPerFile"`
	// MaxPatternLength is the longest action or resource, in bytes.
	MaxPatternLength int `yaml:"maxPatternLength"`
	// MaxGrantsPerSpec is how many grants (actions × resources) one
	// workflow may expand to.
	MaxGrantsPerSpec int `yaml:"maxGrantsPerSpec"`
	// MaxGrantsPerReview is how many grants a review may compare, base and
	// head together.
	MaxGrantsPerReview int `yaml:"maxGrantsPerReview"`
	// MaxConditionsBytes is the largest conditions object of one
	// entitlement, in bytes of canonical JSON.
	MaxConditionsBytes int `yaml:"maxConditionsBytes"`
}

// DefaultMaxGrantsPerReview is the default of limits.maxGrantsPerReview.
const DefaultMaxGrantsPerReview = 100_000

// EnvLimits are the longest credential lifetime and grant an environment allows.
type EnvLimits struct {
	MaxTTL   spec.Duration `yaml:"maxTTL"`
	MaxGrant spec.Duration `yaml:"maxGrant"`
	// Production marks an environment that is production by another name
	// ("prod", "live"): its grants meet production's rules and risk. The
	// environment named "production" always is.
	Production bool `yaml:"production"`
}

// Tier is what a risk level demands of approvals.
type Tier struct {
	Approvers    []string `yaml:"approvers"`
	MinApprovals int      `yaml:"minApprovals"`
	// OwnerMayApprove lets the owning team approve its own grant. A pointer,
	// since leaving it out keeps the default rather than meaning false.
	OwnerMayApprove *bool `yaml:"ownerMayApprove"`
}

// RiskLevels in increasing order.
var RiskLevels = []string{"low", "medium", "high", "critical"}

func dur(s string) spec.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return spec.Duration{Duration: d, Text: s}
}

func ptr[T any](v T) *T { return &v }

// Default is the configuration of a repo without .nhigate.yaml. It names no
// team, since no default can know an organisation's teams: risk tiers demand
// a number of distinct approvals instead.
func Default() *Config {
	return &Config{
		Limits: Limits{
			MaxFileSize:         spec.DefaultMaxFileSize,
			MaxDocumentsPerFile: spec.DefaultMaxDocuments,
			MaxPatternLength:    spec.DefaultMaxPatternLength,
			MaxGrantsPerSpec:    spec.DefaultMaxGrants,
			MaxGrantsPerReview:  DefaultMaxGrantsPerReview,
			MaxConditionsBytes:  spec.DefaultMaxConditionsBytes,
		},
		CODEOWNERS: ptr(true),
		Environments: map[string]EnvLimits{
			"production":  {MaxTTL: dur("8h"), MaxGrant: dur("720h")},
			"staging":     {MaxTTL: dur("24h"), MaxGrant: dur("2160h")},
			"development": {MaxTTL: dur("24h"), MaxGrant: dur("2160h")},
		},
		Delegated: EnvLimits{MaxTTL: dur("1h"), MaxGrant: dur("168h")},
		RiskTiers: map[string]Tier{
			"critical": {Approvers: []string{}, MinApprovals: 2, OwnerMayApprove: ptr(false)},
			"high":     {Approvers: []string{}, MinApprovals: 2, OwnerMayApprove: ptr(false)},
			"medium":   {Approvers: []string{}, MinApprovals: 1, OwnerMayApprove: ptr(true)},
			"low":      {Approvers: []string{}, MinApprovals: 1, OwnerMayApprove: ptr(true)},
		},
		HighRiskPlatforms: []string{"vault", "github", "generic"},
		MaxExceptionDays:  90,
	}
}

// Parse reads a .nhigate.yaml and merges it over Default. Errors are
// spec.Errors with positions; the CLI exits 2 on them.
func Parse(file string, data []byte) (*Config, error) {
	var c Config
	pos, err := spec.DecodeStrict(file, data, &c, spec.Limits{})
	if err != nil {
		return nil, err
	}
	merged := Default()
	set := func(p string) bool { _, ok := pos[p]; return ok }
	if set("specs") {
		merged.Specs = c.Specs
	}
	if set("policies") {
		merged.Policies = c.Policies
	}
	if set("governance") {
		merged.Governance = c.Governance
	}
	for _, l := range []struct {
		path     string
		from, to *int
	}{
		{"limits.maxFileSize", &c.Limits.MaxFileSize, &merged.Limits.MaxFileSize},
		{"limits.maxDocumentsPerFile", &c.Limits.MaxDocumentsPerFile, &merged.Limits.MaxDocumentsPerFile},
		{"limits.maxPatternLength", &c.Limits.MaxPatternLength, &merged.Limits.MaxPatternLength},
		{"limits.maxGrantsPerSpec", &c.Limits.MaxGrantsPerSpec, &merged.Limits.MaxGrantsPerSpec},
		{"limits.maxGrantsPerReview", &c.Limits.MaxGrantsPerReview, &merged.Limits.MaxGrantsPerReview},
		{"limits.maxConditionsBytes", &c.Limits.MaxConditionsBytes, &merged.Limits.MaxConditionsBytes},
	} {
		if set(l.path) {
			*l.to = *l.from
		}
	}
	if set("codeowners") {
		merged.CODEOWNERS = c.CODEOWNERS
	}
	if set("generators") {
		merged.Generators = c.Generators
	}
	if set("environments") {
		// A repo that lists its environments lists all of them.
		merged.Environments = c.Environments
	}
	if set("delegated.maxTTL") {
		merged.Delegated.MaxTTL = c.Delegated.MaxTTL
	}
	if set("delegated.maxGrant") {
		merged.Delegated.MaxGrant = c.Delegated.MaxGrant
	}
	for level, t := range c.RiskTiers {
		d := merged.RiskTiers[level]
		p := "riskTiers." + level
		if set(p + ".approvers") {
			d.Approvers = t.Approvers
		}
		if set(p + ".minApprovals") {
			d.MinApprovals = t.MinApprovals
		}
		if set(p + ".ownerMayApprove") {
			d.OwnerMayApprove = t.OwnerMayApprove
		}
		merged.RiskTiers[level] = d
	}
	if set("highRiskPlatforms") {
		merged.HighRiskPlatforms = c.HighRiskPlatforms
	}
	if set("maxExceptionDays") {
		merged.MaxExceptionDays = c.MaxExceptionDays
	}
	if errs := merged.validate(file, pos); len(errs) > 0 {
		return nil, errs
	}
	return merged, nil
}

func (c *Config) validate(file string, pos map[string]spec.Pos) spec.Errors {
	var errs spec.Errors
	add := func(p, msg, hint string) {
		at := pos[p]
		errs = append(errs, &spec.Error{File: file, Line: at.Line, Col: at.Col, Path: p, Msg: msg, Hint: hint})
	}
	globs := func(key string, list []string, example string) {
		for i, g := range list {
			if msg, hint := checkGlob(g, example); msg != "" {
				add(fmt.Sprintf("%s[%d]", key, i), msg, hint)
			}
		}
	}
	globs("specs", c.Specs, "identities/**/*.yaml")
	globs("governance", c.Governance, "deploy/**")
	for i, p := range c.Policies {
		if p == "" || strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") {
			add(fmt.Sprintf("policies[%d]", i), fmt.Sprintf("%q is not a directory inside the repo", p), `write a repo-relative directory such as "policy"`)
		}
	}
	for _, l := range []struct {
		path, hint string
		value      int
	}{
		{"limits.maxFileSize", "write a size in bytes, e.g. 1048576", c.Limits.MaxFileSize},
		{"limits.maxDocumentsPerFile", "write a number of documents, e.g. 100", c.Limits.MaxDocumentsPerFile},
		{"limits.maxPatternLength", "write a length in bytes, e.g. 2048", c.Limits.MaxPatternLength},
		{"limits.maxGrantsPerSpec", "write a number of grants, e.g. 10000", c.Limits.MaxGrantsPerSpec},
		{"limits.maxGrantsPerReview", "write a number of grants, e.g. 100000", c.Limits.MaxGrantsPerReview},
		{"limits.maxConditionsBytes", "write a size in bytes, e.g. 8192", c.Limits.MaxConditionsBytes},
	} {
		if l.value < 1 {
			add(l.path, "must be at least 1", l.hint)
		}
	}
	if c.Limits.MaxGrantsPerSpec > c.Limits.MaxGrantsPerReview {
		add("limits.maxGrantsPerSpec", fmt.Sprintf("%d is more than limits.maxGrantsPerReview (%d)", c.Limits.MaxGrantsPerSpec, c.Limits.MaxGrantsPerReview),
			"a review compares at least one spec: keep maxGrantsPerSpec at most maxGrantsPerReview")
	}
	if len(c.Environments) == 0 {
		add("environments", "lists no environment", `add e.g. "production: {maxTTL: 8h, maxGrant: 720h}"`)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Environments)) {
		e := c.Environments[name]
		p := "environments." + name
		if !e.MaxTTL.IsSet() || !e.MaxGrant.IsSet() {
			add(p, "needs maxTTL and maxGrant", `write e.g. "{maxTTL: 8h, maxGrant: 720h}"`)
		}
	}
	for _, level := range slices.Sorted(maps.Keys(c.RiskTiers)) {
		if !slices.Contains(RiskLevels, level) {
			add("riskTiers."+level, fmt.Sprintf("%q is not a risk level", level), "write one of: "+strings.Join(RiskLevels, ", "))
			continue
		}
		if c.RiskTiers[level].MinApprovals < 0 {
			add("riskTiers."+level+".minApprovals", "must not be negative", "write 0 or more")
		}
	}
	for i, p := range c.HighRiskPlatforms {
		if !slices.Contains(spec.Platforms, p) {
			add(fmt.Sprintf("highRiskPlatforms[%d]", i), fmt.Sprintf("%q is not a platform", p), "write one of: "+strings.Join(spec.Platforms, ", "))
		}
	}
	if c.MaxExceptionDays < 1 {
		add("maxExceptionDays", "must be at least 1", "write a number of days, e.g. 90")
	}
	return errs
}

// checkGlob says what is wrong with a glob of repo paths, if anything. Paths
// in a repo are clean and relative ("identities/a.yaml"), so a glob with a
// "./", a "..", an empty segment or a leading "/" would match nothing, and
// the files it meant would silently go unjudged.
func checkGlob(g, example string) (msg, hint string) {
	if _, err := path.Match(strings.ReplaceAll(g, "**", "x"), ""); err != nil || g == "" {
		return fmt.Sprintf("%q is not a valid glob", g), fmt.Sprintf("write a repo-relative glob such as %q", example)
	}
	var clean []string
	for _, seg := range strings.Split(g, "/") {
		switch seg {
		case "..":
			return fmt.Sprintf("%q leaves the repo", g), fmt.Sprintf("write a repo-relative glob such as %q", example)
		case "", ".":
			continue
		}
		clean = append(clean, seg)
	}
	if c := strings.Join(clean, "/"); c != g {
		if c == "" {
			c = example
		}
		return fmt.Sprintf("%q is not a clean repo-relative glob: repo paths never start with \"/\" or \"./\" nor hold \"//\", so it would match nothing", g),
			fmt.Sprintf("write %q", c)
	}
	return "", ""
}

// SpecLimits are the loading bounds the config sets for spec files.
func (c *Config) SpecLimits() spec.Limits {
	return spec.Limits{
		MaxFileSize:        int64(c.Limits.MaxFileSize),
		MaxDocuments:       c.Limits.MaxDocumentsPerFile,
		MaxPatternLength:   c.Limits.MaxPatternLength,
		MaxGrants:          c.Limits.MaxGrantsPerSpec,
		MaxConditionsBytes: c.Limits.MaxConditionsBytes,
	}
}

// CandidatePath reports whether the file at p (slash-separated, repo-relative)
// may hold specs, and how to read it. With spec globs, a matching file must
// hold only specs. Without, any YAML or JSON file is offered in Discover
// mode. A governance file is never a spec, whatever the globs say: a spec
// there is an error that source reports, since the gate's own files must
// not double as access grants.
func (c *Config) CandidatePath(p string) (ok bool, mode spec.Mode) {
	if c.IsGovernance(p) {
		return false, spec.Strict
	}
	if len(c.Specs) == 0 {
		switch strings.ToLower(path.Ext(p)) {
		case ".yaml", ".yml", ".json":
			return true, spec.Discover
		}
		return false, spec.Discover
	}
	for _, g := range c.Specs {
		if Glob(g, p) {
			return true, spec.Strict
		}
	}
	return false, spec.Strict
}

// MayHoldSpecs reports whether a spec could lie at dir or below it: whether
// some path under dir is a candidate. A submodule at such a path could hide
// specs that nhigate cannot read.
func (c *Config) MayHoldSpecs(dir string) bool {
	if len(c.Specs) == 0 {
		return true // a spec may be anywhere
	}
	for _, g := range c.Specs {
		if Glob(g, dir) || globPrefix(strings.Split(g, "/"), strings.Split(dir, "/")) {
			return true
		}
	}
	return false
}

// globPrefix reports whether the pattern segments can match a path that
// starts with the segments of dir and goes deeper.
func globPrefix(pat, dir []string) bool {
	for len(dir) > 0 {
		if len(pat) == 0 {
			return false
		}
		if pat[0] == "**" {
			return true
		}
		if ok, _ := path.Match(pat[0], dir[0]); !ok {
			return false
		}
		pat, dir = pat[1:], dir[1:]
	}
	return len(pat) > 0
}

// IsGovernance reports whether p is a file that decides how reviews are
// judged or how the gate runs. A pull request that changes one is reviewed
// under the old version, and the change itself is critical.
func (c *Config) IsGovernance(p string) bool { return c.GovernanceReason(p) != "" }

const (
	judged    = "changes the rules that judge reviews"
	stillBase = "this pull request is still judged by the base version"
)

// GovernanceReason says why p is a governance file, or "" when it is not.
// Names compare without regard to case: a checkout on a case-insensitive
// file system (macOS, Windows) makes ".GitHub/workflows/x.yml" the gate's
// workflow, and a false alarm costs less than a silent one.
func (c *Config) GovernanceReason(p string) string {
	lower := strings.ToLower(p)
	base := path.Base(lower)
	switch {
	case lower == strings.ToLower(File):
		return judged + " (the config); " + stillBase
	case lower == ScanIndexFile:
		return "the scan index: later reviews trust it to say which unchanged files they need not read; this change is blocked unless each of its summaries is what nhigate makes of a tree of this repository"
	case lower == "codeowners" || lower == ".github/codeowners" || lower == "docs/codeowners":
		return judged + " (who must approve); " + stillBase
	case strings.HasPrefix(lower, ".github/"):
		return "a file under .github/ (workflows, actions, CODEOWNERS, dependabot) changes how CI and the gate itself run; a pull request's own workflow run uses its edited version, so only approvals can vouch for it"
	case base == "action.yml" || base == "action.yaml":
		return "an action definition: a workflow can run it, the gate's own included"
	case ciFile(lower):
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

// ciFile reports whether the lower-cased path p defines a CI pipeline of a
// system other than GitHub Actions (whose files are under .github/), or the
// pre-commit hooks that run nhigate check: any of them can run the gate,
// or stop running it.
func ciFile(p string) bool {
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

// IsProduction reports whether env is production: the environment named
// "production", one the config marks production, or, failing closed, one
// the config does not list (the policies deny those, NHI-ENV-001).
func (c *Config) IsProduction(env string) bool {
	e, ok := c.Environments[env]
	return env == "production" || !ok || e.Production
}

// Glob matches a slash-separated path against a pattern in which "*" and "?"
// stay within one path segment and a "**" segment spans any number of them.
func Glob(pattern, name string) bool {
	return globSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func globSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// Collapse repeated "**" so the search below stays linear.
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			for i := 0; i <= len(name); i++ {
				if globSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// Data is the config as policies see it under data.nhigate.config: plain
// JSON values, with durations as Go duration strings.
func (c *Config) Data() map[string]any {
	envs := map[string]any{}
	for name, e := range c.Environments {
		env := map[string]any{"maxTTL": e.MaxTTL.Text, "maxGrant": e.MaxGrant.Text}
		if e.Production {
			env["production"] = true
		}
		envs[name] = env
	}
	tiers := map[string]any{}
	for level, t := range c.RiskTiers {
		approvers := make([]any, len(t.Approvers))
		for i, a := range t.Approvers {
			approvers[i] = a
		}
		tiers[level] = map[string]any{
			"approvers":       approvers,
			"minApprovals":    t.MinApprovals,
			"ownerMayApprove": t.OwnerMayApprove != nil && *t.OwnerMayApprove,
		}
	}
	platforms := make([]any, len(c.HighRiskPlatforms))
	for i, p := range c.HighRiskPlatforms {
		platforms[i] = p
	}
	return map[string]any{
		"environments":      envs,
		"delegated":         map[string]any{"maxTTL": c.Delegated.MaxTTL.Text, "maxGrant": c.Delegated.MaxGrant.Text},
		"riskTiers":         tiers,
		"highRiskPlatforms": platforms,
		"maxExceptionDays":  c.MaxExceptionDays,
	}
}
