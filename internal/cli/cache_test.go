package cli

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScanCacheFromEnv: where the scan cache lives, and that it is off
// unless NHIGATE_CACHE asks for it, in CI and out.
func TestScanCacheFromEnv(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XDG layout")
	}
	for _, tc := range []struct {
		env     []string
		dir     string
		debug   bool
		wantErr string
	}{
		{env: []string{"HOME=/home/u"}},
		{env: []string{"HOME=/home/u", "CI=false"}},
		{env: []string{"HOME=/home/u", "NHIGATE_CACHE=off"}},
		{env: []string{"HOME=/home/u", "NHIGATE_CACHE=on"}, dir: "/home/u/.cache/nhigate"},
		{env: []string{"HOME=/home/u", "XDG_CACHE_HOME=/xdg", "NHIGATE_CACHE=on"}, dir: "/xdg/nhigate"},
		{env: []string{"HOME=/home/u", "XDG_CACHE_HOME=relative", "NHIGATE_CACHE=on"}},
		{env: []string{"NHIGATE_CACHE=on"}},
		{env: []string{"HOME=/home/u", "GITHUB_ACTIONS=true", "NHIGATE_CACHE=on"}, dir: "/home/u/.cache/nhigate"},
		{env: []string{"HOME=/home/u", "CI=1", "NHIGATE_CACHE=debug"}, dir: "/home/u/.cache/nhigate", debug: true},
		{env: []string{"HOME=/home/u", "NHIGATE_CACHE=of"}, wantErr: `NHIGATE_CACHE="of": write on`},
	} {
		p := &program{env: parseEnv(tc.env), stderr: &strings.Builder{}}
		c, err := p.scanCache()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ExitCode(err) != ExitUsage {
				t.Errorf("%v: err %v, want a usage error saying %q", tc.env, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if diff := cmp.Diff(filepath.FromSlash(tc.dir), c.Dir); diff != "" || (c.Log != nil) != tc.debug {
			t.Errorf("%v: dir (-want +got):\n%s; log set %v, want %v", tc.env, diff, c.Log != nil, tc.debug)
		}
	}
}
