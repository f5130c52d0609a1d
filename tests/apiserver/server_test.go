package main

// In-process tests of the pieces whose exact behaviour clients depend on;
// tests/integration/t5050-apiserver.sh checks the server end to end with
// curl and kubectl.  Run by build.sh test (t5050 does).

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLabelSelectors(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "front", "n": "3"}
	cases := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"app=web", true},
		{"app==web", true},
		{"app!=web", false},
		{"app=db", false},
		{"missing!=x", true},
		{"tier in (front,back)", true},
		{"tier notin (front)", false},
		{"missing notin (x)", true},
		{"app", true},
		{"!app", false},
		{"!missing", true},
		{"app=web,tier in (back)", false},
		{"app=web, n in (1, 3)", true},
	}
	for _, c := range cases {
		sel, err := parseLabelSelector(c.sel)
		if err != nil {
			t.Fatalf("%q: %v", c.sel, err)
		}
		if got := sel.matches(labels); got != c.want {
			t.Errorf("%q: got %v, want %v", c.sel, got, c.want)
		}
	}
	for _, bad := range []string{"app in (a", "a b c", "app=web,", "-bad=x", "k=in valid"} {
		if _, err := parseLabelSelector(bad); err == nil {
			t.Errorf("%q: parsed, want an error", bad)
		}
	}
}

func TestVersionPriority(t *testing.T) {
	vs := []string{"v1alpha1", "v1", "v2beta1", "foo", "v2", "v1beta2", "v10", "bar"}
	want := "v10 v2 v1 v2beta1 v1beta2 v1alpha1 bar foo"
	// the same sort as versionsOf
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && versionLess(vs[j-1], vs[j]); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
	if got := strings.Join(vs, " "); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		rule nameRule
		name string
		ok   bool
	}{
		{nameSubdomain, "a.b-c", true},
		{nameSubdomain, "Bad_Name", false},
		{nameSubdomain, strings.Repeat("a", 254), false},
		{nameLabel, "a.b", false},
		{nameLabel, "ab-1", true},
		{name1035, "1abc", false},
		{name1035, "abc", true},
		{namePathSegment, "system:aggregate-to-edit", true},
		{namePathSegment, "a/b", false},
		{namePathSegment, "..", false},
	} {
		if ok := len(checkName(c.rule, c.name)) == 0; ok != c.ok {
			t.Errorf("rule %d %q: valid=%v, want %v", c.rule, c.name, ok, c.ok)
		}
	}
}

func TestStrategicMergePatch(t *testing.T) {
	s := newServer(options{crdDelay: time.Millisecond, nsDeleteDelay: time.Millisecond, watchHistory: 100})
	dt := s.lookup("apps", "v1", "deployments")
	cur, _ := decodeObject([]byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","finalizers":["a"]},
		"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"spec":{"containers":[
		{"name":"a","image":"x","env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}]},
		{"name":"b","image":"y"}]}}}}`), false)
	patch := `{"metadata":{"finalizers":["b"]},"spec":{"selector":{"matchLabels":{"c":"d"}},"template":{"spec":{
		"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
		"containers":[{"name":"a","env":[{"name":"E2","$patch":"delete"},{"name":"E3","value":"3"}]},
		{"name":"b","$patch":"delete"}]}}}}`
	out, err := strategicPatch(cur, []byte(patch), dt)
	if err != nil {
		t.Fatal(err)
	}
	got := string(mustJSON(out))
	for _, want := range []string{
		`"finalizers":["a","b"]`,  // a set: merged
		`"matchLabels":{"c":"d"}`, // an atomic map: replaced
		`"env":[{"name":"E1","value":"1"},{"name":"E3","value":"3"}]`,
		`"containers":[{"env"`, // container b deleted
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
	if strings.Contains(got, `"name":"b"`) || strings.Contains(got, "$") {
		t.Errorf("directives or deleted items left: %s", got)
	}
}

func TestJSONPatch(t *testing.T) {
	cur, _ := decodeObject([]byte(`{"a":{"l":[1,2,3]},"b":"x"}`), false)
	out, err := jsonPatch(cur, []byte(`[{"op":"add","path":"/a/l/1","value":9},{"op":"remove","path":"/a/l/0"},
		{"op":"replace","path":"/b","value":"y"},{"op":"copy","from":"/b","path":"/c"},{"op":"move","from":"/c","path":"/d~1e"},
		{"op":"add","path":"/a/l/-","value":4},{"op":"test","path":"/b","value":"y"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(mustJSON(out)), `{"a":{"l":[9,2,3,4]},"b":"y","d/e":"y"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := jsonPatch(cur, []byte(`[{"op":"remove","path":"/nope"}]`)); err == nil {
		t.Error("removing a missing path: want an error")
	}
}

// apply sends a server-side apply through the handler.
func apply(t *testing.T, s *server, path, manager, body string, force bool) (int, obj) {
	t.Helper()
	q := "?fieldManager=" + manager
	if force {
		q += "&force=true"
	}
	req := httptest.NewRequest("PATCH", path+q, strings.NewReader(body))
	req.Header.Set("Content-Type", ctApply)
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	o, err := decodeObject(rec.Body.Bytes(), false)
	if err != nil {
		t.Fatalf("%s: %v: %s", path, err, rec.Body.String())
	}
	return rec.Code, o
}

func TestApplyConflictsAcrossManagers(t *testing.T) {
	s := newServer(options{token: "tok", crdDelay: time.Millisecond, nsDeleteDelay: time.Millisecond, watchHistory: 100})
	p := "/api/v1/namespaces/default/configmaps/c"
	if code, _ := apply(t, s, p, "a", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k1: '1', k2: '1'}\n", false); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if code, _ := apply(t, s, p, "b", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k3: '1'}\n", false); code != 200 {
		t.Fatalf("second manager: %d", code)
	}
	code, st := apply(t, s, p, "c", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k1: '2', k2: '2', k3: '2'}\n", false)
	if code != 409 {
		t.Fatalf("conflict: %d", code)
	}
	want := "Apply failed with 3 conflicts: conflicts with \"a\":\n- .data.k1\n- .data.k2\nconflicts with \"b\":\n- .data.k3"
	if msg, _ := st["message"].(string); msg != want {
		t.Errorf("message:\n%s\nwant:\n%s", msg, want)
	}
	if causes, _ := path(st, "details", "causes").([]interface{}); len(causes) != 3 {
		t.Errorf("causes: %v", causes)
	}
	// Forced: c takes all three keys; a and b, left with nothing, lose
	// their entries.
	code, o := apply(t, s, p, "c", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k1: '2', k2: '2', k3: '2'}\n", true)
	if code != 200 {
		t.Fatalf("force: %d", code)
	}
	mf, _ := path(o, "metadata", "managedFields").([]interface{})
	got := string(mustJSON(mf))
	if len(mf) != 1 || !strings.Contains(got, `"fieldsV1":{"f:data":{"f:k1":{},"f:k2":{},"f:k3":{}}},"manager":"c"`) {
		t.Errorf("managedFields after force: %s", got)
	}
}

func TestUnauthorized(t *testing.T) {
	s := newServer(options{token: "tok", crdDelay: time.Millisecond, nsDeleteDelay: time.Millisecond, watchHistory: 100})
	for _, c := range []struct {
		auth string
		code int
	}{{"", 403}, {"Bearer nope", 401}, {"Basic eDp5", 401}, {"Bearer tok", 200}} {
		req := httptest.NewRequest("GET", "/api/v1/namespaces", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != c.code {
			t.Errorf("%q: %d, want %d", c.auth, rec.Code, c.code)
		}
	}
	req := httptest.NewRequest("GET", "/version", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("/version without credentials: %d", rec.Code)
	}
}
