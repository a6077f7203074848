package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/nhigate/nhigate/config"
)

// TestCheckEveryControl runs "nhigate check" on every policy fixture: each
// control has a failing fixture whose "# want:" line names the findings it
// must produce, and pass.yaml must produce none.
func TestCheckEveryControl(t *testing.T) {
	files, err := filepath.Glob("../../policies/testdata/specs/*.yaml")
	if err != nil || len(files) < 30 {
		t.Fatalf("found %d fixtures (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if rest, ok := strings.CutPrefix(line, "# want: "); ok {
					for _, w := range strings.Split(rest, ",") {
						want = append(want, strings.TrimSpace(w))
					}
				}
			}
			stdout, stderr, code := run(t, "check", "--format", "json", "--now", frozen, "--config", "testdata/fixtures.nhigate.yaml", file)
			var rep struct {
				Invalid  []json.RawMessage `json:"invalid"`
				Findings []struct {
					Rule, Kind string
					Excepted   bool
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
			}
			if len(rep.Invalid) > 0 {
				// The loader rejects some violations before any policy runs
				// (an unknown credential kind, a missing apiVersion): the spec
				// is blocked all the same.
				if code != ExitBlocked {
					t.Errorf("invalid spec: exit %d, want %d", code, ExitBlocked)
				}
				return
			}
			var got []string
			blocked := false
			for _, f := range rep.Findings {
				kind := f.Kind
				if f.Excepted {
					kind = "excepted"
				}
				blocked = blocked || kind == "deny"
				got = append(got, kind+" "+f.Rule)
			}
			slices.Sort(got)
			got = slices.Compact(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			wantCode := ExitPass
			if blocked {
				wantCode = ExitBlocked
			}
			if code != wantCode {
				t.Errorf("exit %d, want %d", code, wantCode)
			}
		})
	}
}

func TestCheckFailOnWarn(t *testing.T) {
	file := "../../policies/testdata/specs/warn-nhi-id-001.yaml"
	if _, err := os.Stat(file); err != nil {
		matches, _ := filepath.Glob("../../policies/testdata/specs/*id-001*.yaml")
		if len(matches) == 0 {
			t.Fatal("no warning-only fixture for NHI-ID-001")
		}
		file = matches[0]
	}
	args := []string{"check", "--now", frozen, "--config", "testdata/fixtures.nhigate.yaml", file}
	if _, _, code := run(t, args...); code != ExitPass {
		t.Errorf("warnings alone: exit %d, want 0", code)
	}
	stdout, _, code := run(t, append([]string{"check", "--fail-on-warn"}, args[1:]...)...)
	if code != ExitBlocked || !strings.Contains(stdout, "warning (--fail-on-warn)") {
		t.Errorf("--fail-on-warn: exit %d, want 1; output:\n%s", code, stdout)
	}
}

// TestDefaultDataInSync keeps the data file that conftest users load equal
// to the defaults nhigate applies without .nhigate.yaml.
func TestDefaultDataInSync(t *testing.T) {
	raw, err := os.ReadFile("../../policies/data/nhigate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Nhigate struct {
			Config map[string]any `yaml:"config"`
		} `yaml:"nhigate"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	// Compare as JSON values, where 2 and 2.0 are one number.
	norm := func(v any) any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if diff := cmp.Diff(norm(file.Nhigate.Config), norm(config.Default().Data())); diff != "" {
		t.Errorf("policies/data/nhigate.yaml and config.Default() differ (-file +Go):\n%s", diff)
	}
}
