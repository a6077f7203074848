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

// WriteJSON writes v as indented JSON with every secret masked (Redact),
// through the same last line of defence as the report formats. Commands
// that print results of their own use it.
func WriteJSON(w io.Writer, v any) error {
	return writeJSON(w, Redact(v))
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
