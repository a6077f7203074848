package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

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

func runOwners(_ context.Context, p *program, args []string) error {
	flags := p.flags("owners", "owners [--base REV|DIR] PATH...", ownersExamples)
	repo := flags.String("repo", ".", "git repository that holds the revision")
	base := flags.String("base", ".", "revision (branch, tag, SHA) or directory whose CODEOWNERS decides; a pull request is judged by its base branch's")
	var out outputFlags
	out.register(flags, output.KindOwners, false)
	if err := p.parse(flags, args); err != nil {
		return ignoreHelp(err)
	}
	if flags.NArg() == 0 {
		return usageErrorf("name the paths to look up, e.g. nhigate owners identities/aws/ci.yaml")
	}
	_, print, err := out.resolve(p)
	if err != nil {
		return err
	}
	tree, err := source.Open(*repo, *base)
	if err != nil {
		return usageErrorf("--base: %v", err)
	}
	file, err := codeowners.Find(func(path string) ([]byte, error) { return tree.ReadFile(path, codeowners.MaxSize) })
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read CODEOWNERS from %s: %w", tree, err)
	}
	res := &output.OwnersResult{SchemaVersion: output.ResultSchemaVersion, Revision: tree.String(), Paths: []output.PathOwners{},
		Invalid: []output.OwnersLineError{}, Locations: codeowners.Locations}
	if file != nil {
		res.CODEOWNERS = file.Path
		for _, e := range file.Invalid {
			res.Invalid = append(res.Invalid, output.OwnersLineError{Line: e.Line, Text: e.Text, Reason: e.Reason})
		}
	}
	for _, path := range flags.Args() {
		po := output.PathOwners{Path: strings.TrimPrefix(path, "./"), Owners: []string{}}
		if owners, rule := file.Owners(po.Path); rule != nil {
			po.Owners = append(po.Owners, owners...)
			po.Line, po.Pattern = rule.Line, rule.Pattern
		}
		res.Paths = append(res.Paths, po)
	}
	if err := out.emit(p, print, res, "owners"); err != nil {
		return err
	}
	for _, e := range res.Invalid {
		fmt.Fprintf(p.stderr, "nhigate: owners: %s:%d is skipped, as GitHub skips it: %s\n", output.SafeText(res.CODEOWNERS), e.Line, output.SafeText(e.Reason))
	}
	return nil
}
