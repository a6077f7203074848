package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/review"
)

// attestRepo is a git repository whose main holds the config and whose
// feature branch adds identities/deploy.yaml holding spec ("" adds a file
// that is no spec).
func attestRepo(t *testing.T, spec string) string {
	t.Helper()
	dir := sweepTree(t, map[string]string{".nhigate.yaml": "specs: [\"identities/**\"]\n"}, true)
	gittest.Run(t, dir, "checkout", "-q", "-b", "feature")
	path, content := filepath.Join(dir, "identities", "deploy.yaml"), spec
	if spec == "" {
		path, content = filepath.Join(dir, "README.md"), "docs\n"
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, dir, "add", "-A")
	gittest.Run(t, dir, "commit", "-q", "-m", "feature")
	return dir
}

// withPrompt records the prompt a spec was generated from, as propose
// does; a review blocks a spec without it.
func withPrompt(spec string) string {
	return strings.Replace(spec, "    generator: chatops-bot@2.3.1\n", "    generator: chatops-bot@2.3.1\n"+
		"    prompt: \"Let the release pipeline read the staging artifacts\"\n"+
		"    promptSha256: a23a22f35df22f4b203255f584412447eeec0dbc4a6cd4a06249818fd91f0ac1\n"+
		"    generatedAt: \"2026-11-25T09:00:00Z\"\n", 1)
}

// signed records the statements it signs and returns a fake bundle.
type signed struct{ statements []*intoto.Statement }

func (s *signed) sign(_ context.Context, st *intoto.Statement) ([]byte, error) {
	s.statements = append(s.statements, st)
	return []byte("bundle of " + st.Subject[0].Name), nil
}

// Attest signs the exact committed bytes of each spec a passing change
// adds, and nothing when the review does not pass or the revision is no
// commit.
func TestAttest(t *testing.T) {
	passing := withPrompt(proposeSpec("deploy", true))
	for _, tc := range []struct {
		name     string
		spec     string
		head     func(dir string) string
		upload   bool
		notSign  bool // ErrNotSigned
		usage    string
		log      string
		bundles  int
		unsigned bool
	}{
		{name: "passing spec is signed", spec: passing, bundles: 1},
		{name: "a failing review signs nothing", spec: withPrompt(proposeSpec("deploy", false)), notSign: true,
			log: "does not pass; nothing was signed:\n  - "},
		{name: "no spec changed", spec: "", log: "changes no spec; nothing to sign"},
		{name: "a directory head", spec: passing, head: func(dir string) string { return dir }, usage: "is a directory; attest signs git revisions"},
		{name: "upload without GitHub", spec: passing, upload: true, usage: "--upload stores bundles on GitHub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := attestRepo(t, tc.spec)
			head := "feature"
			if tc.head != nil {
				head = tc.head(dir)
			}
			out := filepath.Join(t.TempDir(), "att")
			var s signed
			var stdout, log bytes.Buffer
			err := Attest(context.Background(), AttestRequest{Repo: dir, Base: "main", Head: head, Now: sweepNow, Upload: tc.upload,
				Repository: "acme/policies", Sign: s.sign, OutDir: out, Version: "test", Out: &stdout, Log: &log})
			var ue *review.UsageError
			switch {
			case tc.usage != "":
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.usage) {
					t.Fatalf("Attest = %v, want a usage error saying %q", err, tc.usage)
				}
			case errors.Is(err, ErrNotSigned) != tc.notSign:
				t.Fatalf("Attest = %v, want ErrNotSigned: %v\n%s", err, tc.notSign, log.String())
			case err != nil && !tc.notSign:
				t.Fatalf("Attest: %v", err)
			}
			if !strings.Contains(log.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log.String())
			}
			if len(s.statements) != tc.bundles {
				t.Fatalf("signed %d statements, want %d", len(s.statements), tc.bundles)
			}
			if tc.bundles == 0 {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("nothing signed, yet %s exists (stat: %v)", out, err)
				}
				return
			}
			sum := sha256.Sum256([]byte(tc.spec))
			st := s.statements[0]
			if st.Subject[0].Name != "identities/deploy.yaml" || st.Subject[0].Digest["sha256"] != hex.EncodeToString(sum[:]) {
				t.Errorf("subject %v, want identities/deploy.yaml at its committed digest", st.Subject[0])
			}
			bundle, err := os.ReadFile(filepath.Join(out, "identities", "deploy.yaml.sigstore.json"))
			if err != nil || string(bundle) != "bundle of identities/deploy.yaml" {
				t.Errorf("bundle %q, %v", bundle, err)
			}
			if !strings.Contains(stdout.String(), "signed identities/deploy.yaml → ") {
				t.Errorf("stdout:\n%s", stdout.String())
			}
		})
	}
}
