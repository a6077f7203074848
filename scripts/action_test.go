package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionStep is the step of action.yml that installs nhigate: its script
// and environment, as the runner would run them.
func actionStep(t *testing.T) (run string, env map[string]string) {
	t.Helper()
	data, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Steps []struct {
				ID    string            `yaml:"id"`
				Shell string            `yaml:"shell"`
				Env   map[string]string `yaml:"env"`
				Run   string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	for _, s := range action.Runs.Steps {
		if s.ID == "install" {
			if s.Shell != "bash" {
				t.Fatalf("action.yml's install step runs in %q, want bash", s.Shell)
			}
			return s.Run, s.Env
		}
	}
	t.Fatal("action.yml has no step with id install")
	return "", nil
}

// TestActionInstallStep runs action.yml's install step as the runner would:
// with no version input it installs the release of the action's own ref;
// on a branch it asks for a build from source and says so; a tampered
// download fails the step, and never falls back to building.
func TestActionInstallStep(t *testing.T) {
	skipWindows(t)
	run, stepEnv := actionStep(t)
	if stepEnv["NHIGATE_COSIGN"] != "require" {
		t.Errorf("action.yml's install step sets NHIGATE_COSIGN=%q, want require: the Action installs cosign", stepEnv["NHIGATE_COSIGN"])
	}
	if !strings.Contains(stepEnv["NHIGATE_ACTION_REF"], "github.action_ref") {
		t.Errorf("the version does not default to the action's own ref: NHIGATE_ACTION_REF=%q", stepEnv["NHIGATE_ACTION_REF"])
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cosignDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(cosignDir, "cosign"), []byte(fakeCosign), 0o755); err != nil {
		t.Fatal(err)
	}
	path := cosignDir + string(os.PathListSeparator) + toolDir(t)

	tests := []struct {
		name      string
		input     string // inputs.version
		actionRef string // github.action_ref
		tamper    bool
		wantCode  int
		wantBuild bool
		wantLog   string
	}{
		{name: "the action's own release", actionRef: version, wantLog: "checksums.txt is signed by " + identity},
		{name: "the version input wins", input: version, actionRef: "0123456789abcdef0123456789abcdef01234567", wantLog: "matches checksums.txt"},
		{name: "a branch builds from source", actionRef: "main", wantBuild: true, wantLog: `::notice title=nhigate::"main" is not a release tag, so nhigate is built from source`},
		{name: "a tampered release fails", actionRef: version, tamper: true, wantCode: 1, wantLog: "checksum mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := newRelease(t)
			signed := filepath.Join(t.TempDir(), "signed-checksums.txt")
			if err := os.WriteFile(signed, rel["checksums.txt"], 0o644); err != nil {
				t.Fatal(err)
			}
			rel["checksums.txt.sigstore.json"] = []byte(`{}`)
			if tt.tamper {
				rel["nhigate_1.2.3_linux_amd64.tar.gz"] = flip(rel["nhigate_1.2.3_linux_amd64.tar.gz"])
			}
			s := serve(t, rel)
			temp, output := t.TempDir(), filepath.Join(t.TempDir(), "output")
			cmd := exec.Command(bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", run)
			cmd.Env = []string{
				"PATH=" + path,
				"HOME=" + t.TempDir(),
				"GITHUB_ACTIONS=true",
				"GITHUB_ACTION_PATH=" + root,
				"GITHUB_OUTPUT=" + output,
				"RUNNER_TEMP=" + temp,
				"RUNNER_TOOL_CACHE=" + t.TempDir(),
				"RUNNER_OS=Linux",
				"RUNNER_ARCH=X64",
				"NHIGATE_VERSION_INPUT=" + tt.input,
				"NHIGATE_ACTION_REF=" + tt.actionRef,
				"NHIGATE_COSIGN=" + stepEnv["NHIGATE_COSIGN"],
				"NHIGATE_BASE_URL=" + s.URL + "/download/" + version,
				"CURL_CA_BUNDLE=" + s.caFile,
				"SSL_CERT_FILE=" + s.caFile,
				"FAKE_COSIGN_SIGNED=" + signed,
				"FAKE_COSIGN_LOG=" + filepath.Join(t.TempDir(), "cosign.log"),
			}
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("the step exited %d, want %d\n%s", code, tt.wantCode, out)
			}
			if !strings.Contains(string(out), tt.wantLog) {
				t.Errorf("the step's log lacks %q:\n%s", tt.wantLog, out)
			}
			outputs, _ := os.ReadFile(output)
			if build := strings.Contains(string(outputs), "build=true"); build != tt.wantBuild {
				t.Errorf("build from source: %v, want %v (outputs %q)", build, tt.wantBuild, outputs)
			}
			bin := filepath.Join(temp, "nhigate")
			_, statErr := os.Stat(bin)
			if installed := tt.wantCode == 0 && !tt.wantBuild; installed != (statErr == nil) {
				t.Errorf("$RUNNER_TEMP/nhigate exists: %v, want %v", statErr == nil, installed)
			}
			if statErr == nil {
				got, err := exec.Command(bin).Output()
				if err != nil || strings.TrimSpace(string(got)) != fakeOutput {
					t.Errorf("$RUNNER_TEMP/nhigate printed %q, %v", got, err)
				}
			}
		})
	}
}
