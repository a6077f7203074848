package lifecycle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nhigate/nhigate/internal/yamledit"
	"github.com/nhigate/nhigate/spec"
)

// Revocation is what a revocation pull request changes: files to delete,
// files rewritten without their expired exceptions, and what it had to
// leave for a person.
type Revocation struct {
	Files   map[string][]byte // nil deletes
	Removed []Item            // what the change revokes
	Manual  []string          // overdue items it cannot fix, with why
}

// Plan decides the revocation from a sweep's items over its workflows: a
// file goes when every workflow in it has expired; an expired exception is
// cut out of its file (read with read) when the cut can be verified to
// change nothing else.
func Plan(items []Item, workflows []*spec.Workflow, read func(path string) ([]byte, error)) *Revocation {
	rv := &Revocation{Files: map[string][]byte{}}
	byFile := map[string][]*spec.Workflow{}
	for _, w := range workflows {
		byFile[w.Source.File] = append(byFile[w.Source.File], w)
	}
	expired := map[string]map[int]bool{} // file → docs expired
	exceptions := map[string]map[int][]int{}
	var exceptionItems = map[string][]Item{}
	docOf := map[string]int{}
	for _, w := range workflows {
		docOf[w.Source.File+"\x00"+w.Metadata.Name] = w.Source.Doc
	}
	for _, it := range items {
		doc := docOf[it.File+"\x00"+it.Identity]
		switch it.Kind {
		case GrantExpired:
			if expired[it.File] == nil {
				expired[it.File] = map[int]bool{}
			}
			expired[it.File][doc] = true
		case ExceptionExpired:
			if exceptions[it.File] == nil {
				exceptions[it.File] = map[int][]int{}
			}
			exceptions[it.File][doc] = append(exceptions[it.File][doc], it.Exception)
			exceptionItems[it.File] = append(exceptionItems[it.File], it)
		}
	}
	for _, file := range slices.Sorted(maps.Keys(expired)) {
		if len(expired[file]) == len(byFile[file]) {
			rv.Files[file] = nil
			for _, it := range items {
				if it.File == file && it.Kind == GrantExpired {
					rv.Removed = append(rv.Removed, it)
				}
			}
			continue
		}
		rv.Manual = append(rv.Manual, fmt.Sprintf("%s holds expired and live workflows: remove the expired ones by hand", file))
	}
	for _, file := range slices.Sorted(maps.Keys(exceptions)) {
		if _, deleted := rv.Files[file]; deleted {
			continue
		}
		data, err := read(file)
		if err == nil {
			data, err = RemoveExceptions(file, data, exceptions[file], byFile[file])
		}
		if err != nil {
			rv.Manual = append(rv.Manual, fmt.Sprintf("%s: remove the expired exceptions by hand (%v)", file, err))
			continue
		}
		rv.Files[file] = data
		rv.Removed = append(rv.Removed, exceptionItems[file]...)
	}
	return rv
}

// RemoveExceptions cuts the exceptions at the given indices (per document)
// out of data line by line, keeping everything else byte for byte, and
// proves it by parsing the result: each workflow must equal the original
// without those exceptions.
func RemoveExceptions(file string, data []byte, cut map[int][]int, before []*spec.Workflow) ([]byte, error) {
	lines := strings.SplitAfter(string(data), "\n")
	drop := make([]bool, len(lines)+1) // 1-based line numbers
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 0; ; doc++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		idx := cut[doc]
		if len(idx) == 0 {
			continue
		}
		root := yamledit.Mapping(&n)
		specKey, specVal, specNext := yamledit.Field(root, "spec")
		_, seq, seqNext := yamledit.Field(specVal, "exceptions")
		if specKey == nil || seq == nil || seq.Kind != yaml.SequenceNode || seq.Style&yaml.FlowStyle != 0 {
			return nil, errors.New("the exceptions are not a block list")
		}
		// A list's last item runs to the next key, of spec or of the document.
		end := len(lines)
		switch {
		case seqNext != nil:
			end = seqNext.Line - 1
		case specNext != nil:
			end = specNext.Line - 1
		default:
			for i := seq.Line; i < len(lines); i++ {
				if strings.HasPrefix(lines[i], "---") || strings.HasPrefix(lines[i], "...") {
					end = i
					break
				}
			}
		}
		for _, i := range idx {
			item := seq.Content[i]
			start := item.Line
			if item.Column < 3 || !strings.HasPrefix(lines[start-1][item.Column-3:], "- ") {
				return nil, errors.New("an exception does not start its line with \"- \"")
			}
			stop := end
			if i+1 < len(seq.Content) {
				stop = seq.Content[i+1].Line - 1
			}
			for l := start; l <= stop; l++ {
				drop[l] = true
			}
		}
		if len(idx) == len(seq.Content) {
			// No exception is left: the key goes too.
			for l := seq.Line - 1; l <= end; l++ {
				if strings.TrimSpace(lines[l-1]) == "exceptions:" {
					drop[l] = true
				}
			}
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if !drop[i+1] {
			b.WriteString(l)
		}
	}
	out := []byte(b.String())

	after, err := spec.Parse(file, out, spec.Discover, spec.Limits{})
	if err != nil || len(after) != len(before) {
		return nil, fmt.Errorf("the edited file does not read back: %v", err)
	}
	for i, w := range before {
		want := cloneRaw(w.Source.Raw)
		if idx := cut[w.Source.Doc]; len(idx) > 0 {
			s := want["spec"].(map[string]any)
			var kept []any
			for j, e := range s["exceptions"].([]any) {
				if !slices.Contains(idx, j) {
					kept = append(kept, e)
				}
			}
			if len(kept) == 0 {
				delete(s, "exceptions")
			} else {
				s["exceptions"] = kept
			}
		}
		if !reflect.DeepEqual(want, after[i].Source.Raw) {
			return nil, errors.New("the edit would change more than the expired exceptions")
		}
	}
	return out, nil
}

// cloneRaw deep-copies the maps and slices of a decoded document.
func cloneRaw(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneRaw(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}
