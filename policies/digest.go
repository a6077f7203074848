package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
)

// digest identifies a policy set: every module (built-in and user, by path
// and content) and the data it judges with, the catalog of sensitive actions
// included. Attestations record it so an
// auditor can tell which rules passed a spec.
func digest(extra map[string]string, data map[string]any) (string, error) {
	h := sha256.New()
	write := func(kind, name string, content []byte) {
		// Length-prefixed, so no two sets can hash alike by shifting bytes
		// between a name and its content.
		fmt.Fprintf(h, "%s %d %s %d\n", kind, len(name), name, len(content))
		h.Write(content)
	}
	err := fs.WalkDir(builtin, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.rego") {
			return err
		}
		content, err := builtin.ReadFile(path)
		if err != nil {
			return err
		}
		write("builtin", path, content)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("digest built-in policies: %w", err)
	}
	// The catalog judges broad patterns: it is data of the policy set,
	// embedded by its own package.
	write("builtin", "data/nhigate/catalog/catalog.json", catalog.JSON())
	for _, path := range slices.Sorted(maps.Keys(extra)) {
		write("user", path, []byte(extra[path]))
	}
	if data != nil {
		b, err := json.Marshal(data) // map keys marshal sorted
		if err != nil {
			return "", fmt.Errorf("digest policy data: %w", err)
		}
		write("data", "nhigate.config", b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Digest identifies the policy set the engine evaluates, as
// "sha256:<hex>": the same policies and data give the same digest.
func (e *Engine) Digest() string { return e.digest }
