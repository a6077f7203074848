package cli

import (
	"path/filepath"
	"runtime"

	"github.com/nhigate/nhigate/internal/source"
)

// scanCache is where review and diff keep the digests of unchanged files
// between runs: nhigate/ in the user's cache directory, as
// os.UserCacheDir finds it but from the parsed environment. It is off
// unless NHIGATE_CACHE=on (or =debug, on with a line on stderr for what it
// answered and for a cache file ignored or not written): whoever writes
// the cache decides which files a review skips, and no environment
// variable tells reliably that a machine's home is not shared with jobs
// that ran a pull request's code (CI systems set different ones, and some
// none).
//
// Cache on or off, a review reads the scan index its base commits
// (nhigate index), and says on stderr when it ignores one.
func (p *program) scanCache() (source.ScanCache, error) {
	c := source.ScanCache{Warn: p.stderr}
	switch v := p.env["NHIGATE_CACHE"]; v {
	case "", "off":
		return c, nil
	case "on":
	case "debug":
		c.Log = p.stderr
	default:
		return c, usageErrorf("NHIGATE_CACHE=%q: write on to keep the scan cache, debug to see what it answered too, or off (the default)", v)
	}
	dir := p.userCacheDir()
	if dir == "" {
		// Nowhere to keep it: every file is read, but for an index.
		return source.ScanCache{Warn: p.stderr}, nil
	}
	c.Dir = filepath.Join(dir, "nhigate")
	return c, nil
}

// userCacheDir is os.UserCacheDir read from p.env: "" when the environment
// names none, or a relative one.
func (p *program) userCacheDir() string {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = p.env["LocalAppData"]
	case "darwin", "ios":
		if h := p.env["HOME"]; h != "" {
			dir = filepath.Join(h, "Library", "Caches")
		}
	case "plan9":
		if h := p.env["home"]; h != "" {
			dir = filepath.Join(h, "lib", "cache")
		}
	default:
		dir = p.env["XDG_CACHE_HOME"]
		if dir == "" {
			if h := p.env["HOME"]; h != "" {
				dir = filepath.Join(h, ".cache")
			}
		} else if !filepath.IsAbs(dir) {
			return ""
		}
	}
	if !filepath.IsAbs(dir) {
		return ""
	}
	return dir
}
