// Command conformance runs wsx's conformance suite against wsx and its Go
// peers, as servers and as clients, and writes the comparison as Markdown:
//
//	cd peers && go run ./cmd/conformance -o ../docs/conformance.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/wsx-go/websocket/internal/conform"
	"github.com/wsx-go/websocket/peers"
)

func main() {
	out := flag.String("o", "", "write the Markdown report to this file (default: standard output)")
	only := flag.String("impl", "", "comma-separated implementations to test (default: all)")
	cases := flag.String("cases", "", "comma-separated case ids or prefixes (default: all)")
	flag.Parse()

	impls := peers.Names()
	if *only != "" {
		impls = strings.Split(*only, ",")
	}
	var include []string
	if *cases != "" {
		include = strings.Split(*cases, ",")
	}
	selected := conform.Select(conform.Cases(), include, nil)

	ctx := context.Background()
	var rows []row
	for _, impl := range impls {
		log.Printf("%s as a server: %d cases", impl, len(selected))
		srv, err := runAsServer(ctx, impl, selected)
		if err != nil {
			log.Fatalf("%s server: %v", impl, err)
		}
		rows = append(rows, row{impl, "server", srv})
		log.Printf("%s as a client: %d cases", impl, len(selected))
		cli, err := runAsClient(ctx, impl, selected)
		if err != nil {
			log.Fatalf("%s client: %v", impl, err)
		}
		rows = append(rows, row{impl, "client", cli})
	}

	w := io.Writer(os.Stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		w = f
	}
	writeMarkdown(w, rows, len(selected))
}

type row struct {
	impl, role string
	results    []*conform.Result
}

// listen serves h on a free loopback port and returns its ws:// URL.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "ws://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func runAsServer(ctx context.Context, impl string, cases []*conform.Case) ([]*conform.Result, error) {
	u, stop, err := listen(peers.EchoServers[impl])
	if err != nil {
		return nil, err
	}
	defer stop()
	return conform.RunServer(ctx, u+"/", cases, nil)
}

func runAsClient(ctx context.Context, impl string, cases []*conform.Case) ([]*conform.Result, error) {
	fs := &conform.FuzzingServer{Cases: cases}
	u, stop, err := listen(fs)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := peers.RunAgent(ctx, impl, u, impl); err != nil {
		return nil, err
	}
	return fs.Results()[impl], nil
}

func writeMarkdown(w io.Writer, rows []row, total int) {
	fmt.Fprintf(w, "# Conformance: wsx and its Go peers\n\n")
	fmt.Fprintf(w, "Every implementation runs the same %d cases of `wsx conform` (the Autobahn test suite's\n", total)
	fmt.Fprintf(w, "sections 1-7, 9 and 10), as an echo server and as a client following Autobahn's fuzzingserver\n")
	fmt.Fprintf(w, "URL scheme. A case counts as OK only when both its behaviour and its close behaviour are OK.\n\n")
	fmt.Fprintf(w, "Produced by `cd peers && go run ./cmd/conformance -o ../docs/conformance.md` on %s, %s, %s/%s.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "| implementation | role | OK | not OK | verdicts of the cases not OK |\n| --- | --- | ---: | ---: | --- |\n")
	for _, r := range rows {
		ok := 0
		var bad []string
		for _, res := range r.results {
			if res.Behavior == conform.OK && res.BehaviorClose == conform.OK ||
				res.Behavior == conform.Informational && res.BehaviorClose == conform.OK {
				ok++
				continue
			}
			bad = append(bad, fmt.Sprintf("%s: %s/%s", res.ID, res.Behavior, res.BehaviorClose))
		}
		missing := total - len(r.results)
		notOK := len(bad) + missing
		detail := strings.Join(bad, ", ")
		if missing > 0 {
			detail = strings.TrimPrefix(detail+fmt.Sprintf(", %d cases did not run", missing), ", ")
		}
		if detail == "" {
			detail = "—"
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %s |\n", r.impl, r.role, ok, notOK, detail)
	}
	fmt.Fprintf(w, "\nVerdicts are written behaviour/close behaviour, in Autobahn's terms.\n")
}
