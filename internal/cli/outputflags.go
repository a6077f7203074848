package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/reviewer"
)

// outputFlags are --format, --output and --now, the same on every command
// that has them: one help text, one error for an unknown format that lists
// the valid ones, and --output written whole or not at all.
type outputFlags struct {
	kind                output.Kind
	format, output, now string
}

// Help texts of the shared flags.
const (
	outputUsage = "write the result to this file instead of standard output; the file is replaced whole, never left half-written"
	nowUsage    = "judge as of this RFC 3339 time instead of the clock, e.g. 2026-11-25T12:00:00Z (for tests and audits)"
)

// register adds --format and --output for a kind of result, and --now
// when the command judges time.
func (o *outputFlags) register(fs *flag.FlagSet, kind output.Kind, now bool) {
	o.kind = kind
	formats := output.FormatsOf(kind)
	fs.StringVar(&o.format, "format", formats[0], "output format: "+strings.Join(formats, ", "))
	fs.StringVar(&o.output, "output", "", outputUsage)
	if now {
		fs.StringVar(&o.now, "now", "", nowUsage)
	}
}

// resolve validates the flags once parsed: the time to judge by and the
// printer.
func (o *outputFlags) resolve(p *program) (time.Time, output.Printer, error) {
	now, err := p.clock(o.now)
	if err != nil {
		return time.Time{}, nil, err
	}
	color := o.output == "" && isTerminal(p.stdout) && p.env["NO_COLOR"] == "" && p.env["TERM"] != "dumb"
	pr, err := output.Pick(o.kind, o.format, output.Options{Color: color, Version: version()})
	if err != nil {
		return time.Time{}, nil, usageErrorf("--format: %v", err)
	}
	return now, pr, nil
}

// clock is the time a run judges by: --now when given (for tests and
// audits), and otherwise the program's clock, read once.
func (p *program) clock(nowFlag string) (time.Time, error) {
	if nowFlag == "" {
		return p.now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, nowFlag)
	if err != nil {
		return time.Time{}, usageErrorf("--now %q is not an RFC 3339 time; write e.g. 2026-11-25T12:00:00Z", nowFlag)
	}
	return t.UTC(), nil
}

// emit prints v to standard output, or to --output, replacing the file
// whole; then it says on standard error what it wrote, after summary.
func (o *outputFlags) emit(p *program, print output.Printer, v any, summary string) error {
	if o.output == "" {
		if err := print(p.stdout, v); err != nil {
			return fmt.Errorf("write the result: %w", err)
		}
		return nil
	}
	if err := writeAtomic(o.output, func(w io.Writer) error { return print(w, v) }); err != nil {
		return err
	}
	fmt.Fprintf(p.stderr, "nhigate: %s: wrote %s\n", summary, o.output)
	return nil
}

// writeAtomic writes a file through a temporary file beside it, renamed
// over it once whole: a reader never sees half a report, and a failed run
// leaves the previous file as it was.
// A symlink is followed, so the file it names is replaced, and a path that
// is no regular file (/dev/stdout, a pipe) is written in place.
func writeAtomic(path string, write func(io.Writer) error) error {
	for range 40 { // as many links as the kernel follows
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			break
		}
		target, err := os.Readlink(path)
		if err != nil {
			return usageErrorf("--output: %v", err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return usageErrorf("--output: %v", err)
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		return f.Close()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return usageErrorf("--output: %v", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return usageErrorf("--output: %v", err)
	}
	return nil
}

// write renders the report and maps its verdict to the outcome.
func (o *outputFlags) write(p *program, print output.Printer, rep *reviewer.Report) error {
	if err := o.emit(p, print, rep, string(rep.Verdict)); err != nil {
		return err
	}
	if rep.Verdict != reviewer.Pass {
		return errBlocked
	}
	return nil
}
