package yamledit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Prompt is where the prompt a spec was generated from comes from: a file
// (FromFile, with its Text), or the spec's own metadata.provenance.prompt.
type Prompt struct {
	FromFile bool
	Text     string
	// HashOnly records only the prompt's SHA-256, not its text.
	HashOnly bool
}

// Stamped is a spec with its provenance written in.
type Stamped struct {
	// Content is the stamped document, as YAML with a two-space indent.
	Content []byte
	// PromptSHA256 is the prompt's SHA-256, in hex.
	PromptSHA256 string
	// Name is metadata.name when it is a plain scalar, else "".
	Name string
}

// DocError is a file that is not one YAML mapping: there is nothing to
// stamp, and the spec's own errors say more.
type DocError struct{ Msg string }

func (e *DocError) Error() string { return e.Msg }

// ForgedError is a promptSha256 or prompt in the spec that disagrees with
// the prompt. A generator must not forge provenance, so it is never
// overwritten.
type ForgedError struct{ Msg string }

func (e *ForgedError) Error() string { return e.Msg }

// NoPromptError is a spec stamped without a prompt file that holds no
// metadata.provenance.prompt either: there is nothing to hash.
type NoPromptError struct{}

func (e *NoPromptError) Error() string {
	return "has no metadata.provenance.prompt: pass the prompt with --prompt-file, so that its SHA-256 can be recorded"
}

// StampProvenance writes promptSha256, the prompt (from a file, unless
// HashOnly) and generatedAt into the one document of data, under
// metadata.provenance, keeping every other node, comment and the order of
// fields. asYAML drops JSON's flow styles, so that a JSON spec is written
// as people write YAML.
func StampProvenance(data []byte, asYAML bool, prompt Prompt, now time.Time) (*Stamped, error) {
	doc, err := singleDoc(data)
	if err != nil {
		return nil, &DocError{Msg: err.Error()}
	}
	root := Mapping(doc)
	if root == nil {
		return nil, &DocError{Msg: "the document is not a mapping"}
	}
	st := &Stamped{}
	if _, n, _ := Field(root, "metadata"); n != nil {
		if _, v, _ := Field(n, "name"); v != nil && v.Kind == yaml.ScalarNode {
			st.Name = v.Value
		}
	}
	if asYAML {
		blockStyle(doc)
	}
	if st.PromptSHA256, err = stamp(root, prompt, now); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	st.Content = buf.Bytes()
	return st, nil
}

// singleDoc decodes data, which must hold exactly one YAML document.
func singleDoc(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(n.Content) > 0 {
			docs = append(docs, &n)
		}
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("holds %d documents; propose takes one workflow per file", len(docs))
	}
	return docs[0], nil
}

// blockStyle drops the JSON styles under n: collections go to block style
// and strings are quoted only where YAML needs it.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// stamp writes the provenance into root and returns the prompt's SHA-256.
func stamp(root *yaml.Node, prompt Prompt, now time.Time) (string, error) {
	meta, err := childMapping(root, "metadata")
	if err != nil {
		return "", err
	}
	prov, err := childMapping(meta, "provenance")
	if err != nil {
		return "", err
	}
	scalar := func(name string) (string, bool) {
		_, v, _ := Field(prov, name)
		if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return "", false
		}
		return v.Value, true
	}
	written, hasText := scalar("prompt")
	text := prompt.Text
	switch {
	case prompt.FromFile && hasText && written != "" && written != text:
		return "", &ForgedError{"metadata.provenance.prompt differs from --prompt-file: propose the prompt the spec was generated from"}
	case !prompt.FromFile && written == "":
		return "", &NoPromptError{}
	case !prompt.FromFile:
		text = written
	}
	h := sha256.Sum256([]byte(text))
	sum := hex.EncodeToString(h[:])
	if given, ok := scalar("promptSha256"); ok && given != "" && !strings.EqualFold(given, sum) {
		return "", &ForgedError{fmt.Sprintf("metadata.provenance.promptSha256 is %s, but the prompt's SHA-256 is %s: nhigate does not overwrite a hash that disagrees with its prompt; remove it, or propose the prompt it was computed from", given, sum)}
	}
	if prompt.FromFile && !prompt.HashOnly {
		v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: text}
		if strings.Contains(text, "\n") {
			v.Style = yaml.LiteralStyle
		}
		SetField(prov, "prompt", v)
	}
	SetField(prov, "promptSha256", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: sum})
	SetField(prov, "generatedAt", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: now.Format(time.RFC3339)})
	return sum, nil
}

// childMapping returns the mapping under key in m, adding an empty one when
// the key is missing or null.
func childMapping(m *yaml.Node, key string) (*yaml.Node, error) {
	_, v, _ := Field(m, key)
	switch {
	case v == nil:
		v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		SetField(m, key, v)
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		SetField(m, key, n)
		v = n
	case v.Kind != yaml.MappingNode:
		return nil, fmt.Errorf("%s is not written out as a mapping; write its fields directly, without anchors or aliases", key)
	}
	return v, nil
}

// SetField sets key in mapping m to v, in place when the key is there so
// that the key's position and comments stay.
func SetField(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			old := m.Content[i+1]
			v.HeadComment, v.LineComment, v.FootComment = old.HeadComment, old.LineComment, old.FootComment
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}
