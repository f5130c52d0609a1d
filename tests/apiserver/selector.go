package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// labelSelector is a parsed labelSelector query: requirements joined by
// commas, each `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`,
// `!k`.
type labelSelector []requirement

type requirement struct {
	key    string
	op     string // "=", "!=", "in", "notin", "exists", "!"
	values []string
}

func (s labelSelector) empty() bool { return len(s) == 0 }

func (s labelSelector) matches(labels map[string]string) bool {
	for _, r := range s {
		v, has := labels[r.key]
		switch r.op {
		case "=":
			if !has || v != r.values[0] {
				return false
			}
		case "!=":
			if has && v == r.values[0] {
				return false
			}
		case "in":
			if !has || !contains(r.values, v) {
				return false
			}
		case "notin":
			if has && contains(r.values, v) {
				return false
			}
		case "exists":
			if !has {
				return false
			}
		case "!":
			if has {
				return false
			}
		}
	}
	return true
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// splitTop splits at commas outside parentheses.
func splitTop(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced parenthesis in %q", s)
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced parenthesis in %q", s)
	}
	return append(out, s[start:]), nil
}

func parseLabelSelector(s string) (labelSelector, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	parts, err := splitTop(s)
	if err != nil {
		return nil, err
	}
	var sel labelSelector
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("found '', expected: identifier")
		}
		var r requirement
		switch {
		case strings.HasPrefix(p, "!"):
			r = requirement{key: strings.TrimSpace(p[1:]), op: "!"}
		case strings.Contains(p, "!="):
			i := strings.Index(p, "!=")
			r = requirement{key: strings.TrimSpace(p[:i]), op: "!=", values: []string{strings.TrimSpace(p[i+2:])}}
		case strings.Contains(p, "=="):
			i := strings.Index(p, "==")
			r = requirement{key: strings.TrimSpace(p[:i]), op: "=", values: []string{strings.TrimSpace(p[i+2:])}}
		case strings.Contains(p, "="):
			i := strings.Index(p, "=")
			r = requirement{key: strings.TrimSpace(p[:i]), op: "=", values: []string{strings.TrimSpace(p[i+1:])}}
		case strings.Contains(p, "("):
			i := strings.Index(p, "(")
			head := strings.Fields(p[:i])
			if len(head) != 2 || (head[1] != "in" && head[1] != "notin") || !strings.HasSuffix(p, ")") {
				return nil, fmt.Errorf("found '%s', expected: in, notin, =, ==, !=, gt, lt", p)
			}
			r = requirement{key: head[0], op: head[1]}
			for _, v := range strings.Split(p[i+1:len(p)-1], ",") {
				r.values = append(r.values, strings.TrimSpace(v))
			}
		default:
			if strings.ContainsAny(p, " \t") {
				return nil, fmt.Errorf("found '%s', expected: in, notin, =, ==, !=, gt, lt", p)
			}
			r = requirement{key: p, op: "exists"}
		}
		if msg := validateLabelKey(r.key); msg != "" {
			return nil, fmt.Errorf("key: Invalid value: %q: %s", r.key, msg)
		}
		for _, v := range r.values {
			if msg := validateLabelValue(v); msg != "" {
				return nil, fmt.Errorf("values[0][%s]: Invalid value: %q: %s", r.key, v, msg)
			}
		}
		sel = append(sel, r)
	}
	return sel, nil
}

// fieldSelector supports what every resource supports: metadata.name and
// metadata.namespace with =, == and !=.
type fieldSelector []requirement

func (s fieldSelector) empty() bool { return len(s) == 0 }

func (s fieldSelector) matches(o obj) bool {
	for _, r := range s {
		var v string
		switch r.key {
		case "metadata.name":
			v = metaString(o, "name")
		case "metadata.namespace":
			v = metaString(o, "namespace")
		}
		if (r.op == "=") != (v == r.values[0]) {
			return false
		}
	}
	return true
}

func parseFieldSelector(s string, t *resType) (fieldSelector, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var sel fieldSelector
	for _, p := range strings.Split(s, ",") {
		var r requirement
		switch {
		case strings.Contains(p, "!="):
			i := strings.Index(p, "!=")
			r = requirement{key: p[:i], op: "!=", values: []string{p[i+2:]}}
		case strings.Contains(p, "=="):
			i := strings.Index(p, "==")
			r = requirement{key: p[:i], op: "=", values: []string{p[i+2:]}}
		case strings.Contains(p, "="):
			i := strings.Index(p, "=")
			r = requirement{key: p[:i], op: "=", values: []string{p[i+1:]}}
		default:
			return nil, fmt.Errorf("invalid selector: '%s'; can't understand '%s'", s, p)
		}
		if r.key != "metadata.name" && r.key != "metadata.namespace" {
			return nil, fmt.Errorf("field label not supported: %s", r.key)
		}
		sel = append(sel, r)
	}
	return sel, nil
}

type continueToken struct {
	V     string `json:"v"`
	RV    int64  `json:"rv"`
	Start string `json:"start"`
}

func encodeContinue(rv int64, lastKey string) string {
	b, _ := json.Marshal(continueToken{"meta.k8s.io/v1", rv, lastKey})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(s string) (int64, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, "", false
	}
	var t continueToken
	if json.Unmarshal(b, &t) != nil || t.V != "meta.k8s.io/v1" {
		return 0, "", false
	}
	return t.RV, t.Start, true
}
