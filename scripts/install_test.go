// Package scripts holds the tests of the shell scripts beside it; the
// scripts themselves are not Go.
package scripts

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const (
	version  = "v1.2.3"
	identity = "https://github.com/nhigate/nhigate/.github/workflows/release.yml@refs/tags/v1.2.3"
	// fakeOutput is what the fake nhigate in the fake release prints.
	fakeOutput = "nhigate 1.2.3 (fake release binary)"
)

// fakeBinary is a program that runs on the test's host without compiling
// anything: a shell script.
var fakeBinary = []byte("#!/bin/sh\necho '" + fakeOutput + "'\n")

// release is a fake GitHub release: file name to contents.
type release map[string][]byte

// newRelease builds the archives GoReleaser would publish for linux/amd64
// and windows/amd64, and their checksums.txt.
func newRelease(t *testing.T) release {
	t.Helper()
	r := release{
		"nhigate_1.2.3_linux_amd64.tar.gz": tarGz(t, map[string][]byte{"nhigate": fakeBinary, "README.md": []byte("# nhigate\n")}),
		"nhigate_1.2.3_windows_amd64.zip":  zipOf(t, map[string][]byte{"nhigate.exe": fakeBinary, "README.md": []byte("# nhigate\n")}),
	}
	r["checksums.txt"] = checksums(r)
	return r
}

func checksums(r release) []byte {
	var b bytes.Buffer
	for _, name := range []string{"nhigate_1.2.3_linux_amd64.tar.gz", "nhigate_1.2.3_windows_amd64.zip"} {
		if data, ok := r[name]; ok {
			fmt.Fprintf(&b, "%s  %s\n", sum(data), name)
		}
	}
	return b.Bytes()
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// server serves a release over TLS on loopback and counts the requests.
type server struct {
	*httptest.Server
	caFile string

	mu    sync.Mutex
	files release
	hits  int
	// prefix is the path of the release's files, /download/TAG/.
	prefix string
}

func serve(t *testing.T, files release) *server {
	t.Helper()
	return serveTag(t, files, version)
}

// serveTag serves the release files of tag under /download/TAG/.
func serveTag(t *testing.T, files release, tag string) *server {
	t.Helper()
	s := &server{files: files, prefix: "/download/" + tag + "/"}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hits++
		name, ok := strings.CutPrefix(r.URL.Path, s.prefix)
		data, found := s.files[name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(s.Close)
	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(s.caFile, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *server) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// toolDir is a PATH holding only the tools install.sh may use, so that a
// cosign installed on the host cannot change what the test sees.
func toolDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"sh", "curl", "tar", "gzip", "unzip", "awk", "grep", "wc", "cut", "sha256sum", "shasum",
		"mktemp", "rm", "mkdir", "cp", "chmod", "mv", "uname", "cmp", "cat", "bash"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			continue
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for _, need := range []string{"sh", "curl", "tar", "awk", "grep"} {
		if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
			t.Skipf("install.sh needs %s, which this host lacks", need)
		}
	}
	return dir
}

// fakeCosign is a cosign whose verify-blob accepts exactly the blob at
// $FAKE_COSIGN_SIGNED: the checksums.txt the real workflow would have
// signed. It logs its arguments to $FAKE_COSIGN_LOG.
const fakeCosign = `#!/bin/sh
echo "$@" >"$FAKE_COSIGN_LOG"
[ "$1" = verify-blob ] || exit 2
for blob; do :; done
cmp -s "$blob" "$FAKE_COSIGN_SIGNED" || { echo "Error: none of the signatures verify" >&2; exit 1; }
echo "Verified OK" >&2
`

type result struct {
	code           int
	stdout, stderr string
	cache          string
}

// run runs install.sh against s with the environment env on top of a
// hermetic one, and returns what it did.
func run(t *testing.T, s *server, path string, env map[string]string) result {
	t.Helper()
	cache := t.TempDir()
	vars := map[string]string{
		"PATH":              path,
		"HOME":              t.TempDir(),
		"NHIGATE_VERSION":   version,
		"NHIGATE_BASE_URL":  s.URL + "/download/" + version,
		"RUNNER_OS":         "Linux",
		"RUNNER_ARCH":       "X64",
		"RUNNER_TOOL_CACHE": cache,
		"CURL_CA_BUNDLE":    s.caFile,
		"SSL_CERT_FILE":     s.caFile,
	}
	maps.Copy(vars, env)
	if vars["RUNNER_TOOL_CACHE"] != cache {
		cache = vars["RUNNER_TOOL_CACHE"]
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	// Read through os so that go test's cache sees the script change.
	if _, err := os.ReadFile("install.sh"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, "install.sh")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String(), cache: cache}
}

// installed lists the files under the tool cache, so that a refusal can be
// shown to leave nothing behind.
func installed(t *testing.T, cache string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func skipWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("install.sh's tests run the fake binary, a shell script")
	}
}

func TestInstallInstallsAVerifiedBinaryThatRuns(t *testing.T) {
	skipWindows(t)
	path := toolDir(t)
	s := serve(t, newRelease(t))
	r := run(t, s, path, nil)
	if r.code != 0 {
		t.Fatalf("install.sh exited %d\nstderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	bin := lines[len(lines)-1]
	if want := filepath.Join(r.cache, "nhigate", "1.2.3", "amd64", "nhigate"); bin != want {
		t.Errorf("install.sh printed %q, want the tool cache path %q", bin, want)
	}
	out, err := exec.Command(bin).Output()
	if err != nil || strings.TrimSpace(string(out)) != fakeOutput {
		t.Errorf("the installed binary printed %q, %v; want %q", out, err, fakeOutput)
	}
	if !strings.Contains(r.stderr, "matches checksums.txt") {
		t.Errorf("install.sh does not say it verified the archive:\n%s", r.stderr)
	}
	// Without cosign the signature is not checked, and it says so.
	if !strings.Contains(r.stderr, "cosign is not on PATH: the signature of checksums.txt was not verified") {
		t.Errorf("install.sh does not warn that it could not verify the signature:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.cache, "nhigate", "1.2.3", "amd64.complete")); err != nil {
		t.Errorf("no tool-cache marker: %v", err)
	}

	// A second run takes the binary from the tool cache, downloading nothing.
	before := s.requests()
	again := run(t, s, path, map[string]string{"RUNNER_TOOL_CACHE": r.cache})
	if again.code != 0 || !strings.Contains(again.stderr, "found in the tool cache") || !strings.HasSuffix(strings.TrimSpace(again.stdout), bin) {
		t.Errorf("second run: exit %d, stdout %q, stderr:\n%s", again.code, again.stdout, again.stderr)
	}
	if n := s.requests() - before; n != 0 {
		t.Errorf("a cached install made %d requests, want 0", n)
	}
}

func TestInstallWindowsZip(t *testing.T) {
	skipWindows(t)
	path := toolDir(t)
	if _, err := os.Stat(filepath.Join(path, "unzip")); err != nil {
		t.Skip("no unzip on this host")
	}
	s := serve(t, newRelease(t))
	r := run(t, s, path, map[string]string{"RUNNER_OS": "Windows"})
	if r.code != 0 {
		t.Fatalf("install.sh exited %d\nstderr:\n%s", r.code, r.stderr)
	}
	want := filepath.Join(r.cache, "nhigate", "1.2.3", "amd64", "nhigate.exe")
	if got := strings.TrimSpace(r.stdout); got != want {
		t.Errorf("install.sh printed %q, want %q", got, want)
	}
	if data, err := os.ReadFile(want); err != nil || !bytes.Equal(data, fakeBinary) {
		t.Errorf("nhigate.exe is %q, %v; want the archive's", data, err)
	}
}

// TestInstallRefuses covers every way a download can be wrong: each case
// must exit 1 with its message and leave nothing in the tool cache. A
// version that is no release exits 2, for the Action to build from source.
func TestInstallRefuses(t *testing.T) {
	skipWindows(t)
	path := toolDir(t)
	const archive = "nhigate_1.2.3_linux_amd64.tar.gz"

	cosignDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(cosignDir, "cosign"), []byte(fakeCosign), 0o755); err != nil {
		t.Fatal(err)
	}
	withCosign := cosignDir + string(os.PathListSeparator) + path

	tests := []struct {
		name string
		// tamper changes the release the server serves.
		tamper func(r release)
		env    map[string]string
		path   string
		want   string
		// code is the exit status, 1 unless set.
		code int
		// noRequests: the script must refuse before downloading anything.
		noRequests bool
	}{
		{
			name:   "tampered archive",
			tamper: func(r release) { r[archive] = flip(r[archive]) },
			want:   "checksum mismatch for " + archive + ": sha256 is ",
		},
		{
			name: "tampered checksums",
			tamper: func(r release) {
				r["checksums.txt"] = bytes.Replace(r["checksums.txt"], []byte(sum(r[archive])), []byte(sum(flip(r[archive]))), 1)
			},
			want: "checksum mismatch for " + archive,
		},
		{
			// An attacker who controls the download replaces the archive and
			// its checksum line together: only the signature catches it.
			name: "archive and checksums replaced together, with cosign",
			tamper: func(r release) {
				r[archive] = tarGz(t, map[string][]byte{"nhigate": []byte("#!/bin/sh\necho pwned\n")})
				r["checksums.txt"] = checksums(r)
			},
			path: withCosign,
			want: "the signature of checksums.txt does not verify for " + identity,
		},
		{
			name: "archive and checksums replaced together, cosign required but missing",
			tamper: func(r release) {
				r[archive] = tarGz(t, map[string][]byte{"nhigate": []byte("#!/bin/sh\necho pwned\n")})
				r["checksums.txt"] = checksums(r)
			},
			env:  map[string]string{"NHIGATE_COSIGN": "require"},
			want: "cosign is not on PATH and NHIGATE_COSIGN=require",
		},
		{
			name:   "no signature bundle",
			tamper: func(r release) { delete(r, "checksums.txt.sigstore.json") },
			path:   withCosign,
			want:   "/download/v1.2.3/checksums.txt.sigstore.json failed",
		},
		{
			name:   "checksums without the archive",
			tamper: func(r release) { delete(r, "nhigate_1.2.3_windows_amd64.zip"); r["checksums.txt"] = []byte("") },
			want:   "checksums.txt has no line for " + archive,
		},
		{
			name: "archive named twice",
			tamper: func(r release) {
				r["checksums.txt"] = append(r["checksums.txt"], []byte(strings.Repeat("0", 64)+"  "+archive+"\n")...)
			},
			want: "checksums.txt names " + archive + " more than once",
		},
		{
			name: "archive without the binary",
			tamper: func(r release) {
				r[archive] = tarGz(t, map[string][]byte{"README.md": nil})
				r["checksums.txt"] = checksums(r)
			},
			want: archive + " has no nhigate",
		},
		{
			name:       "unknown architecture",
			env:        map[string]string{"RUNNER_ARCH": "ARM"},
			want:       "no nhigate release for platform Linux/ARM. Releases exist for Linux, macOS and Windows on X64 (amd64) and ARM64",
			noRequests: true,
		},
		{
			name:       "unknown OS",
			env:        map[string]string{"RUNNER_OS": "Plan9", "RUNNER_ARCH": "X64"},
			want:       "no nhigate release for platform Plan9/X64",
			noRequests: true,
		},
		{
			name:       "not a release",
			env:        map[string]string{"NHIGATE_VERSION": "main"},
			want:       `version "main" is not a release tag`,
			code:       2,
			noRequests: true,
		},
		{
			name:       "a commit",
			env:        map[string]string{"NHIGATE_VERSION": "b2fd63a1c0ffee0000000000000000000000beef"},
			want:       "is not a release tag",
			code:       2,
			noRequests: true,
		},
		{
			name:       "no version",
			env:        map[string]string{"NHIGATE_VERSION": ""},
			want:       "NHIGATE_VERSION is not set",
			code:       2,
			noRequests: true,
		},
		{
			name:       "a version that climbs out of its directory",
			env:        map[string]string{"NHIGATE_VERSION": "v1.2.3/../../../x"},
			want:       "is not a release tag",
			code:       2,
			noRequests: true,
		},
		{
			name:       "plain http",
			env:        map[string]string{"NHIGATE_BASE_URL": "http://127.0.0.1:1/download/v1.2.3"},
			want:       "is not an https:// URL",
			noRequests: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := newRelease(t)
			signed := filepath.Join(t.TempDir(), "signed-checksums.txt")
			if err := os.WriteFile(signed, rel["checksums.txt"], 0o644); err != nil {
				t.Fatal(err)
			}
			rel["checksums.txt.sigstore.json"] = []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`)
			if tt.tamper != nil {
				tt.tamper(rel)
			}
			s := serve(t, rel)
			p := path
			if tt.path != "" {
				p = tt.path
			}
			env := map[string]string{
				"FAKE_COSIGN_SIGNED": signed,
				"FAKE_COSIGN_LOG":    filepath.Join(t.TempDir(), "cosign.log"),
			}
			maps.Copy(env, tt.env)
			r := run(t, s, p, env)
			want := 1
			if tt.code != 0 {
				want = tt.code
			}
			if r.code != want {
				t.Errorf("exit %d, want %d\nstderr:\n%s", r.code, want, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "nhigate install: ") {
				t.Errorf("stderr does not say %q:\n%s", tt.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout is %q, want nothing: a refused install names no binary", r.stdout)
			}
			if files := installed(t, r.cache); len(files) != 0 {
				t.Errorf("a refused install left %v in the tool cache", files)
			}
			if tt.noRequests && s.requests() != 0 {
				t.Errorf("made %d requests before refusing, want 0", s.requests())
			}
		})
	}
}

// TestInstallChecksCosignIdentity: with cosign on PATH, checksums.txt must
// be signed by the release workflow at the version's own tag.
func TestInstallChecksCosignIdentity(t *testing.T) {
	skipWindows(t)
	path := toolDir(t)
	cosignDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(cosignDir, "cosign"), []byte(fakeCosign), 0o755); err != nil {
		t.Fatal(err)
	}
	rel := newRelease(t)
	rel["checksums.txt.sigstore.json"] = []byte(`{}`)
	signed := filepath.Join(t.TempDir(), "signed-checksums.txt")
	if err := os.WriteFile(signed, rel["checksums.txt"], 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "cosign.log")
	s := serve(t, rel)
	r := run(t, s, cosignDir+string(os.PathListSeparator)+path, map[string]string{
		"FAKE_COSIGN_SIGNED": signed, "FAKE_COSIGN_LOG": log, "NHIGATE_COSIGN": "require",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	args, err := os.ReadFile(log)
	if err != nil {
		t.Fatalf("cosign did not run: %v", err)
	}
	for _, want := range []string{
		"verify-blob ",
		"--certificate-identity " + identity + " ",
		"--certificate-oidc-issuer https://token.actions.githubusercontent.com ",
		"checksums.txt.sigstore.json ",
	} {
		if !strings.Contains(string(args), want) {
			t.Errorf("cosign ran with %q, which lacks %q", args, want)
		}
	}
	if !strings.Contains(r.stderr, "checksums.txt is signed by "+identity) {
		t.Errorf("install.sh does not say who signed:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("a verified install warns:\n%s", r.stderr)
	}
}

// flip returns data with its last byte changed.
func flip(data []byte) []byte {
	out := bytes.Clone(data)
	out[len(out)-1] ^= 0xff
	return out
}

// TestInstallSnapshotRelease runs install.sh against a real GoReleaser
// snapshot release, so that the archive names of .goreleaser.yaml and of
// install.sh cannot drift apart. .ci/snapshot builds one and runs this with
// NHIGATE_SNAPSHOT_DIST=dist; without it the test is skipped.
func TestInstallSnapshotRelease(t *testing.T) {
	skipWindows(t)
	dist := os.Getenv("NHIGATE_SNAPSHOT_DIST")
	if dist == "" {
		t.Skip("set NHIGATE_SNAPSHOT_DIST to a GoReleaser snapshot's dist directory (.ci/snapshot does)")
	}
	if !filepath.IsAbs(dist) {
		dist = filepath.Join("..", dist)
	}
	meta, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(meta, &m); err != nil || m.Version == "" {
		t.Fatalf("dist/metadata.json has no version: %v", err)
	}
	v := "v" + m.Version
	rel := release{}
	entries, err := os.ReadDir(dist)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			data, err := os.ReadFile(filepath.Join(dist, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			rel[e.Name()] = data
		}
	}
	goos, goarch := map[string]string{"linux": "Linux", "darwin": "macOS"}[runtime.GOOS], map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	if goos == "" || goarch == "" {
		t.Skipf("no release archive runs on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	archive := fmt.Sprintf("nhigate_%s_%s_%s.tar.gz", m.Version, runtime.GOOS, runtime.GOARCH)
	if _, ok := rel[archive]; !ok {
		t.Fatalf("the snapshot has no %s, the name install.sh downloads", archive)
	}
	path := toolDir(t)
	for _, tampered := range []bool{false, true} {
		files := maps.Clone(rel)
		if tampered {
			files[archive] = flip(files[archive])
		}
		s := serveTag(t, files, v)
		r := run(t, s, path, map[string]string{
			"NHIGATE_VERSION":  v,
			"NHIGATE_BASE_URL": s.URL + "/download/" + v,
			"NHIGATE_COSIGN":   "skip", // a snapshot is not signed
			"RUNNER_OS":        goos,
			"RUNNER_ARCH":      goarch,
		})
		if tampered {
			if r.code != 1 || !strings.Contains(r.stderr, "checksum mismatch for "+archive) {
				t.Errorf("a tampered snapshot archive: exit %d\n%s", r.code, r.stderr)
			}
			continue
		}
		if r.code != 0 {
			t.Fatalf("install.sh exited %d\n%s", r.code, r.stderr)
		}
		out, err := exec.Command(strings.TrimSpace(r.stdout), "--version").Output()
		if err != nil || !strings.HasPrefix(string(out), "nhigate ") || !strings.Contains(string(out), "\ncommit: ") {
			t.Errorf("the installed snapshot binary's --version printed %q, %v", out, err)
		}
	}
}
