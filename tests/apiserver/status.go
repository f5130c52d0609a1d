package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is a metav1.Status failure, as the real server writes it.
type apiError struct {
	Code    int
	Reason  string
	Message string
	Details map[string]interface{}
}

func (e *apiError) Error() string { return e.Message }

func (e *apiError) status() map[string]interface{} {
	st := map[string]interface{}{
		"kind":       "Status",
		"apiVersion": "v1",
		"metadata":   map[string]interface{}{},
		"status":     "Failure",
		"message":    e.Message,
		"code":       int64(e.Code),
	}
	if e.Reason != "" {
		st["reason"] = e.Reason
	}
	if e.Details != nil {
		st["details"] = e.Details
	}
	return st
}

// details builds StatusDetails for an object of type t ("kind" there is
// the resource, as the real server reports it for these errors).
func details(t *resType, name string) map[string]interface{} {
	d := map[string]interface{}{}
	if name != "" {
		d["name"] = name
	}
	if t != nil {
		if t.Group != "" {
			d["group"] = t.Group
		}
		d["kind"] = t.Resource
	}
	return d
}

func errNotFound(t *resType, name string) *apiError {
	return &apiError{404, "NotFound", fmt.Sprintf("%s %q not found", t.GR(), name), details(t, name)}
}

func errNamespaceNotFound(ns string) *apiError {
	return &apiError{404, "NotFound", fmt.Sprintf("namespaces %q not found", ns),
		map[string]interface{}{"name": ns, "kind": "namespaces"}}
}

// errNoResource is what the real server answers for a path nothing serves.
func errNoResource() *apiError {
	return &apiError{404, "NotFound", "the server could not find the requested resource", map[string]interface{}{}}
}

func errAlreadyExists(t *resType, name string) *apiError {
	return &apiError{409, "AlreadyExists", fmt.Sprintf("%s %q already exists", t.GR(), name), details(t, name)}
}

func errConflict(t *resType, name string) *apiError {
	return &apiError{409, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s %q: the object has been modified; please apply your changes to the latest version and try again", t.GR(), name), details(t, name)}
}

func errBadRequest(msg string) *apiError {
	return &apiError{400, "BadRequest", msg, nil}
}

func errMethodNotAllowed(t *resType) *apiError {
	d := map[string]interface{}{}
	if t != nil {
		d = details(t, "")
	}
	return &apiError{405, "MethodNotAllowed", "the server does not allow this method on the requested resource", d}
}

func errUnsupportedMediaType(ct string, accepted []string) *apiError {
	return &apiError{415, "UnsupportedMediaType", fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s", strings.Join(accepted, ", ")), nil}
}

func errUnauthorized() *apiError {
	return &apiError{401, "Unauthorized", "Unauthorized", nil}
}

func errGone(msg string) *apiError {
	return &apiError{410, "Expired", msg, nil}
}

func errInternal(err error) *apiError {
	return &apiError{500, "InternalError", fmt.Sprintf("Internal error occurred: %v", err),
		map[string]interface{}{"causes": []interface{}{map[string]interface{}{"message": err.Error()}}}}
}

// fieldError is one field.Error of the real server's validation.
type fieldError struct {
	Type   string // FieldValueRequired, FieldValueInvalid, ...
	Field  string
	Detail string // the "Invalid value: ..." or "Required value" part
}

// errInvalid is the 422 the real server returns: `Kind.group "name" is
// invalid: field: detail` with one cause per field error.
func errInvalid(gk, group, kind, name string, errs []fieldError) *apiError {
	var parts []string
	var causes []interface{}
	for _, e := range errs {
		parts = append(parts, e.Field+": "+e.Detail)
		causes = append(causes, map[string]interface{}{"reason": e.Type, "message": e.Detail, "field": e.Field})
	}
	msg := fmt.Sprintf("%s %q is invalid: ", gk, name)
	if len(parts) == 1 {
		msg += parts[0]
	} else {
		msg += "[" + strings.Join(parts, ", ") + "]"
	}
	d := map[string]interface{}{"name": name, "kind": kind, "causes": causes}
	if group != "" {
		d["group"] = group
	}
	return &apiError{422, "Invalid", msg, d}
}

func invalidValue(field string, value interface{}, detail string) fieldError {
	v, _ := json.Marshal(value)
	return fieldError{"FieldValueInvalid", field, fmt.Sprintf("Invalid value: %s: %s", v, detail)}
}

func requiredValue(field, detail string) fieldError {
	d := "Required value"
	if detail != "" {
		d += ": " + detail
	}
	return fieldError{"FieldValueRequired", field, d}
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Code, e.status())
}

func writeJSON(w http.ResponseWriter, code int, v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		code = 500
		b = []byte(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"encoding failed","reason":"InternalError","code":500}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(code)
	w.Write(b)
	w.Write([]byte("\n"))
}
