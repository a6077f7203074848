package output

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/reviewer"
)

// Kind is what a command prints: a review report (check, diff, review) or
// the result of another command. Each kind has its formats in the one
// registry, picked by name with Pick.
type Kind string

const (
	KindReport   Kind = "report"
	KindVerify   Kind = "verify"
	KindSweep    Kind = "sweep"
	KindPropose  Kind = "propose"
	KindOwners   Kind = "owners"
	KindPolicies Kind = "policies"
)

// Printer renders one kind's result in one format.
type Printer func(w io.Writer, v any) error

// format is one entry of the registry.
type format struct {
	name    string
	aliases []string
	make    func(opts Options) Printer
}

// typed adapts a renderer of one result type to a Printer; a value of
// another type is an error, never a panic.
func typed[T any](render func(io.Writer, T) error) Printer {
	return func(w io.Writer, v any) error {
		t, ok := v.(T)
		if !ok {
			return fmt.Errorf("output: a %T cannot be rendered as a %T", v, t)
		}
		return render(w, t)
	}
}

// report adapts a report Renderer to a Printer.
func report(r Renderer) Printer {
	return typed(func(w io.Writer, rep *reviewer.Report) error { return r.Render(w, rep) })
}

func fixed(p Printer) func(Options) Printer { return func(Options) Printer { return p } }

// registry lists every kind's formats, the first being the default.
var registry = map[Kind][]format{
	KindReport: {
		{"text", nil, func(o Options) Printer { return report(Text{Color: o.Color}) }},
		{"markdown", []string{"md"}, fixed(report(Markdown{}))},
		{"json", nil, fixed(report(JSON{}))},
		{"sarif", nil, func(o Options) Printer { return report(SARIF{Version: o.Version}) }},
		{"github", nil, fixed(report(GitHub{}))},
		{"junit", nil, fixed(report(JUnit{}))},
	},
	KindVerify: {
		{"text", nil, fixed(typed(verifyText))},
		{"json", nil, fixed(typed(func(w io.Writer, r *VerifyResult) error { return WriteJSON(w, r) }))},
	},
	KindSweep: {
		{"text", nil, fixed(typed(sweepText))},
		{"markdown", []string{"md"}, fixed(typed(sweepMarkdown))},
		{"json", nil, fixed(typed(sweepJSON))},
	},
	KindPropose: {
		{"text", nil, fixed(typed(proposeText))},
		{"json", nil, fixed(typed(func(w io.Writer, r *ProposeResult) error { return WriteJSON(w, r) }))},
	},
	KindOwners: {
		{"text", nil, fixed(typed(ownersText))},
		{"json", nil, fixed(typed(func(w io.Writer, r *OwnersResult) error { return WriteJSON(w, r) }))},
	},
	KindPolicies: {
		{"text", nil, fixed(typed(policiesText))},
		{"markdown", []string{"md"}, fixed(typed(policiesMarkdown))},
		{"json", nil, fixed(typed(func(w io.Writer, r *PoliciesResult) error { return WriteJSON(w, r) }))},
	},
}

// FormatsOf lists the format names of a kind, the default first.
func FormatsOf(k Kind) []string {
	var out []string
	for _, f := range registry[k] {
		out = append(out, f.name)
	}
	return out
}

// Pick returns the printer of a kind's result in the named format; ""
// is the default. An unknown name is an error that lists the valid ones.
func Pick(k Kind, name string, opts Options) (Printer, error) {
	formats, ok := registry[k]
	if !ok {
		return nil, fmt.Errorf("output: no formats for %q", k)
	}
	if name == "" {
		return formats[0].make(opts), nil
	}
	for _, f := range formats {
		if f.name == name || slices.Contains(f.aliases, name) {
			return f.make(opts), nil
		}
	}
	return nil, fmt.Errorf("unknown format %q: use one of %s", name, strings.Join(FormatsOf(k), ", "))
}

// safeText writes text a renderer built, masked and unable to start a
// workflow command, as every text format is.
func safeText(w io.Writer, build func(w io.Writer)) error {
	var b strings.Builder
	build(&b)
	_, err := io.WriteString(w, SafeText(b.String()))
	return err
}
