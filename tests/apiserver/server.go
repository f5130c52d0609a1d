package main

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type server struct {
	o         options
	address   string
	clientCAs *x509.CertPool
	started   time.Time

	// mu guards everything below; cond wakes watchers on each event.
	mu   sync.Mutex
	cond *sync.Cond
	// types are the served resources: built-ins, then established CRDs'.
	// Assigned with typesMu held too, as applies convert between versions
	// (typeForVersion) without mu.
	types   []*resType
	typesMu sync.RWMutex
	rv      int64
	// objs: storeKey -> "namespace/name" -> object (stored version).
	objs   map[string]map[string]obj
	events []watchEvent

	faults faultSet

	nextIP, nextNodePort int
}

func newServer(o options) *server {
	s := &server{o: o, started: time.Now(), objs: map[string]map[string]obj{}}
	s.cond = sync.NewCond(&s.mu)
	s.types = builtinTypes()
	for _, t := range s.types {
		t.parser = builtinParserRef(t.SMDType)
	}
	// A fresh cluster's namespaces.
	nsType := s.lookup("", "v1", "namespaces")
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		o := obj{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]interface{}{
			"name": ns, "labels": map[string]interface{}{"kubernetes.io/metadata.name": ns}}}
		o, _ = s.fmUpdate(nsType, "", nil, o, "kube-apiserver")
		s.prepareCreate(nsType, o)
		s.store(nsType, "", ns, o, "ADDED")
	}
	return s
}

func newUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *server) lookup(group, version, resource string) *resType {
	for _, t := range s.types {
		if t.Group == group && t.Version == version && t.Resource == resource {
			return t
		}
	}
	return nil
}

// typeForVersion: the same resource as t in another version of its group.
func (s *server) typeForVersion(t *resType, gv string) *resType {
	s.typesMu.RLock()
	defer s.typesMu.RUnlock()
	for _, x := range s.types {
		if x.Group == t.Group && x.Resource == t.Resource && x.GV() == gv {
			return x
		}
	}
	return nil
}

func nsKey(ns, name string) string { return ns + "/" + name }

func (s *server) get(t *resType, ns, name string) obj {
	return s.objs[t.storeKey()][nsKey(ns, name)]
}

// store writes o with the next resourceVersion and records the event.
func (s *server) store(t *resType, ns, name string, o obj, evType string) {
	s.rv++
	meta(o)["resourceVersion"] = strconv.FormatInt(s.rv, 10)
	m := s.objs[t.storeKey()]
	if m == nil {
		m = map[string]obj{}
		s.objs[t.storeKey()] = m
	}
	prev := m[nsKey(ns, name)]
	m[nsKey(ns, name)] = o
	s.record(t, evType, o, prev)
}

func (s *server) remove(t *resType, ns, name string) obj {
	m := s.objs[t.storeKey()]
	o := m[nsKey(ns, name)]
	if o == nil {
		return nil
	}
	delete(m, nsKey(ns, name))
	s.rv++
	prev := o
	o = copyObj(o)
	meta(o)["resourceVersion"] = strconv.FormatInt(s.rv, 10)
	s.record(t, "DELETED", o, prev)
	return o
}

// reqInfo is what a resource path names.
type reqInfo struct {
	t              *resType
	group, version string
	resource       string
	ns, name, sub  string
	namespacedPath bool
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A bug here must not take the test down with it: answer 500 as
		// the real server's panic handler does, and go on serving.
		if e := recover(); e != nil {
			if e == http.ErrAbortHandler {
				panic(e)
			}
			log.Printf("panic serving %s %s: %v\n%s", r.Method, r.URL, e, debug.Stack())
			writeError(w, errInternal(fmt.Errorf("%v", e)))
		}
	}()
	if s.o.verbose {
		log.Printf("%s %s %s", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"))
	}
	p := r.URL.Path
	switch p {
	case "/healthz", "/livez", "/readyz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
		return
	case "/hoist-test/faults":
		if user, aerr := s.authenticate(r); aerr != nil || user == "system:anonymous" {
			writeError(w, errUnauthorized())
			return
		}
		s.serveFaults(w, r)
		return
	}
	if f := s.faults.take(r); f != nil {
		var done bool
		if done, w = injectFault(w, r, f); done {
			return
		}
	}
	switch p {
	case "/version", "/version/":
		s.serveVersion(w)
		return
	}
	user, aerr := s.authenticate(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if user == "system:anonymous" {
		writeError(w, &apiError{403, "Forbidden", fmt.Sprintf("forbidden: User \"system:anonymous\" cannot %s path \"%s\"", strings.ToLower(r.Method), p), map[string]interface{}{}})
		return
	}
	if strings.HasPrefix(p, "/openapi/") {
		s.serveOpenAPI(w, r)
		return
	}
	parts := splitPath(p)
	var group, version string
	var rest []string
	switch {
	case len(parts) >= 1 && parts[0] == "api":
		if len(parts) == 1 {
			s.serveAPIVersions(w, r)
			return
		}
		group, version, rest = "", parts[1], parts[2:]
	case len(parts) >= 1 && parts[0] == "apis":
		if len(parts) == 1 {
			s.serveAPIGroups(w, r)
			return
		}
		if len(parts) == 2 {
			s.serveAPIGroup(w, parts[1])
			return
		}
		group, version, rest = parts[1], parts[2], parts[3:]
	default:
		writeError(w, errNoResource())
		return
	}
	if len(rest) == 0 {
		s.serveResourceList(w, group, version)
		return
	}
	ri := reqInfo{group: group, version: version}
	if rest[0] == "namespaces" && len(rest) >= 2 && !(len(rest) >= 3 && (rest[2] == "status" || rest[2] == "finalize")) && len(rest) > 2 {
		ri.ns = rest[1]
		ri.namespacedPath = true
		rest = rest[2:]
	}
	ri.resource = rest[0]
	if len(rest) >= 2 {
		ri.name = rest[1]
	}
	if len(rest) >= 3 {
		ri.sub = rest[2]
	}
	if len(rest) > 3 {
		writeError(w, errNoResource())
		return
	}
	s.mu.Lock()
	ri.t = s.lookup(group, version, ri.resource)
	s.mu.Unlock()
	if ri.t == nil || (ri.namespacedPath && !ri.t.Namespaced) {
		writeError(w, errNoResource())
		return
	}
	if ri.sub != "" && !(ri.sub == "status" && ri.t.Status) && !(ri.sub == "scale" && hasScale(ri.t)) &&
		!(ri.sub == "finalize" && ri.t.Kind == "Namespace") {
		writeError(w, errNoResource())
		return
	}
	s.serveResource(w, r, &ri)
}

func splitPath(p string) []string {
	var out []string
	for _, x := range strings.Split(p, "/") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// authenticate: a bearer token equal to ours, or a client certificate
// our CA signed. No credentials is the anonymous user; wrong ones are 401,
// as with the real server's defaults.
func (s *server) authenticate(r *http.Request) (string, *apiError) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return r.TLS.VerifiedChains[0][0].Subject.CommonName, nil
	}
	// A resumed TLS session carries the peer certificates but not always
	// their verified chains: verify them here.
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && s.clientCAs != nil {
		c := r.TLS.PeerCertificates[0]
		inter := x509.NewCertPool()
		for _, ic := range r.TLS.PeerCertificates[1:] {
			inter.AddCert(ic)
		}
		if _, err := c.Verify(x509.VerifyOptions{Roots: s.clientCAs, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
			return c.Subject.CommonName, nil
		}
		return "", errUnauthorized()
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return "system:anonymous", nil
	}
	tok := ""
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		tok = strings.TrimSpace(h[7:])
	}
	want := s.o.token
	if s.o.tokenFile != "" {
		b, err := os.ReadFile(s.o.tokenFile)
		if err != nil {
			return "", errUnauthorized()
		}
		want = strings.TrimSpace(string(b))
	}
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(want)) != 1 {
		return "", errUnauthorized()
	}
	return "hoist-test-admin", nil
}

// readObject reads a create or update body: JSON, YAML, or the few
// protobuf messages kubectl's typed commands send.
func readObject(r *http.Request) (obj, *apiError) {
	ct := mediaType(r)
	if ct != "application/json" && ct != "" && ct != "application/yaml" && ct != "application/vnd.kubernetes.protobuf" {
		return nil, errUnsupportedMediaType(ct, []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"})
	}
	body, aerr := readBody(r)
	if aerr != nil {
		return nil, aerr
	}
	if ct == "application/vnd.kubernetes.protobuf" {
		o, err := decodeProtobuf(body)
		if err != nil {
			return nil, errUnsupportedMediaType(ct, []string{"application/json", "application/yaml"})
		}
		return o, nil
	}
	o, err := decodeObject(body, ct == "application/yaml")
	if err != nil {
		return nil, errBadRequest(fmt.Sprintf("couldn't get version/kind; json parse error: %v", err))
	}
	return o, nil
}

// checkStringMaps: string maps of the built-in Go types refuse other
// values when the body is decoded, with the decoder's words.
func checkStringMaps(t *resType, o obj) *apiError {
	if t.CRD != "" {
		return nil
	}
	check := func(v interface{}, goField string) *apiError {
		for _, e := range stringMapAny(v) {
			if _, ok := e.(string); !ok && e != nil {
				kind := map[bool]string{true: "number", false: "object"}[isNumber(e)]
				if _, b := e.(bool); b {
					kind = "bool"
				}
				if _, l := e.([]interface{}); l {
					kind = "array"
				}
				return errBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: json: cannot unmarshal %s into Go struct field %s of type string",
					t.Kind, t.Version, t.Kind, kind, goField))
			}
		}
		return nil
	}
	if aerr := check(path(o, "metadata", "labels"), "ObjectMeta.metadata.labels"); aerr != nil {
		return aerr
	}
	if aerr := check(path(o, "metadata", "annotations"), "ObjectMeta.metadata.annotations"); aerr != nil {
		return aerr
	}
	if t.Kind == "ConfigMap" || t.Kind == "Secret" {
		for _, f := range []string{"data", "binaryData", "stringData"} {
			if aerr := check(o[f], t.Kind+"."+f); aerr != nil {
				return aerr
			}
		}
	}
	return nil
}

func isNumber(v interface{}) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func readBody(r *http.Request) ([]byte, *apiError) {
	const limit = 3 << 20 // the real server's request size limit
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, errBadRequest(err.Error())
	}
	if len(b) > limit {
		return nil, &apiError{413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728", nil}
	}
	return b, nil
}

func (s *server) serveResource(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	q := r.URL.Query()
	t := ri.t
	if ri.sub == "scale" {
		s.serveScale(w, r, ri)
		return
	}
	if t.Namespaced && ri.ns == "" && ri.name != "" {
		// A namespaced object named at the cluster path: nothing routes it.
		writeError(w, errNoResource())
		return
	}
	switch r.Method {
	case "GET":
		if ri.name == "" {
			if isTrue(q.Get("watch")) {
				s.serveWatch(w, r, ri)
				return
			}
			s.serveList(w, r, ri)
			return
		}
		s.serveGet(w, r, ri)
	case "POST":
		if ri.name != "" || (t.Namespaced && ri.ns == "") {
			writeError(w, errMethodNotAllowed(t))
			return
		}
		s.serveCreate(w, r, ri)
	case "PUT":
		if ri.name == "" {
			writeError(w, errMethodNotAllowed(t))
			return
		}
		s.serveUpdate(w, r, ri)
	case "PATCH":
		if ri.name == "" {
			writeError(w, errMethodNotAllowed(t))
			return
		}
		s.servePatch(w, r, ri)
	case "DELETE":
		if ri.sub != "" {
			writeError(w, errMethodNotAllowed(t))
			return
		}
		if ri.name == "" {
			s.serveDeleteCollection(w, r, ri)
			return
		}
		s.serveDelete(w, r, ri)
	default:
		writeError(w, errMethodNotAllowed(t))
	}
}

func isTrue(v string) bool { return v == "1" || v == "true" }

// output returns o as served at t's version: stored objects carry the
// storage version's apiVersion; other versions of a CRD differ only there.
func output(t *resType, o obj) obj {
	c := copyObj(o)
	c["apiVersion"] = t.GV()
	c["kind"] = t.Kind
	return c
}

func (s *server) serveGet(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	s.mu.Lock()
	o := s.get(ri.t, ri.ns, ri.name)
	var out obj
	if o != nil {
		out = output(ri.t, o)
	}
	s.mu.Unlock()
	if out == nil {
		writeError(w, errNotFound(ri.t, ri.name))
		return
	}
	if wantsTable(r) {
		writeJSON(w, 200, s.table(ri.t, []obj{out}, "", ""))
		return
	}
	writeJSON(w, 200, out)
}

type listPage struct {
	items     []obj
	cont      string
	remaining int64
}

func (s *server) serveList(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	q := r.URL.Query()
	sel, err := parseLabelSelector(q.Get("labelSelector"))
	if err != nil {
		writeError(w, errBadRequest(fmt.Sprintf("unable to parse requirement: %v", err)))
		return
	}
	fsel, err := parseFieldSelector(q.Get("fieldSelector"), ri.t)
	if err != nil {
		writeError(w, errBadRequest(err.Error()))
		return
	}
	limit := int64(0)
	if l := q.Get("limit"); l != "" {
		limit, _ = strconv.ParseInt(l, 10, 64)
	}
	start := ""
	s.mu.Lock()
	listRV := s.rv
	if c := q.Get("continue"); c != "" {
		crv, key, ok := decodeContinue(c)
		if !ok {
			s.mu.Unlock()
			writeError(w, errBadRequest("continue key is not valid: "+c))
			return
		}
		if crv < s.oldestRV() {
			s.mu.Unlock()
			writeError(w, errGone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."))
			return
		}
		listRV = crv
		start = key
	}
	var keys []string
	for k := range s.objs[ri.t.storeKey()] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var items []obj
	var cont string
	var remaining int64
	for i, k := range keys {
		if start != "" && k <= start {
			continue
		}
		o := s.objs[ri.t.storeKey()][k]
		if ri.ns != "" && metaString(o, "namespace") != ri.ns {
			continue
		}
		if !sel.matches(stringMap(o, "labels")) || !fsel.matches(o) {
			continue
		}
		if limit > 0 && int64(len(items)) == limit {
			cont = encodeContinue(listRV, keys[i-1])
			if sel.empty() && fsel.empty() {
				for _, k2 := range keys[i:] {
					o2 := s.objs[ri.t.storeKey()][k2]
					if ri.ns == "" || metaString(o2, "namespace") == ri.ns {
						remaining++
					}
				}
			}
			break
		}
		out := output(ri.t, o)
		if ri.t.CRD == "" {
			// Built-in list items are encoded without their type.
			delete(out, "apiVersion")
			delete(out, "kind")
		}
		items = append(items, out)
	}
	s.mu.Unlock()
	if wantsTable(r) {
		writeJSON(w, 200, s.table(ri.t, items, strconv.FormatInt(listRV, 10), cont))
		return
	}
	md := map[string]interface{}{"resourceVersion": strconv.FormatInt(listRV, 10)}
	if cont != "" {
		md["continue"] = cont
		if remaining > 0 {
			md["remainingItemCount"] = remaining
		}
	}
	list := make([]interface{}, 0, len(items))
	for _, it := range items {
		list = append(list, it)
	}
	writeJSON(w, 200, map[string]interface{}{
		"kind": ri.t.Kind + "List", "apiVersion": ri.t.GV(), "metadata": md, "items": list,
	})
}

// writeOpts are the query parameters every write takes.
type writeOpts struct {
	dryRun     bool
	manager    string
	validation string // fieldValidation: Ignore, Warn (default), Strict
}

func (s *server) parseWriteOpts(r *http.Request, ri *reqInfo) (writeOpts, *apiError) {
	q := r.URL.Query()
	var o writeOpts
	for _, d := range q["dryRun"] {
		if d != "All" {
			return o, &apiError{400, "BadRequest", fmt.Sprintf("Invalid dryRun value %q: valid values are \"All\"", d), nil}
		}
		o.dryRun = true
	}
	o.manager = q.Get("fieldManager")
	if len(o.manager) > 128 {
		return o, errInvalid("CreateOptions.meta.k8s.io", "meta.k8s.io", "CreateOptions", "", []fieldError{
			{"FieldValueTooLong", "fieldManager", "Too long: must have at most 128 bytes"}})
	}
	if o.manager == "" {
		// The real server names the manager after the user agent.
		ua := r.Header.Get("User-Agent")
		if i := strings.Index(ua, "/"); i >= 0 {
			ua = ua[:i]
		}
		if len(ua) > 128 {
			ua = ua[:128]
		}
		o.manager = ua
	}
	o.validation = q.Get("fieldValidation")
	switch v := o.validation; v {
	case "", "Ignore", "Warn", "Strict":
	default:
		return o, errBadRequest(fmt.Sprintf("fieldValidation parameter %q is invalid: must be one of Ignore, Warn, Strict", v))
	}
	return o, nil
}

func (s *server) serveCreate(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	t := ri.t
	wo, aerr := s.parseWriteOpts(r, ri)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	o, aerr := readObject(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := checkTypeMeta(t, o); aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := checkStringMaps(t, o); aerr != nil {
		writeError(w, aerr)
		return
	}
	if t.CRD != "" {
		if aerr := fieldValidation(w, wo.validation, pruneUnknown(t, o), false); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	md := meta(o)
	if ns, _ := md["namespace"].(string); ns != "" && t.Namespaced && ns != ri.ns {
		writeError(w, errBadRequest("the namespace of the provided object does not match the namespace sent on the request"))
		return
	}
	if !t.Namespaced {
		delete(md, "namespace")
	} else {
		md["namespace"] = ri.ns
	}
	if metaString(o, "name") == "" {
		if gn := metaString(o, "generateName"); gn != "" {
			md["name"] = gn + randSuffix()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out, aerr := s.create(t, ri.ns, o, wo)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, 201, output(t, out))
}

func randSuffix() string {
	const chars = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

// create stores a new object. o has its namespace set. Called locked.
func (s *server) create(t *resType, ns string, o obj, wo writeOpts) (obj, *apiError) {
	name := metaString(o, "name")
	if aerr := s.checkNamespace(t, ns, name); aerr != nil {
		return nil, aerr
	}
	md := meta(o)
	// Whatever a client sends for these, the server sets them.
	for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink"} {
		delete(md, k)
	}
	if t.Status {
		s.resetStatusOnCreate(t, o)
	}
	defaultObject(t, o)
	if errs := validateObject(t, o, nil); len(errs) > 0 {
		return nil, errInvalid(t.GK(), t.Group, t.Kind, name, errs)
	}
	if name != "" && s.get(t, ns, name) != nil {
		return nil, errAlreadyExists(t, name)
	}
	o = s.fmUpdateNoErrors(t, "", nil, o, wo.manager)
	s.prepareCreate(t, o)
	if wo.dryRun {
		return o, nil
	}
	if aerr := tooLarge(o); aerr != nil {
		return nil, aerr
	}
	s.store(t, ns, name, o, "ADDED")
	s.afterWrite(t, nil, o)
	return o, nil
}

// prepareCreate sets what the server owns on a new object.
func (s *server) prepareCreate(t *resType, o obj) {
	md := meta(o)
	md["uid"] = newUID()
	md["creationTimestamp"] = nowRFC3339()
	if t.Generation || t.CRD != "" {
		md["generation"] = int64(1)
	}
	if t.Kind == "CustomResourceDefinition" && t.CRD == "" {
		md["finalizers"] = append(finalizers(o), crdCleanupFinalizer)
	}
	if t.Kind == "Service" && t.CRD == "" {
		s.allocateService(o)
	}
	if t.Kind == "Job" && t.CRD == "" && path(o, "spec", "selector") == nil {
		// The Job strategy selects the Job's own pods by its uid.
		uid, name := metaString(o, "uid"), metaString(o, "name")
		setPath(o, map[string]interface{}{"matchLabels": map[string]interface{}{"batch.kubernetes.io/controller-uid": uid}}, "spec", "selector")
		for k, v := range map[string]string{"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
			"controller-uid": uid, "job-name": name} {
			setPath(o, v, "spec", "template", "metadata", "labels", k)
		}
	}
	if t.Kind == "Namespace" {
		setDefault(o, []interface{}{"kubernetes"}, "spec", "finalizers")
		setPath(o, "Active", "status", "phase")
	}
}

// checkNamespace: namespaced objects go into existing namespaces that are
// not being deleted.
func (s *server) checkNamespace(t *resType, ns, name string) *apiError {
	if t.CRD != "" {
		if crd := s.get(crdType(s), "", t.CRD); crd == nil || metaString(crd, "deletionTimestamp") != "" {
			return &apiError{405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating", details(t, name)}
		}
	}
	if !t.Namespaced {
		return nil
	}
	nsObj := s.get(s.lookup("", "v1", "namespaces"), "", ns)
	if nsObj == nil {
		return errNamespaceNotFound(ns)
	}
	if metaString(nsObj, "deletionTimestamp") != "" {
		d := details(t, name)
		d["causes"] = []interface{}{map[string]interface{}{"reason": "NamespaceTerminating",
			"message": fmt.Sprintf("namespace %s is being terminated", ns), "field": "metadata.namespace"}}
		return &apiError{403, "Forbidden", fmt.Sprintf("%s %q is forbidden: unable to create new content in namespace %s because it is being terminated", t.GR(), name, ns), d}
	}
	return nil
}

func checkTypeMeta(t *resType, o obj) *apiError {
	av, kind := str(o, "apiVersion"), str(o, "kind")
	if t.CRD != "" {
		var errs []fieldError
		if kind != t.Kind {
			errs = append(errs, invalidValue("kind", kind, "must be "+t.Kind))
		}
		if av != t.GV() {
			errs = append(errs, invalidValue("apiVersion", av, "must be "+t.GV()))
		}
		if len(errs) > 0 {
			return errInvalid(t.GK(), t.Group, t.Kind, metaString(o, "name"), errs)
		}
		return nil
	}
	if av == "" || kind == "" {
		// Built-ins take the type from the URL when the body omits it.
		if av == "" {
			o["apiVersion"] = t.GV()
		}
		if kind == "" {
			o["kind"] = t.Kind
		}
		av, kind = str(o, "apiVersion"), str(o, "kind")
	}
	if av != t.GV() {
		return errBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", av, t.GV()))
	}
	if kind != t.Kind {
		return errBadRequest(fmt.Sprintf("the kind in the data (%s) does not match the expected kind (%s)", kind, t.Kind))
	}
	return nil
}

func typedError(t *resType, name string, err error) *apiError {
	if ae, ok := err.(*apiError); ok {
		return ae
	}
	return errInvalid(t.GK(), t.Group, t.Kind, name, []fieldError{{"FieldValueInvalid", "<root>", err.Error()}})
}

func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if i := strings.Index(ct, ";"); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(strings.ToLower(ct))
}

func (s *server) serveUpdate(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	t := ri.t
	wo, aerr := s.parseWriteOpts(r, ri)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	o, aerr := readObject(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := checkTypeMeta(t, o); aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := checkStringMaps(t, o); aerr != nil {
		writeError(w, aerr)
		return
	}
	if t.CRD != "" {
		if aerr := fieldValidation(w, wo.validation, pruneUnknown(t, o), false); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	if n := metaString(o, "name"); n != ri.name {
		writeError(w, errBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", n, ri.name)))
		return
	}
	md := meta(o)
	if ns, _ := md["namespace"].(string); ns != "" && t.Namespaced && ns != ri.ns {
		writeError(w, errBadRequest("the namespace of the provided object does not match the namespace sent on the request"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.get(t, ri.ns, ri.name)
	if live == nil {
		if ri.sub != "" {
			writeError(w, errNotFound(t, ri.name))
			return
		}
		// PUT creates when the object is missing (AllowCreateOnUpdate), as
		// for most built-ins; a resourceVersion makes it a conflict.
		if metaString(o, "resourceVersion") != "" || t.Kind == "Namespace" {
			writeError(w, errNotFound(t, ri.name))
			return
		}
		if t.Namespaced {
			md["namespace"] = ri.ns
		}
		out, aerr := s.create(t, ri.ns, o, wo)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		writeJSON(w, 201, output(t, out))
		return
	}
	if rv := metaString(o, "resourceVersion"); rv != "" && rv != metaString(live, "resourceVersion") {
		writeError(w, errConflict(t, ri.name))
		return
	}
	out, aerr := s.update(t, ri.sub, live, o, wo)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, 200, output(t, out))
}

// update writes newObj over live (a non-apply write). Called locked.
func (s *server) update(t *resType, sub string, live, newObj obj, wo writeOpts) (obj, *apiError) {
	name := metaString(live, "name")
	ns := metaString(live, "namespace")
	newObj = s.prepareUpdate(t, sub, live, newObj)
	if errs := validateObject(t, newObj, live); len(errs) > 0 {
		return nil, errInvalid(t.GK(), t.Group, t.Kind, name, errs)
	}
	out := s.fmUpdateNoErrors(t, sub, live, newObj, wo.manager)
	return s.commit(t, ns, name, live, out, wo)
}

// prepareUpdate is the registry strategy's PrepareForUpdate: what a client
// cannot change through this endpoint comes from the live object.
func (s *server) prepareUpdate(t *resType, sub string, live, newObj obj) obj {
	if sub == "finalize" {
		// Only spec.finalizers changes through /finalize.
		out := copyObj(live)
		setPath(out, deepCopy(path(newObj, "spec", "finalizers")), "spec", "finalizers")
		return out
	}
	if sub == "status" {
		// Only status changes through /status.
		out := copyObj(live)
		if st, ok := newObj["status"]; ok {
			out["status"] = st
		} else {
			delete(out, "status")
		}
		if mf, ok := meta(newObj)["managedFields"]; ok {
			meta(out)["managedFields"] = mf
		} else {
			delete(meta(out), "managedFields")
		}
		return out
	}
	newObj = copyObj(newObj)
	md, lmd := meta(newObj), meta(live)
	for _, k := range []string{"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "selfLink"} {
		if v, ok := lmd[k]; ok {
			md[k] = v
		} else {
			delete(md, k)
		}
	}
	md["resourceVersion"] = lmd["resourceVersion"]
	if t.Status {
		if st, ok := live["status"]; ok {
			newObj["status"] = deepCopy(st)
		} else {
			delete(newObj, "status")
		}
	}
	if t.Kind == "Service" && t.CRD == "" {
		keepAllocated(live, newObj)
	}
	defaultObject(t, newObj)
	return newObj
}

// commit finishes a write: generation, then no write at all when nothing
// changed (same resourceVersion), else the next resourceVersion.
func (s *server) commit(t *resType, ns, name string, live, out obj, wo writeOpts) (obj, *apiError) {
	md := meta(out)
	md["resourceVersion"] = metaString(live, "resourceVersion")
	if g, ok := meta(live)["generation"]; ok {
		md["generation"] = g
		if generationChanged(t, live, out) {
			md["generation"] = g.(int64) + 1
		}
	}
	if equalValues(live, out) {
		return live, nil
	}
	if wo.dryRun {
		return out, nil
	}
	if aerr := tooLarge(out); aerr != nil {
		return nil, aerr
	}
	// A deleting object whose last finalizer went is removed now.
	if metaString(out, "deletionTimestamp") != "" && len(finalizers(out)) == 0 {
		s.store(t, ns, name, out, "MODIFIED")
		s.remove(t, ns, name)
		return out, nil
	}
	s.store(t, ns, name, out, "MODIFIED")
	s.afterWrite(t, live, out)
	return out, nil
}

// generationChanged: the strategies bump generation for changes outside
// metadata and status (Deployments also for annotations).
func generationChanged(t *resType, live, out obj) bool {
	keys := map[string]bool{}
	for k := range live {
		keys[k] = true
	}
	for k := range out {
		keys[k] = true
	}
	for k := range keys {
		switch k {
		case "metadata", "apiVersion", "kind":
			continue
		case "status":
			if t.Status || t.CRD == "" {
				continue
			}
		}
		if !equalValues(live[k], out[k]) {
			return true
		}
	}
	if t.Kind == "Deployment" && !equalValues(path(live, "metadata", "annotations"), path(out, "metadata", "annotations")) {
		return true
	}
	return false
}

func finalizers(o obj) []interface{} {
	f, _ := path(o, "metadata", "finalizers").([]interface{})
	return f
}

func (s *server) serveDelete(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	t := ri.t
	wo, aerr := s.parseWriteOpts(r, ri)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	q := r.URL.Query()
	prop := q.Get("propagationPolicy")
	var precondUID, precondRV string
	if body, _ := readBody(r); len(strings.TrimSpace(string(body))) > 0 {
		var o obj
		var err error
		if mediaType(r) == "application/vnd.kubernetes.protobuf" {
			o, err = decodeProtobuf(body)
		} else {
			o, err = decodeObject(body, false)
		}
		if err == nil {
			if p, ok := o["propagationPolicy"].(string); ok && prop == "" {
				prop = p
			}
			if d, ok := o["dryRun"].([]interface{}); ok && len(d) > 0 {
				wo.dryRun = true
			}
			precondUID, _ = path(o, "preconditions", "uid").(string)
			precondRV, _ = path(o, "preconditions", "resourceVersion").(string)
		}
	}
	switch prop {
	case "", "Background", "Foreground", "Orphan":
	default:
		writeError(w, errInvalid("DeleteOptions.meta.k8s.io", "meta.k8s.io", "DeleteOptions", "", []fieldError{
			{"FieldValueNotSupported", "propagationPolicy", fmt.Sprintf("Unsupported value: %q: supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"", prop)}}))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.get(t, ri.ns, ri.name)
	if live == nil {
		writeError(w, errNotFound(t, ri.name))
		return
	}
	if precondUID != "" && precondUID != metaString(live, "uid") {
		writeError(w, &apiError{409, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s %q: Precondition failed: UID in precondition: %s, UID in object meta: %s", t.GR(), ri.name, precondUID, metaString(live, "uid")), details(t, ri.name)})
		return
	}
	if precondRV != "" && precondRV != metaString(live, "resourceVersion") {
		writeError(w, &apiError{409, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s %q: Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s", t.GR(), ri.name, precondRV, metaString(live, "resourceVersion")), details(t, ri.name)})
		return
	}
	out, code := s.delete(t, live, prop, wo.dryRun)
	if code == 200 && metaString(out, "deletionTimestamp") == "" && !returnsDeletedObject(t) {
		d := details(t, ri.name)
		d["uid"] = metaString(live, "uid")
		writeJSON(w, 200, map[string]interface{}{"kind": "Status", "apiVersion": "v1", "metadata": map[string]interface{}{},
			"status": "Success", "details": d})
		return
	}
	writeJSON(w, code, output(t, out))
}

// delete removes live, or marks it deleting when finalizers (or the
// namespace lifecycle) hold it. It returns what the real server answers:
// the object (200 also while finalizers keep it, as the real server
// answers unless orphanDependents=false was asked), or nil with 200 for a
// Status Success. Called locked.
func (s *server) delete(t *resType, live obj, prop string, dryRun bool) (obj, int) {
	ns, name := metaString(live, "namespace"), metaString(live, "name")
	if metaString(live, "deletionTimestamp") != "" {
		return live, 200
	}
	fins := finalizers(live)
	if prop == "Foreground" {
		fins = append(fins, "foregroundDeletion")
	} else if prop == "Orphan" {
		fins = append(fins, "orphan")
	}
	if t.Kind == "Namespace" || len(fins) > 0 {
		out := copyObj(live)
		md := meta(out)
		md["deletionTimestamp"] = nowRFC3339()
		md["deletionGracePeriodSeconds"] = int64(0)
		if len(fins) > 0 {
			md["finalizers"] = fins
		}
		if t.Kind == "Namespace" {
			setPath(out, "Terminating", "status", "phase")
		}
		if dryRun {
			return out, 200
		}
		s.store(t, ns, name, out, "MODIFIED")
		if t.Kind == "Namespace" {
			go s.finishNamespaceDeletion(name)
			return out, 200
		}
		if t.Kind == "CustomResourceDefinition" && t.CRD == "" {
			go s.finishCRDDeletion(name)
			return out, 200
		}
		if prop == "Foreground" || prop == "Orphan" {
			// No garbage collector here: nothing depends on anything, so
			// its finalizers are done at once.
			go s.dropGCFinalizers(t, ns, name)
		}
		return out, 200
	}
	if dryRun {
		return live, 200
	}
	out := s.remove(t, ns, name)
	s.afterDelete(t, out)
	return out, 200
}

// returnsDeletedObject: which registries answer a completed DELETE with
// the object rather than a Status Success.
func returnsDeletedObject(t *resType) bool {
	switch t.Kind {
	case "Pod", "ServiceAccount", "StorageClass", "CustomResourceDefinition", "Namespace":
		return true
	}
	return t.CRD != ""
}

func (s *server) dropGCFinalizers(t *resType, ns, name string) {
	time.Sleep(10 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.get(t, ns, name)
	if live == nil {
		return
	}
	out := copyObj(live)
	var keep []interface{}
	for _, f := range finalizers(out) {
		if f != "foregroundDeletion" && f != "orphan" {
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 {
		delete(meta(out), "finalizers")
		s.store(t, ns, name, out, "MODIFIED")
		s.remove(t, ns, name)
		return
	}
	meta(out)["finalizers"] = keep
	s.store(t, ns, name, out, "MODIFIED")
}

// finishNamespaceDeletion is the namespace controller: after a short
// while, the namespace's content goes, then the namespace.
func (s *server) finishNamespaceDeletion(ns string) {
	time.Sleep(s.o.nsDeleteDelay)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.types {
		if !t.Namespaced || s.typeForVersion(t, t.GV()) != t {
			continue
		}
		m := s.objs[t.storeKey()]
		var keys []string
		for k, o := range m {
			if metaString(o, "namespace") == ns {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			o := m[k]
			if o != nil {
				s.remove(t, ns, metaString(o, "name"))
			}
		}
	}
	nsType := s.lookup("", "v1", "namespaces")
	s.remove(nsType, "", ns)
}

func (s *server) serveDeleteCollection(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	wo, aerr := s.parseWriteOpts(r, ri)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	q := r.URL.Query()
	sel, err := parseLabelSelector(q.Get("labelSelector"))
	if err != nil {
		writeError(w, errBadRequest(fmt.Sprintf("unable to parse requirement: %v", err)))
		return
	}
	fsel, err := parseFieldSelector(q.Get("fieldSelector"), ri.t)
	if err != nil {
		writeError(w, errBadRequest(err.Error()))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k, o := range s.objs[ri.t.storeKey()] {
		if (ri.ns == "" || metaString(o, "namespace") == ri.ns) && sel.matches(stringMap(o, "labels")) && fsel.matches(o) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var items []interface{}
	for _, k := range keys {
		o := s.objs[ri.t.storeKey()][k]
		out, _ := s.delete(ri.t, o, q.Get("propagationPolicy"), wo.dryRun)
		if out != nil {
			items = append(items, output(ri.t, out))
		}
	}
	if items == nil {
		items = []interface{}{}
	}
	writeJSON(w, 200, map[string]interface{}{"kind": ri.t.Kind + "List", "apiVersion": ri.t.GV(),
		"metadata": map[string]interface{}{"resourceVersion": strconv.FormatInt(s.rv, 10)}, "items": items})
}

func (s *server) serveVersion(w http.ResponseWriter) {
	writeJSON(w, 200, map[string]interface{}{
		"major": "1", "minor": "32", "gitVersion": "v1.32.0-hoist-test",
		"gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
		"buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.19", "compiler": "gc",
		"platform": "linux/amd64",
	})
}

func hasScale(t *resType) bool {
	return t.CRD == "" && (t.Kind == "Deployment" || t.Kind == "StatefulSet" || t.Kind == "ReplicaSet")
}

// scaleOf renders the autoscaling/v1 Scale of a workload.
func scaleOf(o obj) obj {
	md := map[string]interface{}{}
	for _, k := range []string{"name", "namespace", "uid", "resourceVersion", "creationTimestamp"} {
		if v, ok := meta(o)[k]; ok {
			md[k] = v
		}
	}
	replicas, _ := path(o, "spec", "replicas").(int64)
	stReplicas, _ := path(o, "status", "replicas").(int64)
	var sel []string
	ml := stringMapAny(path(o, "spec", "selector", "matchLabels"))
	for k, v := range ml {
		sel = append(sel, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(sel)
	st := map[string]interface{}{"replicas": stReplicas}
	if len(sel) > 0 {
		st["selector"] = strings.Join(sel, ",")
	}
	return obj{"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": md,
		"spec": map[string]interface{}{"replicas": replicas}, "status": st}
}

// serveScale: the scale subresource of Deployments, StatefulSets and
// ReplicaSets (GET, PUT, and merge or JSON patches of the Scale).
func (s *server) serveScale(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	t := ri.t
	if r.Method != "GET" && r.Method != "PUT" && r.Method != "PATCH" {
		writeError(w, errMethodNotAllowed(t))
		return
	}
	wo, aerr := s.parseWriteOpts(r, ri)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var body []byte
	if r.Method != "GET" {
		if body, aerr = readBody(r); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.get(t, ri.ns, ri.name)
	if live == nil {
		writeError(w, errNotFound(t, ri.name))
		return
	}
	cur := scaleOf(live)
	if r.Method == "GET" {
		writeJSON(w, 200, cur)
		return
	}
	var next obj
	var err error
	switch ct := mediaType(r); {
	case r.Method == "PUT":
		next, err = decodeObject(body, false)
	case ct == ctMerge || ct == ctStrategic:
		next, err = mergePatch(cur, body)
	case ct == ctJSONPatch:
		next, err = jsonPatch(cur, body)
	default:
		writeError(w, errUnsupportedMediaType(ct, []string{ctJSONPatch, ctMerge, ctStrategic}))
		return
	}
	if err != nil {
		writeError(w, errBadRequest(err.Error()))
		return
	}
	if rv := metaString(next, "resourceVersion"); rv != "" && rv != metaString(live, "resourceVersion") {
		writeError(w, errConflict(t, ri.name))
		return
	}
	replicas, ok := path(next, "spec", "replicas").(int64)
	if !ok || replicas < 0 {
		writeError(w, errInvalid("Scale.autoscaling", "autoscaling", "Scale", ri.name, []fieldError{
			invalidValue("spec.replicas", path(next, "spec", "replicas"), "must be greater than or equal to 0")}))
		return
	}
	newObj := copyObj(live)
	setPath(newObj, replicas, "spec", "replicas")
	out := s.fmUpdateNoErrors(t, "scale", live, newObj, wo.manager)
	res, aerr := s.commit(t, ri.ns, ri.name, live, out, wo)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, 200, scaleOf(res))
}

// allocateService gives a new Service what the real allocators do: a
// cluster IP (unless headless or ExternalName), its IP family fields, and
// node ports for NodePort and LoadBalancer Services. Allocated values are
// set after field tracking, so no manager owns them.
func (s *server) allocateService(o obj) {
	typ, _ := path(o, "spec", "type").(string)
	if typ == "ExternalName" {
		return
	}
	ip, _ := path(o, "spec", "clusterIP").(string)
	if ip == "" {
		s.nextIP++
		ip = fmt.Sprintf("10.96.%d.%d", (s.nextIP/250)%250, s.nextIP%250+1)
		setPath(o, ip, "spec", "clusterIP")
	}
	setDefault(o, []interface{}{ip}, "spec", "clusterIPs")
	setDefault(o, []interface{}{"IPv4"}, "spec", "ipFamilies")
	setDefault(o, "SingleStack", "spec", "ipFamilyPolicy")
	if typ == "NodePort" || typ == "LoadBalancer" {
		ports, _ := path(o, "spec", "ports").([]interface{})
		for _, p := range ports {
			if pm, ok := p.(map[string]interface{}); ok && pm["nodePort"] == nil {
				s.nextNodePort++
				pm["nodePort"] = int64(30000 + s.nextNodePort%2768)
			}
		}
		setDefault(o, "Cluster", "spec", "externalTrafficPolicy")
	}
	if typ == "LoadBalancer" {
		setDefault(o, true, "spec", "allocateLoadBalancerNodePorts")
	}
}

// keepAllocated: an update that leaves allocated Service fields out keeps
// them, as the real Service registry does.
func keepAllocated(live, o obj) {
	for _, k := range []string{"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"} {
		if path(o, "spec", k) == nil && path(live, "spec", k) != nil {
			setPath(o, deepCopy(path(live, "spec", k)), "spec", k)
		}
	}
	lports, _ := path(live, "spec", "ports").([]interface{})
	ports, _ := path(o, "spec", "ports").([]interface{})
	for _, p := range ports {
		pm, ok := p.(map[string]interface{})
		if !ok || pm["nodePort"] != nil {
			continue
		}
		for _, lp := range lports {
			if lm, ok := lp.(map[string]interface{}); ok && equalValues(lm["port"], pm["port"]) && lm["nodePort"] != nil {
				pm["nodePort"] = lm["nodePort"]
			}
		}
	}
}

// etcdLimit is etcd's default request size limit (--max-request-bytes).
const etcdLimit = 1536 * 1024

// tooLarge: an object etcd would refuse, with the 500 the real server
// passes on (dry runs never reach etcd, so they pass).
func tooLarge(o obj) *apiError {
	if len(mustJSON(o)) > etcdLimit {
		return &apiError{500, "", "etcdserver: request is too large", nil}
	}
	return nil
}
