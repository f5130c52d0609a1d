package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"sigs.k8s.io/structured-merge-diff/v4/schema"
)

const (
	ctApply     = "application/apply-patch+yaml"
	ctMerge     = "application/merge-patch+json"
	ctJSONPatch = "application/json-patch+json"
	ctStrategic = "application/strategic-merge-patch+json"
)

func (s *server) servePatch(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	t := ri.t
	ct := mediaType(r)
	accepted := []string{ctJSONPatch, ctMerge, ctApply}
	if t.CRD == "" {
		accepted = append(accepted, ctStrategic)
	}
	ok := false
	for _, a := range accepted {
		if a == ct {
			ok = true
		}
	}
	if !ok {
		writeError(w, errUnsupportedMediaType(ct, accepted))
		return
	}
	wo, aerr := s.parseWriteOpts(r, ri)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	q := r.URL.Query()
	force := false
	if f, has := q["force"]; has {
		if ct != ctApply {
			writeError(w, errInvalid("PatchOptions.meta.k8s.io", "meta.k8s.io", "PatchOptions", "", []fieldError{
				{"FieldValueForbidden", "force", "Forbidden: may not be specified for non-apply patch"}}))
			return
		}
		force = isTrue(f[0])
	}
	if ct == ctApply && q.Get("fieldManager") == "" {
		writeError(w, errInvalid("PatchOptions.meta.k8s.io", "meta.k8s.io", "PatchOptions", "", []fieldError{
			requiredValue("fieldManager", "is required for apply patch")}))
		return
	}
	body, aerr := readBody(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if ct == ctApply {
		s.serveApply(w, ri, body, wo, force)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.get(t, ri.ns, ri.name)
	if live == nil {
		writeError(w, errNotFound(t, ri.name))
		return
	}
	cur := output(t, live)
	var patched obj
	var err error
	switch ct {
	case ctMerge:
		patched, err = mergePatch(cur, body)
	case ctJSONPatch:
		patched, err = jsonPatch(cur, body)
	case ctStrategic:
		patched, err = strategicPatch(cur, body, t)
	}
	if err != nil {
		if ae, ok := err.(*apiError); ok {
			writeError(w, ae)
			return
		}
		writeError(w, errBadRequest(err.Error()))
		return
	}
	if aerr := checkTypeMeta(t, patched); aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := checkStringMaps(t, patched); aerr != nil {
		writeError(w, aerr)
		return
	}
	if t.CRD != "" {
		if aerr := fieldValidation(w, wo.validation, pruneUnknown(t, patched), false); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	if metaString(patched, "name") != ri.name {
		writeError(w, errBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", metaString(patched, "name"), ri.name)))
		return
	}
	if rv := metaString(patched, "resourceVersion"); rv != "" && rv != metaString(live, "resourceVersion") {
		writeError(w, errConflict(t, ri.name))
		return
	}
	out, aerr := s.update(t, ri.sub, live, patched, wo)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, 200, output(t, out))
}

// serveApply: server-side apply, as the real server runs it: the body is
// decoded, and the apply merged, defaulted and validated, without the
// lock, against the live object read under it; the write then commits
// only if that object has not changed meanwhile (its resourceVersion),
// else the whole apply runs again on the new one (etcd's guaranteed
// update).  Concurrent applies of different objects use every core.
func (s *server) serveApply(w http.ResponseWriter, ri *reqInfo, body []byte, wo writeOpts, force bool) {
	t := ri.t
	config, err := decodeObject(body, true)
	if err != nil {
		writeError(w, errBadRequest(fmt.Sprintf("error decoding YAML: %v", err)))
		return
	}
	if av := str(config, "apiVersion"); av != t.GV() {
		if av == "" {
			writeError(w, errBadRequest("invalid object type: /, Kind="+str(config, "kind")))
			return
		}
		writeError(w, errBadRequest(fmt.Sprintf("Incorrect version specified in apply patch. Specified patch version: %s, expected: %s", av, t.GV())))
		return
	}
	if k := str(config, "kind"); k != t.Kind {
		writeError(w, errBadRequest(fmt.Sprintf("invalid object type: %s, Kind=%s", t.GV(), k)))
		return
	}
	md := meta(config)
	if _, has := md["managedFields"]; has && md["managedFields"] != nil {
		writeError(w, errBadRequest("metadata.managedFields must be nil"))
		return
	}
	if n := metaString(config, "name"); n != ri.name {
		writeError(w, errBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", n, ri.name)))
		return
	}
	if ns := metaString(config, "namespace"); t.Namespaced && ns != "" && ns != ri.ns {
		writeError(w, errBadRequest("the namespace of the provided object does not match the namespace sent on the request"))
		return
	}
	if t.Namespaced {
		md["namespace"] = ri.ns
	} else {
		delete(md, "namespace")
	}
	if t.CRD != "" {
		if aerr := fieldValidation(w, wo.validation, pruneUnknown(t, config), true); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	for {
		code, out, aerr, retry := s.applyOnce(ri, config, wo, force)
		if retry {
			continue
		}
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		writeJSON(w, code, output(t, out))
		return
	}
}

// rvOf is the resourceVersion of a stored object, "" for none.
func rvOf(o obj) string {
	if o == nil {
		return ""
	}
	return metaString(o, "resourceVersion")
}

// applyOnce is one attempt of serveApply: retry when the object changed
// between its read and its commit.
func (s *server) applyOnce(ri *reqInfo, config obj, wo writeOpts, force bool) (int, obj, *apiError, bool) {
	t := ri.t
	s.mu.Lock()
	live := s.get(t, ri.ns, ri.name)
	if live == nil {
		if ri.sub != "" {
			s.mu.Unlock()
			return 0, nil, errNotFound(t, ri.name), false
		}
		if aerr := s.checkNamespace(t, ri.ns, ri.name); aerr != nil {
			s.mu.Unlock()
			return 0, nil, aerr, false
		}
	}
	s.mu.Unlock()
	// Stored objects are never changed in place (every write stores a
	// new one), so `live` may be read without the lock.
	readRV := rvOf(live)
	locked := func() bool {
		s.mu.Lock()
		if rvOf(s.get(t, ri.ns, ri.name)) != readRV {
			s.mu.Unlock()
			return false
		}
		return true
	}
	if live == nil {
		merged, err := s.fmApply(t, "", nil, config, wo.manager, force)
		if err != nil {
			return 0, nil, typedError(t, ri.name, err), false
		}
		if t.Status {
			s.resetStatusOnCreate(t, merged)
		}
		defaultObject(t, merged)
		if errs := validateObject(t, merged, nil); len(errs) > 0 {
			return 0, nil, errInvalid(t.GK(), t.Group, t.Kind, ri.name, errs), false
		}
		if !locked() {
			return 0, nil, nil, true
		}
		defer s.mu.Unlock()
		if aerr := s.checkNamespace(t, ri.ns, ri.name); aerr != nil {
			return 0, nil, aerr, false
		}
		s.prepareCreate(t, merged)
		if !wo.dryRun {
			if aerr := tooLarge(merged); aerr != nil {
				return 0, nil, aerr, false
			}
			s.store(t, ri.ns, ri.name, merged, "ADDED")
			s.afterWrite(t, nil, merged)
		}
		return 201, merged, nil, false
	}
	if metaString(config, "resourceVersion") != "" && metaString(config, "resourceVersion") != readRV {
		return 0, nil, errConflict(t, ri.name), false
	}
	merged, err := s.fmApply(t, ri.sub, live, config, wo.manager, force)
	if err != nil {
		return 0, nil, typedError(t, ri.name, err), false
	}
	// The applied object goes through the same strategy as an update;
	// managedFields are already final.
	mf := meta(merged)["managedFields"]
	merged = s.prepareUpdate(t, ri.sub, live, merged)
	if mf != nil {
		meta(merged)["managedFields"] = mf
	} else {
		delete(meta(merged), "managedFields")
	}
	if errs := validateObject(t, merged, live); len(errs) > 0 {
		return 0, nil, errInvalid(t.GK(), t.Group, t.Kind, ri.name, errs), false
	}
	if !locked() {
		return 0, nil, nil, true
	}
	defer s.mu.Unlock()
	out, aerr := s.commit(t, ri.ns, ri.name, live, merged, wo)
	if aerr != nil {
		return 0, nil, aerr, false
	}
	return 200, out, nil, false
}

// mergePatch is RFC 7386 JSON merge patch.
func mergePatch(cur obj, body []byte) (obj, error) {
	p, err := decodeJSON(body)
	if err != nil {
		return nil, fmt.Errorf("error decoding patch: %v", err)
	}
	pm, ok := p.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("a merge patch must be a JSON object")
	}
	return mergeInto(copyObj(cur), pm), nil
}

func mergeInto(dst map[string]interface{}, patch map[string]interface{}) map[string]interface{} {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		if pm, ok := v.(map[string]interface{}); ok {
			dm, ok := dst[k].(map[string]interface{})
			if !ok {
				dm = map[string]interface{}{}
			}
			dst[k] = mergeInto(dm, pm)
			continue
		}
		dst[k] = deepCopy(v)
	}
	return dst
}

// jsonPatch is RFC 6902.
func jsonPatch(cur obj, body []byte) (obj, error) {
	p, err := decodeJSON(body)
	if err != nil {
		return nil, fmt.Errorf("error decoding patch: %v", err)
	}
	ops, ok := p.([]interface{})
	if !ok {
		return nil, fmt.Errorf("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
	}
	var doc interface{} = copyObj(cur)
	for _, o := range ops {
		op, ok := o.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("invalid JSON patch operation")
		}
		kind, _ := op["op"].(string)
		ptr, _ := op["path"].(string)
		switch kind {
		case "add", "replace", "test":
			v, has := op["value"]
			if !has {
				return nil, fmt.Errorf("missing value in %s operation", kind)
			}
			if kind == "test" {
				got, err := jpGet(doc, ptr)
				if err != nil || !equalValues(got, v) {
					return nil, &apiError{422, "Invalid", fmt.Sprintf("the server rejected our request due to an error in our request"), nil}
				}
				continue
			}
			doc, err = jpSet(doc, ptr, deepCopy(v), kind)
		case "remove":
			doc, err = jpRemove(doc, ptr)
		case "move", "copy":
			from, _ := op["from"].(string)
			var v interface{}
			v, err = jpGet(doc, from)
			if err == nil && kind == "move" {
				doc, err = jpRemove(doc, from)
			}
			if err == nil {
				doc, err = jpSet(doc, ptr, deepCopy(v), "add")
			}
		default:
			return nil, fmt.Errorf("Unexpected kind: %s", kind)
		}
		if err != nil {
			return nil, err
		}
	}
	m, ok := doc.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("the patch replaced the object with a non-object")
	}
	return m, nil
}

func jpTokens(ptr string) ([]string, error) {
	if ptr == "" {
		return nil, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("JSON pointer must start with /: %q", ptr)
	}
	parts := strings.Split(ptr[1:], "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

func jpGet(doc interface{}, ptr string) (interface{}, error) {
	toks, err := jpTokens(ptr)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, t := range toks {
		switch c := cur.(type) {
		case map[string]interface{}:
			v, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("doc is missing path: %q: missing value", ptr)
			}
			cur = v
		case []interface{}:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("doc is missing path: %q: missing value", ptr)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("doc is missing path: %q: missing value", ptr)
		}
	}
	return cur, nil
}

// jpSet adds or replaces at ptr, returning the (possibly new) root.
func jpSet(doc interface{}, ptr string, v interface{}, kind string) (interface{}, error) {
	toks, err := jpTokens(ptr)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return v, nil
	}
	parent, err := jpGet(doc, "/"+strings.Join(escapeAll(toks[:len(toks)-1]), "/"))
	if len(toks) == 1 {
		parent, err = doc, nil
	}
	if err != nil {
		return nil, fmt.Errorf("add operation does not apply: doc is missing path: %q", ptr)
	}
	last := toks[len(toks)-1]
	switch p := parent.(type) {
	case map[string]interface{}:
		if kind == "replace" {
			if _, ok := p[last]; !ok {
				return nil, fmt.Errorf("replace operation does not apply: doc is missing key: %s: missing value", ptr)
			}
		}
		p[last] = v
	case []interface{}:
		var i int
		if last == "-" {
			i = len(p)
		} else {
			i, err = strconv.Atoi(last)
			if err != nil || i < 0 || i > len(p) || (kind == "replace" && i == len(p)) {
				return nil, fmt.Errorf("Unable to access invalid index: %s", last)
			}
		}
		var nl []interface{}
		if kind == "replace" {
			p[i] = v
			nl = p
		} else {
			nl = append(append(append([]interface{}{}, p[:i]...), v), p[i:]...)
		}
		return jpSet(doc, "/"+strings.Join(escapeAll(toks[:len(toks)-1]), "/"), nl, "replace")
	default:
		return nil, fmt.Errorf("add operation does not apply: doc is missing path: %q", ptr)
	}
	return doc, nil
}

func jpRemove(doc interface{}, ptr string) (interface{}, error) {
	toks, err := jpTokens(ptr)
	if err != nil || len(toks) == 0 {
		return nil, fmt.Errorf("remove operation does not apply: doc is missing path: %q", ptr)
	}
	var parent interface{} = doc
	if len(toks) > 1 {
		parent, err = jpGet(doc, "/"+strings.Join(escapeAll(toks[:len(toks)-1]), "/"))
		if err != nil {
			return nil, fmt.Errorf("remove operation does not apply: doc is missing path: %q: missing value", ptr)
		}
	}
	last := toks[len(toks)-1]
	switch p := parent.(type) {
	case map[string]interface{}:
		if _, ok := p[last]; !ok {
			return nil, fmt.Errorf("remove operation does not apply: doc is missing path: %q: missing value", ptr)
		}
		delete(p, last)
	case []interface{}:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			return nil, fmt.Errorf("Unable to remove nonexistent key: %s: missing value", last)
		}
		nl := append(append([]interface{}{}, p[:i]...), p[i+1:]...)
		return jpSet(doc, "/"+strings.Join(escapeAll(toks[:len(toks)-1]), "/"), nl, "replace")
	default:
		return nil, fmt.Errorf("remove operation does not apply: doc is missing path: %q", ptr)
	}
	return doc, nil
}

func escapeAll(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}

// strategicPatch is Kubernetes' strategic merge patch for built-in
// types. The list semantics come from the same schema server-side apply
// uses: associative lists merge by their first key (the patchMergeKey),
// sets merge as sets, other lists are replaced. Directives: $patch
// (replace, delete, merge), $retainKeys, $deleteFromPrimitiveList/...,
// $setElementOrder/... .
func strategicPatch(cur obj, body []byte, t *resType) (obj, error) {
	p, err := decodeJSON(body)
	if err != nil {
		return nil, fmt.Errorf("error decoding patch: %v", err)
	}
	pm, ok := p.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("a strategic merge patch must be a JSON object")
	}
	sch := &t.parser.parser.Schema
	tr := schema.TypeRef{NamedType: &t.parser.name}
	out, err := smpMap(copyObj(cur), pm, sch, tr)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func resolveMap(s *schema.Schema, tr schema.TypeRef) *schema.Map {
	a, ok := s.Resolve(tr)
	if !ok || a.Map == nil {
		return nil
	}
	return a.Map
}

func childType(s *schema.Schema, tr schema.TypeRef, field string) schema.TypeRef {
	m := resolveMap(s, tr)
	if m == nil {
		return deducedRef
	}
	if f, ok := m.FindField(field); ok {
		return f.Type
	}
	return m.ElementType
}

var deducedName = "__untyped_deduced_"
var deducedRef = schema.TypeRef{NamedType: &deducedName}

func smpMap(dst, patch map[string]interface{}, s *schema.Schema, tr schema.TypeRef) (map[string]interface{}, error) {
	if d, ok := patch["$patch"]; ok {
		switch d {
		case "replace":
			out := map[string]interface{}{}
			for k, v := range patch {
				if k != "$patch" {
					out[k] = deepCopy(v)
				}
			}
			return out, nil
		case "delete":
			return nil, nil
		case "merge":
		default:
			return nil, fmt.Errorf("Unknown patch type: %v", d)
		}
	}
	var retain []interface{}
	hasRetain := false
	if r, ok := patch["$retainKeys"].([]interface{}); ok {
		retain, hasRetain = r, true
	}
	for k, v := range patch {
		switch {
		case k == "$patch" || k == "$retainKeys":
			continue
		case strings.HasPrefix(k, "$setElementOrder/"):
			continue
		case strings.HasPrefix(k, "$deleteFromPrimitiveList/"):
			f := strings.TrimPrefix(k, "$deleteFromPrimitiveList/")
			del, _ := v.([]interface{})
			l, _ := dst[f].([]interface{})
			var keep []interface{}
			for _, e := range l {
				drop := false
				for _, d := range del {
					if equalValues(e, d) {
						drop = true
					}
				}
				if !drop {
					keep = append(keep, e)
				}
			}
			if keep == nil {
				delete(dst, f)
			} else {
				dst[f] = keep
			}
			continue
		}
		if v == nil {
			delete(dst, k)
			continue
		}
		ct := childType(s, tr, k)
		switch pv := v.(type) {
		case map[string]interface{}:
			a, _ := s.Resolve(ct)
			if a.Map != nil && a.Map.ElementRelationship == schema.Atomic && len(a.Map.Fields) == 0 {
				dst[k] = deepCopy(pv)
				continue
			}
			dm, _ := dst[k].(map[string]interface{})
			if dm == nil {
				dm = map[string]interface{}{}
			}
			merged, err := smpMap(dm, pv, s, ct)
			if err != nil {
				return nil, err
			}
			if merged == nil {
				delete(dst, k)
			} else {
				dst[k] = merged
			}
		case []interface{}:
			dl, _ := dst[k].([]interface{})
			merged, err := smpList(dl, pv, s, ct)
			if err != nil {
				return nil, err
			}
			dst[k] = merged
		default:
			dst[k] = pv
		}
	}
	if hasRetain {
		keep := map[string]bool{}
		for _, r := range retain {
			if s, ok := r.(string); ok {
				keep[s] = true
			}
		}
		for k := range dst {
			if !keep[k] {
				delete(dst, k)
			}
		}
	}
	return dst, nil
}

func smpList(dst, patch []interface{}, s *schema.Schema, tr schema.TypeRef) ([]interface{}, error) {
	a, _ := s.Resolve(tr)
	if a.List == nil || a.List.ElementRelationship != schema.Associative {
		// Replace, dropping directive-only elements.
		out := []interface{}{}
		for _, e := range patch {
			if m, ok := e.(map[string]interface{}); ok {
				if _, d := m["$patch"]; d {
					continue
				}
			}
			out = append(out, deepCopy(e))
		}
		return out, nil
	}
	if len(a.List.Keys) == 0 {
		// A set: union, in order.
		out := append([]interface{}{}, dst...)
		for _, e := range patch {
			found := false
			for _, d := range out {
				if equalValues(d, e) {
					found = true
				}
			}
			if !found {
				out = append(out, deepCopy(e))
			}
		}
		return out, nil
	}
	key := a.List.Keys[0]
	out := append([]interface{}{}, dst...)
	for _, e := range patch {
		pm, ok := e.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("patch element is not a map: %v", e)
		}
		if pm["$patch"] == "replace" {
			// The whole list is replaced by the patch's other elements.
			var rep []interface{}
			for _, x := range patch {
				if xm, ok := x.(map[string]interface{}); ok && xm["$patch"] != nil {
					continue
				}
				rep = append(rep, deepCopy(x))
			}
			return rep, nil
		}
		idx := -1
		for i, d := range out {
			if dm, ok := d.(map[string]interface{}); ok && equalValues(dm[key], pm[key]) {
				idx = i
				break
			}
		}
		if pm["$patch"] == "delete" {
			if idx >= 0 {
				out = append(out[:idx], out[idx+1:]...)
			}
			continue
		}
		if idx < 0 {
			c := deepCopy(pm).(map[string]interface{})
			delete(c, "$patch")
			out = append(out, c)
			continue
		}
		dm := deepCopy(out[idx]).(map[string]interface{})
		merged, err := smpMap(dm, pm, s, a.List.ElementType)
		if err != nil {
			return nil, err
		}
		out[idx] = merged
	}
	return out, nil
}
