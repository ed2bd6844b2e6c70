package websocket

import (
	"bytes"
	"testing"
)

func TestEchoPair(t *testing.T) {
	client, server := newPair(t, nil, nil)
	ctx := testContext(t)
	go func() {
		for {
			typ, p, err := server.Read(ctx)
			if err != nil {
				return
			}
			if server.Write(ctx, typ, p) != nil {
				return
			}
		}
	}()
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		msg := bytes.Repeat([]byte{'x'}, n)
		if err := client.Write(ctx, MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		typ, got, err := client.Read(ctx)
		if err != nil || typ != MessageBinary || !bytes.Equal(got, msg) {
			t.Fatalf("size %d: got %v %d bytes, %v", n, typ, len(got), err)
		}
	}
	if err := client.Close(CloseNormal, "bye"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if code, reason := server.CloseStatus(); code != CloseNormal || reason != "bye" {
		t.Fatalf("server saw close %v %q", code, reason)
	}
}
