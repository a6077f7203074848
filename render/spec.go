package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nhigate/nhigate/spec"
)

// Imported says where a spec written by import came from, as its
// provenance records it.
type Imported struct {
	// Generator is "nhigate-import@VERSION".
	Generator string
	// File is the source file's name as given, and Data its bytes: their
	// SHA-256 stands in for the prompt's hash.
	File string
	Data []byte
	// At is when the import ran.
	At time.Time
	// Environment is the spec's environment when the source does not name
	// one ("" leaves it for a human, and check says so).
	Environment string
	// ExpiresIn sets expiresAt to At+ExpiresIn when the source enforces no
	// expiry; 0 leaves it for a human. Import never invents one.
	ExpiresIn time.Duration
}

// Spec writes p as a spec, in the repo's format, as YAML. The fields import
// cannot know (owner, requester, and expiresAt unless the source enforces
// one or ExpiresIn sets it) are written empty with a comment that says what
// to decide, so that check names each of them until a person does.
func Spec(p Principal, from Imported) ([]byte, error) {
	sum := sha256.Sum256(from.Data)
	env := p.Environment
	if env == "" {
		env = from.Environment
	}
	expires := ""
	switch {
	case !p.ExpiresAt.IsZero():
		expires = p.ExpiresAt.UTC().Format(time.RFC3339)
	case from.ExpiresIn > 0:
		expires = from.At.Add(from.ExpiresIn).UTC().Format(time.RFC3339)
	}
	ttl := ""
	if p.TTL > 0 {
		ttl = formatDuration(p.TTL)
	}

	root := mapping()
	add(root, "apiVersion", str(spec.APIVersion))
	add(root, "kind", str(spec.Kind))
	meta := mapping()
	add(meta, "name", str(ImportName(p)))
	add(meta, "owner", decide(str(""), `decide: the team accountable for this identity, e.g. "@acme/payments"`))
	add(meta, "requester", decide(str(""), "decide: who asked for this access"))
	prov := mapping()
	add(prov, "generator", str(from.Generator))
	// There is no prompt: the source file stands in for it, named with
	// its digest, and promptSha256 is the hash of that text, as for any
	// prompt, so the provenance rule holds imports to the same check.
	prompt := fmt.Sprintf("imported by nhigate import from %s (sha256:%s)", from.File, hex.EncodeToString(sum[:]))
	promptSum := sha256.Sum256([]byte(prompt))
	add(prov, "prompt", str(prompt))
	add(prov, "promptSha256", str(hex.EncodeToString(promptSum[:])))
	add(prov, "generatedAt", str(from.At.UTC().Format(time.RFC3339)))
	add(meta, "provenance", prov)
	add(root, "metadata", meta)

	s := mapping()
	id := mapping()
	add(id, "name", str(p.Identity.Name))
	add(id, "type", orDecide(p.Identity.Type, "decide: the kind of identity, e.g. service-account"))
	add(id, "platform", str(p.Identity.Platform))
	add(id, "consumer", orDecide(p.Identity.Consumer, "decide: who uses it: pipeline, agent, scheduled-job or human"))
	add(s, "identity", id)
	envNode := str(env)
	if env == "" {
		envNode = decide(envNode, "decide: production, staging or development (or pass --environment)")
	}
	add(s, "environment", envNode)
	ents := &yaml.Node{Kind: yaml.SequenceNode}
	for _, e := range p.Entitlements {
		m := mapping()
		add(m, "actions", flow(strs(e.Actions)))
		add(m, "resources", flow(strs(e.Resources)))
		if len(e.Conditions) > 0 {
			c := &yaml.Node{}
			if err := c.Encode(e.Conditions); err != nil {
				return nil, fmt.Errorf("conditions of %s: %w", p.Identity.Name, err)
			}
			add(m, "conditions", flow(c))
		}
		ents.Content = append(ents.Content, m)
	}
	add(s, "entitlements", ents)
	cred := mapping()
	add(cred, "kind", orDecide(p.CredentialKind, "decide: ephemeral or static"))
	if ttl != "" {
		add(cred, "ttl", str(ttl))
	} else {
		add(cred, "ttl", decide(str(""), `decide: how long one credential lives, e.g. "1h"`))
	}
	add(s, "credential", cred)
	expNode := str(expires)
	if expires == "" {
		expNode = decide(expNode, `decide: when this access ends, e.g. "2027-03-31T00:00:00Z" (or pass --expires-in)`)
	}
	add(s, "expiresAt", expNode)
	rev := mapping()
	add(rev, "onTimeout", decide(str(""), `decide: how long unused access lives before it is revoked, e.g. "2h"`))
	add(s, "revocation", rev)
	appr := mapping()
	add(appr, "minApprovals", decide(str(""), "decide: how many people approve a change to this access, at least your risk tier's"))
	add(s, "approvals", appr)
	add(root, "spec", s)

	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SpecPath is where import writes p's spec below the output directory.
func SpecPath(p Principal) string { return ImportName(p) + ".yaml" }

// ImportName is the metadata.name of p's spec: its identity's name as a DNS
// label (lower case; runs of other characters become one "-"; at most 63
// characters, the last 8 of them a digest of the full name when it had to be
// cut), since a platform's names (AmazonS3ReadOnlyAccess, a service
// account's email) are rarely labels. Two names that map to one label are
// told apart by the caller, which refuses the second.
func ImportName(p Principal) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(p.Identity.Name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	name := b.String()
	if name == "" || len(name) > 63 {
		sum := sha256.Sum256([]byte(p.Identity.Name))
		name = strings.TrimRight(name[:min(len(name), 54)], "-")
		if name != "" {
			name += "-"
		}
		name += hex.EncodeToString(sum[:4])
	}
	return name
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if s == "" || needsQuotes(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// needsQuotes reports whether s would read as another type, or another
// value, unquoted.
func needsQuotes(s string) bool {
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return true
	}
	got, ok := v.(string)
	return !ok || got != s
}

func strs(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}

func flow(n *yaml.Node) *yaml.Node {
	n.Style |= yaml.FlowStyle
	return n
}

func orDecide(s, comment string) *yaml.Node {
	if s == "" {
		return decide(str(s), comment)
	}
	return str(s)
}

func decide(n *yaml.Node, comment string) *yaml.Node {
	n.LineComment = "# " + comment
	return n
}

// formatDuration writes d as the spec writes durations: "1h", "30m",
// "1h30m", never "1h0m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix && !slices.Contains([]byte(s[:len(s)-len(suffix)]), '.') {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}
