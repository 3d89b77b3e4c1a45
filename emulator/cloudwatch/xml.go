package cloudwatch

import (
	"bytes"
	"encoding/xml"
	"reflect"
	"strconv"
	"time"
)

// The query protocol's answer: XML where structure members are elements
// named as in CBOR, list items are <member> elements, timestamps ISO 8601
// in UTC (botocore's QueryParser reads these). writeXML writes a wire
// struct of model.go as element name. Nil pointers, nil slices and
// omitempty zero values are left out; an empty non-nil list is written
// as an empty element, as CloudWatch does.
func writeXML(b *bytes.Buffer, name string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		writeXML(b, name, v.Elem())
		return
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if v.Len() == 0 {
			b.WriteString("<" + name + "/>")
			return
		}
		b.WriteString("<" + name + ">")
		for i := range v.Len() {
			writeXML(b, "member", v.Index(i))
		}
		b.WriteString("</" + name + ">")
		return
	case reflect.Map:
		return
	}
	b.WriteString("<" + name + ">")
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			b.WriteString(v.Interface().(time.Time).UTC().Format("2006-01-02T15:04:05.000Z"))
			break
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			mname, omitempty := memberName(f)
			if mname == "-" || !f.IsExported() || omitempty && v.Field(i).IsZero() {
				continue
			}
			writeXML(b, mname, v.Field(i))
		}
	case reflect.String:
		escapeXML(b, v.String())
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Float64:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	}
	b.WriteString("</" + name + ">")
}

func escapeXML(b *bytes.Buffer, s string) {
	xml.EscapeText(b, []byte(s))
}
