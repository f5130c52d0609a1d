package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/structured-merge-diff/v4/schema"
	"sigs.k8s.io/structured-merge-diff/v4/typed"
)

// CustomResourceDefinitions: a CRD's kinds are served only once the
// "establishing controller" has run (after --crd-establish-delay), which
// sets the NamesAccepted and Established conditions; until then requests
// for them get 404, as on a real cluster. Deleting a CRD marks it
// Terminating, removes its objects, then itself.

const crdCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func validateCRD(o, live obj) []fieldError {
	var errs []fieldError
	group, _ := path(o, "spec", "group").(string)
	plural, _ := path(o, "spec", "names", "plural").(string)
	kind, _ := path(o, "spec", "names", "kind").(string)
	scope, _ := path(o, "spec", "scope").(string)
	if group == "" {
		errs = append(errs, requiredValue("spec.group", ""))
	} else if !strings.Contains(group, ".") {
		errs = append(errs, invalidValue("spec.group", group, "should be a domain with at least one dot"))
	}
	if plural == "" {
		errs = append(errs, requiredValue("spec.names.plural", ""))
	}
	if kind == "" {
		errs = append(errs, requiredValue("spec.names.kind", ""))
	}
	if name := metaString(o, "name"); plural != "" && group != "" && name != plural+"."+group {
		errs = append(errs, invalidValue("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"))
	}
	if scope != "Namespaced" && scope != "Cluster" {
		errs = append(errs, fieldError{"FieldValueNotSupported", "spec.scope", fmt.Sprintf("Unsupported value: %q: supported values: \"Cluster\", \"Namespaced\"", scope)})
	}
	versions, _ := path(o, "spec", "versions").([]interface{})
	if len(versions) == 0 {
		errs = append(errs, requiredValue("spec.versions", "must have exactly one version marked as storage version"))
	}
	storage := 0
	for i, v := range versions {
		vm, _ := v.(map[string]interface{})
		if st, _ := vm["storage"].(bool); st {
			storage++
		}
		if n, _ := vm["name"].(string); n == "" {
			errs = append(errs, requiredValue(fmt.Sprintf("spec.versions[%d].name", i), ""))
		}
		if path(vm, "schema", "openAPIV3Schema") == nil {
			errs = append(errs, requiredValue(fmt.Sprintf("spec.versions[%d].schema.openAPIV3Schema", i), "schemas are required"))
		}
	}
	if len(versions) > 0 && storage != 1 {
		errs = append(errs, invalidValue("spec.versions", versions, "must have exactly one version marked as storage version"))
	}
	if live != nil {
		if g, _ := path(live, "spec", "group").(string); g != group {
			errs = append(errs, invalidValue("spec.group", group, "field is immutable"))
		}
	}
	return errs
}

func defaultCRD(o obj) {
	kind, _ := path(o, "spec", "names", "kind").(string)
	setDefault(o, strings.ToLower(kind), "spec", "names", "singular")
	setDefault(o, kind+"List", "spec", "names", "listKind")
	setDefault(o, "None", "spec", "conversion", "strategy")
}

// resetStatusOnCreate: the strategies start status empty on create.
func (s *server) resetStatusOnCreate(t *resType, o obj) {
	switch {
	case t.CRD != "":
		delete(o, "status")
	case t.Kind == "Service":
		o["status"] = map[string]interface{}{"loadBalancer": map[string]interface{}{}}
	case t.Kind == "Namespace":
		o["status"] = map[string]interface{}{}
	case t.Kind == "CustomResourceDefinition":
		o["status"] = map[string]interface{}{
			"acceptedNames":  map[string]interface{}{"kind": "", "plural": ""},
			"conditions":     []interface{}{},
			"storedVersions": []interface{}{},
		}
	default:
		o["status"] = map[string]interface{}{}
	}
}

// afterWrite runs the controllers a write triggers. Called locked.
func (s *server) afterWrite(t *resType, live, o obj) {
	if t.Kind != "CustomResourceDefinition" || t.CRD != "" {
		return
	}
	if live != nil && equalValues(live["spec"], o["spec"]) {
		return
	}
	name, uid := metaString(o, "name"), metaString(o, "uid")
	go func() {
		time.Sleep(s.o.crdDelay)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.establish(name, uid)
	}()
}

func (s *server) afterDelete(t *resType, o obj) {}

func crdType(s *server) *resType {
	return s.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
}

// establish registers the kinds of CRD name and sets its conditions.
// Called locked.
func (s *server) establish(name, uid string) {
	ct := crdType(s)
	crd := s.get(ct, "", name)
	if crd == nil || metaString(crd, "uid") != uid || metaString(crd, "deletionTimestamp") != "" {
		return
	}
	types, err := crdResTypes(crd)
	if err != nil {
		return
	}
	s.unregister(name)
	s.typesMu.Lock()
	s.types = append(s.types, types...)
	s.typesMu.Unlock()
	out := copyObj(crd)
	names := deepCopy(path(crd, "spec", "names")).(map[string]interface{})
	setPath(out, names, "status", "acceptedNames")
	now := nowRFC3339()
	setPath(out, []interface{}{
		map[string]interface{}{"type": "NamesAccepted", "status": "True", "lastTransitionTime": keepTime(crd, "NamesAccepted", now), "reason": "NoConflicts", "message": "no conflicts found"},
		map[string]interface{}{"type": "Established", "status": "True", "lastTransitionTime": keepTime(crd, "Established", now), "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
	}, "status", "conditions")
	stored, _ := path(crd, "status", "storedVersions").([]interface{})
	for _, t := range types {
		if t.Version == t.StorageVersion {
			found := false
			for _, v := range stored {
				if v == t.Version {
					found = true
				}
			}
			if !found {
				stored = append(stored, t.Version)
			}
		}
	}
	setPath(out, stored, "status", "storedVersions")
	if !equalValues(out, crd) {
		s.store(ct, "", name, out, "MODIFIED")
	}
}

func keepTime(crd obj, cond, now string) string {
	conds, _ := path(crd, "status", "conditions").([]interface{})
	for _, c := range conds {
		cm, _ := c.(map[string]interface{})
		if cm["type"] == cond && cm["status"] == "True" {
			if t, ok := cm["lastTransitionTime"].(string); ok {
				return t
			}
		}
	}
	return now
}

func (s *server) unregister(crdName string) {
	var keep []*resType
	for _, t := range s.types {
		if t.CRD != crdName {
			keep = append(keep, t)
		}
	}
	s.typesMu.Lock()
	s.types = keep
	s.typesMu.Unlock()
}

// finishCRDDeletion is the finalizer controller: the CRD's objects go,
// then its kinds stop being served, then the CRD goes.
func (s *server) finishCRDDeletion(name string) {
	time.Sleep(s.o.nsDeleteDelay)
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := crdType(s)
	crd := s.get(ct, "", name)
	if crd == nil {
		return
	}
	for _, t := range s.types {
		if t.CRD == name && t.Version == t.StorageVersion {
			m := s.objs[t.storeKey()]
			for _, o := range m {
				s.remove(t, metaString(o, "namespace"), metaString(o, "name"))
			}
			delete(s.objs, t.storeKey())
		}
	}
	s.unregister(name)
	out := copyObj(crd)
	var keep []interface{}
	for _, f := range finalizers(out) {
		if f != crdCleanupFinalizer {
			keep = append(keep, f)
		}
	}
	if len(keep) > 0 {
		meta(out)["finalizers"] = keep
		s.store(ct, "", name, out, "MODIFIED")
		return
	}
	delete(meta(out), "finalizers")
	s.store(ct, "", name, out, "MODIFIED")
	s.remove(ct, "", name)
}

// crdResTypes: one resType per served version of a CRD.
func crdResTypes(crd obj) ([]*resType, error) {
	group, _ := path(crd, "spec", "group").(string)
	names, _ := path(crd, "spec", "names").(map[string]interface{})
	plural, _ := names["plural"].(string)
	kind, _ := names["kind"].(string)
	singular, _ := names["singular"].(string)
	scope, _ := path(crd, "spec", "scope").(string)
	var short, cats []string
	for _, x := range asList(names["shortNames"]) {
		if s, ok := x.(string); ok {
			short = append(short, s)
		}
	}
	for _, x := range asList(names["categories"]) {
		if s, ok := x.(string); ok {
			cats = append(cats, s)
		}
	}
	storage := ""
	for _, v := range asList(path(crd, "spec", "versions")) {
		vm, _ := v.(map[string]interface{})
		if st, _ := vm["storage"].(bool); st {
			storage, _ = vm["name"].(string)
		}
	}
	var out []*resType
	for _, v := range asList(path(crd, "spec", "versions")) {
		vm, _ := v.(map[string]interface{})
		if served, _ := vm["served"].(bool); !served {
			continue
		}
		ver, _ := vm["name"].(string)
		props, _ := path(vm, "schema", "openAPIV3Schema").(map[string]interface{})
		p, err := crdParser(props)
		if err != nil {
			return nil, err
		}
		t := &resType{Group: group, Version: ver, Resource: plural, Kind: kind, Singular: singular,
			Namespaced: scope == "Namespaced", ShortNames: short, Categories: cats,
			Status: path(vm, "subresources", "status") != nil, Generation: true,
			CRD: metaString(crd, "name"), StorageVersion: storage, parser: p, NameRule: nameSubdomain,
			schemaProps: props}
		out = append(out, t)
	}
	return out, nil
}

func asList(v interface{}) []interface{} {
	l, _ := v.([]interface{})
	return l
}

var crdRoot = "__crd_root"

// crdParser turns an openAPIV3Schema into a structured-merge-diff schema
// the way the real server does: properties are struct fields,
// additionalProperties the element type, x-kubernetes-list-type and
// -list-map-keys make associative lists, x-kubernetes-map-type atomic
// maps, x-kubernetes-preserve-unknown-fields deduced content.
func crdParser(props map[string]interface{}) (*parserRef, error) {
	base := builtinParserRef("object").parser
	types := append([]schema.TypeDef{}, base.Schema.Types...)
	root := convertProps(props, true)
	types = append(types, schema.TypeDef{Name: crdRoot, Atom: root})
	p := &typed.Parser{Schema: schema.Schema{Types: types}}
	return &parserRef{parser: p, name: crdRoot}, nil
}

func namedRef(n string) schema.TypeRef {
	s := n
	return schema.TypeRef{NamedType: &s}
}

func convertProps(p map[string]interface{}, root bool) schema.Atom {
	if p == nil {
		a, _ := builtinParserRef("object").parser.Schema.Resolve(namedRef(deducedName))
		return a
	}
	typ, _ := p["type"].(string)
	if v, _ := p["x-kubernetes-int-or-string"].(bool); v {
		u := schema.Scalar("untyped")
		return schema.Atom{Scalar: &u}
	}
	preserve, _ := p["x-kubernetes-preserve-unknown-fields"].(bool)
	embedded, _ := p["x-kubernetes-embedded-resource"].(bool)
	switch typ {
	case "object", "":
		props, _ := p["properties"].(map[string]interface{})
		if typ == "" && props == nil && !embedded {
			a, _ := builtinParserRef("object").parser.Schema.Resolve(namedRef(deducedName))
			return a
		}
		m := &schema.Map{}
		for name, sub := range props {
			sm, _ := sub.(map[string]interface{})
			if (root || embedded) && name == "metadata" {
				continue
			}
			a := convertProps(sm, false)
			m.Fields = append(m.Fields, schema.StructField{Name: name, Type: schema.TypeRef{Inlined: a}, Default: sm["default"]})
		}
		if root || embedded {
			m.Fields = append(m.Fields, schema.StructField{Name: "metadata", Type: namedRef("objectmeta")})
		}
		sortFields(m.Fields)
		if ap, ok := p["additionalProperties"].(map[string]interface{}); ok {
			m.ElementType = schema.TypeRef{Inlined: convertProps(ap, false)}
		} else if preserve || root {
			m.ElementType = namedRef(deducedName)
		}
		if mt, _ := p["x-kubernetes-map-type"].(string); mt == "atomic" {
			m.ElementRelationship = schema.Atomic
		}
		return schema.Atom{Map: m}
	case "array":
		items, _ := p["items"].(map[string]interface{})
		l := &schema.List{ElementType: schema.TypeRef{Inlined: convertProps(items, false)}, ElementRelationship: schema.Atomic}
		switch lt, _ := p["x-kubernetes-list-type"].(string); lt {
		case "map":
			l.ElementRelationship = schema.Associative
			for _, k := range asList(p["x-kubernetes-list-map-keys"]) {
				if ks, ok := k.(string); ok {
					l.Keys = append(l.Keys, ks)
				}
			}
		case "set":
			l.ElementRelationship = schema.Associative
		}
		return schema.Atom{List: l}
	case "string":
		s := schema.String
		return schema.Atom{Scalar: &s}
	case "integer", "number":
		s := schema.Numeric
		return schema.Atom{Scalar: &s}
	case "boolean":
		s := schema.Boolean
		return schema.Atom{Scalar: &s}
	}
	u := schema.Scalar("untyped")
	return schema.Atom{Scalar: &u}
}

func sortFields(f []schema.StructField) {
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && f[j].Name < f[j-1].Name; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

// pruneUnknown drops what a structural schema does not declare, as the
// real server does for custom resources, and returns the paths dropped
// (".spec.x"), for field validation.
func pruneUnknown(t *resType, o obj) []string {
	if t.schemaProps == nil {
		return nil
	}
	var dropped []string
	pruneValue(o, t.schemaProps, true, "", &dropped)
	sort.Strings(dropped)
	return dropped
}

func pruneValue(v interface{}, p map[string]interface{}, root bool, at string, dropped *[]string) {
	if p == nil {
		return
	}
	preserve, _ := p["x-kubernetes-preserve-unknown-fields"].(bool)
	embedded, _ := p["x-kubernetes-embedded-resource"].(bool)
	switch x := v.(type) {
	case map[string]interface{}:
		props, _ := p["properties"].(map[string]interface{})
		ap, hasAP := p["additionalProperties"].(map[string]interface{})
		for k, e := range x {
			if (root || embedded) && (k == "apiVersion" || k == "kind" || k == "metadata") {
				continue
			}
			if sp, ok := props[k].(map[string]interface{}); ok {
				pruneValue(e, sp, false, at+"."+k, dropped)
				continue
			}
			if hasAP {
				pruneValue(e, ap, false, at+"."+k, dropped)
				continue
			}
			if apb, ok := p["additionalProperties"].(bool); ok && apb {
				continue
			}
			if !preserve {
				delete(x, k)
				*dropped = append(*dropped, at+"."+k)
			}
		}
	case []interface{}:
		items, _ := p["items"].(map[string]interface{})
		for i, e := range x {
			pruneValue(e, items, false, fmt.Sprintf("%s[%d]", at, i), dropped)
		}
	}
}

// fieldValidation applies the request's fieldValidation to the fields
// pruning dropped: Strict refuses the request (400, worded as the real
// server does for a body and for an apply patch), Warn (the default)
// answers with a Warning header per field, Ignore says nothing.
func fieldValidation(w http.ResponseWriter, mode string, dropped []string, apply bool) *apiError {
	if len(dropped) == 0 || mode == "Ignore" {
		return nil
	}
	if mode == "Strict" {
		var msgs []string
		for _, d := range dropped {
			if apply {
				msgs = append(msgs, d+": field not declared in schema")
			} else {
				msgs = append(msgs, fmt.Sprintf("unknown field %q", strings.TrimPrefix(d, ".")))
			}
		}
		if apply {
			return errBadRequest(strings.Join(msgs, ", "))
		}
		return errBadRequest("strict decoding error: " + strings.Join(msgs, ", "))
	}
	for _, d := range dropped {
		w.Header().Add("Warning", fmt.Sprintf("299 - %q", "unknown field \""+strings.TrimPrefix(d, ".")+"\""))
	}
	return nil
}

// applyCRDefaults sets the schema's defaults on missing fields.
func applyCRDefaults(v interface{}, p map[string]interface{}) {
	m, ok := v.(map[string]interface{})
	if !ok || p == nil {
		if l, ok := v.([]interface{}); ok && p != nil {
			items, _ := p["items"].(map[string]interface{})
			for _, e := range l {
				applyCRDefaults(e, items)
			}
		}
		return
	}
	props, _ := p["properties"].(map[string]interface{})
	for k, sp := range props {
		spm, _ := sp.(map[string]interface{})
		if _, has := m[k]; !has {
			if d, ok := spm["default"]; ok {
				m[k] = normNumbers(deepCopy(d))
			}
		}
		if e, has := m[k]; has {
			applyCRDefaults(e, spm)
		}
	}
}
