package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The IAM policy grammar, as AWS documents it ("IAM JSON policy element
// reference" and "Grammar of the IAM JSON policy language"), decoded
// strictly: element names exactly as spelled there, no unknown element,
// no element twice, and each value of the type the grammar gives it.
// encoding/json alone would match names in any case and keep the last of
// two equal keys, so a document could read one way here and another to
// IAM.

// policyVersion is the only policy language version nhigate reads and
// writes: the older 2008-10-17 has no policy variables and reads some
// documents differently.
const policyVersion = "2012-10-17"

// maxDepth bounds the nesting of any JSON document read here; the deepest
// legitimate one, an authorization listing, nests below ten.
const maxDepth = 32

// policyDoc is one policy document.
type policyDoc struct {
	Version    string
	ID         string
	Statements []statement
}

// statement is one element of Statement.
type statement struct {
	Sid    string
	Effect string
	// Principal and NotPrincipal are set only in resource-based and trust
	// policies.
	Principal, NotPrincipal *principal
	Action, NotAction       *stringList
	Resource, NotResource   *stringList
	// Condition maps an operator to keys to values; nil when absent.
	Condition map[string]map[string]condValues
}

// stringList is a string or a list of strings; both mean the list.
type stringList struct {
	Values []string
}

// principal is "*" or a map of principal types to their identifiers.
type principal struct {
	Any bool // "*"
	IDs map[string]stringList
}

// condValues is a condition's value: one string, boolean or number, or a
// list of them. Single tells the two apart, since a spec condition keeps
// the shape it was written in.
type condValues struct {
	Values []any // string, bool or json.Number
	Single bool
}

var principalTypes = []string{"AWS", "Service", "Federated", "CanonicalUser"}

// operatorRE is the grammar of a condition operator: a base operator,
// optionally after a set qualifier and before IfExists. Null takes
// neither.
var operatorRE = regexp.MustCompile(`^(ForAllValues:|ForAnyValue:)?(StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|StringLike|StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|DateEquals|DateNotEquals|DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|Bool|BinaryEquals|IpAddress|NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike)(IfExists)?$|^Null$`)

// parseJSON decodes data as one JSON value, refusing a key set twice in an
// object, nesting deeper than maxDepth, and anything after the value.
// Objects become map[string]any, arrays []any, numbers json.Number.
func parseJSON(data []byte) (any, error) {
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD, so that
	// a value read here would differ from the bytes IAM was given.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, data, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: there is more after the JSON value", where(data, dec.InputOffset()))
	}
	return v, nil
}

func parseValue(dec *json.Decoder, data []byte, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: nested deeper than %d levels", where(data, dec.InputOffset()), maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%s: %w", where(data, dec.InputOffset()), err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("%s: %w", where(data, dec.InputOffset()), err)
				}
				k := kt.(string) // the decoder allows only strings as keys
				if _, dup := m[k]; dup {
					// Point at the key: it ends where the decoder is.
					off := dec.InputOffset() - int64(len(k)) - 2
					return nil, fmt.Errorf("%s: %q is set twice in one object; IAM and this reader could keep different ones", where(data, off), k)
				}
				v, err := parseValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("%s: %w", where(data, dec.InputOffset()), err)
			}
			return m, nil
		case '[':
			s := []any{}
			for dec.More() {
				v, err := parseValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				s = append(s, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("%s: %w", where(data, dec.InputOffset()), err)
			}
			return s, nil
		}
		return nil, fmt.Errorf("%s: unexpected %v", where(data, dec.InputOffset()), t)
	default:
		return tok, nil // string, json.Number, bool or nil
	}
}

// where is a byte offset of data as "line L col C", 1-based.
func where(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d col %d", line, col)
}

// elementError is a grammar error at a path of the document.
func elementError(path, format string, args ...any) error {
	return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
}

func describeJSON(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// checkKeys refuses a key of m that is not one of known, spelled exactly.
func checkKeys(path string, m map[string]any, known []string) error {
	for _, k := range slices.Sorted(mapKeys(m)) {
		if slices.Contains(known, k) {
			continue
		}
		for _, want := range known {
			if strings.EqualFold(k, want) {
				return elementError(path, "%q must be written %q", k, want)
			}
		}
		return elementError(path, "unknown element %q; the grammar allows %s", k, strings.Join(known, ", "))
	}
	return nil
}

// parsePolicy reads a decoded JSON value as a policy document.
func parsePolicy(v any) (*policyDoc, error) { return parsePolicyVersions(v, policyVersion) }

// parseTrustPolicy reads a role's trust policy, which import reads only
// for a cap on the session: there the older language version, which many
// long-lived roles still carry, reads the same.
func parseTrustPolicy(v any) (*policyDoc, error) {
	return parsePolicyVersions(v, policyVersion, "2008-10-17")
}

func parsePolicyVersions(v any, versions ...string) (*policyDoc, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, elementError("policy", "is %s, not an object", describeJSON(v))
	}
	if err := checkKeys("policy", m, []string{"Version", "Id", "Statement"}); err != nil {
		return nil, err
	}
	p := &policyDoc{}
	var err error
	if p.Version, err = optString("Version", m["Version"]); err != nil {
		return nil, err
	}
	if !slices.Contains(versions, p.Version) {
		return nil, elementError("Version", "is %q; write \"Version\": %q (the older language reads policy variables as text)", p.Version, policyVersion)
	}
	if p.ID, err = optString("Id", m["Id"]); err != nil {
		return nil, err
	}
	var raw []any
	switch s := m["Statement"].(type) {
	case nil:
		return nil, elementError("Statement", "is required")
	case map[string]any:
		raw = []any{s}
	case []any:
		raw = s
	default:
		return nil, elementError("Statement", "is %s; write an object or a list of objects", describeJSON(s))
	}
	if len(raw) == 0 {
		return nil, elementError("Statement", "is empty")
	}
	if len(raw) > maxStatements {
		return nil, elementError("Statement", "has %d statements, over the limit of %d", len(raw), maxStatements)
	}
	for i, r := range raw {
		st, err := parseStatement(fmt.Sprintf("Statement[%d]", i), r)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

var statementKeys = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

var sidRE = regexp.MustCompile(`^[A-Za-z0-9]*$`)

func parseStatement(path string, v any) (statement, error) {
	var st statement
	m, ok := v.(map[string]any)
	if !ok {
		return st, elementError(path, "is %s, not an object", describeJSON(v))
	}
	if err := checkKeys(path, m, statementKeys); err != nil {
		return st, err
	}
	var err error
	if st.Sid, err = optString(path+".Sid", m["Sid"]); err != nil {
		return st, err
	}
	if !sidRE.MatchString(st.Sid) {
		return st, elementError(path+".Sid", "%q may hold only letters and digits", st.Sid)
	}
	if st.Effect, err = optString(path+".Effect", m["Effect"]); err != nil {
		return st, err
	}
	if st.Effect != "Allow" && st.Effect != "Deny" {
		return st, elementError(path+".Effect", "is %q; write \"Allow\" or \"Deny\"", st.Effect)
	}
	for _, f := range []struct {
		name string
		dst  **principal
	}{{"Principal", &st.Principal}, {"NotPrincipal", &st.NotPrincipal}} {
		if raw, ok := m[f.name]; ok {
			if *f.dst, err = parsePrincipal(path+"."+f.name, raw); err != nil {
				return st, err
			}
		}
	}
	for _, f := range []struct {
		name string
		dst  **stringList
	}{{"Action", &st.Action}, {"NotAction", &st.NotAction}, {"Resource", &st.Resource}, {"NotResource", &st.NotResource}} {
		if raw, ok := m[f.name]; ok {
			l, err := parseStringList(path+"."+f.name, raw)
			if err != nil {
				return st, err
			}
			*f.dst = &l
		}
	}
	switch {
	case st.Action == nil && st.NotAction == nil:
		return st, elementError(path, "has neither Action nor NotAction")
	case st.Action != nil && st.NotAction != nil:
		return st, elementError(path, "has both Action and NotAction")
	case st.Resource != nil && st.NotResource != nil:
		return st, elementError(path, "has both Resource and NotResource")
	case st.Principal != nil && st.NotPrincipal != nil:
		return st, elementError(path, "has both Principal and NotPrincipal")
	}
	if raw, ok := m["Condition"]; ok {
		if st.Condition, err = parseCondition(path+".Condition", raw); err != nil {
			return st, err
		}
	}
	return st, nil
}

func optString(path string, v any) (string, error) {
	switch s := v.(type) {
	case nil:
		return "", nil
	case string:
		return s, nil
	}
	return "", elementError(path, "is %s, not a string", describeJSON(v))
}

func parseStringList(path string, v any) (stringList, error) {
	switch s := v.(type) {
	case string:
		return stringList{Values: []string{s}}, nil
	case []any:
		if len(s) == 0 {
			return stringList{}, elementError(path, "is an empty list")
		}
		l := stringList{Values: make([]string, len(s))}
		for i, e := range s {
			str, ok := e.(string)
			if !ok {
				return stringList{}, elementError(fmt.Sprintf("%s[%d]", path, i), "is %s, not a string", describeJSON(e))
			}
			l.Values[i] = str
		}
		return l, nil
	}
	return stringList{}, elementError(path, "is %s; write a string or a list of strings", describeJSON(v))
}

func parsePrincipal(path string, v any) (*principal, error) {
	switch p := v.(type) {
	case string:
		if p != "*" {
			return nil, elementError(path, "is %q; write \"*\" or an object such as {\"AWS\": \"arn:aws:iam::123456789012:root\"}", p)
		}
		return &principal{Any: true}, nil
	case map[string]any:
		if err := checkKeys(path, p, principalTypes); err != nil {
			return nil, err
		}
		out := &principal{IDs: map[string]stringList{}}
		for k, raw := range p {
			l, err := parseStringList(path+"."+k, raw)
			if err != nil {
				return nil, err
			}
			out.IDs[k] = l
		}
		if len(out.IDs) == 0 {
			return nil, elementError(path, "is an empty object")
		}
		return out, nil
	}
	return nil, elementError(path, "is %s; write \"*\" or an object", describeJSON(v))
}

func parseCondition(path string, v any) (map[string]map[string]condValues, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, elementError(path, "is %s, not an object", describeJSON(v))
	}
	out := map[string]map[string]condValues{}
	for _, op := range slices.Sorted(mapKeys(m)) {
		if !operatorRE.MatchString(op) {
			return nil, elementError(path, "%q is not a condition operator", op)
		}
		keys, ok := m[op].(map[string]any)
		if !ok || len(keys) == 0 {
			return nil, elementError(path+"."+op, "is %s; write an object of condition keys to values", describeJSON(m[op]))
		}
		out[op] = map[string]condValues{}
		for _, k := range slices.Sorted(mapKeys(keys)) {
			p := path + "." + op + "." + k
			var cv condValues
			switch val := keys[k].(type) {
			case string, bool, json.Number:
				cv = condValues{Values: []any{val}, Single: true}
			case []any:
				if len(val) == 0 {
					return nil, elementError(p, "is an empty list")
				}
				for i, e := range val {
					switch e.(type) {
					case string, bool, json.Number:
					default:
						return nil, elementError(fmt.Sprintf("%s[%d]", p, i), "is %s; write a string, boolean or number", describeJSON(e))
					}
				}
				cv = condValues{Values: val}
			default:
				return nil, elementError(p, "is %s; write a string, boolean or number, or a list of them", describeJSON(val))
			}
			out[op][k] = cv
		}
	}
	return out, nil
}
