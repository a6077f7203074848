// Package yamledit holds the small YAML node helpers that nhigate's edits
// share: propose stamping provenance and sweep cutting expired exceptions
// out, both keeping every other byte, comment and order of the file.
package yamledit

import "go.yaml.in/yaml/v3"

// Mapping returns the top-level mapping of a YAML document, or nil.
func Mapping(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	return doc
}

// Field returns the key and value of name in mapping m, and the key after
// it, if any.
func Field(m *yaml.Node, name string) (key, value, next *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			if i+2 < len(m.Content) {
				next = m.Content[i+2]
			}
			return m.Content[i], m.Content[i+1], next
		}
	}
	return nil, nil, nil
}
