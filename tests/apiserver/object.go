package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"sigs.k8s.io/yaml"
)

// obj is an object as the server keeps it: decoded JSON where numbers are
// int64 when integral, else float64.
type obj = map[string]interface{}

// decodeJSON reads one JSON value, integers as int64.
func decodeJSON(b []byte) (interface{}, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return normNumbers(v), nil
}

// decodeObject reads a JSON (or, for apply, YAML) object body.
func decodeObject(b []byte, allowYAML bool) (obj, error) {
	if allowYAML {
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			return nil, err
		}
		b = j
	}
	v, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("the body is not a JSON object")
	}
	return m, nil
}

func normNumbers(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, _ := x.Float64()
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
		return f
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case map[string]interface{}:
		for k, e := range x {
			x[k] = normNumbers(e)
		}
		return x
	case []interface{}:
		for i, e := range x {
			x[i] = normNumbers(e)
		}
		return x
	}
	return v
}

func deepCopy(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

func copyObj(o obj) obj {
	if o == nil {
		return nil
	}
	return deepCopy(o).(map[string]interface{})
}

func equalValues(a, b interface{}) bool {
	return reflect.DeepEqual(normNumbers(deepCopy(a)), normNumbers(deepCopy(b)))
}

func meta(o obj) map[string]interface{} {
	m, ok := o["metadata"].(map[string]interface{})
	if !ok {
		m = map[string]interface{}{}
		o["metadata"] = m
	}
	return m
}

func metaString(o obj, key string) string {
	m, _ := o["metadata"].(map[string]interface{})
	s, _ := m[key].(string)
	return s
}

func stringMap(o obj, key string) map[string]string {
	m, _ := o["metadata"].(map[string]interface{})
	src, _ := m[key].(map[string]interface{})
	out := map[string]string{}
	for k, v := range src {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func str(o obj, key string) string {
	s, _ := o[key].(string)
	return s
}

// path returns the value at a path of map keys, or nil.
func path(o obj, keys ...string) interface{} {
	var cur interface{} = o
	for _, k := range keys {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func setPath(o obj, v interface{}, keys ...string) {
	cur := o
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			cur[k] = next
		}
		cur = next
	}
	cur[keys[len(keys)-1]] = v
}

func setDefault(o obj, v interface{}, keys ...string) {
	if path(o, keys...) == nil {
		setPath(o, v, keys...)
	}
}

func mustJSON(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
