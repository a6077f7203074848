package aws

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// A spec condition is one condition key and the value the request must
// have: a string, boolean or number, or a list of them meaning any one.
// The operator follows from the key's type in the service authorization
// reference; each is the one IAM operator that tests equality for that
// type without wildcards or case folding:
//
//	String, ARN  StringEquals   "aws:RequestedRegion": "eu-west-1"
//	Bool         Bool           "aws:SecureTransport": true
//	Numeric      NumericEquals  "s3:max-keys": 100
//	IPAddress    IpAddress      "aws:SourceIp": "10.0.0.0/8"
//
// Everything else has no faithful rendering and is refused: Date keys
// (expiry comes from spec.expiresAt), multivalued keys (ArrayOf..., where
// a spec value cannot say whether any or all of the request's values must
// match), keys the reference does not list, and values with a policy
// variable (${...}), which IAM would fill in from the request.

// operatorOf is the operator a key of type typ renders with, "" for none.
func operatorOf(typ string) string {
	switch typ {
	case "String", "ARN":
		return "StringEquals"
	case "Bool":
		return "Bool"
	case "Numeric":
		return "NumericEquals"
	case "IPAddress":
		return "IpAddress"
	}
	return ""
}

const (
	expiryKey      = "aws:CurrentTime"
	expiryOperator = "DateLessThan"
)

// renderCondition turns spec condition key = val into an operator and the
// value IAM reads, or says why it cannot.
func renderCondition(v *vocabulary, key string, val any) (op string, out any, problem string) {
	if strings.Contains(key, "${") {
		return "", nil, fmt.Sprintf("%q holds a policy variable; write the condition key out", key)
	}
	k, spelled, ok := v.lookupKey(key)
	if !ok {
		msg := fmt.Sprintf("%q is not a condition key of the AWS service authorization reference (%s)", key, v.Source)
		if near := v.nearestKey(key); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		}
		return "", nil, msg
	}
	if spelled != key {
		return "", nil, fmt.Sprintf("write %q, as AWS spells it: IAM reads condition keys in any case, but nhigate's diff compares them as written", spelled)
	}
	if strings.EqualFold(k.Name, expiryKey) {
		return "", nil, "expiry is rendered from spec.expiresAt on every statement; remove this condition and set spec.expiresAt"
	}
	op = operatorOf(k.Type)
	if op == "" {
		return "", nil, unsupportedType(k)
	}
	vals, single := []any{val}, true
	if l, ok := val.([]any); ok {
		if len(l) == 0 {
			return "", nil, "is an empty list; write a value, or a list of the values any one of which the request may have"
		}
		vals, single = l, false
	}
	if op == "Bool" && !single {
		return "", nil, fmt.Sprintf("%s is a Bool key; write true or false, not a list", key)
	}
	strs := make([]string, len(vals))
	for i, e := range vals {
		s, problem := renderValue(k, op, e)
		if problem != "" {
			return "", nil, problem
		}
		strs[i] = s
	}
	if single {
		return op, strs[0], ""
	}
	return op, strs, ""
}

func unsupportedType(k conditionKey) string {
	switch {
	case k.Type == "Date":
		return fmt.Sprintf("%s is a Date key, which nhigate cannot compare as an exact value; expiry comes from spec.expiresAt", k.Name)
	case strings.HasPrefix(k.Type, "ArrayOf"):
		return fmt.Sprintf("%s is multivalued (%s): a spec condition cannot say whether any or all of the request's values must match; enforce it outside the spec", k.Name, k.Type)
	}
	return fmt.Sprintf("%s has type %s, which has no equality operator here", k.Name, k.Type)
}

func renderValue(k conditionKey, op string, e any) (string, string) {
	switch op {
	case "StringEquals", "IpAddress":
		s, ok := e.(string)
		if !ok {
			return "", fmt.Sprintf("%s is a %s key; write a string, not %v", k.Name, k.Type, e)
		}
		if strings.Contains(s, "${") {
			return "", fmt.Sprintf("%q holds a policy variable, which IAM fills in from the request; write the value out", s)
		}
		if op == "IpAddress" && !validIP(s) {
			return "", fmt.Sprintf("%q is not an IP address or CIDR block, e.g. \"10.0.0.0/8\"", s)
		}
		return s, ""
	case "Bool":
		b, ok := e.(bool)
		if !ok {
			return "", fmt.Sprintf("%s is a Bool key; write true or false, not %v", k.Name, e)
		}
		return strconv.FormatBool(b), ""
	case "NumericEquals":
		f, ok := e.(float64)
		if !ok {
			return "", fmt.Sprintf("%s is a Numeric key; write a number, not %v", k.Name, e)
		}
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !decimalRE.MatchString(s) {
			return "", fmt.Sprintf("%v: write a decimal number with at most 15 digits before and after the point", e)
		}
		return s, ""
	}
	return "", fmt.Sprintf("no rendering for operator %s", op)
}

func validIP(s string) bool {
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// importCondition turns operator op on key with values cv back into a
// spec condition: the key as AWS spells it, and its value as render
// would have written it in the spec. problem says why it cannot.
func importCondition(v *vocabulary, op, key string, cv condValues) (string, any, string) {
	if strings.Contains(key, "${") {
		return "", nil, fmt.Sprintf("%s %q holds a policy variable in the key, which a spec cannot hold", op, key)
	}
	k, spelled, ok := v.lookupKey(key)
	if !ok {
		return "", nil, fmt.Sprintf("%s %q is not a condition key of the AWS service authorization reference (%s)", op, key, v.Source)
	}
	want := operatorOf(k.Type)
	if want == "" {
		return "", nil, fmt.Sprintf("%s on %s: %s", op, key, unsupportedType(k))
	}
	if op != want {
		return "", nil, fmt.Sprintf("%s on %s cannot be carried: a spec condition is an exact value, which for a %s key is %s", op, key, k.Type, want)
	}
	if op == "Bool" && !cv.Single && len(cv.Values) != 1 {
		return "", nil, fmt.Sprintf("Bool on %s lists several values; a spec condition holds one", key)
	}
	out := make([]any, len(cv.Values))
	for i, e := range cv.Values {
		val, problem := importValue(k, op, e)
		if problem != "" {
			return "", nil, fmt.Sprintf("%s on %s: %s", op, key, problem)
		}
		out[i] = val
	}
	if cv.Single || op == "Bool" {
		return spelled, out[0], ""
	}
	return spelled, out, ""
}

func importValue(k conditionKey, op string, e any) (any, string) {
	switch op {
	case "StringEquals", "IpAddress":
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Sprintf("%v is not a string", e)
		}
		if strings.Contains(s, "${") {
			return nil, fmt.Sprintf("%q holds a policy variable, which IAM fills in from the request; a spec holds exact values", s)
		}
		if op == "IpAddress" && !validIP(s) {
			return nil, fmt.Sprintf("%q is not an IP address or CIDR block", s)
		}
		return s, ""
	case "Bool":
		switch b := e.(type) {
		case bool:
			return b, ""
		case string:
			if p, err := strconv.ParseBool(b); err == nil && (b == "true" || b == "false") {
				return p, ""
			}
		}
		return nil, fmt.Sprintf("%v is not true or false", e)
	case "NumericEquals":
		var text string
		switch n := e.(type) {
		case json.Number:
			text = n.String()
		case string:
			text = n
		default:
			return nil, fmt.Sprintf("%v is not a number", e)
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || !decimalRE.MatchString(text) {
			return nil, fmt.Sprintf("%q is not a decimal number", text)
		}
		return f, ""
	}
	return nil, fmt.Sprintf("no import for operator %s", op)
}

var decimalRE = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,15})?$`)
