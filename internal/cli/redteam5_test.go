package cli

import (
	"runtime"
	"strings"
	"testing"
)

// TestRedteam5ScanCacheOffInEveryCI: the scan cache was off by default in
// CI, recognised by CI or GITHUB_ACTIONS, because "a runner's home may be shared with jobs that ran a pull
// request's code, and whoever writes the cache decides which files a
// review skips" (cache.go, SECURITY.md). The README names "another CI with
// --fail-on-risk" as a gate that counts. But CI is recognised only by CI
// or GITHUB_ACTIONS, and several CI systems set neither: Jenkins
// (JENKINS_URL, BUILD_ID), Azure Pipelines (TF_BUILD), TeamCity
// (TEAMCITY_VERSION), AWS CodeBuild (CODEBUILD_BUILD_ID). There the cache is
// on by default, in ~/.cache/nhigate of an agent user that also runs pull
// requests' builds.
//
// What the attacker gains: a pull request whose build runs on that agent
// (make test, a go generate, a linter plugin) writes
// ~/.cache/nhigate/scan-<sha256(git dir)[:12]> as the same uid (so
// ownedByUs accepts it, mode 0600) with an entry of "no runs" for the blob
// ids of the unchanged files that hold the principal it widens; the CRC is
// not a signature. The gate's review then skips those files: the
// principal's existing grants drop out of the comparison and a critical
// widening reads as a lower-risk addition, exit 0 under --fail-on-risk.
//
// Fixed by making the cache opt-in (NHIGATE_CACHE=on) everywhere: no
// variable reliably tells a machine whose home no pull request's code
// shares.
func TestRedteam5ScanCacheOffInEveryCI(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XDG layout")
	}
	for _, env := range [][]string{
		{"HOME=/var/lib/jenkins", "JENKINS_URL=https://ci.example.com/", "BUILD_ID=42"},
		{"HOME=/home/vsts", "TF_BUILD=True"},
		{"HOME=/home/tc", "TEAMCITY_VERSION=2024.03"},
		{"HOME=/root", "CODEBUILD_BUILD_ID=proj:1234"},
	} {
		p := &program{env: parseEnv(env), stderr: &strings.Builder{}}
		c, err := p.scanCache()
		if err != nil {
			t.Errorf("%v: %v", env, err)
			continue
		}
		if c.Dir != "" {
			t.Errorf("%v: the scan cache is on (%s) in a CI job: a pull request's build on the same agent can write it", env, c.Dir)
		}
	}
}
