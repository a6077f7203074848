package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// jsonError is a JSON syntax problem at a position.
type jsonError struct {
	line, col int
	msg       string
}

func (e *jsonError) Error() string { return fmt.Sprintf("%d:%d: %s", e.line, e.col, e.msg) }

// parseJSON reads one JSON value into the same node tree that YAML produces,
// with positions, so that one decoder serves both formats. encoding/json's
// token stream gives offsets; YAML's parser would reject tab indentation,
// which is ordinary in JSON.
func parseJSON(data []byte, maxDepth int) (*yaml.Node, error) {
	p := &jsonParser{data: data, dec: json.NewDecoder(bytes.NewReader(data)), maxDepth: maxDepth}
	p.dec.UseNumber()
	n, err := p.node(0)
	if err != nil {
		return nil, err
	}
	end := p.start() // where the extra data begins, not where its first token ends
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, p.errAt(end, "unexpected data after the JSON value")
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: n.Line, Column: n.Column, Content: []*yaml.Node{n}}, nil
}

type jsonParser struct {
	data     []byte
	dec      *json.Decoder
	maxDepth int

	// pos scans forward from where it last stopped, so that finding the
	// position of every token costs one pass over the file, not one pass per
	// token (which made a 1 MiB one-line array take a minute).
	scanned   int64
	line, col int
}

// start returns the offset where the next token begins: between tokens there
// is only white space and the separators ',' and ':'.
func (p *jsonParser) start() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jsonParser) errAt(off int64, msg string) *jsonError {
	line, col := p.pos(off)
	return &jsonError{line: line, col: col, msg: msg}
}

// pos returns the 1-based line and column of off. Columns count characters,
// as the YAML parser's do.
func (p *jsonParser) pos(off int64) (line, col int) {
	off = min(off, int64(len(p.data)))
	if off < p.scanned || p.line == 0 {
		p.scanned, p.line, p.col = 0, 1, 1
	}
	for _, b := range p.data[p.scanned:off] {
		switch {
		case b == '\n':
			p.line, p.col = p.line+1, 1
		case !utf8.RuneStart(b):
			// a continuation byte of the character already counted
		default:
			p.col++
		}
	}
	p.scanned = off
	return p.line, p.col
}

func (p *jsonParser) node(depth int) (*yaml.Node, error) {
	off := p.start()
	if depth > p.maxDepth {
		return nil, p.errAt(off, fmt.Sprintf("nesting deeper than %d levels", p.maxDepth))
	}
	tok, err := p.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, p.errAt(off, "unexpected end of JSON")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, p.errAt(se.Offset, se.Error())
		}
		return nil, p.errAt(off, err.Error())
	}
	line, col := p.pos(off)
	n := &yaml.Node{Line: line, Column: col}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
			for p.dec.More() {
				k, err := p.node(depth + 1)
				if err != nil {
					return nil, err
				}
				v, err := p.node(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, k, v)
			}
		case '[':
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			for p.dec.More() {
				v, err := p.node(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
		default:
			return nil, p.errAt(off, fmt.Sprintf("unexpected %q", t))
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.errAt(p.start(), "unterminated JSON value")
		}
	case string:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", t
	case json.Number:
		n.Kind, n.Value = yaml.ScalarNode, t.String()
		n.Tag = "!!float"
		if _, err := strconv.ParseInt(t.String(), 10, 64); err == nil {
			n.Tag = "!!int"
		}
	case bool:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!bool", strconv.FormatBool(t)
	case nil:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
	}
	return n, nil
}
