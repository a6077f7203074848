package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits bound the work that one untrusted file can cause.
type Limits struct {
	MaxFileSize int64 // bytes; DefaultMaxFileSize when 0
	MaxDepth    int   // nesting levels; DefaultMaxDepth when 0
	// MaxDocuments is how many workflows a file may hold;
	// DefaultMaxDocuments when 0.
	MaxDocuments int
	// MaxPatternLength is the longest action or resource, in bytes;
	// DefaultMaxPatternLength when 0.
	MaxPatternLength int
	// MaxGrants is how many grants (actions × resources) a workflow may
	// expand to; DefaultMaxGrants when 0.
	MaxGrants int
	// MaxConditionsBytes is the largest conditions object of an
	// entitlement, as canonical JSON; DefaultMaxConditionsBytes when 0.
	MaxConditionsBytes int
}

// Defaults for Limits. A spec is a few kilobytes and six levels deep, so these
// leave generous room while keeping a hostile file cheap to reject.
const (
	DefaultMaxFileSize = 1 << 20
	DefaultMaxDepth    = 32
)

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = DefaultMaxDocuments
	}
	if l.MaxPatternLength <= 0 {
		l.MaxPatternLength = DefaultMaxPatternLength
	}
	if l.MaxGrants <= 0 {
		l.MaxGrants = DefaultMaxGrants
	}
	if l.MaxConditionsBytes <= 0 {
		l.MaxConditionsBytes = DefaultMaxConditionsBytes
	}
	return l
}

// Mode says what to do with documents that are not workflows.
type Mode int

const (
	// Strict requires every document in the file to be a workflow: the file
	// was named as a spec, so anything else is a mistake.
	Strict Mode = iota
	// Discover skips documents that do not claim to be nhigate documents, so
	// that any YAML file in a repo can be offered. A document that claims
	// nhigate.dev but is malformed is still an error: it must not slip past.
	Discover
)

// Marker reports whether data may hold a workflow at all. Discovery uses it to
// avoid parsing files that cannot be specs; it errs on the side of parsing,
// and sees a claim in any case, encoding or look-alike spelling (FindClaim).
func Marker(data []byte) bool { return marker(data) }

// Parse reads every workflow in one file. YAML (several documents allowed)
// and JSON (one value) are told apart by the file's extension. The returned
// error, if any, is Errors: every problem with its position.
func Parse(file string, data []byte, mode Mode, lim Limits) ([]*Workflow, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxFileSize {
		return nil, Errors{{File: file, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d", len(data), lim.MaxFileSize),
			Hint: "split it into several files, or raise limits.maxFileSize in .nhigate.yaml"}}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		line, col := invalidUTF8(data)
		return nil, Errors{{File: file, Line: line, Col: col, Msg: "file is not valid UTF-8", Hint: "save it as UTF-8"}}
	}
	var docs []*yaml.Node
	var err error
	if strings.EqualFold(pathExt(file), ".json") {
		var n *yaml.Node
		n, err = parseJSON(data, lim.MaxDepth)
		if n != nil {
			docs = []*yaml.Node{n}
		}
	} else {
		if e := hiddenBreak(file, data); e != nil {
			return nil, Errors{e}
		}
		docs, err = parseYAML(data)
	}
	if err != nil {
		return nil, Errors{syntaxError(file, data, err)}
	}

	var out []*Workflow
	var errs Errors
	workflows := 0
	for i, doc := range docs {
		if empty(doc) {
			continue // an empty document, e.g. after a trailing "---"
		}
		if mode == Strict || claimsNhigate(doc.Content[0]) {
			if workflows++; workflows > lim.MaxDocuments {
				return nil, Errors{{File: file, Line: doc.Content[0].Line, Col: doc.Content[0].Column,
					Msg:  fmt.Sprintf("file holds more than %d workflow documents", lim.MaxDocuments),
					Hint: "split it into several files, or raise limits.maxDocumentsPerFile in .nhigate.yaml"}}
			}
		}
		w, derrs := decodeDoc(file, i, doc, mode, lim)
		errs = append(errs, derrs...)
		if w != nil && len(derrs) == 0 {
			out = append(out, w)
		}
	}
	if mode == Strict && len(out) == 0 && len(errs) == 0 {
		errs = append(errs, &Error{File: file, Msg: "file holds no ProvisioningWorkflow",
			Hint: "start it with \"apiVersion: nhigate.dev/v1\" and \"kind: ProvisioningWorkflow\""})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// DecodeStrict decodes the single YAML or JSON document in data into v (a
// pointer to a struct with yaml tags) under the same bounds and strictness
// as specs. It returns where each field was written. Other nhigate files,
// such as .nhigate.yaml, use it so that every error reads the same way.
func DecodeStrict(file string, data []byte, v any, lim Limits) (map[string]Pos, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxFileSize {
		return nil, Errors{{File: file, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d", len(data), lim.MaxFileSize)}}
	}
	if !utf8.Valid(data) {
		line, col := invalidUTF8(data)
		return nil, Errors{{File: file, Line: line, Col: col, Msg: "file is not valid UTF-8", Hint: "save it as UTF-8"}}
	}
	if e := hiddenBreak(file, data); e != nil {
		return nil, Errors{e}
	}
	docs, err := parseYAML(data)
	if err != nil {
		return nil, Errors{syntaxError(file, data, err)}
	}
	var nonEmpty []*yaml.Node
	for _, doc := range docs {
		if !empty(doc) {
			nonEmpty = append(nonEmpty, doc)
		}
	}
	positions := map[string]Pos{}
	switch len(nonEmpty) {
	case 0:
		return positions, nil
	case 1:
	default:
		return nil, Errors{{File: file, Line: nonEmpty[1].Line, Col: nonEmpty[1].Column, Msg: "holds more than one YAML document", Hint: "remove the \"---\" and merge the documents"}}
	}
	d := &decoder{file: file, positions: positions, budget: countNodes(nonEmpty[0]) + 10_000, maxDepth: lim.MaxDepth}
	d.decode(nonEmpty[0].Content[0], reflect.ValueOf(v).Elem(), "", 0)
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return positions, nil
}

func decodeDoc(file string, index int, doc *yaml.Node, mode Mode, lim Limits) (*Workflow, Errors) {
	root := doc.Content[0]
	if mode == Discover && !claimsNhigate(root) {
		// Decided before any conversion, so that another tool's document is
		// skipped even when it uses what specs may not (merge keys, .inf).
		return nil, nil
	}
	d := &decoder{
		file:      file,
		positions: map[string]Pos{"": {root.Line, root.Column}},
		// Twice the nodes for the two passes below, and room for honest
		// anchors; an alias bomb multiplies far beyond this.
		budget:   2*countNodes(doc) + 100_000,
		maxDepth: lim.MaxDepth,
	}
	raw, ok := d.value(root, "", 0)
	if !ok {
		return nil, d.errs
	}
	m, isMap := raw.(map[string]any)
	if !isMap {
		if mode == Discover {
			return nil, nil
		}
		d.errorf(root, "", "write a mapping starting with \"apiVersion: nhigate.dev/v1\"", "document must be a mapping, not %s", describe(root))
		return nil, d.errs
	}
	if _, hasVersion := m["apiVersion"]; !hasVersion && m["kind"] == nil {
		// Listing every unknown field of another kind of document helps no
		// one: say what the file should be.
		d.errorf(root, "", `start it with "apiVersion: nhigate.dev/v1" and "kind: ProvisioningWorkflow"`, "document is not a ProvisioningWorkflow: it has no apiVersion or kind")
		return nil, d.errs
	}
	w := &Workflow{}
	d.decode(root, reflect.ValueOf(w).Elem(), "", 0)
	w.Source = Source{File: file, Doc: index, Positions: d.positions, Raw: m}
	if d.exhausted {
		return nil, d.errs
	}
	// Validate even after decoding errors, so that one run reports every
	// wrong value. After such errors, a "missing" field is most often the
	// same mistake again (a misspelt key, a value that did not decode), so
	// only values actually written are judged.
	errs := d.errs
	for _, e := range Validate(w) {
		_, written := d.positions[e.Path]
		if len(d.errs) == 0 || written && !coveredBy(e.Path, d.errs) {
			errs = append(errs, e)
		}
	}
	errs = append(errs, checkLimits(w, lim, w.Source.Position)...)
	if len(errs) > 0 {
		return nil, errs
	}
	return w, nil
}

// claimsNhigate reports whether a document says it is an nhigate document:
// its apiVersion starts with "nhigate.dev/" or its kind is
// ProvisioningWorkflow, compared loosely (claimKV), so that a near miss is
// an error rather than another tool's document. It reads only the root's
// own keys. A merge key could
// bring in the claim, so it counts as one and the decoder then rejects it.
func claimsNhigate(root *yaml.Node) bool {
	root = unalias(root)
	if root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], unalias(root.Content[i+1])
		if k.Tag == "!!merge" {
			return true
		}
		if v.Kind != yaml.ScalarNode {
			continue
		}
		if claimKV(k.Value, v.Value) {
			return true
		}
	}
	return false
}

func unalias(n *yaml.Node) *yaml.Node {
	// An anchor cannot sit on an alias, so one step always reaches a value.
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// coveredBy reports whether an error was already reported at path or
// around it.
func coveredBy(path string, errs Errors) bool {
	for _, e := range errs {
		if e.Path == path || strings.HasPrefix(path, e.Path+".") || strings.HasPrefix(path, e.Path+"[") {
			return true
		}
	}
	return false
}

// parseYAML splits data into documents without resolving aliases: expansion
// is the decoder's job, under its budget.
func parseYAML(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		// The YAML library has panicked on hostile input before; a panic here
		// must become a rejected file, not a crashed gate.
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, err
		}
		docs = append(docs, &n)
	}
}

// empty reports whether a document holds nothing. The YAML library gives a
// document with nothing after "---" a null value rather than no content.
func empty(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return len(doc.Content) == 1 && n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" && n.Style == 0
}

func countNodes(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

// syntaxError turns a parser error into an Error with a position when the
// parser gave one ("yaml: line 3: ...").
func syntaxError(file string, data []byte, err error) *Error {
	var je *jsonError
	if errors.As(err, &je) {
		return &Error{File: file, Line: je.line, Col: je.col, Msg: je.msg, Hint: "fix the JSON syntax"}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		if yamlParserProblem(msg) {
			line++
		}
		// The end of the stream sits on a line of its own when the last
		// line has no newline; point at the last line instead.
		line = min(line, bytes.Count(data, []byte("\n"))+1)
		return &Error{File: file, Line: line, Col: 1, Msg: "invalid YAML: " + msg, Hint: "fix the YAML syntax"}
	}
	return &Error{File: file, Msg: "invalid YAML: " + msg, Hint: "fix the YAML syntax"}
}

// yamlParserProblem reports whether msg comes from the YAML library's parser,
// as opposed to its scanner. The parser reports its line 0-based, so that
// "did not find expected key" pointed at the line above the mistake.
func yamlParserProblem(msg string) bool {
	switch msg {
	case "did not find expected <stream-start>",
		"did not find expected <document start>",
		"did not find expected node content",
		"did not find expected '-' indicator",
		"did not find expected key",
		"did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"found undefined tag handle",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found duplicate %TAG directive":
		return true
	}
	return false
}

// hiddenBreak rejects the characters that the YAML library, like other YAML
// 1.1 parsers, reads as line breaks but that editors, diffs and YAML 1.2 do
// not: a carriage return without a line feed, NEL, LS and PS. After one,
// what a reviewer sees as the rest of a comment is a field to the parser
// ("ttl: 1h # was 720h<LS>rotation: 8760h"), and every later position is
// off by a line. data must be valid UTF-8.
func hiddenBreak(file string, data []byte) *Error {
	for i := 0; i < len(data); i++ {
		var name string
		switch {
		case data[i] == '\r' && (i+1 == len(data) || data[i+1] != '\n'):
			name = "a carriage return without a line feed"
		case data[i] == 0xc2 && i+1 < len(data) && data[i+1] == 0x85:
			name = "a U+0085 next line character"
		case data[i] == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && data[i+2] == 0xa8:
			name = "a U+2028 line separator"
		case data[i] == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && data[i+2] == 0xa9:
			name = "a U+2029 paragraph separator"
		default:
			continue
		}
		before := data[:i]
		line := bytes.Count(before, []byte("\n")) + 1
		col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
		return &Error{File: file, Line: line, Col: col,
			Msg:  "file holds " + name + ", which YAML reads as a line break but editors and diffs may not",
			Hint: "use LF or CRLF line endings; inside a double-quoted string, write the character as an escape such as \"\\u2028\""}
	}
	return nil
}

func invalidUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col
}

func pathExt(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 && !strings.Contains(p[i:], "/") {
		return p[i:]
	}
	return ""
}
