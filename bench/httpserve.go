package main

import (
	"net"
	"net/http"
)

// serveHTTP serves h on ln with net/http, for the libraries that upgrade
// inside an http.Handler, and returns a function that closes the server.
func serveHTTP(ln net.Listener, h http.Handler) (stop func()) {
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return func() { srv.Close() }
}

// acceptLoop calls handle in a new goroutine for every connection ln
// accepts, for the adapters that work on bare TCP connections, and returns
// a function that closes the listener.
func acceptLoop(ln net.Listener, handle func(net.Conn)) (stop func()) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return func() { ln.Close() }
}
