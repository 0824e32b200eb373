// Package pbconv converts typed Kubernetes objects straight to protobuf Structs, as
// encoding/json would encode them, without a JSON round trip.
//
// The function composes with the provider's typed Go structs, so the compiler checks every
// field against the CRDs. The SDK's composed.From converts such a struct through JSON
// twice (marshal, unmarshal into a map, then the map into a protobuf Struct), which cost
// about 25 µs per object and most of the function's time. This package walks the struct
// once with per-type plans cached. Its output equals encoding/json's (the tests compare
// them for every kind composed), except that null values of omitempty fields are left
// out, as composed.From also does (metadata.creationTimestamp).
package pbconv

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Struct converts v, a pointer to a struct, to a Struct, leaving out the top-level
// fields named in skip (such as "status").
func Struct(v any, skip ...string) (*structpb.Struct, error) {
	return (*Arena)(nil).Convert(v, skip...)
}

// Convert is Struct with values carved from the Arena.
func (a *Arena) Convert(v any, skip ...string) (*structpb.Struct, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, fmt.Errorf("cannot convert a nil %T", v)
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("cannot convert %T: not a struct", v)
	}
	fields := make(map[string]*structpb.Value, 8)
	if err := a.encodeStruct(rv, fields, skip); err != nil {
		return nil, err
	}
	return a.Struct(fields), nil
}

type fieldPlan struct {
	index     int
	name      string
	omitEmpty bool
	inline    bool
	sp        special // of the field's type, looked up once
}

var plans sync.Map // reflect.Type -> []fieldPlan

func planFor(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan) //nolint:forcetypeassert // only []fieldPlan is stored.
	}
	var p []fieldPlan
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			// encoding/json flattens embedded structs without a name (",inline").
			p = append(p, fieldPlan{index: i, inline: true})
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p = append(p, fieldPlan{index: i, name: name, omitEmpty: hasOpt(opts, "omitempty"), sp: specialFor(f.Type)})
	}
	plans.Store(t, p)
	return p
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

func (a *Arena) encodeStruct(rv reflect.Value, into map[string]*structpb.Value, skip []string) error {
	for _, f := range planFor(rv.Type()) {
		fv := rv.Field(f.index)
		if f.inline {
			for fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					break
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				if err := a.encodeStruct(fv, into, nil); err != nil {
					return err
				}
			}
			continue
		}
		if len(skip) > 0 && contains(skip, f.name) {
			continue
		}
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		v, err := a.encodeAs(fv, f.sp)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if f.omitEmpty {
			if _, null := v.GetKind().(*structpb.Value_NullValue); null {
				continue
			}
		}
		into[f.name] = v
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

var (
	durationType   = reflect.TypeFor[metav1.Duration]()
	timeType       = reflect.TypeFor[metav1.Time]()
	objectMetaType = reflect.TypeFor[metav1.ObjectMeta]()
	marshalerType  = reflect.TypeFor[json.Marshaler]()
)

// special says how a type is encoded when not by its kind.
type special int

const (
	byKind special = iota
	asDuration
	asTime
	asMarshaler
	asAddrMarshaler // *T implements json.Marshaler: used when the value is addressable
	asObjectMeta
)

var specials sync.Map // reflect.Type -> special

func specialFor(t reflect.Type) special {
	if s, ok := specials.Load(t); ok {
		return s.(special) //nolint:forcetypeassert // only special is stored.
	}
	s := byKind
	switch {
	case t == durationType:
		s = asDuration
	case t == timeType:
		s = asTime
	case t == objectMetaType:
		s = asObjectMeta
	case t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface:
	case t.Implements(marshalerType):
		s = asMarshaler
	case reflect.PointerTo(t).Implements(marshalerType):
		s = asAddrMarshaler
	}
	specials.Store(t, s)
	return s
}

func (a *Arena) encode(v reflect.Value) (*structpb.Value, error) {
	return a.encodeAs(v, specialFor(v.Type()))
}

func (a *Arena) encodeAs(v reflect.Value, sp special) (*structpb.Value, error) {
	switch sp {
	case asObjectMeta:
		return a.objectMeta(v)
	case asDuration:
		return a.String(durationOf(v).String()), nil
	case asTime:
		t := timeOf(v)
		if t.IsZero() {
			return a.Null(), nil
		}
		return a.String(t.UTC().Format("2006-01-02T15:04:05Z07:00")), nil
	case asMarshaler:
		return viaJSON(v)
	case asAddrMarshaler:
		if v.CanAddr() {
			return viaJSON(v.Addr())
		}
	case byKind:
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return a.Null(), nil
		}
		return a.encode(v.Elem())
	case reflect.String:
		return a.String(v.String()), nil
	case reflect.Bool:
		return a.Bool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Number(float64(v.Int())), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Number(float64(v.Uint())), nil
	case reflect.Float32, reflect.Float64:
		return a.Number(v.Float()), nil
	case reflect.Struct:
		fields := make(map[string]*structpb.Value, 4)
		if err := a.encodeStruct(v, fields, nil); err != nil {
			return nil, err
		}
		return a.Object(fields), nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return a.Null(), nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return viaJSON(v) // []byte is base64 in JSON
		}
		l := structpb.ListValue{Values: make([]*structpb.Value, v.Len())}
		for i := range v.Len() {
			e, err := a.encode(v.Index(i))
			if err != nil {
				return nil, err
			}
			l.Values[i] = e
		}
		return a.List(l.Values), nil
	case reflect.Map:
		if v.IsNil() {
			return a.Null(), nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return viaJSON(v)
		}
		fields := make(map[string]*structpb.Value, v.Len())
		it := v.MapRange()
		for it.Next() {
			e, err := a.encode(it.Value())
			if err != nil {
				return nil, err
			}
			fields[it.Key().String()] = e
		}
		return a.Object(fields), nil
	}
	return nil, fmt.Errorf("cannot convert a %s", v.Type())
}

// viaJSON handles the rare types with their own JSON encoding.
func viaJSON(v reflect.Value) (*structpb.Value, error) {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, err
	}
	out := &structpb.Value{}
	if err := out.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return out, nil
}

// objectMeta encodes the metadata a composed resource carries without walking all of
// ObjectMeta's fields; metadata the function never sets is passed to the general path.
func (a *Arena) objectMeta(v reflect.Value) (*structpb.Value, error) {
	m := objectMetaOf(v)
	if m.UID != "" || m.ResourceVersion != "" || m.Generation != 0 || !m.CreationTimestamp.IsZero() ||
		m.DeletionTimestamp != nil || m.DeletionGracePeriodSeconds != nil || len(m.OwnerReferences) > 0 ||
		len(m.Finalizers) > 0 || len(m.ManagedFields) > 0 {
		fields := make(map[string]*structpb.Value, 8)
		if err := a.encodeStruct(v, fields, nil); err != nil {
			return nil, err
		}
		return a.Object(fields), nil
	}
	fields := make(map[string]*structpb.Value, 3)
	if m.Name != "" {
		fields["name"] = a.String(m.Name)
	}
	if m.GenerateName != "" {
		fields["generateName"] = a.String(m.GenerateName)
	}
	if m.Namespace != "" {
		fields["namespace"] = a.String(m.Namespace)
	}
	if len(m.Labels) > 0 {
		fields["labels"] = a.stringMap(m.Labels)
	}
	if len(m.Annotations) > 0 {
		fields["annotations"] = a.stringMap(m.Annotations)
	}
	return a.Object(fields), nil
}

func (a *Arena) stringMap(m map[string]string) *structpb.Value {
	f := make(map[string]*structpb.Value, len(m))
	for k, v := range m {
		f[k] = a.String(v)
	}
	return a.Object(f)
}

// The accessors below read a value in place when it is addressable (it is when
// converting through a pointer), instead of boxing a copy.

func durationOf(v reflect.Value) time.Duration {
	if v.CanAddr() {
		return v.Addr().Interface().(*metav1.Duration).Duration //nolint:forcetypeassert // checked by type.
	}
	return v.Interface().(metav1.Duration).Duration //nolint:forcetypeassert // checked by type.
}

func timeOf(v reflect.Value) metav1.Time {
	if v.CanAddr() {
		return *v.Addr().Interface().(*metav1.Time) //nolint:forcetypeassert // checked by type.
	}
	return v.Interface().(metav1.Time) //nolint:forcetypeassert // checked by type.
}

func objectMetaOf(v reflect.Value) *metav1.ObjectMeta {
	if v.CanAddr() {
		return v.Addr().Interface().(*metav1.ObjectMeta) //nolint:forcetypeassert // checked by type.
	}
	m := v.Interface().(metav1.ObjectMeta) //nolint:forcetypeassert // checked by type.
	return &m
}
