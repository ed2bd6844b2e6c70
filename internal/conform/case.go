package conform

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Case is one conformance test case.
type Case struct {
	ID          string // Autobahn's id, such as "5.6"
	Description string
	Expectation string
	// Open starts the case once the connection is open, as Autobahn's
	// onOpen does: it sends frames, sets the expectations and schedules
	// what comes later.
	Open func(s *Session)
	// Timeout bounds the whole case; zero means DefaultCaseTimeout.
	Timeout time.Duration
	// Compression, when set, has the tester offer (as the client) or
	// accept (as the server) permessage-deflate for the case.
	Compression *Compression

	// withCount, for cases that echo many messages, builds the same case
	// with another message count.
	withCount func(n int) *Case
}

// WithMessageCount returns cases with the number of messages each
// permessage-deflate case (sections 12 and 13) echoes set to n instead of
// Autobahn's 1000, for quicker runs such as the race-enabled tests; other
// cases are returned as they are. The descriptions tell the count.
func WithMessageCount(cases []*Case, n int) []*Case {
	out := make([]*Case, len(cases))
	for i, c := range cases {
		if c.withCount != nil && n > 0 {
			c = c.withCount(n)
		}
		out[i] = c
	}
	return out
}

// DefaultCaseTimeout bounds a case that sets no timeout of its own.
const DefaultCaseTimeout = 10 * time.Second

var registry []*Case

// register adds cases to the suite; case files call it from init.
func register(cs ...*Case) { registry = append(registry, cs...) }

// Cases returns every case, in Autobahn's order (by id, numerically).
func Cases() []*Case {
	cs := slices.Clone(registry)
	slices.SortStableFunc(cs, func(a, b *Case) int { return compareIDs(a.ID, b.ID) })
	return cs
}

// Select returns the cases whose ids match one of the patterns: an exact id
// ("5.6"), a prefix ("6.4" selects 6.4.1 to 6.4.4) or "*" for all. Patterns
// prefixed with "-" exclude.
func Select(cases []*Case, include, exclude []string) []*Case {
	var out []*Case
	for _, c := range cases {
		if (len(include) == 0 || matchAny(c.ID, include)) && !matchAny(c.ID, exclude) {
			out = append(out, c)
		}
	}
	return out
}

func matchAny(id string, patterns []string) bool {
	for _, p := range patterns {
		p = strings.TrimSuffix(strings.TrimSuffix(p, "*"), ".")
		if p == "" || id == p || strings.HasPrefix(id, p+".") {
			return true
		}
	}
	return false
}

// compareIDs orders ids such as "6.10.2" numerically, part by part.
func compareIDs(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(pa), len(pb))
}
