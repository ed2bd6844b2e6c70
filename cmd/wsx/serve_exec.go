package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"time"
	"unicode/utf8"

	"github.com/wsx-go/websocket"
)

// errLineTooLong ends an -exec connection whose program printed a line
// longer than the largest message.
var errLineTooLong = errors.New("program printed a line longer than -max-message")

// stdinQueue is how many messages wait for a program that is slow to read
// its stdin, besides the one being written, before the bridge stops
// reading the connection. Kept small: each may be -max-message long.
const stdinQueue = 1

// execBridge runs the -exec program for one connection, as websocketd
// does: messages in become lines on its stdin, lines on its stdout become
// text messages, and its exit status closes the connection.
type execBridge struct {
	conn       *websocket.Conn
	stats      *connStats
	log        *slog.Logger
	command    string        // run by shellCommand
	grace      time.Duration // time to exit after stdin closes, before SIGKILL
	maxLine    int64         // longest output line; 0 default, negative no limit
	serverDone <-chan struct{}
}

// run bridges the connection to a new process of the program until both
// have ended, and returns how the connection ended. The program is always
// waited for; once the client is gone it gets its stdin closed and the
// grace period to exit, and is then killed with its process group.
//
// A program that does not read its stdin holds up the reading of the
// connection once the pipe and the queue are full, as a slow reader
// should; its client's close is then noticed when it reads again, when it
// exits, or when the server shuts down.
func (x *execBridge) run() connEnd {
	c := x.conn
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return x.startFailed(err)
	}
	defer stdoutR.Close()
	stderrLog := &stderrLogger{log: x.log, remote: c.RemoteAddr().String()}
	cmd := shellCommand(x.command)
	cmd.Env = append(os.Environ(), x.env()...)
	// Our own pipe for stdout, not StdoutPipe: Wait must not close it
	// before the last lines are read.
	cmd.Stdout = stdoutW
	cmd.Stderr = stderrLog
	// Stops Wait waiting on a stderr held open by a leftover child.
	cmd.WaitDelay = max(x.grace, 100*time.Millisecond)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		stdoutW.Close()
		return x.startFailed(err)
	}
	err = cmd.Start()
	stdoutW.Close()
	if err != nil {
		return x.startFailed(err)
	}

	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		stderrLog.flush()
		close(exited)
	}()

	outCtx, cancelOut := context.WithCancel(context.Background())
	defer cancelOut()
	outDone := make(chan error, 1)
	go func() { outDone <- x.pumpOut(outCtx, stdoutR) }()

	abort := make(chan struct{}) // stops the feeding of stdin
	inbox := make(chan []byte, stdinQueue)
	readDone := make(chan error, 1)
	go func() { readDone <- x.pumpIn(inbox, abort) }()
	feedDone := make(chan struct{})
	go func() {
		feedStdin(stdin, inbox, abort)
		close(feedDone)
	}()

	var (
		end        connEnd
		ended      bool // end is known
		closeDone  chan struct{}
		graceTimer <-chan time.Time // running once the program must end
		drainTimer <-chan time.Time // running once it exited with stdout still open
		aborted    bool
	)
	// finish records how the connection ends and, when the server has to
	// close it, runs the close handshake in the background.
	finish := func(e connEnd, send bool) {
		if ended {
			return
		}
		ended, end = true, e
		if send {
			closeDone = make(chan struct{})
			go func() {
				c.Close(e.code, e.reason)
				close(closeDone)
			}()
		}
	}
	stopFeeding := func() {
		if !aborted {
			aborted = true
			close(abort)
			stdin.Close()
		}
	}
	startGrace := func() {
		if graceTimer == nil && exited != nil {
			graceTimer = time.After(x.grace)
		}
	}
	kill := func() {
		killProcessGroup(cmd)
		stdoutR.Close()
		cancelOut()
	}
	serverDone := x.serverDone
	for readDone != nil || outDone != nil || exited != nil || feedDone != nil || closeDone != nil {
		select {
		case err := <-readDone:
			// The client closed or the connection failed: the feeder
			// closes stdin once it has written what was queued.
			readDone = nil
			finish(readEnd(err), false)
			startGrace()
		case err := <-outDone:
			outDone = nil
			switch {
			case err == nil:
				// stdout closed: the program is ending; its exit
				// status closes the connection.
			case errors.Is(err, errLineTooLong):
				finish(connEnd{code: websocket.CloseMessageTooBig, reason: "output line too long", err: err}, true)
				stopFeeding()
				startGrace()
			default:
				// Sending failed: the connection is gone.
				finish(readEnd(err), false)
				stopFeeding()
				startGrace()
			}
		case <-exited:
			exited = nil
			graceTimer = nil
			stopFeeding()
			if outDone != nil {
				drainTimer = time.After(x.grace)
			}
		case <-feedDone:
			feedDone = nil
		case <-closeDone:
			closeDone = nil
		case <-serverDone:
			// Shutdown closes the connection with 1001 too. Closing it
			// here first keeps the program's exit, which closing its
			// stdin may bring at once, from closing it with 1000.
			serverDone = nil
			finish(connEnd{code: websocket.CloseGoingAway, reason: "server shutting down"}, true)
			stopFeeding()
			startGrace()
		case <-graceTimer:
			graceTimer = nil
			x.log.Warn("exec: killing the program, still running after the grace period",
				"remote", c.RemoteAddr().String(), "pid", cmd.Process.Pid, "grace", x.grace)
			kill()
		case <-drainTimer:
			drainTimer = nil
			x.log.Warn("exec: the program exited, killing what it left holding its stdout",
				"remote", c.RemoteAddr().String(), "pid", cmd.Process.Pid, "grace", x.grace)
			kill()
		}
		if exited == nil && outDone == nil && !ended {
			finish(exitEnd(waitErr), true)
		}
	}
	return end
}

// startFailed closes the connection of a program that could not start.
func (x *execBridge) startFailed(err error) connEnd {
	x.log.Error("exec: cannot start the program", "remote", x.conn.RemoteAddr().String(), "command", x.command, "error", err)
	end := connEnd{code: websocket.CloseInternalError, reason: "cannot start program", err: err}
	x.conn.Close(end.code, end.reason)
	return end
}

// env returns the CGI-like variables describing the connection.
func (x *execBridge) env() []string {
	c := x.conn
	host, port, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		host, port = c.RemoteAddr().String(), ""
	}
	u := c.URL()
	return []string{
		"REMOTE_ADDR=" + host,
		"REMOTE_PORT=" + port,
		"PATH_INFO=" + u.Path,
		"QUERY_STRING=" + u.RawQuery,
		"HTTP_ORIGIN=" + c.Origin(),
		"SERVER_SOFTWARE=wsx",
	}
}

// exitEnd returns how a connection ends whose program exited with the
// result err of Wait: 1000 for status 0, else 1011 naming the status.
func exitEnd(err error) connEnd {
	var ee *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		return connEnd{code: websocket.CloseNormal}
	case errors.As(err, &ee) && ee.Exited():
		return connEnd{code: websocket.CloseInternalError, reason: fmt.Sprintf("exit status %d", ee.ExitCode())}
	case errors.As(err, &ee):
		return connEnd{code: websocket.CloseInternalError, reason: ee.String()}
	}
	return connEnd{code: websocket.CloseInternalError, reason: "program failed", err: err}
}

// pumpIn reads the connection until it ends and queues each message,
// with a newline, for the program's stdin. Once abort is closed it drops
// them. It closes inbox when it returns the error that ended the reads.
func (x *execBridge) pumpIn(inbox chan<- []byte, abort <-chan struct{}) error {
	defer close(inbox)
	for {
		_, msg, err := x.conn.Read(context.Background())
		if err != nil {
			return err
		}
		x.stats.in.Add(1)
		select {
		case inbox <- append(msg, '\n'):
		case <-abort:
		}
	}
}

// feedStdin writes the queued messages to stdin until inbox is closed or
// abort is, then closes stdin. Once a write fails, because the program
// closed its stdin or exited, the messages are dropped.
func feedStdin(stdin io.WriteCloser, inbox <-chan []byte, abort <-chan struct{}) {
	defer stdin.Close()
	broken := false
	for {
		select {
		case msg, ok := <-inbox:
			if !ok {
				return
			}
			if !broken {
				_, err := stdin.Write(msg)
				broken = err != nil
			}
		case <-abort:
			return
		}
	}
}

// pumpOut sends each line the program prints, without its newline, as a
// text message (binary when it is not UTF-8, which a text message must
// be), until stdout ends. It returns nil at the end of stdout, or when
// reading it fails (the bridge closes it to stop a program's leftovers),
// errLineTooLong for an overlong line, or the error that failed a send.
func (x *execBridge) pumpOut(ctx context.Context, stdout io.Reader) error {
	limit := x.maxLine
	switch {
	case limit == 0:
		limit = websocket.DefaultMaxMessageSize
	case limit < 0:
		limit = math.MaxInt64
	}
	br := bufio.NewReaderSize(stdout, 64<<10)
	var long []byte // a line longer than br's buffer, gathered
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, chunk...)
			if int64(len(long)) > limit {
				return errLineTooLong
			}
			continue
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		} else if len(line) == 0 {
			// Nothing after the last newline.
			return nil
		}
		if int64(len(line)) > limit {
			return errLineTooLong
		}
		typ := websocket.MessageText
		if !utf8.Valid(line) {
			typ = websocket.MessageBinary
		}
		if werr := x.conn.Write(ctx, typ, line); werr != nil {
			return werr
		}
		x.stats.out.Add(1)
		if err != nil {
			return nil
		}
	}
}

// stderrLogger logs each line a program writes to its stderr. exec.Cmd
// writes to it from a single goroutine.
type stderrLogger struct {
	log     *slog.Logger
	remote  string
	partial []byte
}

// maxStderrLine is where a line without a newline yet is logged anyway.
const maxStderrLine = 4 << 10

// Write logs each complete line of p and keeps the rest for the next.
func (l *stderrLogger) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := 0
		for i < len(p) && p[i] != '\n' {
			i++
		}
		l.partial = append(l.partial, p[:i]...)
		if i < len(p) {
			l.emit()
			i++
		} else if len(l.partial) >= maxStderrLine {
			l.emit()
		}
		p = p[i:]
	}
	return n, nil
}

// flush logs what is left after the last newline.
func (l *stderrLogger) flush() {
	if len(l.partial) > 0 {
		l.emit()
	}
}

func (l *stderrLogger) emit() {
	l.log.Warn("exec stderr", "remote", l.remote, "line", string(l.partial))
	l.partial = l.partial[:0]
}
