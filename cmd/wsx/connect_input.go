package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/wsx-go/websocket"
)

// sendInput sends every line of in, without its newline, as a message of
// type typ, logging each through p. At the end of in it waits until the
// queue is written and calls closeConn. It returns early when the
// connection ends or ctx is done; a read of in that blocks may keep it
// waiting past that, which only matters in tests.
func sendInput(ctx context.Context, c *websocket.Conn, in io.Reader, typ websocket.MessageType, p eventPrinter, closeConn func()) {
	br := bufio.NewReaderSize(in, 64<<10)
	var long []byte
	for n := 1; ; n++ {
		var line []byte
		var err error
		line, long, err = readLine(br, long)
		if len(line) > 0 || err == nil {
			if !sendLine(ctx, c, typ, line, n, p) {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.fail(fmt.Errorf("reading stdin: %w", err))
			}
			break
		}
	}
	if err := c.Flush(ctx); err != nil {
		return // the connection ended; Run reports why
	}
	closeConn()
}

// sendLine queues one line; it reports false when the connection ended.
// To bound the memory used when stdin is faster than the network, it
// waits for the queue to be written whenever it holds connectFlushAt bytes.
func sendLine(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, line []byte, n int, p eventPrinter) bool {
	if typ == websocket.MessageText && !utf8.Valid(line) {
		p.fail(fmt.Errorf("line %d is not valid UTF-8, not sent (-binary sends binary messages)", n))
		return true
	}
	if err := c.Send(typ, line); err != nil {
		return false
	}
	p.message(dirOut, typ, line)
	if c.BytesToWrite() >= connectFlushAt {
		if err := c.Flush(ctx); err != nil {
			return false
		}
	}
	return true
}

// readLine reads up to and including the next newline and returns the
// line without it. A line longer than br's buffer is gathered in buf,
// which readLine returns for reuse. The line is valid until the next call.
func readLine(br *bufio.Reader, buf []byte) (line, newBuf []byte, err error) {
	buf = buf[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			buf = append(buf, chunk...)
			continue
		}
		if len(buf) > 0 {
			buf = append(buf, chunk...)
			chunk = buf
		}
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			chunk = chunk[:len(chunk)-1]
		}
		return chunk, buf, err
	}
}
