// Command image builds, checks and pushes the nhigate container image
// without Docker: the linux/amd64 and linux/arm64 binaries of a GoReleaser
// release, taken out of the archives that the release's checksums.txt
// names, on an empty base with Mozilla's CA roots, running as uid 65532.
//
//	go run ./scripts/image build -dist dist -out dist/image -created "$(git log -1 --format=%cI)"
//	go run ./scripts/image check -layout dist/image -dist dist -run
//	go run ./scripts/image unpack -layout dist/image -platform linux/amd64 -out rootfs
//	go run ./scripts/image push -layout dist/image -repo ghcr.io/nhigate/nhigate -tag v1.2.3 -digest-file dist/image.digest
//
// build writes an OCI image layout holding one index with both platforms,
// and prints its digest. check reads a layout back and fails unless the
// image is what build makes: the two platforms, non-root, the entrypoint,
// exactly the expected files, a static binary of the right architecture
// and, with -dist, the very binary of the checksummed release archive; -run
// also runs this host's binary. unpack writes one platform's files, the
// image's root file system, to run the binary in with chroot as uid 65532,
// as a container would. push checks the layout, then pushes the
// index to a registry under each tag, with the credentials of the Docker
// config (docker login), and prints repo@digest, the name cosign signs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

// exitUsage is the exit code for a bad command line, as nhigate's own.
const exitUsage = 2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(exitUsage)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage:
  image build -dist DIR -out DIR -created RFC3339 [-source URL]
  image check -layout DIR [-dist DIR] [-run]
  image unpack -layout DIR -platform OS/ARCH -out DIR
  image push  -layout DIR -repo REGISTRY/NAME -tag TAG [-tag TAG...] [-digest-file FILE]`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{usage}
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch args[0] {
	case "build":
		dist := fs.String("dist", "dist", "the GoReleaser dist directory")
		out := fs.String("out", "", "the OCI image layout to write (must not exist)")
		created := fs.String("created", "", "the commit date, RFC 3339: every timestamp in the image")
		source := fs.String("source", "https://github.com/nhigate/nhigate", "the org.opencontainers.image.source label")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		if *out == "" || *created == "" || fs.NArg() > 0 {
			return usageError{usage}
		}
		t, err := time.Parse(time.RFC3339, *created)
		if err != nil {
			return usageError{fmt.Sprintf("-created: %v; write a date such as 2026-11-30T08:00:00Z, e.g. $(git log -1 --format=%%cI)", err)}
		}
		digest, err := Build(BuildOptions{Dist: *dist, Out: *out, Created: t, Source: *source})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, digest)
		return nil
	case "check":
		layoutDir := fs.String("layout", "", "the OCI image layout to check")
		dist := fs.String("dist", "", "also require the binaries of this GoReleaser dist's checksummed archives")
		runIt := fs.Bool("run", false, "also run this host's binary from the image: nhigate version")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		if *layoutDir == "" || fs.NArg() > 0 {
			return usageError{usage}
		}
		report, err := Check(ctx, CheckOptions{Layout: *layoutDir, Dist: *dist, Run: *runIt})
		fmt.Fprint(stdout, report)
		return err
	case "unpack":
		layoutDir := fs.String("layout", "", "the OCI image layout to unpack")
		platform := fs.String("platform", "", "the platform's files to write, e.g. linux/amd64")
		out := fs.String("out", "", "the directory to write them to (must not exist)")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		if *layoutDir == "" || *platform == "" || *out == "" || fs.NArg() > 0 {
			return usageError{usage}
		}
		return Unpack(ctx, *layoutDir, *platform, *out)
	case "push":
		layoutDir := fs.String("layout", "", "the OCI image layout to push")
		repo := fs.String("repo", "", "the repository, e.g. ghcr.io/nhigate/nhigate")
		var tags multiFlag
		fs.Var(&tags, "tag", "a tag to push the index under (repeatable; at least one)")
		digestFile := fs.String("digest-file", "", "also write the index's digest to this file")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		if *layoutDir == "" || *repo == "" || len(tags) == 0 || fs.NArg() > 0 {
			return usageError{usage}
		}
		ref, err := Push(ctx, PushOptions{Layout: *layoutDir, Repo: *repo, Tags: tags})
		if err != nil {
			return err
		}
		if *digestFile != "" {
			digest := ref[strings.LastIndex(ref, "@")+1:]
			if err := os.WriteFile(*digestFile, []byte(digest+"\n"), 0o644); err != nil {
				return err
			}
		}
		fmt.Fprintln(stdout, ref)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q\n%s", args[0], usage)}
}

type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}
