package review

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/spec"
)

// LocalConfig is the repo config a check or a rule listing is judged by,
// read from the working tree: there is no base yet.
type LocalConfig struct {
	Config *config.Config
	// Path is the file read; "" when there is none and the defaults judge.
	Path string
	// Root is the directory the config's policy paths are relative to.
	Root string
}

// FindConfig reads file when it is named, and otherwise looks for the repo
// config the way git looks for .git: in dir, then in each parent up to the
// repository root (the directory that holds .git) or the filesystem's
// root. A config that cannot be read is a UsageError, one that does not
// parse a source.ConfigError.
func FindConfig(dir, file string) (*LocalConfig, error) {
	lc := &LocalConfig{Config: config.Default(), Path: file, Root: "."}
	if file == "" {
		var err error
		if lc.Path, lc.Root, err = findConfig(dir); err != nil {
			return nil, err
		}
	}
	if lc.Path == "" {
		return lc, nil
	}
	// Through the bounded reader that refuses symlinks, as a review reads
	// the config from base.
	data, err := source.ReadLocal(lc.Path, spec.DefaultMaxFileSize)
	if err != nil {
		return nil, &UsageError{fmt.Errorf("--config: %w", err)}
	}
	if lc.Config, err = config.Parse(lc.Path, data); err != nil {
		return nil, &source.ConfigError{Err: err}
	}
	return lc, nil
}

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
