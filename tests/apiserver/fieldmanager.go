package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/structured-merge-diff/v4/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v4/merge"
	"sigs.k8s.io/structured-merge-diff/v4/typed"
)

// This file keeps metadata.managedFields the way kube-apiserver's field
// manager does (k8s.io/apiserver .../fieldmanager): managers are keyed by
// an identifier (the entry without time and fields, and without apiVersion
// for appliers); server-set metadata is never owned; an Update manager's
// timestamp moves only when it took fields; an applier's only when the
// object changed; entries are sorted by operation, time, manager.

// mfEntry is a metav1.ManagedFieldsEntry with its JSON field order.
type mfEntry struct {
	Manager     string          `json:"manager,omitempty"`
	Operation   string          `json:"operation,omitempty"`
	APIVersion  string          `json:"apiVersion,omitempty"`
	Time        string          `json:"time,omitempty"`
	FieldsType  string          `json:"fieldsType,omitempty"`
	FieldsV1    json.RawMessage `json:"fieldsV1,omitempty"`
	Subresource string          `json:"subresource,omitempty"`
}

type managed struct {
	fields fieldpath.ManagedFields
	times  map[string]string
}

func managerID(e mfEntry) string {
	e.FieldsType = ""
	e.FieldsV1 = nil
	e.Time = ""
	if e.Operation == "Apply" {
		e.APIVersion = ""
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// printManager renders a manager identifier as conflict messages do:
// `"kubectl-edit" using apps/v1`, `"hoist"`, `"x" with subresource "status"`.
func printManager(id string) string {
	var e mfEntry
	if err := json.Unmarshal([]byte(id), &e); err != nil {
		return fmt.Sprintf("%q", id)
	}
	s := fmt.Sprintf("%q", e.Manager)
	if e.Subresource != "" {
		s = fmt.Sprintf("%s with subresource %q", s, e.Subresource)
	}
	if e.Operation == "Update" {
		if e.Time == "" {
			return fmt.Sprintf("%s using %s", s, e.APIVersion)
		}
		return fmt.Sprintf("%s using %s at %s", s, e.APIVersion, e.Time)
	}
	return s
}

// decodeManaged reads metadata.managedFields. ok is false when they are
// missing or cannot be read (then the caller falls back as the real server
// does).
func decodeManaged(o obj) (managed, bool) {
	m := managed{fields: fieldpath.ManagedFields{}, times: map[string]string{}}
	raw, present := meta(o)["managedFields"]
	if !present || raw == nil {
		return m, false
	}
	list, ok := raw.([]interface{})
	if !ok {
		return m, false
	}
	for _, item := range list {
		b, _ := json.Marshal(item)
		var e mfEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return managed{fields: fieldpath.ManagedFields{}, times: map[string]string{}}, false
		}
		if e.FieldsType != "FieldsV1" {
			return managed{fields: fieldpath.ManagedFields{}, times: map[string]string{}}, false
		}
		set := &fieldpath.Set{}
		if len(e.FieldsV1) > 0 {
			if err := set.FromJSON(bytes.NewReader(e.FieldsV1)); err != nil {
				return managed{fields: fieldpath.ManagedFields{}, times: map[string]string{}}, false
			}
		}
		id := managerID(e)
		m.fields[id] = fieldpath.NewVersionedSet(set, fieldpath.APIVersion(e.APIVersion), e.Operation == "Apply")
		if e.Time != "" {
			m.times[id] = e.Time
		}
	}
	return m, true
}

// isResetManagedFields: `managedFields: []` (or one empty entry) in a
// request clears the history.
func isResetManagedFields(o obj) bool {
	raw, present := meta(o)["managedFields"]
	if !present || raw == nil {
		return false
	}
	list, ok := raw.([]interface{})
	if !ok {
		return false
	}
	if len(list) == 0 {
		return true
	}
	if len(list) == 1 {
		e, _ := list[0].(map[string]interface{})
		return len(e) == 0
	}
	return false
}

func encodeManaged(o obj, m managed) error {
	var entries []mfEntry
	for id, vs := range m.fields {
		var e mfEntry
		if err := json.Unmarshal([]byte(id), &e); err != nil {
			return err
		}
		e.APIVersion = string(vs.APIVersion())
		e.Time = m.times[id]
		e.FieldsType = "FieldsV1"
		b, err := vs.Set().ToJSON()
		if err != nil {
			return err
		}
		e.FieldsV1 = b
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool {
		p, q := entries[i], entries[j]
		if p.Operation != q.Operation {
			return p.Operation < q.Operation
		}
		pt, qt := unixOf(p.Time), unixOf(q.Time)
		if pt != qt {
			return pt < qt
		}
		if p.Manager != q.Manager {
			return p.Manager < q.Manager
		}
		if p.APIVersion != q.APIVersion {
			return p.APIVersion < q.APIVersion
		}
		return p.Subresource < q.Subresource
	})
	md := meta(o)
	if len(entries) == 0 {
		delete(md, "managedFields")
		return nil
	}
	list := make([]interface{}, 0, len(entries))
	for _, e := range entries {
		v, err := decodeJSON(mustJSON(e))
		if err != nil {
			return err
		}
		list = append(list, v)
	}
	md["managedFields"] = list
	return nil
}

func unixOf(t string) int64 {
	if t == "" {
		return 0
	}
	tt, err := time.Parse(time.RFC3339, t)
	if err != nil {
		return 0
	}
	return tt.Unix()
}

func nowRFC3339() string { return time.Now().UTC().Format(time.RFC3339) }

// stripSet: server-set metadata nobody owns.
var stripSet = fieldpath.NewSet(
	fieldpath.MakePathOrDie("apiVersion"),
	fieldpath.MakePathOrDie("kind"),
	fieldpath.MakePathOrDie("metadata"),
	fieldpath.MakePathOrDie("metadata", "name"),
	fieldpath.MakePathOrDie("metadata", "namespace"),
	fieldpath.MakePathOrDie("metadata", "creationTimestamp"),
	fieldpath.MakePathOrDie("metadata", "selfLink"),
	fieldpath.MakePathOrDie("metadata", "uid"),
	fieldpath.MakePathOrDie("metadata", "clusterName"),
	fieldpath.MakePathOrDie("metadata", "generation"),
	fieldpath.MakePathOrDie("metadata", "managedFields"),
	fieldpath.MakePathOrDie("metadata", "resourceVersion"),
)

// versionConverter converts between the versions of one resource. All
// versions here share one schema shape (CRD versions with conversion
// strategy None, one version for built-ins), so converting is re-typing
// with the target version's schema.
type versionConverter struct {
	s *server
	t *resType
}

type missingVersionError struct{ v string }

func (e missingVersionError) Error() string { return "no such version: " + e.v }

func (c versionConverter) Convert(tv *typed.TypedValue, version fieldpath.APIVersion) (*typed.TypedValue, error) {
	target := c.s.typeForVersion(c.t, string(version))
	if target == nil {
		return nil, missingVersionError{string(version)}
	}
	u := tv.AsValue().Unstructured()
	if m, ok := u.(map[string]interface{}); ok {
		m = copyObj(m)
		if _, has := m["apiVersion"]; has {
			m["apiVersion"] = string(version)
		}
		u = m
	}
	return target.parser.Type().FromUnstructured(u)
}

func (c versionConverter) IsMissingVersionError(err error) bool {
	_, ok := err.(missingVersionError)
	return ok
}

// resetFields: what the type's strategy resets for a write through the
// main resource or a subresource, so that no manager owns it: status for
// main-resource writes of types with a status subresource; everything but
// status for status writes.
func resetFields(t *resType, sub string, o obj) *fieldpath.Set {
	set := fieldpath.NewSet()
	if sub == "scale" || sub == "finalize" {
		// A scale write changes spec.replicas only.
		return set
	}
	if sub == "" {
		if t.Status {
			set.Insert(fieldpath.MakePathOrDie("status"))
		}
		return set
	}
	for k := range o {
		if k != "status" && k != "apiVersion" && k != "kind" && k != "metadata" {
			set.Insert(fieldpath.MakePathOrDie(k))
		}
	}
	set.Insert(fieldpath.MakePathOrDie("metadata", "labels"))
	set.Insert(fieldpath.MakePathOrDie("metadata", "annotations"))
	return set
}

func withoutManaged(o obj) obj {
	c := copyObj(o)
	delete(meta(c), "managedFields")
	return c
}

func (s *server) toTyped(t *resType, o obj) (*typed.TypedValue, error) {
	return t.parser.Type().FromUnstructured(o)
}

func (s *server) updater(t *resType, sub string, o ...obj) *merge.Updater {
	ign := fieldpath.NewSet()
	for _, x := range o {
		if x != nil {
			ign = ign.Union(resetFields(t, sub, x))
		}
	}
	return &merge.Updater{
		Converter:     versionConverter{s, t},
		IgnoredFields: map[fieldpath.APIVersion]*fieldpath.Set{fieldpath.APIVersion(t.GV()): ign},
	}
}

// fmUpdate records an Update operation (create, PUT, non-apply PATCH) by
// manager on newObj, given the live object (nil on create). It returns the
// object with managedFields set.
func (s *server) fmUpdate(t *resType, sub string, live, newObj obj, manager string) (obj, error) {
	var m managed
	if live == nil {
		live = obj{"apiVersion": t.GV(), "kind": t.Kind, "metadata": map[string]interface{}{}}
	}
	liveM, _ := decodeManaged(live)
	switch {
	case sub != "":
		m = liveM
	case isResetManagedFields(newObj):
		m = managed{fields: fieldpath.ManagedFields{}, times: map[string]string{}}
	default:
		var ok bool
		m, ok = decodeManaged(newObj)
		if !ok || len(m.fields) == 0 {
			m = liveM
		}
	}
	liveT, err := s.toTyped(t, withoutManaged(live))
	if err != nil {
		return nil, err
	}
	newClean := withoutManaged(newObj)
	newT, err := s.toTyped(t, newClean)
	if err != nil {
		return nil, err
	}
	const self = "current-operation"
	id := managerID(mfEntry{Manager: manager, Operation: "Update", APIVersion: t.GV(), Subresource: sub})
	u := s.updater(t, sub, live, newClean)
	_, fields, err := u.Update(liveT, newT, fieldpath.APIVersion(t.GV()), m.fields, self)
	if err != nil {
		return nil, err
	}
	if vs, ok := fields[self]; ok {
		delete(fields, self)
		set := vs.Set().Difference(stripSet)
		if !set.Empty() {
			if prev, ok := fields[id]; ok {
				set = set.Union(prev.Set())
			}
			fields[id] = fieldpath.NewVersionedSet(set, vs.APIVersion(), false)
			m.times[id] = nowRFC3339()
		}
	}
	m.fields = fields
	capManagers(&m)
	out := newClean
	if err := encodeManaged(out, m); err != nil {
		return nil, err
	}
	return out, nil
}

// fmUpdateNoErrors is fmUpdate as the real server calls it for updates:
// a field manager failure never fails the write, the object then simply
// loses its managedFields.
func (s *server) fmUpdateNoErrors(t *resType, sub string, live, newObj obj, manager string) obj {
	out, err := s.fmUpdate(t, sub, live, newObj, manager)
	if err != nil {
		log.Printf("field manager: %s %s: %v", t.GK(), metaString(newObj, "name"), err)
		out = withoutManaged(newObj)
	}
	return out
}

// fmApply runs server-side apply of config by manager onto live (nil
// when the object does not exist yet). It returns the merged object with
// managedFields set, or the conflicts.
func (s *server) fmApply(t *resType, sub string, live, config obj, manager string, force bool) (obj, error) {
	if live == nil {
		live = obj{"apiVersion": t.GV(), "kind": t.Kind, "metadata": map[string]interface{}{
			"name": metaString(config, "name")}}
		if ns := metaString(config, "namespace"); ns != "" {
			meta(live)["namespace"] = ns
		}
	}
	m, _ := decodeManaged(live)
	liveClean := withoutManaged(live)
	liveT, err := s.toTyped(t, liveClean)
	if err != nil {
		return nil, err
	}
	configT, err := s.toTyped(t, config)
	if err != nil {
		// The real server's words; a plain error there, so a 500 Status
		// without a reason.
		gv := t.GV()
		if t.Group == "" {
			gv = "/" + gv
		}
		return nil, &apiError{500, "", fmt.Sprintf("failed to create typed patch object (%s, Kind=%s): %v", gv, t.Kind, err), nil}
	}
	id := managerID(mfEntry{Manager: manager, Operation: "Apply", Subresource: sub})
	u := s.updater(t, sub, live, config)
	newT, fields, err := u.Apply(liveT, configT, fieldpath.APIVersion(t.GV()), m.fields, id, force)
	if err != nil {
		if c, ok := err.(merge.Conflicts); ok {
			return nil, conflictError(c)
		}
		return nil, err
	}
	if vs, ok := fields[id]; ok {
		set := vs.Set().Difference(stripSet)
		if t.CRD == "" {
			set = structFieldsNotMembers(set)
		}
		if set.Empty() {
			delete(fields, id)
		} else {
			fields[id] = fieldpath.NewVersionedSet(set, vs.APIVersion(), vs.Applied())
		}
	}
	m.fields = fields
	var out obj
	if newT == nil {
		out = liveClean
	} else {
		u, ok := newT.AsValue().Unstructured().(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("apply produced a non-object")
		}
		out = copyObj(u)
		normNumbers(out)
		m.times[id] = nowRFC3339()
	}
	capManagers(&m)
	if err := encodeManaged(out, m); err != nil {
		return nil, err
	}
	return out, nil
}

// conflictError is the real server's 409 for apply conflicts.
func conflictError(c merge.Conflicts) *apiError {
	var causes []interface{}
	for _, x := range c {
		causes = append(causes, map[string]interface{}{
			"reason":  "FieldManagerConflict",
			"message": "conflict with " + printManager(x.Manager),
			"field":   x.Path.String(),
		})
	}
	var msg string
	if len(c) == 1 {
		msg = fmt.Sprintf("Apply failed with 1 conflict: conflict with %s: %v", printManager(c[0].Manager), c[0].Path)
	} else {
		byMgr := map[string][]string{}
		var mgrs []string
		for _, x := range c {
			if _, ok := byMgr[x.Manager]; !ok {
				mgrs = append(mgrs, x.Manager)
			}
			byMgr[x.Manager] = append(byMgr[x.Manager], x.Path.String())
		}
		sort.Strings(mgrs)
		var lines []string
		for _, mg := range mgrs {
			lines = append(lines, fmt.Sprintf("conflicts with %s:", printManager(mg)))
			for _, p := range byMgr[mg] {
				lines = append(lines, "- "+p)
			}
		}
		msg = fmt.Sprintf("Apply failed with %d conflicts: %s", len(c), strings.Join(lines, "\n"))
	}
	return &apiError{409, "Conflict", msg, map[string]interface{}{"causes": causes}}
}

// capManagers keeps at most 10 Update managers, merging the oldest into
// one "ancient-changes" entry, as the real server does.
func capManagers(m *managed) {
	const max = 10
	type upd struct {
		id, t string
	}
	var ups []upd
	for id, vs := range m.fields {
		if !vs.Applied() {
			ups = append(ups, upd{id, m.times[id]})
		}
	}
	if len(ups) <= max {
		return
	}
	sort.Slice(ups, func(i, j int) bool { return ups[i].t < ups[j].t })
	for _, u := range ups[:len(ups)-max+1] {
		vs := m.fields[u.id]
		aid := managerID(mfEntry{Manager: "ancient-changes", Operation: "Update", APIVersion: string(vs.APIVersion())})
		set := vs.Set()
		if prev, ok := m.fields[aid]; ok {
			set = set.Union(prev.Set())
		}
		delete(m.fields, u.id)
		delete(m.times, u.id)
		m.fields[aid] = fieldpath.NewVersionedSet(set, vs.APIVersion(), false)
	}
}

// structFieldsNotMembers: in the real server an applied built-in object is
// typed by its full schema, where a struct field holding a map (spec,
// metadata.labels, data, strategy...) is a declared field, and
// structured-merge-diff does not make a declared field with content a
// member of the applier's set (no ".": {} under it); only undeclared keys
// are. This server's schema leaves most fields undeclared (deduced), so
// the applier's set drops membership of named fields that have children,
// except the entries of the map-of-schema fields of CRD objects, which
// are undeclared keys in the real schema too. List items and leaves keep
// theirs.
func structFieldsNotMembers(set *fieldpath.Set) *fieldpath.Set {
	hasChildren := map[string]bool{}
	set.Iterate(func(p fieldpath.Path) {
		for i := 1; i < len(p); i++ {
			hasChildren[p[:i].String()] = true
		}
	})
	out := fieldpath.NewSet()
	set.Iterate(func(p fieldpath.Path) {
		last := p[len(p)-1]
		keep := last.FieldName == nil || !hasChildren[p.String()]
		if !keep && len(p) >= 2 && p[len(p)-2].FieldName != nil {
			switch *p[len(p)-2].FieldName {
			case "properties", "patternProperties", "definitions", "dependencies":
				keep = true
			}
		}
		if keep {
			out.Insert(p)
		}
	})
	return out
}
