package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nhigate/nhigate/internal/deploy"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/render"
)

const importExamples = `  # Bring an existing Kubernetes Role and its RoleBinding into the policy repo
  nhigate import --from kubernetes-rbac --environment staging rbac.yaml

  # An IAM role's policy, with an explicit expiry 30 days from now
  nhigate import --from aws-iam --expires-in 30d --out-dir identities/aws payments-ci.json

  # Look first: print the specs instead of writing them
  nhigate import --from vault --output - policies/checkout.hcl
`

// runImport writes specs, one per principal, from a platform's own access
// artifacts. What the artifacts cannot say (owner, requester, usually the
// expiry) is left for a person, and check names each field until then.
func runImport(_ context.Context, p *program, args []string) error {
	flags := p.flags("import", "import --from SOURCE [--environment ENV] [--expires-in DURATION] [--out-dir DIR | --output FILE|-] FILE...", importExamples)
	from := flags.String("from", "", "what the files are: "+strings.Join(deploy.SourceNames(), ", "))
	outDir := flags.String("out-dir", "", "directory to write <identity>.yaml into (default identities/<platform>)")
	out := flags.String("output", "", `write every spec into this one file, as YAML documents ("-": standard output), instead of one file each under --out-dir`)
	environment := flags.String("environment", "", "environment of every imported spec (default: left for a person to decide)")
	expiresIn := flags.String("expires-in", "", "set expiresAt this long from now, in hours or days (e.g. 720h or 30d); import never invents an expiry")
	force := flags.Bool("force", false, "replace spec files that already exist")
	nowFlag := flags.String("now", "", "the time the import records as generatedAt, RFC 3339 (for tests)")
	if err := p.parse(flags, args); err != nil {
		return ignoreHelp(err)
	}
	src, ok := deploy.FindSource(*from)
	switch {
	case *from == "":
		return usageErrorf("--from is required: one of %s", strings.Join(deploy.SourceNames(), ", "))
	case !ok:
		return usageErrorf("--from %q is not a source; %s", *from, didYouMean(*from, deploy.SourceNames()))
	case flags.NArg() == 0:
		return usageErrorf("name the file(s) to import, e.g. nhigate import --from %s FILE", src.Name)
	case *out != "" && *outDir != "":
		return usageErrorf("pass --output FILE or --out-dir DIR, not both")
	}
	now, err := p.clock(*nowFlag)
	if err != nil {
		return err
	}
	imported := render.Imported{Generator: "nhigate-import@" + version(), At: now, Environment: *environment}
	if *expiresIn != "" {
		d, err := parseLookahead(*expiresIn)
		if err != nil || d == 0 {
			return usageErrorf("--expires-in %q is not a duration; write hours or days, e.g. 720h or 30d", *expiresIn)
		}
		imported.ExpiresIn = d
	}

	res, err := deploy.Import(deploy.ImportRequest{Source: src, Files: flags.Args(), Imported: imported})
	var refused *deploy.RefusedError
	if errors.As(err, &refused) {
		fmt.Fprintf(p.stderr, "nhigate: %s\nnhigate: nothing imported: import models only what it can render back exactly; change the source, or write the spec by hand\n", output.SafeText(err.Error()))
		return errBlocked
	}
	if err != nil {
		return err
	}
	for _, file := range flags.Args() {
		if skipped := res.Skipped[file]; len(skipped) > 0 {
			fmt.Fprintf(p.stderr, "nhigate: %s: skipped %d member(s) that are no non-human identity; no spec covers their access:\n", output.SafeText(file), len(skipped))
			for _, s := range skipped {
				fmt.Fprintf(p.stderr, "  %s\n", output.SafeText(s))
			}
		}
	}
	for _, file := range res.Empty {
		fmt.Fprintf(p.stderr, "nhigate: %s grants no principal anything; nothing to import from it\n", output.SafeText(file))
	}
	specs := res.Specs
	if *out != "" {
		write := func(w io.Writer) error {
			for i, s := range specs {
				if i > 0 {
					if _, err := fmt.Fprintln(w, "---"); err != nil {
						return err
					}
				}
				if _, err := w.Write(s.Data); err != nil {
					return err
				}
			}
			return nil
		}
		if *out == "-" {
			return write(p.stdout)
		}
		if err := writeAtomic(*out, write); err != nil {
			return err
		}
		fmt.Fprintf(p.stderr, "nhigate: wrote %d spec(s) to %s\n", len(specs), output.SafeText(*out))
		return nil
	}
	dir := *outDir
	if dir == "" {
		dir = filepath.Join("identities", src.Platform)
	}
	if !*force {
		for _, s := range specs {
			if _, err := os.Lstat(filepath.Join(dir, s.Name)); !errors.Is(err, fs.ErrNotExist) {
				return usageErrorf("%s already exists; pass --force to replace it, or --out-dir elsewhere", filepath.Join(dir, s.Name))
			}
		}
	}
	files := make([]render.File, len(specs))
	for i, s := range specs {
		files[i] = render.File{Name: s.Name, Data: s.Data}
	}
	if err := deploy.WriteFiles(dir, files); err != nil {
		return err
	}
	undecided := 0
	for _, s := range specs {
		fmt.Fprintf(p.stderr, "nhigate: wrote %s from %s\n", output.SafeText(filepath.Join(dir, s.Name)), output.SafeText(s.From))
		undecided += s.Decide
	}
	if undecided > 0 {
		fmt.Fprintf(p.stderr, "nhigate: %d field(s) marked \"# decide:\" are for a person to fill in; nhigate check %s names each one until then\n", undecided, dir)
	}
	return nil
}
