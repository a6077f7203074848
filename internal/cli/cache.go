package cli

import (
	"path/filepath"
	"runtime"

	"github.com/nhigate/nhigate/internal/source"
)

// scanCache is where review and diff keep the digests of unchanged files
// between runs: nhigate/ in the user's cache directory, as
// os.UserCacheDir finds it but from the parsed environment.
// NHIGATE_CACHE=off turns it off, =on on, and =debug on with a line on
// stderr for what it answered and for a cache file ignored or not
// written. Unset, it is on, but off in CI (CI or GITHUB_ACTIONS set): a
// runner's home may be shared with jobs that ran a pull request's code,
// and whoever writes the cache decides which files a review skips.
func (p *program) scanCache() (source.ScanCache, error) {
	var c source.ScanCache
	switch v := p.env["NHIGATE_CACHE"]; v {
	case "":
		if ci := p.env["CI"]; ci != "" && ci != "false" || p.env["GITHUB_ACTIONS"] == "true" {
			return source.ScanCache{}, nil
		}
	case "on":
	case "debug":
		c.Log = p.stderr
	case "off":
		return source.ScanCache{}, nil
	default:
		return c, usageErrorf("NHIGATE_CACHE=%q: write off to turn the scan cache off, on to turn it on in CI, or debug to see what it answered", v)
	}
	dir := p.userCacheDir()
	if dir == "" {
		// Nowhere to keep it: every file is read.
		return source.ScanCache{}, nil
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
