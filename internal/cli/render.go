package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/secret"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/all"
	"github.com/nhigate/nhigate/spec"
)

const renderExamples = `  # The deployer's step: verify each spec against its bundle, then render it
  nhigate render --target kubernetes --key nhigate.pub --bundle-dir attestations/ \
    --out-dir rendered/ identities/kubernetes/argocd-staging-sync.yaml
  kubectl apply --dry-run=server -f rendered/argocd-staging-sync/

  # Keyless bundles: the same trust flags as nhigate verify
  nhigate render --target aws --trusted-root trusted_root.json \
    --certificate-identity https://github.com/acme/policies/.github/workflows/attest.yml@refs/heads/main \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --bundle-dir attestations/ --out-dir rendered/ identities/aws/payments-ci-deploy.yaml

  # Preview what a spec would grant, before it is reviewed or signed
  nhigate render --target vault --unverified identities/vault/checkout-dev-secrets.yaml
`

// runRender is the deployer's last mile: verify, then render into the
// platform's own artifacts. Nothing is written unless every spec verifies
// and renders, so a deployment applies all of its specs or none.
func runRender(_ context.Context, p *program, args []string) error {
	fs := p.flags("render", "render --target TARGET (--key PUB | --certificate-* ... | --unverified) [--bundle B | --bundle-dir DIR] [--out-dir DIR] SPEC...", renderExamples)
	targetName := fs.String("target", "", "platform to render for: "+strings.Join(targetNames(), ", "))
	keyFile := fs.String("key", "", "PEM public key the bundles must be signed by, as for nhigate verify")
	var id certFlags
	id.register(fs)
	bundleFile := fs.String("bundle", "", "the bundle of the one SPEC")
	bundleDir := fs.String("bundle-dir", "", "directory holding <SPEC>.sigstore.json for each SPEC, as nhigate attest --out-dir writes it")
	outDir := fs.String("out-dir", "", "directory to write the artifacts into, one directory per spec (refused if it holds a file this render does not write); without it they go to standard output")
	unchecked := fs.Bool("accept-unchecked-approvals", false, "UNSAFE: accept bundles signed after a local review, in which nobody's approval was checked")
	unverified := fs.Bool("unverified", false, "render without verifying bundles: a preview, never something to apply")
	nowFlag := fs.String("now", "", nowUsage)
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	specs := fs.Args()
	target, ok := findTarget(*targetName)
	trusted := *keyFile != "" || id.set()
	switch {
	case *targetName == "":
		return usageErrorf("--target is required: one of %s", strings.Join(targetNames(), ", "))
	case !ok:
		return usageErrorf("--target %q is not a target; %s", *targetName, didYouMean(*targetName, targetNames()))
	case len(specs) == 0:
		return usageErrorf("name the spec file(s) to render, e.g. nhigate render --target %s --key nhigate.pub --bundle-dir attestations/ identities/ci.yaml", target.Name)
	case *unverified && (trusted || *bundleFile != "" || *bundleDir != "" || *unchecked):
		return usageErrorf("--unverified renders without bundles; drop it, or drop the --key, --certificate-* and --bundle flags")
	case !*unverified && !trusted:
		return usageErrorf("no trust decision: pass --key PUB or the --certificate-* flags with --bundle-dir, so that only verified specs render (or --unverified for a preview)")
	case *keyFile != "" && id.set():
		return usageErrorf("pass either --key or the --certificate-* flags, not both: a bundle is signed by a key or by a certificate")
	case !*unverified && (*bundleFile == "") == (*bundleDir == ""):
		return usageErrorf("pass exactly one of --bundle B (with one SPEC) or --bundle-dir DIR (with SPEC...)")
	case *bundleFile != "" && len(specs) != 1:
		return usageErrorf("--bundle verifies one SPEC, got %d; use --bundle-dir for several", len(specs))
	}
	now, err := p.clock(*nowFlag)
	if err != nil {
		return err
	}
	var trust *attest.Trust
	switch {
	case *keyFile != "":
		trust, err = keyTrust(*keyFile)
	case id.set():
		trust, err = id.trust()
	}
	if err != nil {
		return err
	}

	var files []render.File
	var problems []string
	for _, path := range specs {
		content, err := source.ReadBounded(path, spec.DefaultMaxFileSize)
		if err != nil {
			return usageErrorf("%v", err)
		}
		var validUntil time.Time
		if trust != nil {
			bundle := *bundleFile
			if bundle == "" {
				bundle = filepath.Join(*bundleDir, filepath.Clean(path)+".sigstore.json")
			}
			// The bytes verified are the bytes rendered: the file is read
			// once.
			r := verifyContent(path, content, bundle, trust, attest.Options{Now: now, AcceptUncheckedApprovalsUnsafe: *unchecked})
			if !r.Verified {
				problems = append(problems, fmt.Sprintf("%s: not verified, not rendered: %s", path, r.Error))
				continue
			}
			if r.ValidUntil != nil {
				validUntil = *r.ValidUntil
			}
		}
		out, errs := renderFile(p, target, filepath.ToSlash(path), content, now, validUntil)
		problems = append(problems, errs...)
		files = append(files, out...)
	}
	if len(problems) > 0 {
		for _, msg := range problems {
			fmt.Fprintf(p.stderr, "nhigate: %s\n", output.SafeText(msg))
		}
		fmt.Fprintf(p.stderr, "nhigate: nothing rendered: %d problem(s) above; every spec must verify and render, so that a deployment applies all of them or none\n", len(problems))
		return errBlocked
	}
	if dup := duplicateName(files); dup != "" {
		return usageErrorf("two specs render %s; render them into separate --out-dir directories", dup)
	}
	if *unverified {
		fmt.Fprintln(p.stderr, "nhigate: warning: --unverified: these artifacts come from specs nobody verified; do not apply them")
	}
	if *unchecked {
		fmt.Fprintln(p.stderr, "nhigate: warning: --accept-unchecked-approvals: bundles signed without an approval check were accepted")
	}
	if *outDir == "" {
		for i, f := range files {
			if i > 0 {
				fmt.Fprintln(p.stdout)
			}
			fmt.Fprintf(p.stdout, "==> %s <==\n", f.Name)
			if _, err := p.stdout.Write(f.Data); err != nil {
				return err
			}
		}
		return nil
	}
	if stale, err := staleFile(*outDir, files); err != nil {
		return err
	} else if stale != "" {
		return usageErrorf("%s is in --out-dir but not in this render (left from an earlier one?): a deployer who applies the spec's directory whole would apply it too; remove %s, or render into an empty --out-dir",
			filepath.Join(*outDir, filepath.FromSlash(stale)), filepath.Join(*outDir, filepath.FromSlash(strings.SplitN(stale, "/", 2)[0])))
	}
	if err := writeFiles(*outDir, files); err != nil {
		return err
	}
	fmt.Fprintf(p.stderr, "nhigate: rendered %d file(s) for %s into %s\n", len(files), target.Name, *outDir)
	return nil
}

// renderFile renders every workflow of one spec file, or says why not, each
// problem at the file:line:col of the field.
//
// validUntil, when set, is when the signed verdict stops holding: before
// expiresAt when an exception the review relied on expires first. The
// platform must end the access then, not at expiresAt, so the spec renders
// with the earlier of the two as its expiry.
func renderFile(p *program, target render.Target, path string, content []byte, now, validUntil time.Time) ([]render.File, []string) {
	ws, err := spec.Parse(path, content, spec.Strict, spec.Limits{})
	if err != nil {
		return nil, []string{fmt.Sprintf("%v", err)}
	}
	var files []render.File
	var problems []string
	for _, w := range ws {
		where := func(field string) string {
			pos := w.Source.Position(field)
			return fmt.Sprintf("%s:%d:%d", path, pos.Line, pos.Col)
		}
		if pl := w.Spec.Identity.Platform; pl != target.Platform {
			problems = append(problems, fmt.Sprintf("%s: spec %s is for platform %s, not %s; render it with --target %s",
				where("spec.identity.platform"), w.Metadata.Name, pl, target.Platform, targetFor(pl)))
			continue
		}
		if !w.Spec.ExpiresAt.IsSet() {
			problems = append(problems, fmt.Sprintf("%s: spec %s has no expiresAt, which render enforces on the platform; add one, e.g. expiresAt: \"2027-03-31T00:00:00Z\"",
				where("spec"), w.Metadata.Name))
			continue
		}
		if !w.Spec.ExpiresAt.After(now) {
			problems = append(problems, fmt.Sprintf("%s: spec %s expired at %s; its access must not be rendered",
				where("spec.expiresAt"), w.Metadata.Name, w.Spec.ExpiresAt.Text))
			continue
		}
		if !validUntil.IsZero() && validUntil.Before(w.Spec.ExpiresAt.Time) {
			until := validUntil.UTC().Truncate(time.Second)
			fmt.Fprintf(p.stderr, "nhigate: spec %s: rendered to end at %s, when its signed review stops holding (an exception it relied on expires), before its expiresAt %s\n",
				output.SafeText(w.Metadata.Name), until.Format(time.RFC3339), output.SafeText(w.Spec.ExpiresAt.Text))
			ended := *w
			ended.Spec.ExpiresAt = spec.Time{Time: until, Text: until.Format(time.RFC3339)}
			w = &ended
		}
		out, err := target.Render(w)
		if err != nil {
			problems = append(problems, fieldProblems(err, where)...)
			continue
		}
		if msg := secretIn(out); msg != "" {
			problems = append(problems, fmt.Sprintf("%s: spec %s: %s; remove it from the spec and revoke it (NHI-SEC-001)", path, w.Metadata.Name, msg))
			continue
		}
		files = append(files, out...)
	}
	return files, problems
}

// secretIn says which artifact holds what looks like a secret, and of what
// kind, never the value; "" when none does. An artifact is printed and
// applied as it is, so masking it would change it: render refuses it,
// as the policies refuse the spec.
func secretIn(files []render.File) string {
	for _, f := range files {
		if found := secret.Find(string(f.Data)); len(found) > 0 {
			return fmt.Sprintf("%s would hold what looks like %s", f.Name, found[0].Kind.Name)
		}
	}
	return ""
}

// fieldProblems turns a target's refusal into messages at the fields' positions.
func fieldProblems(err error, where func(string) string) []string {
	var fes render.Errors
	var fe *render.FieldError
	switch {
	case errors.As(err, &fes):
	case errors.As(err, &fe):
		fes = render.Errors{fe}
	default:
		return []string{err.Error()}
	}
	var out []string
	for _, e := range fes {
		out = append(out, fmt.Sprintf("%s: %s: %s", where(e.Field), e.Field, e.Msg))
	}
	return out
}

// verifyContent verifies content, read from path, against its bundle.
func verifyContent(path string, content []byte, bundlePath string, trust *attest.Trust, opts attest.Options) verifyResult {
	r := verifyResult{Spec: path, Bundle: bundlePath}
	b, err := source.ReadBounded(bundlePath, attest.MaxBundleSize)
	if err != nil {
		r.Reason, r.Error = "unreadable-bundle", fmt.Sprintf("bundle: %v", err)
		return r
	}
	res, err := attest.Verify(b, attest.Artifact{Path: path, Content: content}, trust, opts)
	if err != nil {
		r.Reason, r.Error = "error", err.Error()
		var ve *attest.VerificationError
		if errors.As(err, &ve) {
			r.Reason = ve.Reason
		}
		return r
	}
	r.Verified = true
	r.ValidUntil = &res.ValidUntil
	return r
}

// staleFile returns a file below dir, slash-separated, that lies in the
// directory of a spec being rendered but is not one of files: an artifact
// of an earlier render (a second token request, a Role since removed) that
// whoever applies the directory whole would apply with the new ones. ""
// when there is none, or dir does not exist yet.
func staleFile(dir string, files []render.File) (string, error) {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", usageErrorf("--out-dir: %v", err)
	}
	defer root.Close()
	want := map[string]bool{}
	var specDirs []string
	for _, f := range files {
		want[f.Name] = true
		d, _, _ := strings.Cut(f.Name, "/")
		if !slices.Contains(specDirs, d) {
			specDirs = append(specDirs, d)
		}
	}
	fsys := root.FS()
	for _, d := range specDirs {
		stale := ""
		err := fs.WalkDir(fsys, d, func(p string, e fs.DirEntry, err error) error {
			switch {
			case errors.Is(err, fs.ErrNotExist) && p == d:
				return fs.SkipDir
			case err != nil:
				return err
			case e.IsDir():
				return nil
			case !want[p]:
				stale = p
				return fs.SkipAll
			}
			return nil
		})
		if err != nil {
			return "", usageErrorf("--out-dir: cannot read %s below %s (a symlink there that leads outside it is never followed): %v", d, dir, err)
		}
		if stale != "" {
			return stale, nil
		}
	}
	return "", nil
}

func duplicateName(files []render.File) string {
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Name] {
			return f.Name
		}
		seen[f.Name] = true
	}
	return ""
}

// writeFiles writes files below dir, never outside it: names come from
// specs, and os.Root refuses "..", absolute paths and symlinks that leave.
func writeFiles(dir string, files []render.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageErrorf("--out-dir: %v", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return usageErrorf("--out-dir: %v", err)
	}
	defer root.Close()
	for _, f := range files {
		if d := filepath.Dir(filepath.FromSlash(f.Name)); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return usageErrorf("--out-dir: cannot write %s below %s (a symlink there that leads outside it is never followed): %v", f.Name, dir, err)
			}
		}
		if err := root.WriteFile(filepath.FromSlash(f.Name), f.Data, 0o644); err != nil {
			return usageErrorf("--out-dir: cannot write %s below %s (a symlink there that leads outside it is never followed): %v", f.Name, dir, err)
		}
	}
	return nil
}

func targetNames() []string {
	var names []string
	for _, t := range all.Targets() {
		names = append(names, t.Name)
	}
	return names
}

func findTarget(name string) (render.Target, bool) {
	i := slices.IndexFunc(all.Targets(), func(t render.Target) bool { return t.Name == name })
	if i < 0 {
		return render.Target{}, false
	}
	return all.Targets()[i], true
}

// targetFor names the target of a platform, or says there is none.
func targetFor(platform string) string {
	for _, t := range all.Targets() {
		if t.Platform == platform {
			return t.Name
		}
	}
	return "(none: nhigate cannot render " + platform + " yet)"
}

// didYouMean suggests the name got begins, or the nearest of names, or
// lists them.
func didYouMean(got string, names []string) string {
	for _, n := range names {
		if len(got) >= 2 && strings.HasPrefix(n, got) {
			return fmt.Sprintf("did you mean %q?", n)
		}
	}
	if s := spec.Nearest(got, names); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "use one of " + strings.Join(names, ", ")
}
