package output

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nhigate/nhigate/internal/secret"
	"github.com/nhigate/nhigate/reviewer"
)

// Every renderer shows a report in two steps that keep secrets and
// injected structure out of what reviewers read:
//
//  1. prepare copies the report with every string in it passed through a
//     function: at least secret.Mask, so that a secret pasted into a spec is
//     masked before any format escapes it (an escaped secret no longer
//     matches its pattern); the text formats also make control characters
//     visible there;
//  2. guard is the last line of defence on the rendered bytes: it masks
//     whatever still looks like a secret (a secret assembled from two
//     fields, say) and breaks GitHub Actions workflow commands that an
//     untrusted string could smuggle into a log.

// Redact returns a copy of v in which every string is masked: any value
// that NHI-SEC-001 would flag reads as "[redacted: <kind>]". v itself is
// not changed. Renderers call it on the report themselves; it is exported
// for commands that print results of their own (sweep, propose).
func Redact[T any](v T) T {
	return mapStrings(v, secret.Mask)
}

// prepare is Redact followed by clean, for a format's own rules.
func prepare(r *reviewer.Report, clean func(string) string) *reviewer.Report {
	if clean == nil {
		return Redact(r)
	}
	return mapStrings(r, func(s string) string { return clean(secret.Mask(s)) })
}

// mapStrings returns v with f applied to every string reachable from it
// through exported fields, pointers, interfaces, slices, arrays and maps
// (keys too). It copies only what changes: a report without secrets is
// returned as it is, and v is never modified. Walking by reflection means a
// field added to the report later is covered without anyone remembering to.
func mapStrings[T any](v T, f func(string) string) T {
	w := walker{f: f, seen: map[uintptr]reflect.Value{}}
	rv := reflect.ValueOf(&v).Elem()
	if nv, changed := w.walk(rv); changed {
		return nv.Interface().(T)
	}
	return v
}

type walker struct {
	f func(string) string
	// seen maps a pointer already walked to its copy (or to itself when
	// nothing under it changed), so that shared values are walked once and
	// stay shared, and a cycle cannot recurse forever.
	seen map[uintptr]reflect.Value
}

var bytesType = reflect.TypeFor[[]byte]()

// elements walks the elements of a slice or an array, and copies it (with
// fresh) only when an element changes.
func (w *walker) elements(v reflect.Value, fresh func() reflect.Value) (reflect.Value, bool) {
	var nv reflect.Value
	for i := range v.Len() {
		e, changed := w.walk(v.Index(i))
		if !changed {
			continue
		}
		if !nv.IsValid() {
			nv = fresh()
		}
		nv.Index(i).Set(e)
	}
	if nv.IsValid() {
		return nv, true
	}
	return v, false
}

func (w *walker) walk(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		out := w.f(s)
		if out == s {
			return v, false
		}
		nv := reflect.New(v.Type()).Elem()
		nv.SetString(out)
		return nv, true

	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		if done, ok := w.seen[v.Pointer()]; ok {
			return done, done.Pointer() != v.Pointer()
		}
		w.seen[v.Pointer()] = v
		e, changed := w.walk(v.Elem())
		if !changed {
			return v, false
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(e)
		w.seen[v.Pointer()] = p
		return p, true

	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		e, changed := w.walk(v.Elem())
		if !changed {
			return v, false
		}
		nv := reflect.New(v.Type()).Elem()
		nv.Set(e)
		return nv, true

	case reflect.Struct:
		var nv reflect.Value
		t := v.Type()
		for i := range v.NumField() {
			if !t.Field(i).IsExported() {
				continue // renderers outside the package cannot read it
			}
			f, changed := w.walk(v.Field(i))
			if !changed {
				continue
			}
			if !nv.IsValid() {
				nv = reflect.New(t).Elem()
				nv.Set(v)
			}
			nv.Field(i).Set(f)
		}
		if nv.IsValid() {
			return nv, true
		}
		return v, false

	case reflect.Slice:
		if v.IsNil() {
			return v, false
		}
		if v.Type() == bytesType {
			s := string(v.Bytes())
			if out := w.f(s); out != s {
				return reflect.ValueOf([]byte(out)), true
			}
			return v, false
		}
		return w.elements(v, func() reflect.Value {
			nv := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(nv, v)
			return nv
		})

	case reflect.Array:
		return w.elements(v, func() reflect.Value {
			nv := reflect.New(v.Type()).Elem()
			nv.Set(v)
			return nv
		})

	case reflect.Map:
		if v.IsNil() {
			return v, false
		}
		type entry struct{ k, v reflect.Value }
		var entries []entry
		changed := false
		for it := v.MapRange(); it.Next(); {
			k, kc := w.walk(it.Key())
			e, ec := w.walk(it.Value())
			changed = changed || kc || ec
			entries = append(entries, entry{k, e})
		}
		if !changed {
			return v, false
		}
		nv := reflect.MakeMapWithSize(v.Type(), len(entries))
		for _, e := range entries {
			nv.SetMapIndex(e.k, e.v)
		}
		return nv, true
	}
	return v, false
}

// visible makes a string safe to print on one line of a terminal or a log:
// control characters (line breaks, tabs, escape sequences), invisible
// format characters (bidirectional overrides, zero-width spaces) and line
// separators appear as Go escapes, so that an untrusted string can neither
// start a line of its own, nor move the cursor, nor reorder what a reviewer
// reads. Invalid UTF-8 shows as \x escapes.
func visible(s string) string {
	if !needsVisible(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case invisible(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsVisible(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return true
		} else if c >= utf8.RuneSelf {
			return needsVisibleRunes(s[i:])
		}
	}
	return false
}

func needsVisibleRunes(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || invisible(r) {
			return true
		}
	}
	return false
}

// invisible reports whether r would act instead of showing: a control
// character, a format character (Unicode Cf: bidi controls, zero-width
// characters, soft hyphen) or a line or paragraph separator.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}
