package cli

import (
	"context"
	"fmt"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/reviewer"
)

const checkExamples = `  # Check every spec under a directory
  nhigate check identities/

  # Check the files a generator just wrote, failing on warnings too
  nhigate check --fail-on-warn new-spec.yaml

  # In pre-commit, which passes every staged YAML file
  nhigate check --discover .github/workflows/ci.yaml identities/new.yaml

  # Machine-readable results for a bot
  nhigate check --format json identities/
`

func runCheck(ctx context.Context, p *program, args []string) error {
	var out outputFlags
	fs := p.flags("check", "check [flags] PATH...", checkExamples)
	out.register(fs, output.KindReport, true)
	configFile := fs.String("config", "", "repo config to apply; by default the "+config.File+" found from the working directory up to the repository root, as git finds .git")
	failOnWarn := fs.Bool("fail-on-warn", false, "block on warnings as well as on failures")
	discover := fs.Bool("discover", false, "skip named files that are not nhigate specs, as in directories (for pre-commit, which passes every YAML file)")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() == 0 {
		return usageErrorf("name the spec files or directories to check, e.g. \"nhigate check identities/\"")
	}
	now, renderer, err := out.resolve(p)
	if err != nil {
		return err
	}
	lc, err := review.FindConfig(".", *configFile)
	if err != nil {
		return err
	}
	if lc.Path != "" {
		fmt.Fprintf(p.stderr, "nhigate: check: judged by %s\n", lc.Path)
	} else {
		fmt.Fprintf(p.stderr, "nhigate: check: no %s from here up to the repository root; the defaults judge\n", config.File)
	}
	// User policy directories are read from the working tree here, beside
	// the config that names them: check runs before a pull request exists,
	// so there is no base to trust yet.
	res, err := review.Run(ctx, review.Request{Scope: reviewer.ScopeCheck, Paths: fs.Args(), Discover: *discover,
		Strict: *failOnWarn, Config: lc.Config, Policies: source.Dir(lc.Root), Now: now})
	if err != nil {
		return err
	}
	return out.write(p, renderer, res.Report)
}
