package cloudwatch

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The query protocol's request: a form where structure members are
// "Parent.Member", list items "List.member.N" (from 1), an empty list
// "List=" and timestamps ISO 8601 (botocore's QuerySerializer). decodeForm
// fills a wire struct of model.go from it, by the same member names as CBOR.

var timeType = reflect.TypeFor[time.Time]()

// maxFormList bounds a decoded list as decMode bounds CBOR arrays.
const maxFormList = 2048

// maxFormKey bounds the keys decodeForm indexes, so that indexing stays
// linear in the body: the longest key of a served operation,
// MetricDataQueries.member.500.MetricStat.Metric.Dimensions.member.30.Value,
// has 73 bytes. Longer keys name no member and are ignored.
const maxFormKey = 256

func decodeForm(form url.Values, v any) error {
	have := map[string]bool{}
	for k := range form {
		if len(k) > maxFormKey {
			continue
		}
		have[k] = true
		for i := range len(k) {
			if k[i] == '.' {
				have[k[:i]] = true
			}
		}
	}
	return decodeFormValue(form, have, "", reflect.ValueOf(v).Elem(), 0)
}

// memberName is a struct field's member name (its cbor tag name, else the
// field name) and whether it is omitempty; "-" skips the field.
func memberName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("cbor")
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, strings.Contains(opts, "omitempty")
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func decodeFormValue(form url.Values, have map[string]bool, key string, v reflect.Value, depth int) error {
	if depth > 32 {
		return serializationErr("form parameter %s is nested too deeply", key)
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if err := decodeFormValue(form, have, key, nv.Elem(), depth+1); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	case reflect.Struct:
		if v.Type() == timeType {
			t, err := parseFormTime(form.Get(key))
			if err != nil {
				return invalidParam("The value %s for parameter %s is invalid: %v", form.Get(key), key, err)
			}
			v.Set(reflect.ValueOf(t))
			return nil
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _ := memberName(f)
			k := joinKey(key, name)
			if name == "-" || !f.IsExported() || !have[k] {
				continue
			}
			if err := decodeFormValue(form, have, k, v.Field(i), depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 0, 0)
		for i := 1; ; i++ {
			k := key + ".member." + strconv.Itoa(i)
			if !have[k] {
				break
			}
			if i > maxFormList {
				return invalidParam("The collection %s must not have more than %d members.", key, maxFormList)
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeFormValue(form, have, k, e, depth+1); err != nil {
				return err
			}
			s = reflect.Append(s, e)
		}
		v.Set(s)
		return nil
	case reflect.String:
		v.SetString(form.Get(key))
		return nil
	case reflect.Int32, reflect.Int64, reflect.Int:
		n, err := strconv.ParseInt(form.Get(key), 10, v.Type().Bits())
		if err != nil {
			return invalidParam("The value %s for parameter %s is not a valid integer.", form.Get(key), key)
		}
		v.SetInt(n)
		return nil
	case reflect.Float64:
		f, err := strconv.ParseFloat(form.Get(key), 64)
		if err != nil {
			return invalidParam("The value %s for parameter %s is not a valid number.", form.Get(key), key)
		}
		v.SetFloat(f)
		return nil
	case reflect.Bool:
		b, err := strconv.ParseBool(form.Get(key))
		if err != nil {
			return invalidParam("The value %s for parameter %s is not a valid boolean.", form.Get(key), key)
		}
		v.SetBool(b)
		return nil
	}
	return fmt.Errorf("cloudwatch: decodeFormValue: unsupported kind %s at %s", v.Kind(), key)
}

// parseFormTime parses an ISO 8601 timestamp (with or without fraction and
// zone; none means UTC) or epoch seconds.
func parseFormTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 timestamp")
}
