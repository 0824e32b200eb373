package pbconv

import "google.golang.org/protobuf/types/known/structpb"

// chunk is how many values of one kind an Arena allocates at once.
const chunk = 64

// An Arena hands out protobuf values carved from larger blocks. Building a composed
// resource takes dozens of values, each two small allocations with structpb's
// constructors; on a busy node allocation dominates the function's time. An Arena is
// not safe for concurrent use: use one per RunFunction call. Values it returned stay
// valid for as long as they are referenced.
type Arena struct {
	vals    []structpb.Value
	strs    []structpb.Value_StringValue
	structs []structpb.Value_StructValue
	bodies  []structpb.Struct
	bools   []structpb.Value_BoolValue
	nums    []structpb.Value_NumberValue
	lists   []structpb.Value_ListValue
	lbodies []structpb.ListValue
}

func next[T any](s *[]T) *T {
	if len(*s) == cap(*s) {
		*s = make([]T, 0, chunk)
	}
	*s = (*s)[:len(*s)+1]
	return &(*s)[len(*s)-1]
}

// String returns a string value.
func (a *Arena) String(s string) *structpb.Value {
	if a == nil {
		return structpb.NewStringValue(s)
	}
	k := next(&a.strs)
	k.StringValue = s
	v := next(&a.vals)
	v.Kind = k
	return v
}

// Bool returns a boolean value.
func (a *Arena) Bool(b bool) *structpb.Value {
	if a == nil {
		return structpb.NewBoolValue(b)
	}
	k := next(&a.bools)
	k.BoolValue = b
	v := next(&a.vals)
	v.Kind = k
	return v
}

// Number returns a number value.
func (a *Arena) Number(n float64) *structpb.Value {
	if a == nil {
		return structpb.NewNumberValue(n)
	}
	k := next(&a.nums)
	k.NumberValue = n
	v := next(&a.vals)
	v.Kind = k
	return v
}

// Struct returns a Struct holding fields.
func (a *Arena) Struct(fields map[string]*structpb.Value) *structpb.Struct {
	if a == nil {
		return &structpb.Struct{Fields: fields}
	}
	s := next(&a.bodies)
	s.Fields = fields
	return s
}

// Object returns a struct value holding fields.
func (a *Arena) Object(fields map[string]*structpb.Value) *structpb.Value {
	if a == nil {
		return structpb.NewStructValue(&structpb.Struct{Fields: fields})
	}
	k := next(&a.structs)
	k.StructValue = a.Struct(fields)
	v := next(&a.vals)
	v.Kind = k
	return v
}

// List returns a list value holding values.
func (a *Arena) List(values []*structpb.Value) *structpb.Value {
	if a == nil {
		return structpb.NewListValue(&structpb.ListValue{Values: values})
	}
	l := next(&a.lbodies)
	l.Values = values
	k := next(&a.lists)
	k.ListValue = l
	v := next(&a.vals)
	v.Kind = k
	return v
}

// Null returns a null value.
func (a *Arena) Null() *structpb.Value { return structpb.NewNullValue() }
