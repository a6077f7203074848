package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const testVersion = "1.2.3"

var testCreated = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// fakeELF is the smallest 64-bit little-endian ELF executable header that
// debug/elf reads, for machine; with interp, it names a program
// interpreter, as a dynamically linked binary does.
func fakeELF(machine elf16, interp bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */, 0})
	b.Write(make([]byte, 8))
	phnum := uint16(0)
	phoff := uint64(0)
	if interp {
		phnum, phoff = 1, 64
	}
	le := binary.LittleEndian
	binary.Write(&b, le, uint16(2)) // ET_EXEC
	binary.Write(&b, le, uint16(machine))
	binary.Write(&b, le, uint32(1))
	binary.Write(&b, le, uint64(0x400000)) // entry
	binary.Write(&b, le, phoff)
	binary.Write(&b, le, uint64(0)) // shoff
	binary.Write(&b, le, uint32(0)) // flags
	binary.Write(&b, le, uint16(64))
	binary.Write(&b, le, uint16(56))
	binary.Write(&b, le, phnum)
	binary.Write(&b, le, uint16(64))
	binary.Write(&b, le, uint16(0))
	binary.Write(&b, le, uint16(0))
	if interp {
		binary.Write(&b, le, uint32(3)) // PT_INTERP
		binary.Write(&b, le, uint32(4))
		binary.Write(&b, le, uint64(120)) // offset
		binary.Write(&b, le, uint64(0))
		binary.Write(&b, le, uint64(0))
		binary.Write(&b, le, uint64(28))
		binary.Write(&b, le, uint64(28))
		binary.Write(&b, le, uint64(1))
		b.WriteString("/lib64/ld-linux-x86-64.so.2\x00")
	}
	return b.Bytes()
}

type elf16 uint16

const (
	emX86_64  elf16 = 62
	emAARCH64 elf16 = 183
)

var hostBinary struct {
	once []byte
	err  error
	done bool
}

// fakeNhigate compiles, once, a static program for this host that prints
// what nhigate version prints first.
func fakeNhigate(t *testing.T) []byte {
	t.Helper()
	if !hostBinary.done {
		hostBinary.done = true
		dir, err := os.MkdirTemp("", "fake-nhigate-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		src := "package main\n\nimport \"os\"\n\nfunc main() {\n\tif len(os.Args) == 2 && os.Args[1] == \"version\" {\n\t\tos.Stdout.WriteString(\"nhigate 1.2.3\\n\")\n\t\treturn\n\t}\n\tos.Exit(2)\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fake\n\ngo 1.26\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", "nhigate", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			hostBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		} else {
			hostBinary.once, hostBinary.err = os.ReadFile(filepath.Join(dir, "nhigate"))
		}
	}
	if hostBinary.err != nil {
		t.Fatal(hostBinary.err)
	}
	return hostBinary.once
}

// binaries are a dist's linux binaries: a runnable one for this host's
// architecture where it is linux/amd64 or linux/arm64, fake headers for
// the others.
func binaries(t *testing.T) map[string][]byte {
	bins := map[string][]byte{"amd64": fakeELF(emX86_64, false), "arm64": fakeELF(emAARCH64, false)}
	if runtime.GOOS == "linux" {
		if _, ok := bins[runtime.GOARCH]; ok {
			bins[runtime.GOARCH] = fakeNhigate(t)
		}
	}
	return bins
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"nhigate", "README.md", "docs/VERSIONING.md"} {
		data, ok := files[name]
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeDist writes a GoReleaser dist as the image needs it: metadata.json,
// the linux archives and checksums.txt naming them. edit may change the
// files before checksums.txt is computed (the archives' contents) or after
// (tampering), as its name says.
func writeDist(t *testing.T, bins map[string][]byte, edit func(files map[string][]byte)) string {
	t.Helper()
	dist := t.TempDir()
	files := map[string][]byte{
		"metadata.json": []byte(`{"project_name":"nhigate","version":"` + testVersion + `","commit":"0123456789abcdef0123456789abcdef01234567"}`),
	}
	var sums strings.Builder
	for _, arch := range []string{"amd64", "arm64"} {
		name := archiveName(testVersion, arch)
		content := map[string][]byte{"README.md": []byte("# nhigate\n")}
		if bin, ok := bins[arch]; ok {
			content["nhigate"] = bin
		}
		files[name] = tarGz(t, content)
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(files[name]), name)
	}
	files["checksums.txt"] = []byte(sums.String())
	if edit != nil {
		edit(files)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dist, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dist
}

func build(t *testing.T, dist string) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image")
	digest, err := Build(BuildOptions{Dist: dist, Out: out, Created: testCreated, Source: "https://github.com/nhigate/nhigate"})
	if err != nil {
		t.Fatal(err)
	}
	return out, digest
}

// TestBuildCheck builds an image from a dist and checks it: both
// platforms in one index, the archives' binaries, this host's binary runs,
// and the same dist builds the same digest.
func TestBuildCheck(t *testing.T) {
	bins := binaries(t)
	dist := writeDist(t, bins, nil)
	out, digest := build(t, dist)
	_, again := build(t, dist)
	if digest != again {
		t.Errorf("two builds of one dist: %s, then %s; want one digest", digest, again)
	}
	runHere := runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64")
	report, err := Check(context.Background(), CheckOptions{Layout: out, Dist: dist, Run: runHere})
	if err != nil {
		t.Fatalf("Check: %v\n%s", err, report)
	}
	for _, want := range []string{
		"linux/amd64 sha256:", "linux/arm64 sha256:",
		"user 65532:65532, entrypoint /usr/bin/nhigate",
		"the binary of nhigate_1.2.3_linux_amd64.tar.gz", "the binary of nhigate_1.2.3_linux_arm64.tar.gz",
		"index " + digest + ": linux/amd64, linux/arm64",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	if runHere && !strings.Contains(report, `runs: "nhigate 1.2.3"`) {
		t.Errorf("the report does not say the host's binary ran:\n%s", report)
	}

	idx, err := readLayout(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex || im.Annotations["org.opencontainers.image.version"] != testVersion ||
		im.Annotations["org.opencontainers.image.revision"] != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("index: media type %s, annotations %v", im.MediaType, im.Annotations)
	}
	var got []string
	for _, m := range im.Manifests {
		got = append(got, m.Platform.String())
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.User != "65532:65532" || !cmp.Equal(cf.Config.Entrypoint, []string{"/usr/bin/nhigate"}) || !cf.Created.Time.Equal(testCreated) {
			t.Errorf("%s: user %q, entrypoint %q, created %v", m.Platform, cf.Config.User, cf.Config.Entrypoint, cf.Created)
		}
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, got); diff != "" {
		t.Errorf("the index's platforms (-want +got):\n%s", diff)
	}
}

// TestBuildRefuses: the image is built only from the checksummed archives'
// static binaries of the right architecture.
func TestBuildRefuses(t *testing.T) {
	bins := binaries(t)
	amd64 := archiveName(testVersion, "amd64")
	tests := []struct {
		name    string
		bins    map[string][]byte
		edit    func(map[string][]byte)
		wantErr string
	}{
		{
			name:    "a tampered archive",
			edit:    func(f map[string][]byte) { f[amd64] = append(f[amd64], 0) },
			wantErr: "checksum mismatch",
		},
		{
			name:    "checksums.txt without the archive",
			edit:    func(f map[string][]byte) { f["checksums.txt"] = bytes.SplitAfter(f["checksums.txt"], []byte("\n"))[1] },
			wantErr: "does not name " + amd64,
		},
		{
			name: "checksums.txt naming the archive twice",
			edit: func(f map[string][]byte) {
				f["checksums.txt"] = append(f["checksums.txt"], bytes.SplitAfter(f["checksums.txt"], []byte("\n"))[0]...)
			},
			wantErr: "names " + amd64 + " twice",
		},
		{
			name: "a malformed checksums.txt",
			edit: func(f map[string][]byte) {
				f["checksums.txt"] = append([]byte("not a checksum\n"), f["checksums.txt"]...)
			},
			wantErr: "line 1: want",
		},
		{
			name:    "an archive without nhigate",
			bins:    map[string][]byte{"arm64": fakeELF(emAARCH64, false)},
			wantErr: "holds no file nhigate",
		},
		{
			name:    "a dynamically linked binary",
			bins:    map[string][]byte{"amd64": fakeELF(emX86_64, true), "arm64": fakeELF(emAARCH64, false)},
			wantErr: "dynamically linked",
		},
		{
			name:    "the amd64 binary in the arm64 archive",
			bins:    map[string][]byte{"amd64": fakeELF(emX86_64, false), "arm64": fakeELF(emX86_64, false)},
			wantErr: "want ELFCLASS64 EM_AARCH64 for arm64",
		},
		{
			name:    "no ELF at all",
			bins:    map[string][]byte{"amd64": []byte("#!/bin/sh\necho nhigate\n"), "arm64": fakeELF(emAARCH64, false)},
			wantErr: "not an ELF executable",
		},
		{
			name:    "a snapshot version that is no release version",
			edit:    func(f map[string][]byte) { f["metadata.json"] = []byte(`{"version":"../1.2.3"}`) },
			wantErr: `version "../1.2.3" is no release version`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bins
			if tt.bins != nil {
				b = tt.bins
			}
			dist := writeDist(t, b, tt.edit)
			out := filepath.Join(t.TempDir(), "image")
			_, err := Build(BuildOptions{Dist: dist, Out: out, Created: testCreated})
			if err == nil {
				// The build may pass where check is the one to refuse.
				_, err = Check(context.Background(), CheckOptions{Layout: out})
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
	t.Run("an existing output", func(t *testing.T) {
		dist := writeDist(t, bins, nil)
		out := t.TempDir()
		if _, err := Build(BuildOptions{Dist: dist, Out: out, Created: testCreated}); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("got %v, want an error: the output exists", err)
		}
	})
}

// variant rebuilds the image of each platform from its layer, with edit
// applied to every entry of the layer (return false to drop it), extra
// entries appended, and config changed; it returns the new index.
type variant struct {
	edit   func(h *tar.Header, data []byte) ([]byte, bool)
	extra  map[string][]byte
	config func(p v1.Platform, c *v1.Config)
	arch   func(p v1.Platform) v1.Platform // the config's platform
	index  func(idx v1.ImageIndex, imgs []v1.Image) v1.ImageIndex
}

func (v variant) write(t *testing.T, good string) string {
	t.Helper()
	idx, err := readLayout(good)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var imgs []v1.Image
	for i, p := range platforms {
		img, err := idx.Image(im.Manifests[i].Digest)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := layers[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		tr, tw := tar.NewReader(rc), tar.NewWriter(&b)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(tr)
			keep := true
			if v.edit != nil {
				data, keep = v.edit(h, data)
			}
			if !keep {
				continue
			}
			h.Size = int64(len(data))
			tw.WriteHeader(h)
			tw.Write(data)
		}
		for name, data := range v.extra {
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data))})
			tw.Write(data)
		}
		tw.Close()
		rc.Close()
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		config := cf.Config
		if v.config != nil {
			v.config(p, &config)
		}
		cp := p
		if v.arch != nil {
			cp = v.arch(p)
		}
		variant, err := assemble(cp, b.Bytes(), config, testCreated)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, variant)
	}
	var out v1.ImageIndex
	if v.index != nil {
		out = v.index(idx, imgs)
	} else {
		out = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for i, img := range imgs {
			p := platforms[i]
			out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: imageOnly{img}, Descriptor: v1.Descriptor{Platform: &p}})
		}
	}
	dir := filepath.Join(t.TempDir(), "image")
	if err := writeLayout(dir, out, "v"+testVersion); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCheckRefuses: check fails on every way the image could differ from
// the one Build makes: a root user, another entrypoint or environment,
// extra or changed files, a setuid binary, another CA root, a platform
// missing or extra or mislabelled, and a blob changed on disk.
func TestCheckRefuses(t *testing.T) {
	bins := binaries(t)
	dist := writeDist(t, bins, nil)
	good, _ := build(t, dist)
	// The identity variant passes: the failures below are the edits'.
	if _, err := Check(context.Background(), CheckOptions{Layout: variant{}.write(t, good)}); err != nil {
		t.Fatalf("an unedited rebuild fails its check: %v", err)
	}
	otherRoot := func() []byte {
		// Any certificate not in the bundle: a root of the bundle re-encoded
		// with a changed byte would not parse; append the first root twice.
		first, _ := pem.Decode(caBundle())
		return pem.EncodeToMemory(first)
	}()
	sameOrder := func(idx v1.ImageIndex, imgs []v1.Image) v1.ImageIndex {
		out := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for i, img := range imgs {
			p := platforms[i]
			out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: imageOnly{img}, Descriptor: v1.Descriptor{Platform: &p}})
		}
		return out
	}
	tests := []struct {
		name    string
		v       variant
		wantErr string
	}{
		{
			name:    "root user",
			v:       variant{config: func(_ v1.Platform, c *v1.Config) { c.User = "0:0" }},
			wantErr: `"0:0"`,
		},
		{
			name:    "no user",
			v:       variant{config: func(_ v1.Platform, c *v1.Config) { c.User = "" }},
			wantErr: "the config differs",
		},
		{
			name:    "another entrypoint",
			v:       variant{config: func(_ v1.Platform, c *v1.Config) { c.Entrypoint = []string{"/bin/sh", "-c"} }},
			wantErr: "Entrypoint",
		},
		{
			name:    "an extra variable",
			v:       variant{config: func(_ v1.Platform, c *v1.Config) { c.Env = append(c.Env, "LD_PRELOAD=/tmp/x.so") }},
			wantErr: "LD_PRELOAD",
		},
		{
			name:    "an exposed port",
			v:       variant{config: func(_ v1.Platform, c *v1.Config) { c.ExposedPorts = map[string]struct{}{"22/tcp": {}} }},
			wantErr: "ExposedPorts",
		},
		{
			name:    "a shell added",
			v:       variant{extra: map[string][]byte{"bin/sh": fakeELF(emX86_64, false)}},
			wantErr: "bin/sh",
		},
		{
			name: "a setuid binary",
			v: variant{edit: func(h *tar.Header, data []byte) ([]byte, bool) {
				if h.Name == "usr/bin/nhigate" {
					h.Mode |= 0o4000
				}
				return data, true
			}},
			wantErr: "the layer's files differ",
		},
		{
			name: "the binary owned by nonroot",
			v: variant{edit: func(h *tar.Header, data []byte) ([]byte, bool) {
				if h.Name == "usr/bin/nhigate" {
					h.Uid = uid
				}
				return data, true
			}},
			wantErr: "the layer's files differ",
		},
		{
			name: "a root login in passwd",
			v: variant{edit: func(h *tar.Header, data []byte) ([]byte, bool) {
				if h.Name == "etc/passwd" {
					return bytes.Replace(data, []byte("nonroot:x:65532:65532"), []byte("nonroot:x:0:0"), 1), true
				}
				return data, true
			}},
			wantErr: "/etc/passwd is",
		},
		{
			name: "an extra CA root",
			v: variant{edit: func(h *tar.Header, data []byte) ([]byte, bool) {
				if "/"+h.Name == caFile {
					return append(data, otherRoot...), true
				}
				return data, true
			}},
			wantErr: "differs from the roots of golang.org/x/crypto/x509roots/fallback",
		},
		{
			name: "no CA roots",
			v: variant{edit: func(h *tar.Header, data []byte) ([]byte, bool) {
				return data, "/"+h.Name != caFile
			}},
			wantErr: "the layer's files differ",
		},
		{
			name: "another binary",
			v: variant{edit: func(h *tar.Header, data []byte) ([]byte, bool) {
				if h.Name == "usr/bin/nhigate" {
					return append(data, 0), true
				}
				return data, true
			}},
			wantErr: "differs from the nhigate of",
		},
		{
			name:    "a config for another architecture",
			v:       variant{arch: func(p v1.Platform) v1.Platform { p.Architecture = "386"; return p }},
			wantErr: "mismatched Architecture: 386 != amd64",
		},
		{
			name: "arm64 missing",
			v: variant{index: func(_ v1.ImageIndex, imgs []v1.Image) v1.ImageIndex {
				p := platforms[0]
				return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
					mutate.IndexAddendum{Add: imageOnly{imgs[0]}, Descriptor: v1.Descriptor{Platform: &p}})
			}},
			wantErr: "the index has 1 manifests, want 2",
		},
		{
			name: "a third manifest",
			v: variant{index: func(idx v1.ImageIndex, imgs []v1.Image) v1.ImageIndex {
				p := platforms[0]
				return mutate.AppendManifests(sameOrder(idx, imgs), mutate.IndexAddendum{Add: imageOnly{imgs[0]}, Descriptor: v1.Descriptor{Platform: &p}})
			}},
			wantErr: "the index has 3 manifests, want 2",
		},
		{
			name: "an image labelled for the other platform",
			v: variant{index: func(_ v1.ImageIndex, imgs []v1.Image) v1.ImageIndex {
				out := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
				for i, img := range imgs {
					p := platforms[len(platforms)-1-i]
					out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: imageOnly{img}, Descriptor: v1.Descriptor{Platform: &p}})
				}
				return out
			}},
			wantErr: "mismatched Architecture",
		},
		{
			name: "the platforms in another order",
			v: variant{index: func(_ v1.ImageIndex, imgs []v1.Image) v1.ImageIndex {
				out := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
				for i := range imgs {
					j := len(platforms) - 1 - i
					p := platforms[j]
					out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: imageOnly{imgs[j]}, Descriptor: v1.Descriptor{Platform: &p}})
				}
				return out
			}},
			wantErr: "is for linux/arm64, want linux/amd64",
		},
		{
			name: "a manifest called an artifact",
			v: variant{index: func(_ v1.ImageIndex, imgs []v1.Image) v1.ImageIndex {
				out := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
				for i, img := range imgs {
					p := platforms[i]
					out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
				}
				return out
			}},
			wantErr: "not an image",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.v.write(t, good)
			_, err := Check(context.Background(), CheckOptions{Layout: dir, Dist: dist})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error with %q", err, tt.wantErr)
			}
		})
	}

	t.Run("a blob changed on disk", func(t *testing.T) {
		dir := variant{}.write(t, good)
		blobs, err := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
		if err != nil {
			t.Fatal(err)
		}
		// The largest blob is a layer.
		var largest string
		var size int64
		for _, b := range blobs {
			if fi, err := os.Stat(b); err == nil && fi.Size() > size {
				largest, size = b, fi.Size()
			}
		}
		data, err := os.ReadFile(largest)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 1
		if err := os.WriteFile(largest, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Check(context.Background(), CheckOptions{Layout: dir}); err == nil {
			t.Error("a layout with a changed layer blob passes its check")
		}
	})
	t.Run("no layout", func(t *testing.T) {
		if _, err := Check(context.Background(), CheckOptions{Layout: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "is no OCI image layout") {
			t.Errorf("got %v, want: is no OCI image layout", err)
		}
	})
}

// TestPush pushes to an in-memory registry: each tag names the pushed
// index, the result is repo@digest, and a layout that fails its check
// sends nothing.
func TestPush(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of the machine's
	var requests atomic.Int64
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	host := strings.TrimPrefix(s.URL, "http://")
	repo := host + "/nhigate/nhigate"

	bins := binaries(t)
	good, digest := build(t, writeDist(t, bins, nil))
	ref, err := Push(context.Background(), PushOptions{Layout: good, Repo: repo, Tags: []string{"v1.2.3", "latest"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := repo + "@" + digest; ref != want {
		t.Errorf("Push returned %q, want %q", ref, want)
	}
	for _, tag := range []string{"v1.2.3", "latest"} {
		r, err := name.NewTag(repo + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(r)
		if err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		d, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != digest {
			t.Errorf("%s names %s, want %s", tag, d, digest)
		}
	}

	t.Run("a layout that fails its check", func(t *testing.T) {
		bad := variant{config: func(_ v1.Platform, c *v1.Config) { c.User = "root" }}.write(t, good)
		before := requests.Load()
		_, err := Push(context.Background(), PushOptions{Layout: bad, Repo: repo, Tags: []string{"v1.2.4"}})
		if err == nil || !strings.Contains(err.Error(), "nothing is pushed") {
			t.Errorf("got %v, want: nothing is pushed", err)
		}
		if n := requests.Load() - before; n != 0 {
			t.Errorf("the registry saw %d requests for a layout that fails its check", n)
		}
	})
	t.Run("a bad tag", func(t *testing.T) {
		before := requests.Load()
		if _, err := Push(context.Background(), PushOptions{Layout: good, Repo: repo, Tags: []string{"v1.2.3", "no/slash"}}); err == nil {
			t.Error("a tag with a slash was pushed")
		}
		if n := requests.Load() - before; n != 0 {
			t.Errorf("the registry saw %d requests before the tags were checked", n)
		}
	})
}

// TestRunUsage: a wrong command line is a usage error, exit 2.
func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"frobnicate"},
		{"build", "-dist", "dist"},
		{"build", "-out", "x", "-created", "yesterday"},
		{"check"},
		{"push", "-layout", "x", "-repo", "ghcr.io/nhigate/nhigate"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if _, ok := err.(usageError); !ok {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

// TestUnpack writes a platform's root file system with the layer's modes
// (and owners, as root), and, where it can, runs the binary in it with
// chroot as uid 65532: with no loader or libc there, as in a container.
func TestUnpack(t *testing.T) {
	bins := binaries(t)
	good, _ := build(t, writeDist(t, bins, nil))
	arch := "amd64"
	if runtime.GOARCH == "arm64" {
		arch = "arm64"
	}
	root := filepath.Join(t.TempDir(), "rootfs")
	if err := Unpack(context.Background(), good, "linux/"+arch, root); err != nil {
		t.Fatal(err)
	}
	wantModes := map[string]os.FileMode{
		"etc/passwd":                        0o644,
		"etc/ssl/certs/ca-certificates.crt": 0o644,
		"home/nonroot":                      os.ModeDir | 0o700,
		"src":                               os.ModeDir | 0o755,
		"tmp":                               os.ModeDir | os.ModeSticky | 0o777,
		"usr/bin/nhigate":                   0o755,
	}
	for name, want := range wantModes {
		fi, err := os.Lstat(filepath.Join(root, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
	}
	bin, err := os.ReadFile(filepath.Join(root, "usr/bin/nhigate"))
	if err != nil || !bytes.Equal(bin, bins[arch]) {
		t.Errorf("the unpacked binary is not the archive's (%v)", err)
	}
	if err := Unpack(context.Background(), good, "linux/386", filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "has no platform linux/386") {
		t.Errorf("unpack linux/386: %v, want: has no platform", err)
	}
	if err := Unpack(context.Background(), good, "linux/"+arch, root); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("unpack over an existing directory: %v, want: already exists", err)
	}

	chroot, err := exec.LookPath("chroot")
	if os.Geteuid() != 0 || err != nil || runtime.GOOS != "linux" || runtime.GOARCH != arch {
		t.Skip("running the binary in the root file system needs root, chroot and a linux/amd64 or linux/arm64 host")
	}
	cmd := exec.Command(chroot, "--userspec=65532:65532", root, "/usr/bin/nhigate", "version")
	cmd.Env = []string{"HOME=/home/nonroot"}
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "nhigate 1.2.3\n" {
		t.Errorf("nhigate version in the image's root, as uid 65532: %q, %v", out, err)
	}
}
