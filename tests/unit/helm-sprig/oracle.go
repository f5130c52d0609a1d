// oracle.go - prints what Debian's Sprig 3.2.3 (plus Helm's toYaml/fromYaml/
// toJson/fromJson/required/fail/toToml) returns for each case of cases.txt, to make
// expected.txt for tests/unit/test-helm-sprig.c.  Build offline:
//
//	TZ=UTC GO111MODULE=off GOPATH=/usr/share/gocode go run oracle.go < cases.txt > expected.txt
//
// A case is one line: FUNC|ARG|ARG...; each ARG is TYPE:TEXT with TYPE s
// (string; \\n is a newline, \\p a |), i (int), I (int64), f (float64), b (bool), n (nil), t (time.Time in UTC from SECONDS[.NANOS]), j (JSON,
// decoded as encoding/json does: numbers float64), y (YAML via
// sigs.k8s.io/yaml).  The output line is the case, a tab, and the result as
// fmt's %v prints it followed by " (TYPE)", or "ERROR: message" ("PANIC:"
// for a panic).
package main

import (
	"bytes"
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

func funcs() map[string]interface{} {
	f := map[string]interface{}(sprig.TxtFuncMap())
	f["toYaml"] = func(v interface{}) string {
		b, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(b), "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	f["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromJsonArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	f["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New("HELM_ERR_START" + warn + "HELM_ERR_END")
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New("HELM_ERR_START" + warn + "HELM_ERR_END")
		}
		return val, nil
	}
	f["toToml"] = func(v interface{}) string {
		b := bytes.NewBuffer(nil)
		if err := toml.NewEncoder(b).Encode(v); err != nil {
			return err.Error()
		}
		return b.String()
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New("HELM_ERR_START" + msg + "HELM_ERR_END") }
	return f
}

func arg(spec string) interface{} {
	t, text := spec[0], spec[2:]
	if t != 'j' {
		text = strings.ReplaceAll(text, `\n`, "\n")
		text = strings.ReplaceAll(text, `\p`, "|")
	}
	switch t {
	case 's':
		return text
	case 'i':
		v, _ := strconv.Atoi(text)
		return v
	case 'I':
		v, _ := strconv.ParseInt(text, 10, 64)
		return v
	case 'f':
		v, _ := strconv.ParseFloat(text, 64)
		return v
	case 'b':
		return text == "true"
	case 'n':
		return nil
	case 't':
		sec, nsec := text, "0"
		if i := strings.IndexByte(text, '.'); i >= 0 {
			sec, nsec = text[:i], text[i+1:]
		}
		s, _ := strconv.ParseInt(sec, 10, 64)
		ns, _ := strconv.ParseInt(nsec, 10, 64)
		return time.Unix(s, ns).UTC()
	case 'j':
		var v interface{}
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			panic(err)
		}
		return v
	case 'y':
		var v interface{}
		if err := yaml.Unmarshal([]byte(text), &v); err != nil {
			panic(err)
		}
		return v
	}
	panic("bad arg " + spec)
}

func call(fn reflect.Value, args []interface{}) (res string) {
	defer func() {
		if r := recover(); r != nil {
			res = fmt.Sprintf("PANIC: %v", r)
		}
	}()
	t := fn.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		var pt reflect.Type
		if t.IsVariadic() && i >= t.NumIn()-1 {
			pt = t.In(t.NumIn() - 1).Elem()
		} else {
			pt = t.In(i)
		}
		if a == nil {
			in[i] = reflect.Zero(pt)
		} else {
			in[i] = reflect.ValueOf(a)
			// A number literal takes the parameter's numeric type, as in a template.
			if k := pt.Kind(); k >= reflect.Int && k <= reflect.Float64 && in[i].Kind() == reflect.Int {
				in[i] = in[i].Convert(pt)
			}
		}
	}
	out := fn.Call(in)
	if len(out) == 2 && !out[1].IsNil() {
		return "ERROR: " + out[1].Interface().(error).Error()
	}
	v := out[0].Interface()
	return fmt.Sprintf("%v (%T)", v, v)
}

func main() {
	f := funcs()
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		parts := strings.Split(line, "|")
		var args []interface{}
		for _, p := range parts[1:] {
			args = append(args, arg(p))
		}
		res := call(reflect.ValueOf(f[parts[0]]), args)
		res = strings.ReplaceAll(res, "\\", "\\\\")
		res = strings.ReplaceAll(res, "\n", "\\n")
		fmt.Fprintf(w, "%s\t%s\n", line, res)
	}
}
