package output

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/nhigate/nhigate/reviewer"
)

// JSON writes the report as indented JSON with a schemaVersion, for
// machines.
type JSON struct{}

// Render implements Renderer. Secrets are masked.
func (JSON) Render(w io.Writer, r *reviewer.Report) error {
	return writeJSON(w, Redact(r))
}

// writeJSON writes v as indented JSON through the guard.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(guard(buf.Bytes(), jsonGuard))
	return err
}
