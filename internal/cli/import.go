package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/all"
)

const importExamples = `  # Bring an existing Kubernetes Role and its RoleBinding into the policy repo
  nhigate import --from kubernetes-rbac --environment staging rbac.yaml

  # An IAM role's policy, with an explicit expiry 30 days from now
  nhigate import --from aws-iam --expires-in 30d --out-dir identities/aws payments-ci.json

  # Look first: print the specs instead of writing them
  nhigate import --from vault --output - policies/checkout.hcl
`

// maxImportFile bounds each file import reads.
const maxImportFile = 8 << 20

// runImport writes specs, one per principal, from a platform's own access
// artifacts. What the artifacts cannot say (owner, requester, usually the
// expiry) is left for a person, and check names each field until then.
func runImport(_ context.Context, p *program, args []string) error {
	flags := p.flags("import", "import --from SOURCE [--environment ENV] [--expires-in DURATION] [--out-dir DIR | --output -] FILE...", importExamples)
	from := flags.String("from", "", "what the files are: "+strings.Join(sourceNames(), ", "))
	outDir := flags.String("out-dir", "", "directory to write <identity>.yaml into (default identities/<platform>)")
	out := flags.String("output", "", `write every spec into this one file, as YAML documents ("-": standard output), instead of one file each under --out-dir`)
	environment := flags.String("environment", "", "environment of every imported spec (default: left for a person to decide)")
	expiresIn := flags.String("expires-in", "", "set expiresAt this long from now, in hours or days (e.g. 720h or 30d); import never invents an expiry")
	force := flags.Bool("force", false, "replace spec files that already exist")
	nowFlag := flags.String("now", "", "the time the import records as generatedAt, RFC 3339 (for tests)")
	if err := p.parse(flags, args); err != nil {
		return ignoreHelp(err)
	}
	src, ok := findSource(*from)
	switch {
	case *from == "":
		return usageErrorf("--from is required: one of %s", strings.Join(sourceNames(), ", "))
	case !ok:
		return usageErrorf("--from %q is not a source; %s", *from, didYouMean(*from, sourceNames()))
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

	type written struct {
		name, from string
		data       []byte
		decide     int
	}
	var specs []written
	byName := map[string]string{}
	values := 0
	for _, file := range flags.Args() {
		data, err := source.ReadBounded(file, maxImportFile)
		if err != nil {
			return usageErrorf("%v", err)
		}
		principals, err := src.Import(file, data)
		if err != nil {
			fmt.Fprintf(p.stderr, "nhigate: %s\nnhigate: nothing imported: import models only what it can render back exactly; change the source, or write the spec by hand\n", output.SafeText(err.Error()))
			return errBlocked
		}
		// The bound holds across files too: every spec is built before
		// any is written.
		for _, pr := range principals {
			values += render.ImportValues(pr.Entitlements)
		}
		if values > render.MaxImportValues {
			fmt.Fprintf(p.stderr, "nhigate: %s: the imported principals hold more than %d actions and resources (counted once per entitlement that holds them); nothing imported: import fewer files or principals at a time\n", output.SafeText(file), render.MaxImportValues)
			return errBlocked
		}
		if src.Skipped != nil {
			if skipped := src.Skipped(file, data); len(skipped) > 0 {
				fmt.Fprintf(p.stderr, "nhigate: %s: skipped %d member(s) that are no non-human identity; no spec covers their access:\n", output.SafeText(file), len(skipped))
				for _, s := range skipped {
					fmt.Fprintf(p.stderr, "  %s\n", output.SafeText(s))
				}
			}
		}
		if len(principals) == 0 {
			fmt.Fprintf(p.stderr, "nhigate: %s grants no principal anything; nothing to import from it\n", output.SafeText(file))
		}
		for _, pr := range principals {
			// One spec per principal, and one principal per spec file: two
			// names that fold to one file name would overwrite each other.
			key := render.SpecPath(pr)
			if prev, dup := byName[key]; dup {
				return usageErrorf("%s and %s both give principals named like %s (one spec per principal, written to %s); import them separately, into different --out-dir directories", prev, file, pr.Identity.Name, key)
			}
			byName[key] = file
			in := imported
			in.File, in.Data = file, data
			b, err := render.Spec(pr, in)
			if err != nil {
				return err
			}
			// A spec is committed to the policy repo: a secret in the
			// source must not travel into it, nor to standard output.
			if msg := secretIn([]render.File{{Name: render.SpecPath(pr), Data: b}}); msg != "" {
				fmt.Fprintf(p.stderr, "nhigate: %s: %s; nothing imported: remove it from the source and revoke it (NHI-SEC-001)\n", output.SafeText(file), msg)
				return errBlocked
			}
			specs = append(specs, written{name: render.SpecPath(pr), from: file, data: b, decide: strings.Count(string(b), "# decide:")})
		}
	}
	if *out != "" {
		write := func(w io.Writer) error {
			for i, s := range specs {
				if i > 0 {
					if _, err := fmt.Fprintln(w, "---"); err != nil {
						return err
					}
				}
				if _, err := w.Write(s.data); err != nil {
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
			if _, err := os.Lstat(filepath.Join(dir, s.name)); !errors.Is(err, fs.ErrNotExist) {
				return usageErrorf("%s already exists; pass --force to replace it, or --out-dir elsewhere", filepath.Join(dir, s.name))
			}
		}
	}
	files := make([]render.File, len(specs))
	for i, s := range specs {
		files[i] = render.File{Name: s.name, Data: s.data}
	}
	if err := writeFiles(dir, files); err != nil {
		return err
	}
	undecided := 0
	for _, s := range specs {
		fmt.Fprintf(p.stderr, "nhigate: wrote %s from %s\n", output.SafeText(filepath.Join(dir, s.name)), output.SafeText(s.from))
		undecided += s.decide
	}
	if undecided > 0 {
		fmt.Fprintf(p.stderr, "nhigate: %d field(s) marked \"# decide:\" are for a person to fill in; nhigate check %s names each one until then\n", undecided, dir)
	}
	return nil
}

func sourceNames() []string {
	var names []string
	for _, s := range all.Sources() {
		names = append(names, s.Name)
	}
	return names
}

func findSource(name string) (render.Source, bool) {
	i := slices.IndexFunc(all.Sources(), func(s render.Source) bool { return s.Name == name })
	if i < 0 {
		return render.Source{}, false
	}
	return all.Sources()[i], true
}
