// Package catalog decides whether an action or resource pattern is broad: it
// covers everything, a sensitive action, every action of a service, or every
// resource of a type or account. It judges by what the pattern covers,
// matched against a catalog of sensitive actions and resource types per
// platform (catalog.json beside this file, generated from the AWS service
// authorization reference and reviewed lists by scripts/gen-catalog), never
// by the text before the first wildcard.
//
// The Rego policies read the same file as data.nhigate.catalog: this
// directory sits where `conftest -d policies/data` loads it
// (policies/nhigate/lib/broad.rego), and the engine loads the embedded copy.
// A test in package policies holds the two judgements to the same verdicts.
package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

//go:embed catalog.json
var raw []byte

// JSON returns the catalog file as embedded.
func JSON() []byte { return slices.Clone(raw) }

// Data is the catalog file.
type Data struct {
	// Generator says how the file was made; Sources, per platform, where
	// its lists come from (package versions included).
	Generator string            `json:"generator"`
	Sources   map[string]string `json:"sources"`
	// Reasons names each reason code of Platform.Actions.
	Reasons map[string]string `json:"reasons"`
	// Order is the order in which a pattern of an unknown or generic
	// platform is judged against every platform.
	Order []string `json:"order"`
	// Example is what to write instead, for a platform the catalog lacks.
	Example   Example              `json:"example"`
	Platforms map[string]*Platform `json:"platforms"`
}

// Example is a narrow action and resource, shown in messages as what to
// write instead.
type Example struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
}

// Platform is the catalog of one platform.
type Platform struct {
	// Fold makes actions compare case-insensitively (AWS, Azure).
	Fold bool `json:"fold"`
	// Sep separates an action's service from the rest ("s3:GetObject");
	// empty when actions have no service (Kubernetes verbs).
	Sep string `json:"sep"`
	// Services makes a pattern that covers every action of a service
	// broad.
	Services bool `json:"services"`
	// FieldSep separates the fields of a resource: ":" in an ARN, "/" in
	// a path.
	FieldSep string `json:"fieldSep"`
	// ARN enables the checks of ARN fields: a wildcard that may span
	// fields, or that names no service or account.
	ARN bool `json:"arn"`
	// LiteralTypes says that a resource without wildcards can still name
	// every resource of a type, as "payments/secrets" does in Kubernetes.
	LiteralTypes bool `json:"literalTypes"`
	// SegmentWildcard is a platform's own wildcard, judged like "*"
	// (Vault's "+").
	SegmentWildcard string `json:"segmentWildcard,omitempty"`
	// TrimLeft holds the characters that the platform drops from the
	// start of a resource before it uses it (Vault's leading "/"); the
	// judgement drops them too.
	TrimLeft string `json:"trimLeft,omitempty"`
	// FoldResources makes resources compare case-insensitively (Azure
	// resource IDs).
	FoldResources bool `json:"foldResources,omitempty"`
	// Context names the variables of a resource format that scope it
	// (partition, region, account, namespace, project): the judgement
	// takes them from the pattern. Every other variable identifies a
	// resource.
	Context []string `json:"context"`
	Example Example  `json:"example"`
	// Actions holds the sensitive actions with a reason code, indexed by
	// IndexKey.
	Actions map[string]map[string]string `json:"actions"`
	// Types holds the resource formats, with variables written ${Name};
	// indexed by the service field of an ARN, "" for those to check for
	// every pattern.
	Types map[string][]string `json:"types"`
	// Grants holds the sensitive pairings of an action with a resource
	// that names a whole scope or type: a grant is broad when its action
	// covers one of a pairing's actions and its resource names one of its
	// scopes, even when both are literal (JudgeGrant).
	Grants []Grant `json:"grants,omitempty"`
}

// Grant is a sensitive pairing of actions with scopes.
type Grant struct {
	// Reason is the reason code of Actions. Without Actions, the pairing
	// holds for every sensitive action of the platform, with its own
	// reason.
	Reason  string   `json:"reason,omitempty"`
	Actions []string `json:"actions,omitempty"`
	// Scopes are resource formats. A field that is one variable stands
	// for any one field of a resource, a field "*" for the rest of it,
	// any other variable for any text.
	Scopes []string `json:"scopes"`
}

// IndexKey is the key of action a in Platform.Actions: the text before the
// first Sep (all of it without one, "" when the platform has no Sep),
// lower-cased when the platform folds case.
func IndexKey(p *Platform, a string) string {
	if p.Sep == "" {
		return ""
	}
	if i := strings.Index(a, p.Sep); i >= 0 {
		a = a[:i]
	}
	if p.Fold {
		a = strings.ToLower(a)
	}
	return a
}

// Catalog is a loaded catalog, ready to judge patterns. It is immutable
// and safe for concurrent use.
type Catalog struct {
	data      *Data
	platforms map[string]*platform
	order     []*platform
}

// Default returns the embedded catalog. It panics if the embedded file is
// malformed, which TestDefault rules out.
var Default = sync.OnceValue(func() *Catalog {
	c, err := Parse(raw)
	if err != nil {
		panic(fmt.Sprintf("catalog: embedded catalog.json: %v", err))
	}
	return c
})

// Parse loads a catalog file and checks its shape.
func Parse(b []byte) (*Catalog, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var data Data
	if err := d.Decode(&data); err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	c := &Catalog{data: &data, platforms: map[string]*platform{}}
	for _, name := range slices.Sorted(maps.Keys(data.Platforms)) {
		p, err := compile(name, data.Platforms[name], data.Reasons)
		if err != nil {
			return nil, fmt.Errorf("parse catalog: platform %s: %w", name, err)
		}
		c.platforms[name] = p
	}
	for _, name := range data.Order {
		p, ok := c.platforms[name]
		if !ok {
			return nil, fmt.Errorf("parse catalog: order names platform %q, which is not in platforms", name)
		}
		c.order = append(c.order, p)
	}
	if len(c.order) != len(c.platforms) {
		return nil, fmt.Errorf("parse catalog: order lists %d of %d platforms", len(c.order), len(c.platforms))
	}
	return c, nil
}

// Sources returns, per platform, where the catalog's lists come from.
func (c *Catalog) Sources() map[string]string { return maps.Clone(c.data.Sources) }

// Encode writes d in the layout of catalog.json: one line per service of
// actions and of resource types, so that a regenerated file diffs by
// service.
func Encode(d *Data) ([]byte, error) {
	var b bytes.Buffer
	var err error
	val := func(v any) string {
		var e bytes.Buffer
		enc := json.NewEncoder(&e)
		enc.SetEscapeHTML(false)
		if eerr := enc.Encode(v); eerr != nil && err == nil {
			err = eerr
		}
		return strings.TrimSuffix(e.String(), "\n")
	}
	obj := func(indent string, m map[string]string) {
		keys := slices.Sorted(maps.Keys(m))
		b.WriteString("{\n")
		for i, k := range keys {
			fmt.Fprintf(&b, "%s  %s: %s%s\n", indent, val(k), val(m[k]), comma(i, len(keys)))
		}
		b.WriteString(indent + "}")
	}
	b.WriteString("{\n")
	fmt.Fprintf(&b, "  \"generator\": %s,\n", val(d.Generator))
	b.WriteString("  \"sources\": ")
	obj("  ", d.Sources)
	b.WriteString(",\n  \"reasons\": ")
	obj("  ", d.Reasons)
	fmt.Fprintf(&b, ",\n  \"order\": %s,\n", val(d.Order))
	fmt.Fprintf(&b, "  \"example\": %s,\n", val(d.Example))
	b.WriteString("  \"platforms\": {\n")
	names := slices.Sorted(maps.Keys(d.Platforms))
	for i, name := range names {
		p := d.Platforms[name]
		fmt.Fprintf(&b, "    %s: {\n", val(name))
		fmt.Fprintf(&b, "      \"fold\": %v,\n      \"sep\": %s,\n      \"services\": %v,\n", p.Fold, val(p.Sep), p.Services)
		fmt.Fprintf(&b, "      \"fieldSep\": %s,\n      \"arn\": %v,\n      \"literalTypes\": %v,\n", val(p.FieldSep), p.ARN, p.LiteralTypes)
		if p.SegmentWildcard != "" {
			fmt.Fprintf(&b, "      \"segmentWildcard\": %s,\n", val(p.SegmentWildcard))
		}
		if p.TrimLeft != "" {
			fmt.Fprintf(&b, "      \"trimLeft\": %s,\n", val(p.TrimLeft))
		}
		if p.FoldResources {
			b.WriteString("      \"foldResources\": true,\n")
		}
		ctx := p.Context
		if ctx == nil {
			ctx = []string{}
		}
		fmt.Fprintf(&b, "      \"context\": %s,\n      \"example\": %s,\n", val(ctx), val(p.Example))
		b.WriteString("      \"actions\": {\n")
		keys := slices.Sorted(maps.Keys(p.Actions))
		for j, k := range keys {
			fmt.Fprintf(&b, "        %s: %s%s\n", val(k), val(p.Actions[k]), comma(j, len(keys)))
		}
		b.WriteString("      },\n      \"types\": {\n")
		keys = slices.Sorted(maps.Keys(p.Types))
		for j, k := range keys {
			fmt.Fprintf(&b, "        %s: %s%s\n", val(k), val(p.Types[k]), comma(j, len(keys)))
		}
		b.WriteString("      }")
		if len(p.Grants) > 0 {
			b.WriteString(",\n      \"grants\": [\n")
			for j, g := range p.Grants {
				fmt.Fprintf(&b, "        %s%s\n", val(g), comma(j, len(p.Grants)))
			}
			b.WriteString("      ]")
		}
		fmt.Fprintf(&b, "\n    }%s\n", comma(i, len(names)))
	}
	b.WriteString("  }\n}\n")
	if err != nil {
		return nil, fmt.Errorf("encode catalog: %w", err)
	}
	return b.Bytes(), nil
}

func comma(i, n int) string {
	if i < n-1 {
		return ","
	}
	return ""
}
