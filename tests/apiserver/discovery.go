package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Discovery: the legacy documents (/api, /api/v1, /apis, /apis/G,
// /apis/G/V) and aggregated discovery (apidiscovery.k8s.io v2 and
// v2beta1, chosen by the Accept header as real servers do).

func verbsOf(t *resType) []interface{} {
	out := make([]interface{}, 0, len(allVerbs))
	for _, v := range allVerbs {
		out = append(out, v)
	}
	return out
}

func strList(l []string) []interface{} {
	out := make([]interface{}, 0, len(l))
	for _, s := range l {
		out = append(out, s)
	}
	return out
}

// versionsOf: the served versions of a group, by Kubernetes version
// priority (GA before beta before alpha, higher first).
func (s *server) versionsOf(group string) []string {
	seen := map[string]bool{}
	var vs []string
	for _, t := range s.types {
		if t.Group == group && !seen[t.Version] {
			seen[t.Version] = true
			vs = append(vs, t.Version)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return versionLess(vs[j], vs[i]) })
	return vs
}

var reKubeVersion = regexp.MustCompile(`^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$`)

// versionLess: a has lower priority than b.
func versionLess(a, b string) bool {
	ma, mb := reKubeVersion.FindStringSubmatch(a), reKubeVersion.FindStringSubmatch(b)
	if ma == nil || mb == nil {
		if ma == nil && mb == nil {
			return a > b
		}
		return ma == nil
	}
	rank := func(m []string) int {
		switch m[2] {
		case "":
			return 3
		case "beta":
			return 2
		}
		return 1
	}
	if rank(ma) != rank(mb) {
		return rank(ma) < rank(mb)
	}
	na, _ := strconv.Atoi(ma[1])
	nb, _ := strconv.Atoi(mb[1])
	if na != nb {
		return na < nb
	}
	sa, _ := strconv.Atoi(ma[3])
	sb, _ := strconv.Atoi(mb[3])
	return sa < sb
}

// aggregatedVersion picks the aggregated discovery version the Accept
// header asks for first, or "" for the legacy document.
func aggregatedVersion(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		fields := strings.Split(part, ";")
		mt := strings.TrimSpace(fields[0])
		params := map[string]string{}
		for _, f := range fields[1:] {
			if kv := strings.SplitN(strings.TrimSpace(f), "=", 2); len(kv) == 2 {
				params[kv[0]] = kv[1]
			}
		}
		if mt == "application/json" && params["g"] == "apidiscovery.k8s.io" && params["as"] == "APIGroupDiscoveryList" &&
			(params["v"] == "v2" || params["v"] == "v2beta1") {
			return params["v"]
		}
		if mt == "application/json" || mt == "*/*" || mt == "application/*" {
			return ""
		}
	}
	return ""
}

func (s *server) serveAPIVersions(w http.ResponseWriter, r *http.Request) {
	if v := aggregatedVersion(r); v != "" {
		s.serveAggregated(w, r, v, true)
		return
	}
	writeJSON(w, 200, map[string]interface{}{
		"kind": "APIVersions", "versions": []interface{}{"v1"},
		"serverAddressByClientCIDRs": []interface{}{map[string]interface{}{"clientCIDR": "0.0.0.0/0", "serverAddress": s.address}},
	})
}

func (s *server) groupDoc(group string) map[string]interface{} {
	vs := s.versionsOf(group)
	var versions []interface{}
	for _, v := range vs {
		versions = append(versions, map[string]interface{}{"groupVersion": group + "/" + v, "version": v})
	}
	return map[string]interface{}{
		"name": group, "versions": versions,
		"preferredVersion": map[string]interface{}{"groupVersion": group + "/" + vs[0], "version": vs[0]},
	}
}

func (s *server) serveAPIGroups(w http.ResponseWriter, r *http.Request) {
	if v := aggregatedVersion(r); v != "" {
		s.serveAggregated(w, r, v, false)
		return
	}
	s.mu.Lock()
	groups := []interface{}{}
	for _, g := range sortedGroups(s.types) {
		if g != "" {
			groups = append(groups, s.groupDoc(g))
		}
	}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]interface{}{"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

func (s *server) serveAPIGroup(w http.ResponseWriter, group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.versionsOf(group)) == 0 {
		writeError(w, errNoResource())
		return
	}
	doc := s.groupDoc(group)
	doc["kind"] = "APIGroup"
	doc["apiVersion"] = "v1"
	writeJSON(w, 200, doc)
}

func (s *server) serveResourceList(w http.ResponseWriter, group, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res []interface{}
	for _, t := range s.types {
		if t.Group != group || t.Version != version {
			continue
		}
		e := map[string]interface{}{
			"name": t.Resource, "singularName": t.Singular, "namespaced": t.Namespaced,
			"kind": t.Kind, "verbs": verbsOf(t), "storageVersionHash": storageHash(t),
		}
		if len(t.ShortNames) > 0 {
			e["shortNames"] = strList(t.ShortNames)
		}
		if len(t.Categories) > 0 {
			e["categories"] = strList(t.Categories)
		}
		res = append(res, e)
		if hasScale(t) {
			res = append(res, map[string]interface{}{
				"name": t.Resource + "/scale", "singularName": "", "namespaced": t.Namespaced,
				"group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": []interface{}{"get", "patch", "update"},
			})
		}
		if t.Status {
			res = append(res, map[string]interface{}{
				"name": t.Resource + "/status", "singularName": "", "namespaced": t.Namespaced,
				"kind": t.Kind, "verbs": []interface{}{"get", "patch", "update"},
			})
		}
		if t.Kind == "Namespace" {
			res = append(res, map[string]interface{}{
				"name": "namespaces/finalize", "singularName": "", "namespaced": false,
				"kind": "Namespace", "verbs": []interface{}{"update"},
			})
		}
	}
	if res == nil {
		writeError(w, errNoResource())
		return
	}
	gv := version
	if group != "" {
		gv = group + "/" + version
	}
	writeJSON(w, 200, map[string]interface{}{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res})
}

func storageHash(t *resType) string {
	h := sha256.Sum256([]byte(t.Group + "/" + t.StorageVersionOrSelf() + "/" + t.Kind))
	return hex.EncodeToString(h[:])[:11]
}

func (t *resType) StorageVersionOrSelf() string {
	if t.StorageVersion != "" {
		return t.StorageVersion
	}
	return t.Version
}

func (s *server) serveAggregated(w http.ResponseWriter, r *http.Request, version string, legacy bool) {
	s.mu.Lock()
	var items []interface{}
	for _, g := range sortedGroups(s.types) {
		if (g == "") != legacy {
			continue
		}
		var versions []interface{}
		for _, v := range s.versionsOf(g) {
			var res []interface{}
			for _, t := range s.types {
				if t.Group != g || t.Version != v {
					continue
				}
				scope := "Cluster"
				if t.Namespaced {
					scope = "Namespaced"
				}
				e := map[string]interface{}{
					"resource":         t.Resource,
					"responseKind":     map[string]interface{}{"group": "", "version": "", "kind": t.Kind},
					"scope":            scope,
					"singularResource": t.Singular,
					"verbs":            verbsOf(t),
				}
				if len(t.ShortNames) > 0 {
					e["shortNames"] = strList(t.ShortNames)
				}
				if len(t.Categories) > 0 {
					e["categories"] = strList(t.Categories)
				}
				var subs []interface{}
				if hasScale(t) {
					subs = append(subs, map[string]interface{}{
						"subresource":  "scale",
						"responseKind": map[string]interface{}{"group": "autoscaling", "version": "v1", "kind": "Scale"},
						"verbs":        []interface{}{"get", "patch", "update"},
					})
				}
				if t.Status {
					subs = append(subs, map[string]interface{}{
						"subresource":  "status",
						"responseKind": map[string]interface{}{"group": "", "version": "", "kind": t.Kind},
						"verbs":        []interface{}{"get", "patch", "update"},
					})
				}
				if subs != nil {
					e["subresources"] = subs
				}
				res = append(res, e)
			}
			sort.Slice(res, func(i, j int) bool {
				return res[i].(map[string]interface{})["resource"].(string) < res[j].(map[string]interface{})["resource"].(string)
			})
			versions = append(versions, map[string]interface{}{"version": v, "resources": res, "freshness": "Current"})
		}
		md := map[string]interface{}{"creationTimestamp": nil}
		if g != "" {
			md["name"] = g
		}
		items = append(items, map[string]interface{}{"metadata": md, "versions": versions})
	}
	s.mu.Unlock()
	if items == nil {
		items = []interface{}{}
	}
	doc := map[string]interface{}{"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/" + version,
		"metadata": map[string]interface{}{}, "items": items}
	b := mustJSON(doc)
	h := sha256.Sum256(b)
	etag := "\"" + hex.EncodeToString(h[:]) + "\""
	w.Header().Set("Content-Type", "application/json;g=apidiscovery.k8s.io;v="+version+";as=APIGroupDiscoveryList")
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Etag", etag)
	w.Header().Set("Cache-Control", "no-cache, private")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(304)
		return
	}
	w.WriteHeader(200)
	w.Write(b)
}

// serveOpenAPI: enough OpenAPI for kubectl. /openapi/v3 lists every group
// version; each group version's document has the paths of its resources
// with their operations, their x-kubernetes-group-version-kind and query
// parameters (kubectl looks there for fieldValidation support before it
// asks the server to validate), but no schemas.
func (s *server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/openapi/")
	switch {
	case p == "v3" || p == "v3/":
		s.mu.Lock()
		paths := map[string]interface{}{}
		for _, t := range s.types {
			key := "api/" + t.Version
			if t.Group != "" {
				key = "apis/" + t.Group + "/" + t.Version
			}
			paths[key] = map[string]interface{}{"serverRelativeURL": "/openapi/v3/" + key + "?hash=0"}
		}
		s.mu.Unlock()
		writeJSON(w, 200, map[string]interface{}{"paths": paths})
	case strings.HasPrefix(p, "v3/"):
		s.serveOpenAPIGV(w, strings.TrimPrefix(p, "v3/"))
	case p == "v2":
		writeJSON(w, 200, map[string]interface{}{
			"swagger":     "2.0",
			"info":        map[string]interface{}{"title": "Kubernetes", "version": "v1.32.0"},
			"paths":       map[string]interface{}{},
			"definitions": map[string]interface{}{},
		})
	default:
		writeError(w, errNoResource())
	}
}

func wantsTable(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "as=Table")
}

// table is the default table conversion: name and age, as for kinds
// without their own printer columns.
func (s *server) table(t *resType, items []obj, rv, cont string) map[string]interface{} {
	rows := []interface{}{}
	for _, o := range items {
		pm := map[string]interface{}{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
			"metadata": deepCopy(o["metadata"])}
		rows = append(rows, map[string]interface{}{
			"cells":  []interface{}{metaString(o, "name"), humanAge(metaString(o, "creationTimestamp"))},
			"object": pm,
		})
	}
	md := map[string]interface{}{}
	if rv != "" {
		md["resourceVersion"] = rv
	}
	if cont != "" {
		md["continue"] = cont
	}
	return map[string]interface{}{
		"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": md,
		"columnDefinitions": []interface{}{
			map[string]interface{}{"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": int64(0)},
			map[string]interface{}{"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "priority": int64(0)},
		},
		"rows": rows,
	}
}

// humanAge prints an age as kubectl's columns do: 45s, 5m10s, 3h, 2d.
func humanAge(ts string) string {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return "<unknown>"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 10*time.Minute:
		if s := int(d.Seconds()) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", int(d.Minutes()), s)
		}
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 3*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// serveOpenAPIGV: the OpenAPI v3 document of one group version ("api/v1",
// "apis/apps/v1").
func (s *server) serveOpenAPIGV(w http.ResponseWriter, gvPath string) {
	parts := splitPath(gvPath)
	var group, version string
	switch {
	case len(parts) == 2 && parts[0] == "api":
		version = parts[1]
	case len(parts) == 3 && parts[0] == "apis":
		group, version = parts[1], parts[2]
	default:
		writeError(w, errNoResource())
		return
	}
	param := func(name string) interface{} {
		return map[string]interface{}{"name": name, "in": "query", "schema": map[string]interface{}{"type": "string", "uniqueItems": true}}
	}
	writeParams := []interface{}{param("dryRun"), param("fieldManager"), param("fieldValidation"), param("pretty")}
	patchParams := append(append([]interface{}{}, writeParams...), param("force"))
	s.mu.Lock()
	paths := map[string]interface{}{}
	for _, t := range s.types {
		if t.Group != group || t.Version != version {
			continue
		}
		gvk := map[string]interface{}{"group": t.Group, "version": t.Version, "kind": t.Kind}
		op := func(id string, params []interface{}) map[string]interface{} {
			return map[string]interface{}{"operationId": id + t.Kind, "x-kubernetes-group-version-kind": gvk,
				"parameters": params, "responses": map[string]interface{}{"200": map[string]interface{}{"description": "OK"}}}
		}
		prefix := "/api/" + version
		if group != "" {
			prefix = "/apis/" + group + "/" + version
		}
		coll := prefix + "/" + t.Resource
		if t.Namespaced {
			coll = prefix + "/namespaces/{namespace}/" + t.Resource
		}
		paths[coll] = map[string]interface{}{"get": op("list", nil), "post": op("create", writeParams)}
		item := map[string]interface{}{"get": op("read", nil), "put": op("replace", writeParams),
			"patch": op("patch", patchParams), "delete": op("delete", []interface{}{param("dryRun")})}
		paths[coll+"/{name}"] = item
		if t.Status {
			paths[coll+"/{name}/status"] = map[string]interface{}{"get": op("readStatus", nil),
				"put": op("replaceStatus", writeParams), "patch": op("patchStatus", patchParams)}
		}
	}
	s.mu.Unlock()
	if len(paths) == 0 {
		writeError(w, errNoResource())
		return
	}
	writeJSON(w, 200, map[string]interface{}{
		"openapi":    "3.0.0",
		"info":       map[string]interface{}{"title": "Kubernetes", "version": "v1.32.0"},
		"paths":      paths,
		"components": map[string]interface{}{"schemas": map[string]interface{}{}},
	})
}
