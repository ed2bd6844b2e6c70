package proxy

import (
	"net"
	"testing"
	"time"
)

// testTimeout bounds every exchange in the tests, so that a bug shows as a
// failure rather than a hang.
const testTimeout = 10 * time.Second

// pipeProxy runs serve on the proxy's end of an in-memory connection and
// returns the client's end. Both ends get a testTimeout deadline. The
// test's cleanup closes the client's end and waits for serve to return, so
// serve must return once the client's end is closed, as any net.Conn call
// then fails.
func pipeProxy(t testing.TB, serve func(proxy net.Conn)) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	deadline := time.Now().Add(testTimeout)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer server.Close()
		serve(server)
	}()
	t.Cleanup(func() {
		client.Close()
		<-done
	})
	return client
}

// loopbackProxy is pipeProxy over TCP on a loopback port the system picks.
func loopbackProxy(t *testing.T, serve func(proxy net.Conn)) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		server, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		defer server.Close()
		server.SetDeadline(time.Now().Add(testTimeout))
		serve(server)
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		<-done
		t.Fatal(err)
	}
	client.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() {
		client.Close()
		<-done
	})
	return client
}

// noIOConn is a net.Conn that fails the test on any read or write, for
// checking that bad arguments are refused before any I/O.
type noIOConn struct {
	net.Conn
	t *testing.T
}

func (c noIOConn) Read([]byte) (int, error) {
	c.t.Error("Read called")
	return 0, net.ErrClosed
}

func (c noIOConn) Write([]byte) (int, error) {
	c.t.Error("Write called")
	return 0, net.ErrClosed
}
