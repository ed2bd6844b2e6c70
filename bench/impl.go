package main

import (
	"fmt"
	"net"
	"strings"
)

// Impl is one echo server implementation under test. Serve starts echoing
// on ln, which it owns from then on, and returns a function that stops the
// server. Every WebSocket Impl sends each message back with its type; the
// raw TCP ceiling echoes length-prefixed frames instead.
type Impl struct {
	Name string
	// Raw marks the raw TCP ceiling: 4-byte big-endian length prefixes
	// instead of WebSocket frames, and no handshake.
	Raw   bool
	Serve func(ln net.Listener) (stop func())
}

// impls is every implementation, in the order the report lists them. Each
// adapter lives in its own impl_*.go file.
var impls = []Impl{
	rawImpl,
	wsxImpl,
	gorillaImpl,
	coderImpl,
	gobwasImpl,
	gwsImpl,
	nbioImpl,
}

// rawName is the name of the raw TCP ceiling the ratios are taken against.
const rawName = "raw"

// lookupImpl returns the implementation called name.
func lookupImpl(name string) (Impl, error) {
	for _, im := range impls {
		if im.Name == name {
			return im, nil
		}
	}
	return Impl{}, fmt.Errorf("unknown implementation %q (have %s)", name, strings.Join(implNames(impls), ","))
}

// selectImpls returns the implementations named in the comma-separated
// list filter, in report order; an empty filter selects all of them.
func selectImpls(filter string) ([]Impl, error) {
	if filter == "" {
		return impls, nil
	}
	want := map[string]bool{}
	for n := range strings.SplitSeq(filter, ",") {
		n = strings.TrimSpace(n)
		if _, err := lookupImpl(n); err != nil {
			return nil, err
		}
		want[n] = true
	}
	var out []Impl
	for _, im := range impls {
		if want[im.Name] {
			out = append(out, im)
		}
	}
	return out, nil
}

// implNames returns the names of list.
func implNames(list []Impl) []string {
	names := make([]string, len(list))
	for i, im := range list {
		names[i] = im.Name
	}
	return names
}

// maxMessage is the message size limit every server sets: above the
// largest message any scenario sends.
const maxMessage = 64 << 20
