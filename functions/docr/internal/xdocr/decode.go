// Package xdocr reads an XDOCR's spec out of a RunFunctionRequest and checks it, so the
// function acts only on input it understands. Every problem names the field and how to
// fix it; decoding never panics on arbitrary input (the XRD's schema is one line of
// defence, `crossplane composition render` and hand-edited objects skip it).
package xdocr

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
)

// A Problem is one thing wrong with the input, at a field path such as spec.regions[1].
type Problem struct {
	Field   string
	Message string
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// Problems is every problem found; nil means the input is usable.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

func (ps *Problems) add(field, format string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// decoder walks a structpb tree, recording type mismatches as Problems.
type decoder struct{ problems Problems }

func kindName(v *structpb.Value) string {
	switch v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return "a string"
	case *structpb.Value_NumberValue:
		return "a number"
	case *structpb.Value_BoolValue:
		return "a boolean"
	case *structpb.Value_StructValue:
		return "an object"
	case *structpb.Value_ListValue:
		return "a list"
	}
	return "null"
}

// present reports whether f[key] holds a non-null value.
func present(f map[string]*structpb.Value, key string) (*structpb.Value, bool) {
	v, ok := f[key]
	if !ok || v == nil {
		return nil, false
	}
	if _, null := v.GetKind().(*structpb.Value_NullValue); null || v.GetKind() == nil {
		return nil, false
	}
	return v, true
}

func (d *decoder) str(f map[string]*structpb.Value, key, path string) (string, bool) {
	v, ok := present(f, key)
	if !ok {
		return "", false
	}
	s, ok := v.GetKind().(*structpb.Value_StringValue)
	if !ok {
		d.problems.add(path, "must be a string, not %s", kindName(v))
		return "", false
	}
	return s.StringValue, true
}

func (d *decoder) boolean(f map[string]*structpb.Value, key, path string, def bool) bool {
	v, ok := present(f, key)
	if !ok {
		return def
	}
	b, ok := v.GetKind().(*structpb.Value_BoolValue)
	if !ok {
		d.problems.add(path, "must be true or false, not %s", kindName(v))
		return def
	}
	return b.BoolValue
}

func (d *decoder) integer(f map[string]*structpb.Value, key, path string, min, max int64) (int64, bool) {
	v, ok := present(f, key)
	if !ok {
		return 0, false
	}
	n, ok := v.GetKind().(*structpb.Value_NumberValue)
	if !ok {
		d.problems.add(path, "must be a whole number, not %s", kindName(v))
		return 0, false
	}
	x := n.NumberValue
	if math.IsNaN(x) || math.IsInf(x, 0) || x != math.Trunc(x) || x < float64(min) || x > float64(max) {
		d.problems.add(path, "must be a whole number from %d to %d, not %s", min, max, strconv.FormatFloat(x, 'g', -1, 64))
		return 0, false
	}
	return int64(x), true
}

func (d *decoder) object(f map[string]*structpb.Value, key, path string) (map[string]*structpb.Value, bool) {
	v, ok := present(f, key)
	if !ok {
		return nil, false
	}
	s, ok := v.GetKind().(*structpb.Value_StructValue)
	if !ok {
		d.problems.add(path, "must be an object, not %s", kindName(v))
		return nil, false
	}
	return s.StructValue.GetFields(), true
}

func (d *decoder) list(f map[string]*structpb.Value, key, path string) ([]*structpb.Value, bool) {
	v, ok := present(f, key)
	if !ok {
		return nil, false
	}
	l, ok := v.GetKind().(*structpb.Value_ListValue)
	if !ok {
		d.problems.add(path, "must be a list, not %s", kindName(v))
		return nil, false
	}
	return l.ListValue.GetValues(), true
}

func (d *decoder) strings(f map[string]*structpb.Value, key, path string) []string {
	l, _ := d.list(f, key, path)
	if len(l) == 0 {
		return nil
	}
	out := make([]string, 0, len(l))
	for i, v := range l {
		s, ok := v.GetKind().(*structpb.Value_StringValue)
		if !ok {
			d.problems.add(index(path, i), "must be a string, not %s", kindName(v))
			continue
		}
		out = append(out, s.StringValue)
	}
	return out
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
