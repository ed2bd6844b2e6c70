package websocket

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestCompressionSmoke(t *testing.T) {
	checkNoLeaks(t)
	z := &CompressionOptions{}
	client, server := newPair(t, &DialOptions{Options: Options{Compression: z}}, &AcceptOptions{Options: Options{Compression: z}})
	if client.Extensions() != "permessage-deflate" || server.Extensions() != "permessage-deflate" {
		t.Fatalf("extensions %q / %q", client.Extensions(), server.Extensions())
	}
	ctx := testContext(t)
	msgs := [][]byte{nil, []byte("hi"), bytes.Repeat([]byte("hello world "), 1000), []byte(strings.Repeat("é✓", 100000))}
	for i, m := range msgs {
		typ := MessageText
		if err := client.Write(ctx, typ, m); err != nil {
			t.Fatal(err)
		}
		_, got, err := server.Read(ctx)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("msg %d: %d bytes, %v", i, len(got), err)
		}
		w, _ := server.Writer(ctx, typ)
		for rest := m; len(rest) > 0; {
			n := min(len(rest), 777)
			w.Write(rest[:n])
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, r, err := client.Reader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err = io.ReadAll(r)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("msg %d back: %d bytes, %v", i, len(got), err)
		}
	}
	client.Close(CloseNormal, "")
}
