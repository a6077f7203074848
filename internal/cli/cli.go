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
	"os"
	"strings"
	"time"

	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/source"
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
	if errors.As(err, &ce) {
		return ExitUsage
	}
	return ExitInternal
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
		{"propose", "validate a generated spec and open it as a pull request for review", runPropose},
		{"sweep", "find expired grants and stale exceptions; open a revocation PR", runSweep},
		{"attest", "sign the specs of a passing review into Sigstore bundles", runAttest},
		{"verify", "verify a spec against its bundle before applying it: the deployer's gate", runVerify},
		{"version", "print the nhigate version", runVersion},
	}
}

// Version is the nhigate version, stamped into reports and attestations.
const Version = "0.1.0-dev"

// Run runs nhigate with args (without the program name). It never calls
// os.Exit; ExitCode turns its error into the exit status.
func Run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	p := &program{env: parseEnv(environ), stdin: stdin, stdout: stdout, stderr: stderr}
	err := p.run(ctx, args)
	var e *exitError
	switch {
	case err == nil:
	case errors.As(err, &e) && e.err == nil:
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
	return usageErrorf("unknown command %q. Run \"nhigate help\" for the list of commands", name)
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
	err := fs.Parse(args)
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

// errHelp stops a command after --help; it is not a failure.
var errHelp = errors.New("help shown")

// outputFlags are shared by every command that renders a report.
type outputFlags struct {
	format, output, now string
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "output format: "+strings.Join(output.Formats, ", "))
	fs.StringVar(&o.output, "output", "", "write the report to this file instead of standard output")
	fs.StringVar(&o.now, "now", "", "judge expiry as of this RFC 3339 time instead of the clock (for tests and audits)")
}

// resolve validates the flags once parsed: the clock to judge by (zero for
// the real one) and the renderer.
func (o *outputFlags) resolve(p *program) (time.Time, output.Renderer, error) {
	var now time.Time
	if o.now != "" {
		var err error
		if now, err = time.Parse(time.RFC3339, o.now); err != nil {
			return time.Time{}, nil, usageErrorf("--now %q is not an RFC 3339 time; write e.g. 2026-11-25T12:00:00Z", o.now)
		}
	}
	r, err := o.renderer(p)
	return now, r, err
}

func (o *outputFlags) renderer(p *program) (output.Renderer, error) {
	color := o.output == "" && isTerminal(p.stdout) && p.env["NO_COLOR"] == "" && p.env["TERM"] != "dumb"
	r, err := output.Get(o.format, output.Options{Color: color})
	if err != nil {
		return nil, usageErrorf("--format: %v", err)
	}
	return r, nil
}

// write renders the report and maps its verdict to the outcome.
func (o *outputFlags) write(p *program, r output.Renderer, rep *reviewer.Report) error {
	w := p.stdout
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return usageErrorf("--output: %v", err)
		}
		defer f.Close()
		w = f
		defer func() {
			fmt.Fprintf(p.stderr, "nhigate: %s: wrote %s\n", rep.Verdict, o.output)
		}()
	}
	if err := r.Render(w, rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if rep.Verdict != reviewer.Pass {
		return errBlocked
	}
	return nil
}

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
	fmt.Fprintln(p.stdout, "nhigate", Version)
	return nil
}

func ignoreHelp(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}
