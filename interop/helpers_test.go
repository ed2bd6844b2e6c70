// Package interop_test checks wsx against independent WebSocket
// implementations — Qt, Python websockets, Node ws, Chromium — in both
// directions, and through real proxies. README.md in this directory says
// what each test needs; without it a test skips, unless
// WSX_REQUIRE_INTEROP=1 is set, as CI does, when it fails.
package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// pythonPath is the interpreter that sees Debian's python3-websockets.
const pythonPath = "/usr/bin/python3"

// interopTimeout bounds each test's talk with the Python side.
const interopTimeout = 60 * time.Second

// lineTimeout bounds the wait for an expected line of a child's output.
const lineTimeout = 15 * time.Second

// requirePython skips the test when pythonPath or its websockets module is
// missing, or fails it when WSX_REQUIRE_INTEROP=1.
func requirePython(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, pythonPath, "-c",
		"import websockets; print(websockets.__version__)").CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("interop tests need %s with the websockets module: %v\n%s", pythonPath, err, out)
		if os.Getenv("WSX_REQUIRE_INTEROP") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Logf("python websockets %s", strings.TrimSpace(string(out)))
}

// testContext returns a context that ends after interopTimeout, or shortly
// before the test binary's deadline, whichever comes first.
func testContext(t *testing.T) context.Context {
	t.Helper()
	return boundedContext(t, interopTimeout)
}

// boundedContext returns a context that ends after d, or shortly before
// the test binary's deadline, whichever comes first.
func boundedContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	if deadline, ok := t.Deadline(); ok {
		d = min(d, time.Until(deadline)-5*time.Second)
	}
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// moduleRoot returns the directory of the module's go.mod, searching up
// from the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// pythonScript returns the path of a script in interop/python.
func pythonScript(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(moduleRoot(t), "interop", "python", name)
}

// process is a child process whose output lines can be waited for.
type process struct {
	name   string
	cmd    *exec.Cmd
	out    *lineWriter
	exited chan struct{} // closed once Wait has returned
	err    error         // Wait's result, set before exited is closed
}

// startProcess starts name with args; ctx kills it. The process is killed
// when the test ends, and its output logged if the test failed.
func startProcess(t *testing.T, ctx context.Context, name string, args ...string) *process {
	t.Helper()
	p := &process{
		name:   filepath.Base(name),
		cmd:    exec.CommandContext(ctx, name, args...),
		out:    newLineWriter(),
		exited: make(chan struct{}),
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "QT_QPA_PLATFORM=offscreen")
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop(os.Kill)
		if t.Failed() {
			t.Logf("output of %s:\n%s", p.name, p.out.String())
		}
	})
	return p
}

// stop sends sig to the process, by its PID, kills it if it has not exited
// 10 seconds later, and returns Wait's result.
func (p *process) stop(sig os.Signal) error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
	return p.err
}

// waitLine returns the first output line not seen before for which match
// is true, failing the test if the process exits first, or ctx ends or
// lineTimeout passes.
func (p *process) waitLine(t *testing.T, ctx context.Context, match func(string) bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, lineTimeout)
	defer cancel()
	for {
		select {
		case line := <-p.out.lines:
			if match(line) {
				return line
			}
			continue
		default:
		}
		select {
		case line := <-p.out.lines:
			if match(line) {
				return line
			}
		case <-p.exited:
			if len(p.out.lines) == 0 { // all output is in once Wait returns
				t.Fatalf("%s exited (%v) before printing the expected line", p.name, p.err)
			}
		case <-ctx.Done():
			t.Fatalf("waiting for a line from %s: %v", p.name, ctx.Err())
		}
	}
}

// lineWriter keeps a process's output and passes each line on.
type lineWriter struct {
	mu      sync.Mutex
	all     strings.Builder
	partial string
	lines   chan string
}

func newLineWriter() *lineWriter {
	// Output beyond the buffered lines is kept in all but not passed on.
	return &lineWriter{lines: make(chan string, 1024)}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.partial += string(p)
	for {
		line, rest, ok := strings.Cut(w.partial, "\n")
		if !ok {
			break
		}
		w.partial = rest
		select {
		case w.lines <- line:
		default:
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// message is one message of the echo tests.
type message struct {
	name string
	typ  websocket.MessageType
	data []byte
}

// closeNormally closes c with 1000 and checks the handshake completed.
func closeNormally(t *testing.T, c *websocket.Conn) {
	t.Helper()
	if err := c.Close(websocket.CloseNormal, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s := c.State(); s != websocket.StateClosed {
		t.Errorf("State() = %v after Close, want %v", s, websocket.StateClosed)
	}
	if code, _ := c.CloseStatus(); code != websocket.CloseNormal {
		t.Errorf("CloseStatus() = %v after Close, want %v", code, websocket.CloseNormal)
	}
}

// checkEcho checks that the echo of m has its type and bytes.
func checkEcho(t *testing.T, m message, typ websocket.MessageType, got []byte) {
	t.Helper()
	if typ != m.typ {
		t.Errorf("echo is %v, want %v", typ, m.typ)
	}
	if !bytes.Equal(got, m.data) {
		i := 0
		for i < min(len(got), len(m.data)) && got[i] == m.data[i] {
			i++
		}
		t.Errorf("echo of %d bytes differs from the %d sent, first at byte %d", len(got), len(m.data), i)
	}
}

// serveFiles serves files, URL path to file, over HTTP on loopback until
// the test ends, uncached, and returns the server's base URL
// (http://127.0.0.1:PORT). Other paths are not found.
func serveFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFile(w, r, file)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// listenLogged starts s on a loopback port the system picks, closed when
// the test ends; the errors it reported are logged then, each after who.
func listenLogged(t *testing.T, s *websocket.Server, who string) {
	t.Helper()
	var mu sync.Mutex
	var errs []error
	s.OnError = func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, err := range errs {
			t.Logf("%s: %v", who, err)
		}
	})
}
