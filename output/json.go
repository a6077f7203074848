package output

import (
	"encoding/json"
	"io"

	"github.com/nhigate/nhigate/reviewer"
)

// JSON writes the report as indented JSON with a schemaVersion, for
// machines.
type JSON struct{}

// Render implements Renderer.
func (JSON) Render(w io.Writer, r *reviewer.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
