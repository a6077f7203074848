package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// CheckOptions says what to check.
type CheckOptions struct {
	Layout string // the OCI image layout
	Dist   string // if set, the binaries must be those of this dist's checksummed archives
	Run    bool   // run this host's binary from the image
}

// Check reads an image layout back and fails unless it holds one index
// of the image Build makes, for both platforms. It returns what it checked,
// a line a platform.
func Check(ctx context.Context, o CheckOptions) (string, error) {
	idx, err := readLayout(o.Layout)
	if err != nil {
		return "", err
	}
	// Every blob's digest and size, and the manifests' references.
	if err := validate.Index(idx); err != nil {
		return "", fmt.Errorf("%s: %w", o.Layout, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return "", err
	}
	if len(im.Manifests) != len(platforms) {
		return "", fmt.Errorf("the index has %d manifests, want %d, one for each of %v", len(im.Manifests), len(platforms), platforms)
	}
	var meta metadata
	if o.Dist != "" {
		if meta, err = readMetadata(o.Dist); err != nil {
			return "", err
		}
	}
	var report strings.Builder
	ran := false
	for i, want := range platforms {
		desc := im.Manifests[i]
		if desc.Platform == nil || desc.Platform.OS != want.OS || desc.Platform.Architecture != want.Architecture || desc.Platform.Variant != "" {
			return "", fmt.Errorf("the index's manifest %d is for %v, want %v", i+1, desc.Platform, want)
		}
		if desc.MediaType != types.OCIManifestSchema1 {
			return "", fmt.Errorf("%s: manifest media type %s, want %s", want, desc.MediaType, types.OCIManifestSchema1)
		}
		if desc.ArtifactType != "" {
			return "", fmt.Errorf("%s: the index calls the manifest an artifact of type %s, not an image", want, desc.ArtifactType)
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return "", fmt.Errorf("%s: %w", want, err)
		}
		bin, roots, err := checkImage(img, want)
		if err != nil {
			return "", fmt.Errorf("%s: %w", want, err)
		}
		binSum := sha256.Sum256(bin)
		fmt.Fprintf(&report, "%s %s: user %s, entrypoint %s, %d CA roots, static binary sha256:%x", want, desc.Digest, user, binaryPath, roots, binSum)
		if o.Dist != "" {
			archived, err := archiveBinary(o.Dist, meta.Version, want.Architecture)
			if err != nil {
				return "", err
			}
			if !bytes.Equal(bin, archived) {
				return "", fmt.Errorf("%s: %s differs from the nhigate of %s", want, binaryPath, archiveName(meta.Version, want.Architecture))
			}
			fmt.Fprintf(&report, ", the binary of %s", archiveName(meta.Version, want.Architecture))
		}
		if o.Run && want.OS == runtime.GOOS && want.Architecture == runtime.GOARCH {
			out, err := runBinary(ctx, bin)
			if err != nil {
				return "", fmt.Errorf("%s: %s version: %w", want, binaryPath, err)
			}
			fmt.Fprintf(&report, ", runs: %q", strings.SplitN(out, "\n", 2)[0])
			ran = true
		}
		report.WriteString("\n")
	}
	if o.Run && !ran {
		return report.String(), fmt.Errorf("-run: the image has no binary for this host, %s/%s; leave out -run here", runtime.GOOS, runtime.GOARCH)
	}
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&report, "index %s: %s\n", d, platformList())
	return report.String(), nil
}

func platformList() string {
	var s []string
	for _, p := range platforms {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

// readLayout returns the one image index of an OCI image layout.
func readLayout(dir string) (v1.ImageIndex, error) {
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%s is no OCI image layout: %w", dir, err)
	}
	m, err := root.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].MediaType != types.OCIImageIndex {
		return nil, fmt.Errorf("%s: index.json must name exactly one image index, and names %d entries", dir, len(m.Manifests))
	}
	return root.ImageIndex(m.Manifests[0].Digest)
}

// checkImage fails unless img is one platform's image as Build makes it,
// and returns its binary and the number of CA roots.
func checkImage(img v1.Image, p v1.Platform) ([]byte, int, error) {
	mt, err := img.MediaType()
	if err != nil {
		return nil, 0, err
	}
	if mt != types.OCIManifestSchema1 {
		return nil, 0, fmt.Errorf("media type %s, want %s", mt, types.OCIManifestSchema1)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, 0, err
	}
	if cf.OS != p.OS || cf.Architecture != p.Architecture {
		return nil, 0, fmt.Errorf("the config says %s/%s", cf.OS, cf.Architecture)
	}
	// The whole runtime configuration, labels aside: a root user, another
	// entrypoint, an extra variable or an exposed port all fail.
	if diff := cmp.Diff(imageConfig(cf.Config.Labels), cf.Config); diff != "" {
		return nil, 0, fmt.Errorf("the config differs from the nhigate image's (-want +got):\n%s", diff)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, 0, err
	}
	if len(layers) != 1 {
		return nil, 0, fmt.Errorf("%d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	return checkLayer(rc, p.Architecture)
}

// checkLayer fails unless the layer holds exactly layerEntries, with their
// owners and modes, the fixed passwd and group, the CA roots and a static
// binary for arch.
func checkLayer(r io.Reader, arch string) ([]byte, int, error) {
	want := layerEntries()
	var got []layerEntry
	var bin []byte
	roots := 0
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("the layer: %w", err)
		}
		if len(got) == maxTarEntries {
			return nil, 0, fmt.Errorf("the layer has more than %d entries, the limit", maxTarEntries)
		}
		got = append(got, layerEntry{Name: h.Name, Typeflag: h.Typeflag, Mode: h.Mode, UID: h.Uid, GID: h.Gid})
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := readAllLimited(tr, maxBinary)
		if err != nil {
			return nil, 0, fmt.Errorf("the layer's %s: %w", h.Name, err)
		}
		switch "/" + h.Name {
		case "/etc/passwd":
			if string(data) != passwd {
				return nil, 0, fmt.Errorf("/etc/passwd is %q, want %q", data, passwd)
			}
		case "/etc/group":
			if string(data) != group {
				return nil, 0, fmt.Errorf("/etc/group is %q, want %q", data, group)
			}
		case caFile:
			if roots, err = checkBundle(data); err != nil {
				return nil, 0, err
			}
		case binaryPath:
			if err := staticELF(data, arch); err != nil {
				return nil, 0, fmt.Errorf("%s: %w", binaryPath, err)
			}
			bin = data
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		return nil, 0, fmt.Errorf("the layer's files differ from the nhigate image's (-want +got):\n%s", diff)
	}
	return bin, roots, nil
}

// runBinary runs an image's binary on this host, as "nhigate version", and
// returns what it printed; it must say it is nhigate.
func runBinary(ctx context.Context, bin []byte) (string, error) {
	dir, err := os.MkdirTemp("", "nhigate-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "nhigate")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "nhigate ") {
		return "", errors.New("it printed " + fmt.Sprintf("%q", stdout.String()) + `, not "nhigate <version>"`)
	}
	return stdout.String(), nil
}

// Unpack checks the layout as Check does, then writes one platform's
// files under out, with their modes, and their owners when run as root:
// the image's root file system, to run its binary in with chroot.
func Unpack(ctx context.Context, layoutDir, platform, out string) error {
	if _, err := Check(ctx, CheckOptions{Layout: layoutDir}); err != nil {
		return fmt.Errorf("%s fails its check, so nothing is unpacked: %w", layoutDir, err)
	}
	idx, err := readLayout(layoutDir)
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	var img v1.Image
	for _, m := range im.Manifests {
		if m.Platform.String() == platform {
			if img, err = idx.Image(m.Digest); err != nil {
				return err
			}
		}
	}
	if img == nil {
		return fmt.Errorf("the image has no platform %s; it has %s", platform, platformList())
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s already exists: remove it, or choose another -out", out)
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := os.Mkdir(out, 0o755); err != nil {
		return err
	}
	root := os.Geteuid() == 0
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(strings.TrimSuffix(h.Name, "/"))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("the layer names %q, outside the root", h.Name)
		}
		path := filepath.Join(out, name)
		mode := os.FileMode(h.Mode & 0o777)
		if h.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(path, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			data, err := readAllLimited(tr, maxBinary)
			if err != nil {
				return err
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				return err
			}
		default:
			return fmt.Errorf("the layer's %s is neither a file nor a directory", h.Name)
		}
		if root {
			if err := os.Lchown(path, h.Uid, h.Gid); err != nil {
				return err
			}
		}
		// After the owner: chown clears set-id bits, and a directory's
		// mode is set once its entries are written by the loop (the
		// layer lists each directory before its entries, and none is
		// read-only for its owner).
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
	}
}
