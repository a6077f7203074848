package output

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
)

// JUnit writes JUnit XML, one test suite per spec file and one test case
// per finding, for CI systems that chart test results. A diff has a case
// per changed principal instead, failed by its risk.
type JUnit struct{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// uniqueNames makes the test-case names of a suite unique, as CI systems
// that chart results by name need: a rule that fires twice on one spec is
// told apart by a count, in the order the findings are listed.
func uniqueNames(cases []junitCase) {
	count := map[string]int{}
	for _, c := range cases {
		count[c.Name]++
	}
	seen := map[string]int{}
	for i := range cases {
		name := cases[i].Name
		if count[name] < 2 {
			continue
		}
		seen[name]++
		cases[i].Name = fmt.Sprintf("%s #%d", name, seen[name])
	}
}

// Render implements Renderer.
func (JUnit) Render(w io.Writer, r *reviewer.Report) error {
	r = Redact(r)
	suites := map[string]*junitSuite{}
	suite := func(file string) *junitSuite {
		s := suites[file]
		if s == nil {
			s = &junitSuite{Name: file}
			suites[file] = s
		}
		return s
	}
	for _, e := range r.Invalid {
		s := suite(e.File)
		s.Errors++
		s.Cases = append(s.Cases, junitCase{Name: invalidRule, Classname: e.File,
			Error: &junitProblem{Message: e.Msg, Type: "invalid", Text: e.Error()}})
	}
	for _, f := range r.Findings {
		s := suite(f.File)
		c := junitCase{Name: fmt.Sprintf("%s %s", f.Rule, f.Identity), Classname: f.File}
		text := fmt.Sprintf("%s:%d:%d: %s", f.File, f.Line, f.Col, f.Message)
		if f.Fix != "" {
			text += "\nFix: " + f.Fix
		}
		switch {
		case f.Excepted:
			s.Skipped++
			c.Skipped = &junitProblem{Message: "waived by exception: " + f.Message}
		case f.Kind == "warn":
			c.SystemOut = "warning: " + text
		default:
			s.Failures++
			c.Failure = &junitProblem{Message: f.Message, Type: f.Severity, Text: text}
		}
		s.Cases = append(s.Cases, c)
	}
	if r.Scope == reviewer.ScopeDiff {
		diffCases(r, suite)
	}
	// A judged spec file without a failure passes: list it, so a clean run
	// shows what it checked rather than tests="0".
	for _, file := range r.Judged {
		s := suite(file)
		if s.Failures == 0 && s.Errors == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "policies", Classname: file})
		}
	}
	out := junitSuites{Name: "nhigate"}
	for _, file := range slices.Sorted(maps.Keys(suites)) {
		s := suites[file]
		uniqueNames(s.Cases)
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Suites = append(out.Suites, *s)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	buf.WriteString("\n")
	_, err := w.Write(guard(buf.Bytes(), xmlGuard))
	return err
}

// diffCases lists a diff as one case per changed principal, and one per
// governance change: failed when its risk is at or above --fail-on-risk,
// or high without it, else passed with its changes in the output.
func diffCases(r *reviewer.Report, suite func(string) *junitSuite) {
	threshold := r.FailOnRisk
	if threshold == diffing.None {
		threshold = diffing.High
	}
	add := func(file, name string, risk diffing.Risk, changes []diffing.Change) {
		s := suite(file)
		lines := make([]string, len(changes))
		for i, c := range changes {
			where := c.File
			if c.Line > 0 {
				where += fmt.Sprintf(":%d", c.Line)
			}
			lines[i] = where + ": " + changeText(c)
		}
		text := strings.Join(lines, "\n")
		c := junitCase{Name: name, Classname: file}
		if risk >= threshold {
			s.Failures++
			c.Failure = &junitProblem{Message: fmt.Sprintf("risk %s is at or above %s", risk, threshold), Type: risk.String(), Text: text}
		} else {
			c.SystemOut = fmt.Sprintf("risk %s\n%s", risk, text)
		}
		s.Cases = append(s.Cases, c)
	}
	for _, g := range r.Diff.Governance {
		add(g.File, "governance "+g.File, g.Risk, []diffing.Change{g})
	}
	for _, id := range r.Diff.Identities {
		file := id.Current().Source.File
		if len(id.Changes) > 0 {
			file = id.Changes[0].File
		}
		add(file, fmt.Sprintf("%s (%s)", id.Name, id.Principal), id.Risk, id.Changes)
	}
}
