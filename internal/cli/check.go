package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/reviewer"
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
	configPath, root := *configFile, "."
	if configPath == "" {
		if configPath, root, err = findConfig("."); err != nil {
			return err
		}
	}
	cfg := config.Default()
	if configPath != "" {
		if cfg, err = readConfig(configPath); err != nil {
			return err
		}
		fmt.Fprintf(p.stderr, "nhigate: check: judged by %s\n", configPath)
	} else {
		fmt.Fprintf(p.stderr, "nhigate: check: no %s from here up to the repository root; the defaults judge\n", config.File)
	}
	// User policy directories are read from the working tree here, beside
	// the config that names them: check runs before a pull request exists,
	// so there is no base to trust yet.
	res, err := review.Run(ctx, review.Request{Scope: reviewer.ScopeCheck, Paths: fs.Args(), Discover: *discover,
		Strict: *failOnWarn, Config: cfg, Policies: source.Dir(root), Now: now})
	if err != nil {
		return err
	}
	return out.write(p, renderer, res.Report)
}

// findConfig looks for the repo config the way git looks for .git: in dir,
// then in each parent up to the repository root (the directory that holds
// .git) or the filesystem's root. It returns the config's path ("" when
// there is none) and the directory its policy paths are relative to.
func findConfig(dir string) (path, root string, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", "", fmt.Errorf("find %s: %w", config.File, err)
	}
	for {
		candidate := filepath.Join(dir, config.File)
		if _, err := os.Lstat(candidate); err == nil {
			return candidate, dir, nil
		}
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return "", dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ".", nil
		}
		dir = parent
	}
}

// readConfig reads a config file from the working tree for check, through
// the bounded reader that refuses symlinks, as a review reads it from base.
func readConfig(path string) (*config.Config, error) {
	data, err := source.ReadLocal(path, spec.DefaultMaxFileSize)
	if err != nil {
		return nil, usageErrorf("--config: %v", err)
	}
	c, err := config.Parse(path, data)
	if err != nil {
		return nil, &source.ConfigError{Err: err}
	}
	return c, nil
}
