// Package peers adapts other WebSocket implementations to the shapes wsx's
// conformance and benchmark tools drive: an echo server and a client that
// follows Autobahn's fuzzingserver URL scheme, for each implementation.
//
// It is a module of its own so that no peer library ever enters the go.mod
// of the wsx library.
package peers
