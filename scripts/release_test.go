package scripts

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// The files whose steps GitHub runs: every "uses:" in them is pinned.
var workflowFiles = []string{"../action.yml", "../.github/workflows/ci.yml", "../.github/workflows/release.yml"}

var usesLine = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
var pinned = regexp.MustCompile(`^([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@([0-9a-f]{40})$`)
var versionComment = regexp.MustCompile(`^\s+# (v[0-9]+\.[0-9]+\.[0-9]+)$`)

// TestActionsPinned: every action a workflow or action.yml uses is pinned
// by a full commit SHA, with the release it is as a comment, and one action
// is at one commit everywhere: a tag can be moved to other code, a SHA
// cannot.
func TestActionsPinned(t *testing.T) {
	type pin struct{ sha, version, where string }
	pins := map[string]pin{}
	for _, file := range workflowFiles {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for line := 1; sc.Scan(); line++ {
			m := usesLine.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			n++
			where := filepath.Base(file) + ":" + strconv.Itoa(line)
			if strings.HasPrefix(m[1], "./") {
				continue // this repository's own, at the same commit
			}
			p := pinned.FindStringSubmatch(m[1])
			if p == nil {
				t.Errorf("%s: uses %s; pin it by full commit SHA: owner/repo@<40 hex> # vX.Y.Z", where, m[1])
				continue
			}
			v := versionComment.FindStringSubmatch(m[2])
			if v == nil {
				t.Errorf("%s: %s has no release comment; write \" # vX.Y.Z\" after the SHA", where, m[1])
				continue
			}
			got := pin{sha: p[2], version: v[1], where: where}
			if prev, ok := pins[p[1]]; ok && (prev.sha != got.sha || prev.version != got.version) {
				t.Errorf("%s: %s@%s # %s, but %s has %s # %s: pin one commit everywhere", where, p[1], got.sha, got.version, prev.where, prev.sha, prev.version)
			}
			pins[p[1]] = got
		}
		f.Close()
		if n == 0 {
			t.Errorf("%s uses no action; the test reads the wrong file", file)
		}
	}
}

type workflowStep struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

// label names a step in messages: its name, or the action it uses.
func (s workflowStep) label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Uses
}

func releaseWorkflow(t *testing.T) (perms map[string]string, tags []string, steps []workflowStep) {
	t.Helper()
	data, err := os.ReadFile("../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On struct {
			Push struct {
				Tags []string `yaml:"tags"`
			} `yaml:"push"`
		} `yaml:"on"`
		Jobs map[string]struct {
			Permissions map[string]string `yaml:"permissions"`
			Steps       []workflowStep    `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	job, ok := wf.Jobs["release"]
	if !ok || len(wf.Jobs) != 1 {
		t.Fatalf("release.yml has jobs %v, want one, release", wf.Jobs)
	}
	return job.Permissions, wf.On.Push.Tags, job.Steps
}

// TestReleaseWorkflow checks the order of what release.yml does, which no
// run here can: GoReleaser builds a draft, its signature is checked, the
// image is built from those archives and checked, pushed, signed by
// digest and attested, and only then is the release published.
func TestReleaseWorkflow(t *testing.T) {
	perms, tags, steps := releaseWorkflow(t)
	if diff := cmp.Diff(map[string]string{"contents": "write", "packages": "write", "id-token": "write", "attestations": "write"}, perms); diff != "" {
		t.Errorf("the release job's permissions (-want +got):\n%s", diff)
	}
	for _, tag := range tags {
		if !strings.HasPrefix(tag, "v[0-9]+.[0-9]+.[0-9]+") {
			t.Errorf("release.yml runs on tag %q; only full versions vX.Y.Z release", tag)
		}
	}
	// Each stage, in order: the first step at or after the previous stage's
	// that matches.
	stages := []struct {
		name  string
		match func(workflowStep) bool
	}{
		{"GoReleaser", func(s workflowStep) bool { return strings.HasPrefix(s.Uses, "goreleaser/goreleaser-action@") }},
		{"the checksums' signature checked", func(s workflowStep) bool { return strings.Contains(s.Run, "cosign verify-blob dist/checksums.txt") }},
		{"the image built and checked", func(s workflowStep) bool {
			return strings.Contains(s.Run, "image\" build -dist dist -out dist/image") &&
				strings.Contains(s.Run, "image\" check -layout dist/image -dist dist -run")
		}},
		{"the registry login", func(s workflowStep) bool { return strings.HasPrefix(s.Uses, "docker/login-action@") }},
		{"the image pushed", func(s workflowStep) bool {
			return s.ID == "image" && strings.Contains(s.Run, "image\" push -layout dist/image")
		}},
		{"the image signed by digest", func(s workflowStep) bool {
			return strings.Contains(s.Run, `cosign sign --yes "$IMAGE@$DIGEST"`) &&
				s.Env["IMAGE"] == "${{ steps.image.outputs.name }}" && s.Env["DIGEST"] == "${{ steps.image.outputs.digest }}"
		}},
		{"provenance of the archives", func(s workflowStep) bool {
			return strings.HasPrefix(s.Uses, "actions/attest-build-provenance@") && s.With["subject-checksums"] == "dist/checksums.txt"
		}},
		{"provenance of the image, pushed to the registry", func(s workflowStep) bool {
			return strings.HasPrefix(s.Uses, "actions/attest-build-provenance@") &&
				s.With["subject-name"] == "${{ steps.image.outputs.name }}" &&
				s.With["subject-digest"] == "${{ steps.image.outputs.digest }}" &&
				s.With["push-to-registry"] == "true"
		}},
		{"the release published", func(s workflowStep) bool {
			return strings.Contains(s.Run, "gh release edit \"$TAG\"") && strings.Contains(s.Run, "--draft=false")
		}},
	}
	i := 0
	for _, st := range stages {
		found := false
		for ; i < len(steps); i++ {
			if st.match(steps[i]) {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("release.yml lacks %s, or has it before the stage above it", st.name)
		}
	}
	if i != len(steps)-1 {
		t.Errorf("release.yml has steps after publishing the release: %q", steps[i+1].label())
	}
	// Values reach run scripts through env, never pasted into the script.
	for _, s := range steps {
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q pastes an expression into its script; pass it through env", s.label())
		}
	}

	var goreleaser struct {
		Release struct {
			Draft bool `yaml:"draft"`
		} `yaml:"release"`
		Dockers   any `yaml:"dockers"`
		DockersV2 any `yaml:"dockers_v2"`
		Kos       any `yaml:"kos"`
	}
	data, err := os.ReadFile("../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &goreleaser); err != nil {
		t.Fatal(err)
	}
	if !goreleaser.Release.Draft {
		t.Error(".goreleaser.yaml does not make a draft release: it would be public before its image is signed")
	}
	if goreleaser.Dockers != nil || goreleaser.DockersV2 != nil || goreleaser.Kos != nil {
		t.Error(".goreleaser.yaml builds an image too; scripts/image is the one image")
	}
}

// TestReleaseImageSteps runs release.yml's push and sign steps as the
// runner would, with a fake image tool and cosign: the image is tagged
// latest only for a full release, and cosign signs and verifies the
// pushed digest, never a tag.
func TestReleaseImageSteps(t *testing.T) {
	skipWindows(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	_, _, steps := releaseWorkflow(t)
	var push, sign workflowStep
	for _, s := range steps {
		switch {
		case s.ID == "image":
			push = s
		case strings.Contains(s.Run, "cosign sign"):
			sign = s
		}
	}
	if push.Run == "" || sign.Run == "" {
		t.Fatal("release.yml has no push step (id image) or no cosign sign step")
	}
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	fakeImage := `#!/bin/sh
echo "$*" >"$RUNNER_TEMP/image.log"
while [ $# -gt 0 ]; do
	case $1 in
	-repo) repo=$2; shift ;;
	-digest-file) printf '%s\n' "` + digest + `" >"$2"; shift ;;
	esac
	shift
done
[ -n "$FAKE_IMAGE_FAIL" ] && { echo "image: push: denied" >&2; exit 1; }
echo "$repo@` + digest + `"
`
	fakeCosignLog := `#!/bin/sh
echo "$*" >>"$COSIGN_LOG"
`
	tests := []struct {
		tag      string
		fail     bool
		wantTags string
	}{
		{tag: "v1.2.3", wantTags: "-tag v1.2.3 -tag latest"},
		{tag: "v1.3.0-rc.1", wantTags: "-tag v1.3.0-rc.1 -digest-file"},
		{tag: "v1.2.4", fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			temp := t.TempDir()
			bin := t.TempDir()
			if err := os.WriteFile(filepath.Join(temp, "image"), []byte(fakeImage), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(bin, "cosign"), []byte(fakeCosignLog), 0o755); err != nil {
				t.Fatal(err)
			}
			output := filepath.Join(temp, "output")
			env := []string{
				"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
				"RUNNER_TEMP=" + temp,
				"GITHUB_OUTPUT=" + output,
				"GITHUB_REPOSITORY=nhigate/nhigate",
				"COSIGN_LOG=" + filepath.Join(temp, "cosign.log"),
			}
			// The runner sets each env entry from its expression.
			exprs := map[string]string{
				"${{ github.ref_name }}":   tt.tag,
				"${{ github.repository }}": "nhigate/nhigate",
			}
			stepEnv := func(s workflowStep, outputs map[string]string) []string {
				e := append([]string(nil), env...)
				for k, v := range s.Env {
					if val, ok := exprs[v]; ok {
						v = val
					} else if val, ok := outputs[v]; ok {
						v = val
					} else {
						t.Fatalf("step %q: env %s=%s, which the test cannot set", s.label(), k, v)
					}
					e = append(e, k+"="+v)
				}
				if tt.fail {
					e = append(e, "FAKE_IMAGE_FAIL=1")
				}
				return e
			}
			cmd := exec.Command(bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", push.Run)
			cmd.Env = stepEnv(push, nil)
			out, err := cmd.CombinedOutput()
			if tt.fail {
				if err == nil {
					t.Errorf("the push step passed when the push failed:\n%s", out)
				}
				if data, _ := os.ReadFile(output); strings.Contains(string(data), "digest=") {
					t.Errorf("a failed push still set the digest output: %q", data)
				}
				return
			}
			if err != nil {
				t.Fatalf("the push step failed: %v\n%s", err, out)
			}
			args, _ := os.ReadFile(filepath.Join(temp, "image.log"))
			if !strings.Contains(string(args), "push -layout dist/image -repo ghcr.io/nhigate/nhigate "+tt.wantTags) {
				t.Errorf("the image tool ran with %q, want the tags %q", args, tt.wantTags)
			}
			data, _ := os.ReadFile(output)
			outputs := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				k, v, _ := strings.Cut(line, "=")
				outputs["${{ steps.image.outputs."+k+" }}"] = v
			}
			if diff := cmp.Diff(map[string]string{
				"${{ steps.image.outputs.name }}":   "ghcr.io/nhigate/nhigate",
				"${{ steps.image.outputs.digest }}": digest,
			}, outputs); diff != "" {
				t.Errorf("the push step's outputs (-want +got):\n%s", diff)
			}

			cmd = exec.Command(bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", sign.Run)
			cmd.Env = stepEnv(sign, outputs)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("the sign step failed: %v\n%s", err, out)
			}
			log, _ := os.ReadFile(filepath.Join(temp, "cosign.log"))
			want := "sign --yes ghcr.io/nhigate/nhigate@" + digest + "\n" +
				"verify ghcr.io/nhigate/nhigate@" + digest +
				" --certificate-identity https://github.com/nhigate/nhigate/.github/workflows/release.yml@refs/tags/" + tt.tag +
				" --certificate-oidc-issuer https://token.actions.githubusercontent.com\n"
			if diff := cmp.Diff(want, string(log)); diff != "" {
				t.Errorf("cosign's calls (-want +got):\n%s", diff)
			}
		})
	}
}
