package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// MaxJSONDepth bounds the nesting DuplicateKey walks, and so its memory:
// the files import reads nest below ten levels.
const MaxJSONDepth = 100

// DuplicateKey refuses a JSON value (or a stream of them) in which one
// object holds two keys that encoding/json reads as the same field: equal,
// or equal ignoring case. encoding/json keeps the last of them silently,
// and the platform, reading case-sensitively or keeping the first, may read
// another: {"iam_policy": A, "IAM_POLICY": B} would import B where IAM
// holds A. The error names the key and where it is. It refuses nesting
// deeper than MaxJSONDepth too; syntax errors are left to the decoder that
// reads the value.
func DuplicateKey(data []byte) error {
	type frame struct {
		object  bool
		wantKey bool
		keys    map[string]bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// Not JSON: the decoder that reads the value says what is
			// wrong, in its words.
			return nil
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if k, isKey := tok.(string); isKey && top != nil && top.object && top.wantKey {
			folded := foldKey(k)
			if top.keys[folded] {
				line, col := position(data, dec.InputOffset())
				return fmt.Errorf("line %d col %d: key %q is set twice in one object (or again in another case); a reader may keep either, so it is refused", line, col, k)
			}
			top.keys[folded] = true
			top.wantKey = false
			continue
		}
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') && len(stack) >= MaxJSONDepth {
			line, col := position(data, dec.InputOffset())
			return fmt.Errorf("line %d col %d: nested deeper than %d levels", line, col, MaxJSONDepth)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantKey: true, keys: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: its object wants the next key.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}
}

// foldKey maps each letter of k to the smallest of the letters that fold
// to it, as bytes.EqualFold compares them.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		return min
	}, k)
}

func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	return bytes.Count(before, []byte("\n")) + 1, int(off) - bytes.LastIndexByte(before, '\n')
}
