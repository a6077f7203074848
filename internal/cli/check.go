package cli

import (
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/source"
	"github.com/nhigate/nhigate/spec"
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
	out.register(fs)
	configFile := fs.String("config", config.File, "repo config to apply; defaults apply when the default file is absent")
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
	cfg, err := readConfig(*configFile, explicitlySet(fs, "config"))
	if err != nil {
		return err
	}
	named := spec.Strict
	if *discover {
		named = spec.Discover
	}
	loaded, err := source.LoadPaths(fs.Args(), named, cfg)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return usageErrorf("%v", err)
		}
		return err
	}
	// User policy directories are read from the working tree here: check
	// runs before a pull request exists, so there is no base to trust yet.
	findings, digest, err := evaluate(ctx, source.Dir("."), cfg, loaded.Workflows, now)
	if err != nil {
		return err
	}
	rep := reviewer.Decide(reviewer.Input{
		Mode:         reviewer.Local,
		Scope:        reviewer.ScopeCheck,
		Files:        specFiles(loaded),
		Invalid:      loaded.Errors,
		Findings:     findings,
		PolicyDigest: digest,
		Strict:       *failOnWarn,
		// No pull request, so every exception is unverified: the report
		// says whose approval would make it waive its rule.
		Specs: loaded.Workflows, Now: now,
	})
	return out.write(p, renderer, rep)
}

func explicitlySet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// readConfig reads a config file from the working tree for check, through
// the bounded reader that refuses symlinks, as a review reads it from base.
func readConfig(path string, required bool) (*config.Config, error) {
	data, err := source.ReadLocal(path, spec.DefaultMaxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !required:
		return config.Default(), nil
	case err != nil:
		return nil, usageErrorf("--config: %v", err)
	}
	c, err := config.Parse(path, data)
	if err != nil {
		return nil, &source.ConfigError{Err: err}
	}
	return c, nil
}
