package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wsx-go/websocket/internal/conform"
)

const conformUsage = `usage: wsx conform <mode> [flags]

modes:
  server [-cases 1.*,5.6] [-exclude 9.*] [-agent NAME] [-report DIR] URL
           run the suite against the WebSocket echo server at URL
  client [-addr 127.0.0.1:9001] [-cases ...] [-exclude ...] [-report DIR]
           serve the suite to clients under test (Autobahn's fuzzingserver
           URL scheme) until interrupted
  agent  [-url ws://127.0.0.1:9001] [-agent NAME] [-compress=false]
           run wsx as the client under test against a fuzzing server

Case patterns are comma-separated: an exact id (5.6), a prefix (6.4 or
6.4.*) or * for all; a pattern prefixed with - excludes.

Sections 12 and 13 (permessage-deflate) echo 1000 messages per case, as
Autobahn's do, and take a few minutes; -messages N runs them with N
messages per case instead, for a quick check.
`

// errNotPassed reports that some cases did not pass; the reports say which.
type errNotPassed struct{ failed, total int }

func (e errNotPassed) Error() string {
	return fmt.Sprintf("%d of %d cases did not pass", e.failed, e.total)
}

// conformCmd runs `wsx conform`.
func conformCmd(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, conformUsage)
		return errors.New("conform: a mode is required")
	}
	switch mode, rest := args[0], args[1:]; mode {
	case "server":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return conformServer(ctx, rest, os.Stdout, os.Stderr)
	case "client":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return conformClient(ctx, rest, os.Stdout, os.Stderr, nil)
	case "agent":
		return runConformAgent(rest)
	case "help", "-h", "-help", "--help":
		fmt.Print(conformUsage)
		return nil
	default:
		fmt.Fprint(os.Stderr, conformUsage)
		return fmt.Errorf("conform: unknown mode %q", mode)
	}
}

// caseFlags are the case selection flags both modes share.
type caseFlags struct {
	cases, exclude string
	messages       int
}

func (c *caseFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.cases, "cases", "*", "comma-separated case patterns to run (1.*, 6.4, 5.6; -X excludes)")
	fs.StringVar(&c.exclude, "exclude", "", "comma-separated case patterns to leave out")
	fs.IntVar(&c.messages, "messages", 0, "messages per case of sections 12 and 13 (0: Autobahn's 1000)")
}

// selected returns the chosen cases, in Autobahn's order.
func (c *caseFlags) selected() ([]*conform.Case, error) {
	var include, exclude []string
	for p := range strings.SplitSeq(c.cases, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case strings.HasPrefix(p, "-"):
			exclude = append(exclude, p[1:])
		default:
			include = append(include, p)
		}
	}
	for p := range strings.SplitSeq(c.exclude, ",") {
		if p = strings.TrimSpace(p); p != "" {
			exclude = append(exclude, p)
		}
	}
	if len(include) == 0 {
		include = []string{"*"}
	}
	cases := conform.Select(conform.Cases(), include, exclude)
	if len(cases) == 0 {
		return nil, fmt.Errorf("no cases match -cases %q -exclude %q", c.cases, c.exclude)
	}
	if c.messages < 0 {
		return nil, fmt.Errorf("-messages %d: want 0 (Autobahn's count) or more", c.messages)
	}
	return conform.WithMessageCount(cases, c.messages), nil
}

// conformServer runs `wsx conform server`: the suite against the echo
// server at the URL argument, a progress line on stderr, then the summary on
// stdout and the reports in the report directory.
func conformServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("conform server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sel caseFlags
	sel.register(fs)
	agent := fs.String("agent", "server", "name of the server under test in the reports")
	dir := fs.String("report", filepath.Join("reports", "servers"), "directory for the JSON and HTML reports")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("conform server: exactly one URL is required")
	}
	target := fs.Arg(0)
	cases, err := sel.selected()
	if err != nil {
		return err
	}
	name := *agent
	if name == "" {
		name = "server"
	}

	fmt.Fprintf(stderr, "wsx conform: %d cases against %s (agent %q)\n", len(cases), target, name)
	p := &progressLine{w: stderr}
	results, runErr := conform.RunServer(ctx, target, cases, func(done, total int, r *conform.Result) {
		p.show(fmt.Sprintf("[%d/%d]", done, total), r)
	})
	p.end()
	if runErr != nil && len(results) == 0 {
		return runErr
	}
	conform.WriteSummary(stdout, name, results)
	all := loadOtherAgents(*dir, name, stderr)
	all[name] = results
	if err := writeReports(*dir, all); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reports: %s\n", filepath.Join(*dir, "index.html"))
	if runErr != nil {
		return fmt.Errorf("stopped after %d of %d cases: %w", len(results), len(cases), runErr)
	}
	return notPassed(results)
}

// loadOtherAgents reads the results of the other agents already reported in
// dir, so that the report compares every server run into it. Reports it
// cannot read are left out, with a warning.
func loadOtherAgents(dir, except string, stderr io.Writer) map[string][]*conform.Result {
	old, err := conform.ReadJSON(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "wsx conform: leaving the earlier reports in %s out: %v\n", dir, err)
		}
		return map[string][]*conform.Result{}
	}
	delete(old, except)
	return old
}

// writeReports writes the JSON reports and index.html into dir.
func writeReports(dir string, results map[string][]*conform.Result) error {
	if err := conform.WriteJSON(dir, results); err != nil {
		return fmt.Errorf("writing JSON reports: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "index.html"))
	if err != nil {
		return err
	}
	if err := conform.WriteHTML(f, results); err != nil {
		f.Close()
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return f.Close()
}

// notPassed returns errNotPassed when some result did not pass.
func notPassed(results []*conform.Result) error {
	failed := 0
	for _, r := range results {
		if !r.Passed() {
			failed++
		}
	}
	if failed > 0 {
		return errNotPassed{failed, len(results)}
	}
	return nil
}

// progressLine keeps one progress line up to date on a terminal, leaving
// the cases that did not pass on lines of their own.
type progressLine struct {
	mu   sync.Mutex
	w    io.Writer
	last int // length of the line shown
}

func (p *progressLine) show(prefix string, r *conform.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("%s %s %s", prefix, r.ID, r.Behavior)
	if r.BehaviorClose != conform.OK {
		line += " / close " + string(r.BehaviorClose)
	}
	pad := ""
	if n := p.last - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	if r.Passed() {
		fmt.Fprintf(p.w, "\r%s%s", line, pad)
		p.last = len(line)
	} else {
		fmt.Fprintf(p.w, "\r%s%s\n", line, pad)
		p.last = 0
	}
}

func (p *progressLine) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last > 0 {
		fmt.Fprintln(p.w)
		p.last = 0
	}
}

// conformClient runs `wsx conform client`: a fuzzing server for clients
// under test until ctx ends, writing the reports whenever a client asks
// (/updateReports) and once more at the end. ready, when set, is told the
// server's ws:// URL once it listens.
func conformClient(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(url string)) error {
	fs := flag.NewFlagSet("conform client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sel caseFlags
	sel.register(fs)
	addr := fs.String("addr", "127.0.0.1:9001", "address to listen on (port 0 picks a free port)")
	dir := fs.String("report", filepath.Join("reports", "clients"), "directory for the JSON and HTML reports")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("conform client: unexpected arguments %q", fs.Args())
	}
	cases, err := sel.selected()
	if err != nil {
		return err
	}

	var (
		outMu sync.Mutex // orders the output and report writing
		fz    *conform.FuzzingServer
	)
	report := func() error {
		return writeReports(*dir, fz.Results())
	}
	fz = &conform.FuzzingServer{
		Cases: cases,
		OnResult: func(agent string, index int, r *conform.Result) {
			outMu.Lock()
			defer outMu.Unlock()
			line := fmt.Sprintf("[%d/%d] %s %s %s", index, len(cases), agent, r.ID, r.Behavior)
			if r.BehaviorClose != conform.OK {
				line += " / close " + string(r.BehaviorClose)
			}
			fmt.Fprintln(stdout, line)
		},
		OnUpdateReports: func(agent string) {
			outMu.Lock()
			defer outMu.Unlock()
			if err := report(); err != nil {
				fmt.Fprintf(stderr, "wsx conform: %v\n", err)
				return
			}
			fmt.Fprintf(stdout, "reports for %q updated: %s\n", agent, filepath.Join(*dir, "index.html"))
		},
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "ws://" + ln.Addr().String()
	fmt.Fprintf(stdout, "wsx conform: fuzzing server with %d cases listening on %s\n", len(cases), url)
	srv := &http.Server{Handler: fz, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if ready != nil {
		ready(url)
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)

	outMu.Lock()
	defer outMu.Unlock()
	results := fz.Results()
	if len(results) == 0 {
		fmt.Fprintln(stdout, "wsx conform: no client ran a case")
		return nil
	}
	agents := make([]string, 0, len(results))
	for a := range results {
		agents = append(agents, a)
	}
	slices.Sort(agents)
	var failed, total int
	for _, a := range agents {
		conform.WriteSummary(stdout, a, results[a])
		var np errNotPassed
		if errors.As(notPassed(results[a]), &np) {
			failed += np.failed
		}
		total += len(results[a])
	}
	if err := report(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reports: %s\n", filepath.Join(*dir, "index.html"))
	if failed > 0 {
		return errNotPassed{failed, total}
	}
	return nil
}
