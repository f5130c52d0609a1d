package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults make the server hostile on purpose, for tests of how a client
// copes: a rule matches requests by method and path prefix and, for its
// next N matches (or all), answers instead of the server:
//
//	METHOD PATH-PREFIX ACTION [times=N]
//
//	status=CODE     a Status failure with that code (500, 503, 429 ...)
//	delay=DURATION  wait, then serve normally
//	garbage         200 with a body that is not JSON
//	huge=BYTES      200 with a JSON body of that many bytes
//	truncate        200 with JSON cut off in the middle
//	close           drop the connection without an answer
//	slow=DURATION   200 trickling the normal answer a byte per DURATION
//
// METHOD may be "*". Rules come from --fault (repeatable) or at run time
// from POST /hoist-test/faults (one rule per line; DELETE clears them).

type fault struct {
	method, prefix string
	action, arg    string
	times          int // <0: unlimited
}

type faultSet struct {
	mu    sync.Mutex
	rules []*fault
}

func parseFault(line string) (*fault, error) {
	f := strings.Fields(line)
	if len(f) < 3 {
		return nil, fmt.Errorf("fault %q: want METHOD PATH-PREFIX ACTION [times=N]", line)
	}
	r := &fault{method: strings.ToUpper(f[0]), prefix: f[1], times: -1}
	act := f[2]
	if i := strings.Index(act, "="); i >= 0 {
		r.action, r.arg = act[:i], act[i+1:]
	} else {
		r.action = act
	}
	switch r.action {
	case "status", "huge":
		if _, err := strconv.Atoi(r.arg); err != nil {
			return nil, fmt.Errorf("fault %q: %s needs a number", line, r.action)
		}
	case "delay", "slow":
		if _, err := time.ParseDuration(r.arg); err != nil {
			return nil, fmt.Errorf("fault %q: %s needs a duration", line, r.action)
		}
	case "garbage", "truncate", "close":
	default:
		return nil, fmt.Errorf("fault %q: unknown action %q", line, r.action)
	}
	for _, o := range f[3:] {
		if strings.HasPrefix(o, "times=") {
			n, err := strconv.Atoi(o[6:])
			if err != nil {
				return nil, fmt.Errorf("fault %q: bad times", line)
			}
			r.times = n
		}
	}
	return r, nil
}

func (fs *faultSet) add(r *fault) {
	fs.mu.Lock()
	fs.rules = append(fs.rules, r)
	fs.mu.Unlock()
}

// take returns the first live rule matching r, counting the use.
func (fs *faultSet) take(r *http.Request) *fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.rules {
		if f.times == 0 {
			continue
		}
		if (f.method == "*" || f.method == r.Method) && strings.HasPrefix(r.URL.Path, f.prefix) {
			if f.times > 0 {
				f.times--
			}
			c := *f
			return &c
		}
	}
	return nil
}

// serveFaults is the admin endpoint.
func (s *server) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case "POST":
		body, aerr := readBody(r)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		for _, line := range strings.Split(string(body), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			f, err := parseFault(line)
			if err != nil {
				writeError(w, errBadRequest(err.Error()))
				return
			}
			s.faults.add(f)
		}
		w.WriteHeader(204)
	case "DELETE":
		s.faults.mu.Lock()
		s.faults.rules = nil
		s.faults.mu.Unlock()
		w.WriteHeader(204)
	default:
		writeError(w, errMethodNotAllowed(nil))
	}
}

// trickleWriter sends what the handler writes one byte at a time.
type trickleWriter struct {
	http.ResponseWriter
	every time.Duration
}

func (t *trickleWriter) Write(b []byte) (int, error) {
	fl, _ := t.ResponseWriter.(http.Flusher)
	for i := range b {
		if _, err := t.ResponseWriter.Write(b[i : i+1]); err != nil {
			return i, err
		}
		if fl != nil {
			fl.Flush()
		}
		time.Sleep(t.every)
	}
	return len(b), nil
}

// injectFault answers r per f. It returns true when the request is done,
// false when it should be served (possibly through the returned writer).
func injectFault(w http.ResponseWriter, r *http.Request, f *fault) (bool, http.ResponseWriter) {
	switch f.action {
	case "status":
		code, _ := strconv.Atoi(f.arg)
		reason := map[int]string{500: "InternalError", 503: "ServiceUnavailable", 429: "TooManyRequests",
			504: "Timeout", 409: "Conflict", 403: "Forbidden", 404: "NotFound"}[code]
		if reason == "" {
			reason = "Unknown"
		}
		if code == 429 || code == 503 {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, &apiError{code, reason, fmt.Sprintf("injected fault: %d", code), nil})
		return true, w
	case "delay":
		d, _ := time.ParseDuration(f.arg)
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return true, w
		}
		return false, w
	case "garbage":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		w.Write([]byte("<html>\x00\xff not json {{{\n"))
		return true, w
	case "truncate":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		w.Write([]byte(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","resourceVersion":"1`))
		return true, w
	case "huge":
		n, _ := strconv.Atoi(f.arg)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		head := `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"},"data":{"k":"`
		w.Write([]byte(head))
		chunk := []byte(strings.Repeat("a", 65536))
		left := n - len(head) - 3
		for left > 0 {
			c := chunk
			if left < len(c) {
				c = c[:left]
			}
			if _, err := w.Write(c); err != nil {
				return true, w
			}
			left -= len(c)
		}
		w.Write([]byte(`"}}`))
		return true, w
	case "close":
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return true, w
			}
		}
		// HTTP/2 cannot hijack: abort the stream instead.
		panic(http.ErrAbortHandler)
	case "slow":
		d, _ := time.ParseDuration(f.arg)
		return false, &trickleWriter{w, d}
	}
	return false, w
}
