package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/x509"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The image's user, entrypoint and files. check compares an image with
// exactly these, so a change here is a change of both.
const (
	user       = "65532:65532" // distroless's "nonroot"
	uid        = 65532
	binaryPath = "/usr/bin/nhigate"
	workDir    = "/src" // where pre-commit and the README mount the repository
	caFile     = "/etc/ssl/certs/ca-certificates.crt"
	passwd     = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group      = "root:x:0:\nnonroot:x:65532:\n"
)

// platforms are the image's, in index order.
var platforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64"},
}

// elfMachine is the ELF machine each platform's binary must be built for.
var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// Limits on what the tool reads: the release's own files, but a bound
// keeps a corrupt or hostile dist from exhausting memory.
const (
	maxBinary     = 256 << 20 // the nhigate binary, in an archive or a layer
	maxArchive    = 512 << 20 // a release archive
	maxSmallFile  = 1 << 20   // checksums.txt, metadata.json, the CA bundle, a layout's JSON
	maxTarEntries = 64        // entries of a release archive or the image's layer
	minRoots      = 100       // fewer CA roots than this means a broken bundle
)

// imageConfig is the runtime configuration of every platform's image.
func imageConfig(labels map[string]string) v1.Config {
	return v1.Config{
		User:       user,
		Entrypoint: []string{binaryPath},
		Cmd:        []string{"help"},
		WorkingDir: workDir,
		Env: []string{
			"PATH=/usr/bin",
			"HOME=/home/nonroot",
			"SSL_CERT_FILE=" + caFile,
		},
		Labels: labels,
	}
}

// layerEntry is one file of the image's only layer.
type layerEntry struct {
	Name     string
	Typeflag byte
	Mode     int64
	UID, GID int
}

// layerEntries lists the layer in tar order: directories before what they hold.
func layerEntries() []layerEntry {
	dir := func(name string, mode int64, owner int) layerEntry {
		return layerEntry{Name: name, Typeflag: tar.TypeDir, Mode: mode, UID: owner, GID: owner}
	}
	file := func(name string, mode int64) layerEntry {
		return layerEntry{Name: name, Typeflag: tar.TypeReg, Mode: mode}
	}
	return []layerEntry{
		dir("etc/", 0o755, 0),
		file("etc/group", 0o644),
		file("etc/passwd", 0o644),
		dir("etc/ssl/", 0o755, 0),
		dir("etc/ssl/certs/", 0o755, 0),
		file(strings.TrimPrefix(caFile, "/"), 0o644),
		dir("home/", 0o755, 0),
		dir("home/nonroot/", 0o700, uid),
		dir(strings.TrimPrefix(workDir, "/")+"/", 0o755, uid),
		dir("tmp/", 0o1777, 0),
		dir("usr/", 0o755, 0),
		dir("usr/bin/", 0o755, 0),
		file(strings.TrimPrefix(binaryPath, "/"), 0o755),
	}
}

// caBundle is the CA roots the image trusts, PEM: Mozilla's, as
// golang.org/x/crypto/x509roots/fallback carries them at go.mod's version,
// so that a build does not depend on the building machine's trust store.
// A root that Mozilla trusts only with a constraint (distrust after a date)
// is left out: a PEM bundle cannot carry the constraint, and trusting such
// a root without it would trust more than Mozilla does.
func caBundle() []byte {
	var b bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate})
	}
	return b.Bytes()
}

// BuildOptions says what to build and where.
type BuildOptions struct {
	Dist    string    // GoReleaser's dist: metadata.json, checksums.txt, the archives
	Out     string    // the OCI image layout to write; must not exist
	Created time.Time // the commit date: every timestamp in the image
	Source  string    // the org.opencontainers.image.source label
}

// Build writes the image index for both platforms to an OCI image layout
// and returns its digest.
func Build(o BuildOptions) (string, error) {
	meta, err := readMetadata(o.Dist)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(o.Out); err == nil {
		return "", fmt.Errorf("%s already exists: remove it, or choose another -out", o.Out)
	}
	created := o.Created.UTC().Truncate(time.Second)
	labels := map[string]string{
		"org.opencontainers.image.title":       "nhigate",
		"org.opencontainers.image.description": "Policy gate for non-human identity provisioning specs",
		"org.opencontainers.image.source":      o.Source,
		"org.opencontainers.image.revision":    meta.Commit,
		"org.opencontainers.image.version":     meta.Version,
		"org.opencontainers.image.created":     created.Format(time.RFC3339),
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		bin, err := archiveBinary(o.Dist, meta.Version, p.Architecture)
		if err != nil {
			return "", err
		}
		img, err := platformImage(p, bin, created, labels)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		p := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: imageOnly{img}, Descriptor: v1.Descriptor{Platform: &p}})
	}
	idx, ok := mutate.Annotations(idx, labels).(v1.ImageIndex)
	if !ok {
		return "", errors.New("annotating the index did not return an index")
	}
	if err := writeLayout(o.Out, idx, "v"+meta.Version); err != nil {
		return "", err
	}
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// writeLayout writes an OCI image layout whose index.json names idx, as
// tag refName.
func writeLayout(dir string, idx v1.ImageIndex, refName string) error {
	path, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return path.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": refName,
	}))
}

func platformImage(p v1.Platform, bin []byte, created time.Time, labels map[string]string) (v1.Image, error) {
	layerTar, err := layerTar(bin, created)
	if err != nil {
		return nil, err
	}
	return assemble(p, layerTar, imageConfig(labels), created)
}

// assemble makes an OCI image of one uncompressed layer and a runtime
// configuration.
func assemble(p v1.Platform, layerTar []byte, config v1.Config, created time.Time) (v1.Image, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: p.Architecture,
		OS:           p.OS,
		Created:      v1.Time{Time: created},
		Config:       config,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "scripts/image: the release binary, Mozilla's CA roots, a nonroot user",
		},
	})
}

// imageOnly describes an image in an index as an image: go-containerregistry
// would otherwise give its descriptor an artifactType, which the OCI spec
// reserves for artifacts, and which some registries then show as one.
type imageOnly struct{ v1.Image }

func (i imageOnly) Descriptor() (*v1.Descriptor, error) {
	mt, err := i.MediaType()
	if err != nil {
		return nil, err
	}
	size, err := i.Size()
	if err != nil {
		return nil, err
	}
	d, err := i.Digest()
	if err != nil {
		return nil, err
	}
	return &v1.Descriptor{MediaType: mt, Size: size, Digest: d}, nil
}

// layerTar is the image's only layer, uncompressed: the same bytes for the
// same binary and date.
func layerTar(bin []byte, created time.Time) ([]byte, error) {
	contents := map[string][]byte{
		"etc/group":                         []byte(group),
		"etc/passwd":                        []byte(passwd),
		strings.TrimPrefix(caFile, "/"):     caBundle(),
		strings.TrimPrefix(binaryPath, "/"): bin,
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range layerEntries() {
		h := &tar.Header{
			Name:     e.Name,
			Typeflag: e.Typeflag,
			Mode:     e.Mode,
			Uid:      e.UID,
			Gid:      e.GID,
			ModTime:  created,
			Format:   tar.FormatPAX,
		}
		data := contents[e.Name]
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// metadata is what the tool needs of GoReleaser's dist/metadata.json.
type metadata struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

func readMetadata(dist string) (metadata, error) {
	data, err := readSmall(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return metadata{}, err
	}
	var m metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return metadata{}, fmt.Errorf("%s: %w", filepath.Join(dist, "metadata.json"), err)
	}
	if !versionRE.MatchString(m.Version) {
		return metadata{}, fmt.Errorf("%s: version %q is no release version (X.Y.Z or X.Y.Z-suffix)", filepath.Join(dist, "metadata.json"), m.Version)
	}
	return m, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSmallFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSmallFile {
		return nil, fmt.Errorf("%s is larger than %d bytes, the limit for it", path, maxSmallFile)
	}
	return data, nil
}

// archiveName is the release archive of a linux platform, as
// .goreleaser.yaml's archives.name_template and scripts/install.sh name it.
func archiveName(version, arch string) string {
	return fmt.Sprintf("nhigate_%s_linux_%s.tar.gz", version, arch)
}

// archiveBinary returns the nhigate binary of the release archive for
// linux/arch, after checking the archive against checksums.txt: the image
// carries exactly the binary that the signed checksums vouch for.
func archiveBinary(dist, version, arch string) ([]byte, error) {
	name := archiveName(version, arch)
	sums, err := readSmall(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		return nil, err
	}
	want, err := checksumOf(sums, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dist, "checksums.txt"), err)
	}
	path := filepath.Join(dist, name)
	data, err := readLimited(path, maxArchive)
	if err != nil {
		return nil, err
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != want {
		return nil, fmt.Errorf("%s: checksum mismatch: checksums.txt says %s, the file is %x", path, want, got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(zr)
	var bin []byte
	for n := 0; ; n++ {
		if n == maxTarEntries {
			return nil, fmt.Errorf("%s has more than %d entries, the limit", path, maxTarEntries)
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h.Name != "nhigate" {
			continue
		}
		if h.Typeflag != tar.TypeReg || bin != nil {
			return nil, fmt.Errorf("%s: want one regular file nhigate", path)
		}
		if bin, err = readAllLimited(tr, maxBinary); err != nil {
			return nil, fmt.Errorf("%s: nhigate: %w", path, err)
		}
	}
	if bin == nil {
		return nil, fmt.Errorf("%s holds no file nhigate", path)
	}
	return bin, nil
}

var checksumLine = regexp.MustCompile(`^([0-9a-f]{64})  (\S+)$`)

// checksumOf finds name in a checksums.txt, which must be well formed and
// name it once.
func checksumOf(sums []byte, name string) (string, error) {
	var found string
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for line := 1; sc.Scan(); line++ {
		m := checksumLine.FindStringSubmatch(sc.Text())
		if m == nil {
			return "", fmt.Errorf("line %d: want \"<sha256 hex>  <file>\", got %q", line, sc.Text())
		}
		if m[2] == name {
			if found != "" {
				return "", fmt.Errorf("names %s twice", name)
			}
			found = m[1]
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if found == "" {
		return "", fmt.Errorf("does not name %s", name)
	}
	return found, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readAllLimited(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

func readAllLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes, the limit", limit)
	}
	return data, nil
}

// staticELF fails unless bin is a statically linked 64-bit ELF executable
// for arch: the image has no loader and no libc.
func staticELF(bin []byte, arch string) error {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elfMachine[arch] {
		return fmt.Errorf("an ELF %v %v binary, want ELFCLASS64 %v for %s", f.Class, f.Machine, elfMachine[arch], arch)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("ELF type %v, want an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked (it names an interpreter), and the image has no loader or libc: build with CGO_ENABLED=0")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Errorf("links %v, and the image has no shared libraries", libs)
	}
	return nil
}

// checkBundle fails unless pemData is exactly the CA roots caBundle makes,
// each a CA certificate.
func checkBundle(pemData []byte) (int, error) {
	if !bytes.Equal(pemData, caBundle()) {
		return 0, fmt.Errorf("%s differs from the roots of golang.org/x/crypto/x509roots/fallback at go.mod's version", caFile)
	}
	n := 0
	for rest := pemData; len(bytes.TrimSpace(rest)) > 0; n++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil || b.Type != "CERTIFICATE" {
			return 0, fmt.Errorf("%s: root %d is no PEM certificate", caFile, n+1)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return 0, fmt.Errorf("%s: root %d: %w", caFile, n+1, err)
		}
		if !c.IsCA {
			return 0, fmt.Errorf("%s: root %d (%s) is no CA", caFile, n+1, c.Subject)
		}
	}
	if n < minRoots {
		return 0, fmt.Errorf("%s holds %d roots, fewer than %d: the bundle is broken", caFile, n, minRoots)
	}
	return n, nil
}
