package output

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/internal/secret"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// Secrets of every kind NHI-SEC-001 flags, assembled at run time so that
// secret scanners do not flag this file. leaks lists the part of each that
// must never show, in any format and however escaped.
var (
	awsKey   = "AK" + "IAIOSFODNN7EXAMPLE"
	ghToken  = "gh" + "p_" + "0123456789abcdefghijGHTOKENxyzABCDEF"
	slackTok = "xo" + "xb-" + "1234567890-SLACKslack"
	googKey  = "AI" + "za" + "SyGOOGLEgoogle0123456789abcdefghijk"
	jwt      = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJhbGljZSJ9" + ".c2lnbmF0dXJlLXNpZw"
	stripe   = "sk" + "_live_" + "STRIPEstripe0123456789"
	pemKey   = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowPEMBODYpembody\n-----END RSA " + "PRIVATE KEY-----"
	dbURL    = "postgres://app:" + "hunter2hunter2" + "@db.example/payments"

	leaks = []string{"IOSFODNN7EXAMPLE", "GHTOKENxyz", "SLACKslack", "SyGOOGLEgoogle", "eyJzdWIiOiJhbGljZSJ9",
		"STRIPEstripe", "PEMBODYpembody", "hunter2hunter2"}
)

// Hostile strings an attacker controls: a file name, a message and a
// Mermaid label that try to break out of every format.
const (
	hostileFile = "identities/id/a` <!-- `|*x*_y_ @acme/security\n::add-mask::z ##[stop-commands]t,line=1::x.yaml"
	hostileMsg  = "denied *wildcard* on _all_ | [click](https://evil.example) <img src=x onerror=alert(1)> @acme/security\n# Heading\n::add-mask::k ##[set-output name=verdict;]pass \x1b[2J\u202e"
	hostileRes  = "bucket\"]; click i0 call; %% -->r9\n```\n<b>"
)

// hostileReport holds a secret, or a hostile string, in every kind of
// field a renderer shows: grant patterns and conditions, attribute values,
// provenance, identity and file names, spec errors, findings, approvals
// and reasons.
func hostileReport() *reviewer.Report {
	head := &spec.Workflow{
		Metadata: spec.Metadata{Name: "leaky", Owner: "@acme/payments",
			Provenance: spec.Provenance{Generator: "bot", Prompt: "use " + awsKey}},
		Spec: spec.Spec{
			Identity:    spec.Identity{Name: "leaky", Type: "api-key", Platform: "aws", Consumer: "pipeline"},
			Environment: "production",
			Entitlements: []spec.Entitlement{{Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::" + awsKey + "/*", hostileRes},
				Conditions: map[string]any{"StringEquals": map[string]any{"aws:token": slackTok}}}},
			Credential: spec.Credential{Kind: "static", TTL: spec.Duration{Text: "1h"}},
			ExpiresAt:  spec.Time{Text: "2026-12-01T00:00:00Z"},
		},
		Source: spec.Source{File: hostileFile},
	}
	grant := func(action, resource, cond string) *diffing.Grant {
		return &diffing.Grant{Action: action, Resource: resource, Conditions: cond}
	}
	cond := `{"StringEquals":{"aws:token":"` + slackTok + `"}}`
	id := &diffing.Identity{Name: "leaky", Head: head, Risk: diffing.Critical, Changes: []diffing.Change{
		{Kind: diffing.IdentityAdded, Identity: "leaky", New: "leaky", Risk: diffing.High, Reason: "new identity in production", File: hostileFile},
		{Kind: diffing.GrantAdded, Identity: "leaky", Grant: grant("s3:GetObject", "arn:aws:s3:::"+awsKey+"/*", cond), Risk: diffing.Critical, Reason: "new access", File: hostileFile, Line: 9},
		{Kind: diffing.GrantWidened, Identity: "leaky", Grant: grant("s3:*", hostileRes, ""), From: []diffing.Grant{*grant("s3:Get*", "arn:aws:s3:::"+awsKey, "")},
			Risk: diffing.Critical, Reason: hostileMsg, File: hostileFile, Line: 10},
		{Kind: diffing.CredentialChanged, Identity: "leaky", Field: "spec.credential.kind", Old: ghToken, New: stripe, Risk: diffing.Critical, Reason: "static " + jwt, File: hostileFile},
		{Kind: diffing.ProvenanceChanged, Identity: "leaky", Field: "metadata.provenance", Old: "bot prompt " + googKey, New: dbURL, Risk: diffing.Low, Reason: "regenerated", File: hostileFile},
	}}
	return reviewer.Decide(reviewer.Input{
		Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Base: "main", Head: "feature", Files: 1,
		Diff: &diffing.Diff{Identities: []*diffing.Identity{id}, Governance: []diffing.Change{
			{Kind: diffing.Governance, File: ".github/" + hostileFile, Risk: diffing.Critical, Reason: "changes the rules " + slackTok},
		}},
		Invalid: spec.Errors{{File: hostileFile, Line: 3, Col: 7, Path: "spec.credential.ttl", Msg: `"` + pemKey + `" is not a duration`, Hint: hostileMsg}},
		Findings: []reviewer.Finding{
			{Rule: "NHI-SEC-001", Title: "Secret in spec", Kind: "deny", Severity: "critical", Message: "token " + jwt + " " + hostileMsg,
				Fix: "remove " + ghToken, Identity: "leaky", File: hostileFile, Line: 9, Col: 3},
			{Rule: "NHI-WILD-001", Kind: "warn", Severity: "high", Message: hostileMsg, Identity: "other", File: hostileFile, Line: 1},
		},
		Approvals: []reviewer.Requirement{
			{Description: "1 approval from @acme/security (exception " + stripe + ")", Reason: "waiting for @acme/security | *now*", Candidates: []string{"@acme/security"}},
			{Description: "1 approval", Satisfied: true, By: []string{"carol", dbURL}},
		},
	})
}

func renderAll(t *testing.T, r *reviewer.Report) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range FormatsOf(KindReport) {
		print, err := Pick(KindReport, f, Options{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := print(&buf, r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = buf.String()
	}
	out["text-color"] = func() string {
		var buf bytes.Buffer
		if err := (Text{Color: true}).Render(&buf, r); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}()
	out["markdown-summary"] = Markdown{Limit: 1500}.String(r)
	return out
}

// TestNoSecretInAnyFormat renders a report with a secret in every field in
// every format, and finds none of them.
func TestNoSecretInAnyFormat(t *testing.T) {
	r := hostileReport()
	before, _ := json.Marshal(r)
	for format, out := range renderAll(t, r) {
		for _, leak := range leaks {
			if strings.Contains(out, leak) {
				t.Errorf("%s output shows a secret (%s):\n%s", format, leak, out)
			}
		}
		if !strings.Contains(out, "redacted") {
			t.Errorf("%s output does not say what it masked", format)
		}
	}
	if after, _ := json.Marshal(r); !bytes.Equal(before, after) {
		t.Errorf("rendering changed the report it was given")
	}
}

// TestFormatsStayWellFormed checks, per format, that hostile strings come
// out as data and never as structure.
func TestFormatsStayWellFormed(t *testing.T) {
	out := renderAll(t, hostileReport())
	// No format lets a string start a workflow command in a job's log. The
	// runner reads "##[" only in a line that is not a "::" command already,
	// and every line of the github format is one (checked below).
	for format, o := range out {
		if format == "github" {
			continue
		}
		for _, line := range strings.Split(o, "\n") {
			trimmed := strings.TrimLeft(line, " \t\u00a0\u2028\u2029\u3000")
			if strings.HasPrefix(trimmed, "::") {
				t.Errorf("%s: a line starts a workflow command: %q", format, line)
			}
			if strings.Contains(line, "##[") {
				t.Errorf("%s: a line holds a legacy workflow command: %q", format, line)
			}
		}
	}

	t.Run("json", func(t *testing.T) {
		var got reviewer.Report
		if err := json.Unmarshal([]byte(out["json"]), &got); err != nil {
			t.Fatal(err)
		}
		if want := "identities/id/a` <!-- `|*x*_y_ @acme/security\n::add-mask::z #\u0023[stop-commands]t,line=1::x.yaml"; got.Findings[0].File != want {
			t.Errorf("file = %q, want the name itself", got.Findings[0].File)
		}
		if want := "token [redacted: a JSON Web Token] "; !strings.HasPrefix(got.Findings[0].Message, want) {
			t.Errorf("message = %q, want it to start %q", got.Findings[0].Message, want)
		}
	})
	t.Run("sarif", func(t *testing.T) {
		if !json.Valid([]byte(out["sarif"])) {
			t.Fatal("SARIF is not valid JSON")
		}
	})
	t.Run("junit", func(t *testing.T) {
		dec := xml.NewDecoder(strings.NewReader(out["junit"]))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("JUnit XML does not parse: %v", err)
			}
		}
	})
	t.Run("text", func(t *testing.T) {
		for _, o := range []string{out["text"], out["text-color"]} {
			// Only nhigate's own colour codes: an SGR sequence, nothing else.
			if rest := sgr.ReplaceAllString(o, ""); strings.ContainsAny(rest, "\x1b\r\u202e\u2028") {
				t.Errorf("text holds a control or invisible character outside nhigate's colour codes:\n%q", rest)
			}
		}
		if !strings.Contains(out["text"], `\u202e`) || !strings.Contains(out["text"], `\x1b[2J`) {
			t.Errorf("text does not show the control characters as escapes:\n%s", out["text"])
		}
	})
	t.Run("github", func(t *testing.T) {
		lines := strings.Split(strings.TrimSuffix(out["github"], "\n"), "\n")
		// One command for the invalid spec, one per governance change and
		// finding, and the verdict: nothing else.
		if want := 1 + 1 + 2 + 1; len(lines) != want {
			t.Fatalf("%d lines, want %d commands:\n%s", len(lines), want, out["github"])
		}
		for i, line := range lines {
			cmd, ok := parseCommand(line)
			if !ok {
				t.Fatalf("line %d is not a workflow command: %q", i, line)
			}
			if !map[string]bool{"error": true, "warning": true, "notice": true}[cmd.name] {
				t.Errorf("line %d runs %q", i, cmd.name)
			}
			if i < 4 && !strings.HasSuffix(cmd.props["file"], `@acme/security\n::add-mask::z ##[stop-commands]t,line=1::x.yaml`) {
				t.Errorf("line %d: file property %q is not the file name", i, cmd.props["file"])
			}
			if i >= 2 && i < 4 {
				if want := map[int]string{2: "9", 3: "1"}[i]; cmd.props["line"] != want {
					t.Errorf("line %d: line property %q, want %s", i, cmd.props["line"], want)
				}
			}
		}
	})
	t.Run("markdown", func(t *testing.T) {
		for _, name := range []string{"markdown", "markdown-summary"} {
			checkMarkdown(t, name, out[name])
		}
		for _, bad := range []string{"<img", "<b>", "](https://evil", "\n# Heading", "<!-- `", "*wildcard*", "_all_", "@acme/security"} {
			if strings.Contains(out["markdown"], bad) {
				t.Errorf("markdown shows %q unescaped", bad)
			}
		}
	})
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// command is a workflow command as the Actions runner parses it.
type command struct {
	name  string
	props map[string]string
	data  string
}

// parseCommand follows the runner's ActionCommand.TryParseV2: a line that
// starts (after blanks) with "::", a name, properties split at commas and
// the first "=", then "::" and the data; properties and data unescaped.
func parseCommand(line string) (command, bool) {
	line = strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(line, "::") {
		return command{}, false
	}
	end := strings.Index(line[2:], "::")
	if end < 0 {
		return command{}, false
	}
	info := line[2 : 2+end]
	c := command{props: map[string]string{}, data: unescape(line[2+end+2:], false)}
	name, props, _ := strings.Cut(info, " ")
	c.name = name
	for _, p := range strings.Split(props, ",") {
		if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
			c.props[k] = unescape(v, true)
		}
	}
	return c, true
}

func unescape(s string, property bool) string {
	pairs := []string{"%0D", "\r", "%0A", "\n"}
	if property {
		pairs = append(pairs, "%3A", ":", "%2C", ",")
	}
	pairs = append(pairs, "%25", "%")
	for i := 0; i < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// checkMarkdown scans a rendered comment: outside the Mermaid block, HTML
// is only nhigate's own few tags, every table row has its header's number
// of cells, and no one is mentioned; inside it, every line is a node or an
// edge whose labels hold nothing that ends them.
func checkMarkdown(t *testing.T, name, md string) {
	t.Helper()
	if strings.Count(md, "<!--") != 1 || !strings.HasPrefix(md, Marker+"\n") {
		t.Errorf("%s: an HTML comment other than the marker", name)
	}
	ownTags := regexp.MustCompile(`</?(code|sub|summary|details( open)?)>|<br/>|<!-- nhigate:review -->`)
	inMermaid := false
	columns := 0
	for i, line := range strings.Split(md, "\n") {
		switch {
		case line == "```mermaid":
			inMermaid = true
			continue
		case inMermaid && line == "```":
			inMermaid = false
			continue
		case inMermaid:
			if !mermaidLine.MatchString(line) {
				t.Errorf("%s line %d: Mermaid line %q is not a node or an edge with safe labels", name, i, line)
			}
			continue
		}
		if rest := ownTags.ReplaceAllString(line, ""); strings.ContainsAny(rest, "<>") {
			t.Errorf("%s line %d: raw < or > in %q", name, i, line)
		}
		if strings.Contains(strings.ReplaceAll(line, "@&#8203;", ""), "@") {
			t.Errorf("%s line %d: a mention in %q", name, i, line)
		}
		if strings.HasPrefix(line, "```") {
			t.Errorf("%s line %d: a fence outside the graph: %q", name, i, line)
		}
		if !strings.HasPrefix(line, "|") {
			columns = 0
			continue
		}
		n := len(cells(line))
		if columns == 0 {
			columns = n
		} else if n != columns {
			t.Errorf("%s line %d: %d cells, the header has %d: %q", name, i, n-2, columns-2, line)
		}
	}
}

var mermaidLine = regexp.MustCompile(`^(graph LR|  [ir][0-9]+\(?\["` + safeLabel + `"\]\)?|  i[0-9]+ -- "` + safeLabel + `" --> r[0-9]+)$`)

const safeLabel = `(?:[A-Za-z0-9 ./:*_+,=@-]|#[0-9]+;|[^\x00-\x7f])*`

// TestRedactCopiesOnlyWhatChanges checks the walk behind Redact: it masks
// strings however deep, in map keys too, leaves the report it was given
// alone, and copies nothing when there is nothing to mask.
func TestRedactCopiesOnlyWhatChanges(t *testing.T) {
	clean := exampleReport(t, someApprovals)
	if got := Redact(clean); got != clean {
		t.Errorf("a report without secrets was copied")
	}

	type inner struct {
		Any    any
		Keys   map[string]int
		Bytes  []byte
		hidden string
	}
	type outer struct {
		P      *inner
		Shared *inner
		List   []inner
		Arr    [2]string
	}
	shared := &inner{Any: "x"}
	v := &outer{
		P:      &inner{Any: []any{"k " + awsKey, 3, map[string]any{"n": ghToken}}, Keys: map[string]int{slackTok: 1, "ok": 2}, Bytes: []byte(stripe), hidden: "h"},
		Shared: shared,
		List:   []inner{{Any: "fine"}, {Any: jwt}},
		Arr:    [2]string{"a", dbURL},
	}
	got := mapStrings(v, secret.Mask)
	want := &outer{
		P: &inner{Any: []any{"k [redacted: an AWS access key id]", 3, map[string]any{"n": "[redacted: a GitHub token]"}},
			Keys: map[string]int{"[redacted: a Slack token]": 1, "ok": 2}, Bytes: []byte("[redacted: a Stripe secret key]"), hidden: "h"},
		Shared: shared,
		List:   []inner{{Any: "fine"}, {Any: "[redacted: a JSON Web Token]"}},
		Arr:    [2]string{"a", "postgres://app:[redacted: a password in a URL]@db.example/payments"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(inner{})); diff != "" {
		t.Errorf("mapStrings (-want +got):\n%s", diff)
	}
	if got.Shared != shared {
		t.Errorf("an unchanged pointer was copied")
	}
	if v.P.Keys[slackTok] != 1 || string(v.P.Bytes) != stripe || v.List[1].Any != jwt {
		t.Errorf("the input was modified")
	}

	// A cycle ends.
	type node struct {
		Name string
		Next *node
	}
	n := &node{Name: awsKey}
	n.Next = n
	if got := mapStrings(n, func(s string) string { return strings.ToUpper(s) + "!" }); got.Name != awsKey+"!" {
		t.Errorf("cycle: got %q", got.Name)
	}
}

func TestGuard(t *testing.T) {
	tests := []struct {
		name string
		g    guardRules
		in   string
		want string
	}{
		{"text", textGuard, "ok\n  ::add-mask::x\nx ##[error]y\n", "ok\n  \\x3a:add-mask::x\nx #\\x23[error]y\n"},
		{"text keeps ARNs", textGuard, "arn:aws:s3:::b\n", "arn:aws:s3:::b\n"},
		{"markdown", markdownGuard, "\u3000::stop-commands::t ##[x]\n", "\u3000&#58;:stop-commands::t #&#35;[x]\n"},
		{"json", jsonGuard, `"a": "##[set-output name=x;]y"`, `"a": "#\u0023[set-output name=x;]y"`},
		{"xml", xmlGuard, `<a m="##[x]"/>`, `<a m="#&#35;[x]"/>`},
		{"commands", commandGuard, "::error file=a::##[x]\n", "::error file=a::##[x]\n"},
		{"secret left in text", textGuard, "key " + awsKey + "\n", "key [redacted: an AWS access key id]\n"},
		{"secret left in markdown", markdownGuard, "key " + awsKey, `key \[redacted: an AWS access key id\]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(guard([]byte(tt.in), tt.g)); got != tt.want {
				t.Errorf("guard(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHostileGolden(t *testing.T) {
	for format, o := range renderAll(t, hostileReport()) {
		golden(t, "hostile."+format, []byte(o))
	}
}
