// Package cli is the nhigate command line: it parses flags and environment
// once, runs one command, and reports the outcome as an error value that
// carries the exit code. Nothing here calls os.Exit.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nhigate/nhigate/internal/deploy"
	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/publish"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/spec"
)

// Exit codes. Any error means no pass.
const (
	ExitPass     = 0
	ExitBlocked  = 1
	ExitUsage    = 2 // bad flags, arguments or .nhigate.yaml
	ExitInternal = 3
)

// exitError carries an exit code. A nil err means the message was already
// shown (a blocked report says why by itself).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// errBlocked is returned when the report itself says why it did not pass.
var errBlocked = &exitError{code: ExitBlocked}

// ExitCode maps Run's error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitPass
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	var ce *source.ConfigError
	var re *review.RevisionError
	var ue *review.UsageError
	var de *deploy.UsageError
	if errors.As(err, &ce) || errors.As(err, &re) || errors.As(err, &ue) || errors.As(err, &de) {
		return ExitUsage
	}
	var be *publish.BlockedError
	if errors.As(err, &be) {
		return ExitBlocked
	}
	return ExitInternal
}

// outside says what to do about an error whose cause lies outside nhigate
// (GitHub refused or failed, the network, a timeout); "" for any other.
func outside(err error) string {
	var apiErr *ghapi.Error
	var rateErr *ghapi.RateLimitError
	var truncErr *ghapi.TruncatedError
	var netErr net.Error
	var urlErr *url.Error
	switch {
	case errors.As(err, &rateErr):
		return "GitHub's rate limit stopped the run; re-run the job after the time above."
	case errors.As(err, &truncErr):
		return "Fetch the full history (actions/checkout with fetch-depth: 0) so nhigate reads the changes from git."
	case errors.As(err, &apiErr):
		switch {
		case apiErr.StatusCode == http.StatusUnauthorized:
			return "Pass a valid token: in Actions, GITHUB_TOKEN: ${{ github.token }}."
		case apiErr.StatusCode == http.StatusForbidden:
			return "Grant the workflow the permission this endpoint needs (pull-requests: write, statuses: write, contents: read; members: read for team approvals, which needs a token that can read the organisation's teams)."
		case apiErr.StatusCode == http.StatusNotFound:
			return "Check GITHUB_REPOSITORY, GITHUB_API_URL and the pull request number, and that the token can see the repository."
		case apiErr.StatusCode == http.StatusUnprocessableEntity:
			return "GitHub refused the request as invalid, as its message says; re-run after fixing what it names (a branch that already exists, a moved base)."
		case apiErr.StatusCode >= 500:
			return "GitHub failed; re-run the job, and check GitHub's status page if it persists."
		}
		return "GitHub refused the call; its message above says why."
	case errors.Is(err, context.DeadlineExceeded):
		return "A call did not answer in time; re-run the job, or check the network to GitHub."
	case errors.As(err, &netErr), errors.As(err, &urlErr):
		return "The network failed; check that GITHUB_API_URL is reachable from the runner and re-run the job."
	}
	return ""
}

// env is the process environment, parsed once.
type env map[string]string

func parseEnv(kv []string) env {
	e := env{}
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			e[k] = v
		}
	}
	return e
}

// program is one invocation: its streams and environment.
type program struct {
	env            env
	stdin          io.Reader
	stdout, stderr io.Writer
	// now is the clock. It is read here and nowhere else in production
	// code, through clock, so that --now judges a whole run.
	now func() time.Time
}

type command struct {
	name, summary string
	run           func(ctx context.Context, p *program, args []string) error
}

func commands() []command {
	return []command{
		{"check", "validate spec files and run the policies on them", runCheck},
		{"diff", "show the entitlement diff between two revisions or directories", runDiff},
		{"review", "diff, policy checks and approvals for a change: the gate", runReview},
		{"policies", "list the built-in policy rules and the controls they map to", runPolicies},
		{"owners", "print the CODEOWNERS owners of paths, with the rule that matched", runOwners},
		{"propose", "validate a generated spec and open it as a pull request for review", runPropose},
		{"sweep", "find expired grants and stale exceptions; open a revocation PR", runSweep},
		{"attest", "sign the specs of a passing review into Sigstore bundles", runAttest},
		{"verify", "verify a spec against its bundle before applying it: the deployer's gate", runVerify},
		{"render", "verify specs, then render them into the platform's own access artifacts", runRender},
		{"import", "write specs from a platform's existing access (IAM, RBAC, Vault policies)", runImport},
		{"index", "write the scan index that lets reviews read only what their change touches", runIndex},
		{"version", "print the nhigate version", runVersion},
	}
}

// Version is the nhigate version of a build from a source checkout. A build
// of a tagged module version (go install …@v1.2.3) reports that version
// instead; see version.
const Version = "0.1.0-dev"

// version is the version stamped into reports and attestations: the
// module's version from the build info when it has one, else Version.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return Version
}

// buildInfo describes the binary: version, commit and Go version.
func buildInfo() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nhigate %s\n", version())
	commit, when, modified := "unknown", "", false
	goVersion := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		commit += " (modified)"
	}
	fmt.Fprintf(&b, "commit: %s\n", commit)
	if when != "" {
		fmt.Fprintf(&b, "committed: %s\n", when)
	}
	fmt.Fprintf(&b, "go: %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// Run runs nhigate with args (without the program name). It never calls
// os.Exit; ExitCode turns its error into the exit status.
func Run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	p := &program{env: parseEnv(environ), stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	err := p.run(ctx, args)
	var e *exitError
	switch {
	case err == nil:
	case errors.As(err, &e) && e.err == nil:
	case ExitCode(err) == ExitInternal && outside(err) != "":
		// Still no pass, and still exit 3, but not nhigate's fault: say
		// what to do instead of asking for a bug report.
		fmt.Fprintf(stderr, "nhigate: %v\nNothing passed. %s\n", err, outside(err))
	case ExitCode(err) == ExitInternal:
		fmt.Fprintf(stderr, "nhigate: internal error: %s\nNothing passed. If this persists, report it with the command you ran.\n", output.SafeText(err.Error()))
	default:
		// An error may quote a file name or a value from a spec: masked,
		// and unable to start a workflow command in a CI log.
		fmt.Fprintf(stderr, "nhigate: %s\n", output.SafeText(err.Error()))
	}
	return err
}

func (p *program) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		p.usage(p.stderr)
		return &exitError{code: ExitUsage}
	}
	name := args[0]
	switch name {
	case "--version", "-version":
		return runVersion(ctx, p, args[1:])
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return p.run(ctx, []string{args[1], "--help"})
		}
		p.usage(p.stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, p, args[1:])
		}
	}
	if s := suggest(name); s != "" {
		return usageErrorf("unknown command %q; did you mean %q? Run \"nhigate help\" for the list of commands", name, s)
	}
	return usageErrorf("unknown command %q. Run \"nhigate help\" for the list of commands", name)
}

// suggest returns the command nearest to a mistyped name, or "" when none
// is close.
func suggest(name string) string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return nearest(name, names)
}

// nearest returns the one of names that got begins (at least two
// characters of it), or else the one at most two edits away; "" when none
// is close.
func nearest(got string, names []string) string {
	for _, n := range names {
		if len(got) >= 2 && strings.HasPrefix(n, got) {
			return n
		}
	}
	return spec.Nearest(got, names)
}

func (p *program) usage(w io.Writer) {
	fmt.Fprint(w, `nhigate is the policy gate for non-human identity provisioning specs.

Usage:
  nhigate <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Exit codes: 0 pass, 1 blocked, 2 usage or config error, 3 internal error.
Run "nhigate <command> --help" for a command's flags and examples.
`)
}

// flags builds a command's flag set; --help prints usage and examples.
func (p *program) flags(name, usage, examples string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(p.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: nhigate %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
		fmt.Fprintf(w, "\nExamples:\n%s", examples)
	}
	return fs
}

// parse parses flags; --help is not an error.
func (p *program) parse(fs *flag.FlagSet, args []string) error {
	// Help asked for goes to standard output, once; flag would print it to
	// the error stream first.
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := parseInterspersed(fs, args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(p.stdout)
		fs.Usage()
		return errHelp
	}
	if err != nil {
		fmt.Fprintln(out, err)
		fs.Usage()
	}
	if err != nil {
		return &exitError{code: ExitUsage} // flag already printed the problem
	}
	return nil
}

// parseInterspersed parses flags wherever they stand among the arguments,
// so that "nhigate check identities/ --format json" works as users expect
// of command-line tools. A "--" ends the flags: what follows is positional.
// The positional arguments are left in fs.Args, in order.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Parsing "--" alone sets fs.Args without reading any flag.
	return fs.Parse(append([]string{"--"}, positional...))
}

// errHelp stops a command after --help; it is not a failure.
var errHelp = errors.New("help shown")

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func runVersion(_ context.Context, p *program, args []string) error {
	fs := p.flags("version", "version", "  nhigate version\n")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	fmt.Fprint(p.stdout, buildInfo())
	return nil
}

func ignoreHelp(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}
