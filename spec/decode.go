package spec

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder turns a YAML node tree into Go values strictly: unknown fields,
// wrong types and duplicate keys are errors at the node's position. It keeps
// its own budget so that aliases can never expand into more work than the
// document is worth.
type decoder struct {
	file      string
	positions map[string]Pos
	errs      Errors
	budget    int // node visits left, alias expansions included
	maxDepth  int
	exhausted bool
}

func (d *decoder) errorf(n *yaml.Node, path, hint, format string, args ...any) {
	d.errs = append(d.errs, &Error{
		File: d.file, Line: n.Line, Col: n.Column, Path: path,
		Msg: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// enter accounts for one node visit and resolves aliases. It returns nil when
// the node must not be decoded any further.
func (d *decoder) enter(n *yaml.Node, path string, depth int) *yaml.Node {
	if d.exhausted {
		return nil
	}
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(n, path, "", "alias refers to no anchor")
			return nil
		}
		n = n.Alias
	}
	d.budget--
	if d.budget < 0 {
		d.exhausted = true
		d.errorf(n, path, "write the values out instead of repeating anchors", "document expands to too many values (YAML alias bomb?)")
		return nil
	}
	if depth > d.maxDepth {
		d.exhausted = true
		d.errorf(n, path, "flatten the structure", "nesting deeper than %d levels", d.maxDepth)
		return nil
	}
	return n
}

type scalarDecoder interface {
	decodeScalar(text string) error
}

var scalarDecoderType = reflect.TypeFor[scalarDecoder]()

// decode stores n into v, which must be settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, depth int) {
	n = d.enter(n, path, depth)
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an explicit null reads as absent
	}
	if v.CanAddr() && v.Addr().Type().Implements(scalarDecoderType) {
		if !d.expectScalar(n, path, "!!str", "a string") {
			return
		}
		if err := v.Addr().Interface().(scalarDecoder).decodeScalar(n.Value); err != nil {
			var hint string
			if h, ok := err.(hinted); ok {
				hint = h.hint
			}
			d.errorf(n, path, hint, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		if d.expectScalar(n, path, "!!str", "a string") {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if d.expectScalar(n, path, "!!bool", "true or false") {
			b, ok := parseBool(n.Value)
			if !ok {
				d.errorf(n, path, "write true or false", "%q is not a boolean", n.Value)
				return
			}
			v.SetBool(b)
		}
	case reflect.Int:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!float" {
			// JSON Schema counts 2.0 as an integer, and the schema must
			// accept what the loader accepts.
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f == math.Trunc(f) {
				if f < math.MinInt32 || f > math.MaxInt32 {
					d.errorf(n, path, "", "%q is out of range", n.Value)
					return
				}
				v.SetInt(int64(f))
				return
			}
		}
		if d.expectScalar(n, path, "!!int", "a whole number") {
			i, err := strconv.ParseInt(n.Value, 0, 32)
			if err != nil {
				d.errorf(n, path, "", "%q is out of range", n.Value)
				return
			}
			v.SetInt(i)
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path, depth)
		v.Set(p)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "write a list, e.g. [\"a\", \"b\"] or one \"- item\" per line", "must be a list, not %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.positions[p] = Pos{c.Line, c.Column}
			d.decode(c, s.Index(i), p, depth+1)
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "write a mapping of keys to values, or {}", "must be a mapping, not %s", describe(n))
			return
		}
		if v.Type().Elem().Kind() == reflect.Interface { // free-form, such as conditions
			if val, ok := d.value(n, path, depth); ok {
				v.Set(reflect.ValueOf(val))
			}
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				d.errorf(k, path, "", "keys must be plain strings")
				continue
			}
			p := join(path, k.Value)
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				d.errorf(k, p, "remove one of them", "%q is set twice", k.Value)
				continue
			}
			d.positions[p] = Pos{k.Line, k.Column}
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(n.Content[i+1], e, p, depth+1)
			m.SetMapIndex(reflect.ValueOf(k.Value), e)
		}
		v.Set(m)
	case reflect.Struct:
		d.decodeStruct(n, v, path, depth)
	default:
		panic(fmt.Sprintf("spec: cannot decode into %s", v.Type()))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "write the fields as \"key: value\" lines below it", "must be a mapping, not %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "", "keys must be plain strings")
			continue
		}
		p := join(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, p, "remove one of them", "%q is set twice", k.Value)
			continue
		}
		seen[k.Value] = true
		idx, ok := fields[k.Value]
		if !ok {
			d.errorf(k, p, suggest(k.Value, fields), "unknown field %q in %s", k.Value, nameOf(path))
			continue
		}
		d.positions[p] = Pos{k.Line, k.Column}
		d.decode(val, v.Field(idx), p, depth+1)
	}
}

// value converts n into plain JSON-compatible values, the shape that
// conftest and OPA see.
func (d *decoder) value(n *yaml.Node, path string, depth int) (any, bool) {
	n = d.enter(n, path, depth)
	if n == nil {
		return nil, false
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, true
		}
		return d.value(n.Content[0], path, depth)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				d.errorf(k, path, "", "keys must be plain strings")
				return nil, false
			}
			if k.Tag == "!!merge" {
				d.errorf(k, path, "write the fields out", "merge keys (<<) are not supported")
				return nil, false
			}
			p := join(path, k.Value)
			if _, dup := m[k.Value]; dup {
				d.errorf(k, p, "remove one of them", "%q is set twice", k.Value)
				return nil, false
			}
			c, cok := d.value(n.Content[i+1], p, depth+1)
			ok = ok && cok
			m[k.Value] = c
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		ok := true
		for i, c := range n.Content {
			var cok bool
			s[i], cok = d.value(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
			ok = ok && cok
		}
		return s, ok
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, true
		case "!!bool":
			if b, ok := parseBool(n.Value); ok {
				return b, true
			}
		case "!!int":
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return float64(i), true
			}
		case "!!float":
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f, true
			}
		case "!!str", "!!timestamp":
			return n.Value, true
		}
		d.errorf(n, path, "quote the value to make it a string", "unsupported value %q (%s)", n.Value, strings.TrimPrefix(n.Tag, "!!"))
		return nil, false
	}
	d.errorf(n, path, "", "unsupported YAML node")
	return nil, false
}

func (d *decoder) expectScalar(n *yaml.Node, path, tag, want string) bool {
	if n.Kind == yaml.ScalarNode && (n.Tag == tag || tag == "!!str" && n.Tag == "!!timestamp") {
		// An unquoted date is a string to conftest too.
		return true
	}
	hint := ""
	if n.Kind == yaml.ScalarNode && tag == "!!str" {
		hint = fmt.Sprintf("quote it: %q", n.Value)
	}
	d.errorf(n, path, hint, "must be %s, not %s", want, describe(n))
	return false
}

// parseBool reads the booleans of YAML 1.2's core schema. The YAML library
// also tags "True" and "TRUE" as booleans, and an explicit "!!bool" tag can
// sit on any text, so comparing with "true" alone read "True" as false.
func parseBool(s string) (b, ok bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int", "!!float":
			return fmt.Sprintf("the number %s", n.Value)
		case "!!bool":
			return fmt.Sprintf("the boolean %s", n.Value)
		case "!!null":
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "this value"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func nameOf(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

// fieldsOf maps yaml tag names to struct field indexes.
func fieldsOf(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		if tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	return m
}

// suggest names the closest known field, or lists them all.
func suggest(got string, fields map[string]int) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	if best := Nearest(got, names); best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known fields: " + strings.Join(names, ", ")
}

// Nearest returns the word of known closest to got, ignoring case, if it
// is at most two edits away, for "did you mean" hints; "" otherwise. Ties
// go to the earlier word.
func Nearest(got string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := levenshtein(strings.ToLower(got), strings.ToLower(k)); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// hinted is an error that knows what the user should write instead.
type hinted struct {
	msg, hint string
}

func (h hinted) Error() string { return h.msg }

// DurationPattern accepts whole-number Go durations without a zero lead, so
// that the JSON Schema can express exactly the same rule. At most four parts
// of at most five digits each (up to 399996h, about 45 years) keep every
// match within time.Duration: with unbounded digits, "9999999h" matched the
// pattern but overflowed, so the schema accepted what the loader rejected.
const DurationPattern = `^[1-9][0-9]{0,4}(ms|s|m|h)([0-9]{1,5}(ms|s|m|h)){0,3}$`

// TimePattern is the shape of an RFC 3339 date-time with upper-case "T" and
// "Z". time.Parse alone also accepts a decimal comma, an offset of "+24:00"
// or "+00:60", and JSON Schema's "date-time" format in some validators a bare
// date; the pattern, shared with the JSON Schema, rules those out on both
// sides.
const TimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`

var (
	durationRE = regexp.MustCompile(DurationPattern)
	timeRE     = regexp.MustCompile(TimePattern)
)

func (du *Duration) decodeScalar(text string) error {
	if !durationRE.MatchString(text) {
		return hinted{fmt.Sprintf("%q is not a duration", text), `write a positive Go duration such as "30m", "1h" or "720h", at most five digits a unit (there is no "d" unit: 30 days is "720h")`}
	}
	v, err := time.ParseDuration(text)
	if err != nil {
		return hinted{fmt.Sprintf("%q is not a duration", text), `write a duration such as "30m", "1h" or "720h"`}
	}
	*du = Duration{Duration: v, Text: text}
	return nil
}

func (t *Time) decodeScalar(text string) error {
	v, err := time.Parse(time.RFC3339, text)
	if err != nil || !timeRE.MatchString(text) {
		return hinted{fmt.Sprintf("%q is not an RFC 3339 time", text), `write a time such as "2026-11-26T00:00:00Z"`}
	}
	*t = Time{Time: v, Text: text}
	return nil
}
