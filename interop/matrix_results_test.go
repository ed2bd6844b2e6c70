package interop_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// caseResult is one side's verdict on a case of the matrix.
type caseResult struct {
	ok     bool
	detail string // what went wrong, or what the side saw
}

func (r caseResult) String() string {
	verdict := "ok"
	if !r.ok {
		verdict = "FAIL"
	}
	if r.detail == "" {
		return verdict
	}
	return verdict + ": " + r.detail
}

// results gathers the verdicts of one side of the matrix as they come, and
// the driver's "version" and "port" lines.
type results struct {
	mu      sync.Mutex
	byCase  map[string]caseResult
	info    map[string]string // "version", "port"
	changed chan struct{}     // closed, and replaced, on each addition
	ended   error             // set when no more can come
}

func newResults() *results {
	return &results{byCase: map[string]caseResult{}, info: map[string]string{}, changed: make(chan struct{})}
}

// add records a verdict; a second one for the same case counts as a
// failure of the case, as a driver must report each case once.
func (r *results) add(name string, res caseResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, dup := r.byCase[name]; dup {
		res = caseResult{detail: fmt.Sprintf("reported twice: %v, then %v", prev, res)}
	}
	r.byCase[name] = res
	r.notify()
}

func (r *results) setInfo(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.info[key] = value
	r.notify()
}

// end marks that no more results will come, for why.
func (r *results) end(why error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended == nil {
		r.ended = why
		r.notify()
	}
}

func (r *results) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// wait returns the verdict on name, waiting for it until ctx ends or no
// more results can come.
func (r *results) wait(ctx context.Context, name string) (caseResult, error) {
	return waitFor(ctx, r, func() (caseResult, bool) { res, ok := r.byCase[name]; return res, ok })
}

// waitInfo returns the driver's line with key, such as "port".
func (r *results) waitInfo(ctx context.Context, key string) (string, error) {
	return waitFor(ctx, r, func() (string, bool) { v, ok := r.info[key]; return v, ok })
}

func waitFor[T any](ctx context.Context, r *results, get func() (T, bool)) (T, error) {
	for {
		r.mu.Lock()
		v, ok := get()
		changed, ended := r.changed, r.ended
		r.mu.Unlock()
		if ok {
			return v, nil
		}
		if ended != nil {
			return v, ended
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return v, ctx.Err()
		}
	}
}

// collect reads a driver's output lines into results until it exits:
// "version TEXT", "port PORT", "ok CASE[: detail]" and "FAIL CASE: why".
// Other lines are logs.
func collect(p *process) *results {
	r := newResults()
	go func() {
		for {
			select {
			case line := <-p.out.lines:
				parseLine(r, line)
				continue
			default:
			}
			select {
			case line := <-p.out.lines:
				parseLine(r, line)
			case <-p.exited:
				for len(p.out.lines) > 0 { // all output is in once Wait returns
					parseLine(r, <-p.out.lines)
				}
				r.end(fmt.Errorf("%s exited (%v) without reporting it", p.name, p.err))
				return
			}
		}
	}()
	return r
}

// parseLine files one line of a driver's output.
func parseLine(r *results, line string) {
	line = strings.TrimRight(line, "\r")
	verdict, rest, _ := strings.Cut(line, " ")
	switch verdict {
	case "version", "port":
		r.setInfo(verdict, strings.TrimSpace(rest))
	case "ok", "FAIL":
		name, detail, _ := strings.Cut(strings.TrimSpace(rest), ":")
		r.add(strings.TrimSpace(name), caseResult{ok: verdict == "ok", detail: strings.TrimSpace(detail)})
	}
}
