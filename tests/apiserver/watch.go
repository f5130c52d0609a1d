package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// watchEvent is one change, kept for --watch-history events so watches
// can start from a past resourceVersion.
type watchEvent struct {
	rv       int64
	typ      string
	storeKey string
	obj      obj // after the change (DELETED: the last state)
	prev     obj // before (nil for ADDED)
}

// record appends an event. Called locked.
func (s *server) record(t *resType, typ string, o, prev obj) {
	s.events = append(s.events, watchEvent{s.rv, typ, t.storeKey(), o, prev})
	if max := s.o.watchHistory; max > 0 && len(s.events) > max {
		n := len(s.events) - max
		s.events = append([]watchEvent(nil), s.events[n:]...)
	}
	s.cond.Broadcast()
}

// oldestRV: the oldest resourceVersion a watch or continue may start at.
func (s *server) oldestRV() int64 {
	if len(s.events) == 0 {
		return s.rv
	}
	return s.events[0].rv - 1
}

func (s *server) serveWatch(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
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
	if ri.name != "" {
		fsel = append(fsel, requirement{key: "metadata.name", op: "=", values: []string{ri.name}})
	}
	bookmarks := isTrue(q.Get("allowWatchBookmarks"))
	timeout := 30 * time.Minute
	if ts := q.Get("timeoutSeconds"); ts != "" {
		if n, err := strconv.Atoi(ts); err == nil && n > 0 {
			timeout = time.Duration(n) * time.Second
		}
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(200)
	if flusher != nil {
		flusher.Flush()
	}
	enc := json.NewEncoder(w)
	send := func(typ string, o obj) bool {
		if err := enc.Encode(map[string]interface{}{"type": typ, "object": o}); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	t := ri.t
	matches := func(o obj) bool {
		if o == nil {
			return false
		}
		if ri.ns != "" && metaString(o, "namespace") != ri.ns {
			return false
		}
		return sel.matches(stringMap(o, "labels")) && fsel.matches(o)
	}
	bookmark := func(rv int64) bool {
		b := obj{"kind": t.Kind, "apiVersion": t.GV(), "metadata": map[string]interface{}{
			"resourceVersion": strconv.FormatInt(rv, 10), "creationTimestamp": nil}}
		return send("BOOKMARK", b)
	}

	s.mu.Lock()
	var last int64
	rvParam := q.Get("resourceVersion")
	if rvParam == "" || rvParam == "0" || isTrue(q.Get("sendInitialEvents")) {
		// Start with the current state as ADDED events.
		last = s.rv
		var keys []string
		for k := range s.objs[t.storeKey()] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var initial []obj
		for _, k := range keys {
			if o := s.objs[t.storeKey()][k]; matches(o) {
				initial = append(initial, output(t, o))
			}
		}
		s.mu.Unlock()
		for _, o := range initial {
			if !send("ADDED", o) {
				return
			}
		}
		if isTrue(q.Get("sendInitialEvents")) && bookmarks {
			b := obj{"kind": t.Kind, "apiVersion": t.GV(), "metadata": map[string]interface{}{
				"resourceVersion": strconv.FormatInt(last, 10), "creationTimestamp": nil,
				"annotations": map[string]interface{}{"k8s.io/initial-events-end": "true"}}}
			if !send("BOOKMARK", b) {
				return
			}
		}
		s.mu.Lock()
	} else {
		n, err := strconv.ParseInt(rvParam, 10, 64)
		if err != nil {
			s.mu.Unlock()
			send("ERROR", (&apiError{400, "BadRequest", fmt.Sprintf("invalid resource version: %s", rvParam), nil}).status())
			return
		}
		if n < s.oldestRV() {
			oldest := s.oldestRV()
			s.mu.Unlock()
			send("ERROR", errGone(fmt.Sprintf("too old resource version: %d (%d)", n, oldest+1)).status())
			return
		}
		last = n
	}

	// Wake this watch at least every second, for bookmarks, the timeout
	// and a client that went away.
	done := make(chan struct{})
	defer close(done)
	go func() {
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				s.mu.Lock()
				s.cond.Broadcast()
				s.mu.Unlock()
			}
		}
	}()
	deadline := time.Now().Add(timeout)
	lastBookmark := time.Now()
	ctx := r.Context()
	for {
		var batch []watchEvent
		for {
			if ctx.Err() != nil {
				s.mu.Unlock()
				return
			}
			if time.Now().After(deadline) {
				// Like the watch cache, a last bookmark before the
				// timeout closes the watch, so the client can resume
				// from there.
				cur := last
				s.mu.Unlock()
				if bookmarks {
					bookmark(cur)
				}
				return
			}
			if len(s.events) > 0 && s.events[len(s.events)-1].rv > last {
				break
			}
			if bookmarks && time.Since(lastBookmark) >= s.o.bookmarkEvery {
				break
			}
			s.cond.Wait()
		}
		if len(s.events) > 0 && s.events[0].rv > last+1 && last < s.oldestRV() {
			oldest := s.oldestRV()
			s.mu.Unlock()
			send("ERROR", errGone(fmt.Sprintf("too old resource version: %d (%d)", last, oldest+1)).status())
			return
		}
		for _, e := range s.events {
			if e.rv > last && e.storeKey == t.storeKey() {
				batch = append(batch, e)
			}
		}
		if len(s.events) > 0 && s.events[len(s.events)-1].rv > last {
			last = s.events[len(s.events)-1].rv
		}
		cur := last
		s.mu.Unlock()
		for _, e := range batch {
			now, before := matches(e.obj), matches(e.prev)
			typ := e.typ
			switch {
			case e.typ == "DELETED":
				if !now {
					continue
				}
			case now && !before:
				typ = "ADDED"
			case !now && before:
				typ = "DELETED"
			case !now && !before:
				continue
			}
			if !send(typ, output(t, e.obj)) {
				return
			}
		}
		if bookmarks && time.Since(lastBookmark) >= s.o.bookmarkEvery {
			if !bookmark(cur) {
				return
			}
			lastBookmark = time.Now()
		}
		s.mu.Lock()
	}
}
