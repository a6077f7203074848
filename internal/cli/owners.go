package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"text/tabwriter"

	"github.com/nhigate/nhigate/codeowners"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
)

const ownersExamples = `  # Who must approve changes to these paths, by the working tree's CODEOWNERS
  nhigate owners identities/aws/ci.yaml .nhigate.yaml

  # By the CODEOWNERS of the main branch, as a pull request against it is judged
  nhigate owners --base main identities/

  # As JSON, for scripts
  nhigate owners --base origin/main --format json identities/vault/db.yaml
`

// ownersResult is what nhigate owners prints.
type ownersResult struct {
	SchemaVersion int    `json:"schemaVersion"`
	Revision      string `json:"revision"`
	// CODEOWNERS is where the file was found; empty when there is none.
	CODEOWNERS string       `json:"codeowners"`
	Paths      []pathOwners `json:"paths"`
	// Invalid are the lines GitHub skips.
	Invalid []codeowners.LineError `json:"invalid"`
}

type pathOwners struct {
	Path   string   `json:"path"`
	Owners []string `json:"owners"`
	// Line and Pattern are the rule that matched; Line is 0 when none did.
	Line    int    `json:"line,omitempty"`
	Pattern string `json:"pattern,omitempty"`
}

func runOwners(_ context.Context, p *program, args []string) error {
	flags := p.flags("owners", "owners [--base REV|DIR] PATH...", ownersExamples)
	repo := flags.String("repo", ".", "git repository that holds the revision")
	base := flags.String("base", ".", "revision (branch, tag, SHA) or directory whose CODEOWNERS decides; a pull request is judged by its base branch's")
	format := flags.String("format", "text", "output format: text or json")
	if err := p.parse(flags, args); err != nil {
		return ignoreHelp(err)
	}
	if flags.NArg() == 0 {
		return usageErrorf("name the paths to look up, e.g. nhigate owners identities/aws/ci.yaml")
	}
	if *format != "text" && *format != "json" {
		return usageErrorf("--format %q: use text or json", *format)
	}
	tree, err := source.Open(*repo, *base)
	if err != nil {
		return usageErrorf("--base: %v", err)
	}
	file, err := codeowners.Find(func(path string) ([]byte, error) { return tree.ReadFile(path, codeowners.MaxSize) })
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read CODEOWNERS from %s: %w", tree, err)
	}
	res := ownersResult{SchemaVersion: 1, Revision: tree.String(), Paths: []pathOwners{}, Invalid: []codeowners.LineError{}}
	if file != nil {
		res.CODEOWNERS = file.Path
		res.Invalid = append(res.Invalid, file.Invalid...)
	}
	for _, path := range flags.Args() {
		po := pathOwners{Path: strings.TrimPrefix(path, "./"), Owners: []string{}}
		if owners, rule := file.Owners(po.Path); rule != nil {
			po.Owners = append(po.Owners, owners...)
			po.Line, po.Pattern = rule.Line, rule.Pattern
		}
		res.Paths = append(res.Paths, po)
	}
	if *format == "json" {
		return output.WriteJSON(p.stdout, res)
	}
	return writeOwners(p, &res)
}

func writeOwners(p *program, res *ownersResult) error {
	if res.CODEOWNERS == "" {
		fmt.Fprintf(p.stdout, "%s has no CODEOWNERS (looked in %s): every path is unowned\n", res.Revision, strings.Join(codeowners.Locations, ", "))
	} else {
		fmt.Fprintf(p.stdout, "CODEOWNERS: %s at %s\n", res.CODEOWNERS, res.Revision)
	}
	tw := tabwriter.NewWriter(p.stdout, 0, 0, 2, ' ', 0)
	for _, po := range res.Paths {
		switch {
		case po.Line == 0:
			fmt.Fprintf(tw, "%s\t(unowned)\tno rule matches\n", po.Path)
		case len(po.Owners) == 0:
			fmt.Fprintf(tw, "%s\t(unowned)\t%s:%d: %s lists no owners\n", po.Path, res.CODEOWNERS, po.Line, po.Pattern)
		default:
			fmt.Fprintf(tw, "%s\t%s\t%s:%d: %s\n", po.Path, strings.Join(po.Owners, " "), res.CODEOWNERS, po.Line, po.Pattern)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range res.Invalid {
		fmt.Fprintf(p.stderr, "nhigate: owners: %s:%d is skipped, as GitHub skips it: %s\n", res.CODEOWNERS, e.Line, e.Reason)
	}
	return nil
}
