package output

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
)

// GitHub writes workflow commands that Actions turns into annotations on
// the spec lines: ::error for failures and invalid specs, ::warning for
// warnings and governance changes, ::notice for waived findings.
type GitHub struct{}

// Render implements Renderer. Untrusted strings are masked for secrets,
// show control characters as escapes, and are escaped as the Actions
// toolkit does, so that a file name or a message cannot end its command or
// start another.
func (GitHub) Render(w io.Writer, r *reviewer.Report) error {
	r = prepare(r, visible)
	var buf bytes.Buffer
	for _, e := range r.Invalid {
		annotate(&buf, "error", e.File, e.Line, e.Col, "invalid spec", e.Detail())
	}
	for _, c := range r.Diff.Governance {
		annotate(&buf, "warning", c.File, 0, 0, "governance file changed", c.Reason)
	}
	for _, f := range r.Findings {
		level := "error"
		msg := f.Message
		switch {
		case f.Excepted:
			level, msg = "notice", "waived by exception: "+msg
		case f.Kind == "warn":
			level = "warning"
		}
		if f.Fix != "" {
			msg += "\nFix: " + f.Fix
		}
		if ids := f.Controls.All(); len(ids) > 0 {
			msg += "\nControls: " + strings.Join(ids, ", ")
		}
		annotate(&buf, level, f.File, f.Line, f.Col, f.Rule, msg)
	}
	if r.Scope == reviewer.ScopeDiff {
		// A diff has no verdict of its own: it shows the changes and
		// their risk, so a critical one is never reported as a pass.
		for _, id := range r.Diff.Identities {
			for _, c := range id.Changes {
				if c.Risk < diffing.High {
					continue
				}
				what := c.Reason
				switch {
				case c.Grant != nil:
					what += ": " + c.Grant.String()
				case c.Field != "":
					what += fmt.Sprintf(": %s %q → %q", c.Field, c.Old, c.New)
				}
				annotate(&buf, "warning", c.File, c.Line, 0, fmt.Sprintf("%s (%s risk)", c.Kind, c.Risk), what)
			}
		}
	}
	level, msg := "notice", "nhigate: pass"
	switch {
	case r.Verdict != reviewer.Pass:
		level, msg = "error", "nhigate: blocked: "+strings.Join(r.Reasons, "; ")
	case r.Scope == reviewer.ScopeDiff && r.Risk >= diffing.High:
		level, msg = "warning", fmt.Sprintf("nhigate diff: risk %s", r.Risk)
	case r.Scope == reviewer.ScopeDiff:
		msg = fmt.Sprintf("nhigate diff: risk %s", r.Risk)
	}
	fmt.Fprintf(&buf, "::%s title=nhigate::%s\n", level, escapeData(msg))
	_, err := w.Write(guard(buf.Bytes(), commandGuard))
	return err
}

func annotate(w io.Writer, level, file string, line, col int, title, msg string) {
	props := []string{"file=" + escapeProperty(file)}
	if line > 0 {
		props = append(props, fmt.Sprintf("line=%d", line))
		if col > 0 {
			props = append(props, fmt.Sprintf("col=%d", col))
		}
	}
	props = append(props, "title="+escapeProperty(title))
	fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), escapeData(msg))
}

// escapeData and escapeProperty follow the runner's rules, so that a
// message can neither end the command early nor inject another one.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
