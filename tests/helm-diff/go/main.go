// helm-diff-go executes the differential test's cases with Go's
// text/template and Debian's Sprig, as Helm's engine sets them up
// (template set "gotpl", missingkey=zero, Sprig's TxtFuncMap without env
// and expandenv, Helm's include and tpl), and prints each outcome for
// tests/helm-diff/helm-diff.c to compare with hoist's engine.
//
// Input (stdin), per case:  "T <len>\n<template>\nV <len>\n<json values>\n"
// Output (stdout), per case: "O <len>\n<output>\n" or "E <len>\n<error>\n"
//
// Build (GOPATH mode, offline):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o helm-diff-go .
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
)

func readRecord(r *bufio.Reader, tag byte) ([]byte, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	var n int
	if len(line) < 3 || line[0] != tag {
		return nil, fmt.Errorf("expected %c record, got %q", tag, line)
	}
	if n, err = strconv.Atoi(strings.TrimSpace(line[2:])); err != nil {
		return nil, err
	}
	b := make([]byte, n+1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b[:n], nil
}

func includeFun(t *template.Template, names map[string]int) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		if names[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
		}
		names[name]++
		err := t.ExecuteTemplate(&buf, name, data)
		names[name]--
		return buf.String(), err
	}
}

func tplFun(parent *template.Template, names map[string]int) func(string, interface{}) (string, error) {
	return func(text string, vals interface{}) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		t.Option("missingkey=zero")
		t.Funcs(template.FuncMap{"include": includeFun(t, names), "tpl": tplFun(t, names)})
		t, err = t.New(parent.Name()).Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

func run(text string, vals interface{}) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	t := template.New("gotpl").Option("missingkey=zero")
	fm := sprig.TxtFuncMap()
	delete(fm, "env")
	delete(fm, "expandenv")
	names := map[string]int{}
	fm["include"] = includeFun(t, names)
	fm["tpl"] = tplFun(t, names)
	t.Funcs(fm)
	if _, err := t.New("case").Parse(text); err != nil {
		return "", err
	}
	var buf strings.Builder
	err = t.ExecuteTemplate(&buf, "case", vals)
	return buf.String(), err
}

func main() {
	r := bufio.NewReaderSize(os.Stdin, 1<<20)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	for {
		tb, err := readRecord(r, 'T')
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "helm-diff-go: bad input:", err)
			os.Exit(2)
		}
		vb, err := readRecord(r, 'V')
		if err != nil {
			fmt.Fprintln(os.Stderr, "helm-diff-go: bad input:", err)
			os.Exit(2)
		}
		var vals interface{}
		if err := json.Unmarshal(vb, &vals); err != nil {
			fmt.Fprintln(os.Stderr, "helm-diff-go: bad values:", err)
			os.Exit(2)
		}
		out, err := run(string(tb), vals)
		if err != nil {
			msg := err.Error()
			fmt.Fprintf(w, "E %d\n%s\n", len(msg), msg)
		} else {
			fmt.Fprintf(w, "O %d\n%s\n", len(out), out)
		}
	}
}
