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
	"strconv"
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
	fmt.Fprintf(w, "| implementation | role | OK | not OK | cases not OK, by verdict (behaviour/close) |\n| --- | --- | ---: | ---: | --- |\n")
	for _, r := range rows {
		ok := 0
		byVerdict := map[string][]string{}
		var verdicts []string
		for _, res := range r.results {
			if res.Passed() {
				ok++
				continue
			}
			v := fmt.Sprintf("%s/%s", res.Behavior, res.BehaviorClose)
			if byVerdict[v] == nil {
				verdicts = append(verdicts, v)
			}
			byVerdict[v] = append(byVerdict[v], res.ID)
		}
		var parts []string
		for _, v := range verdicts {
			parts = append(parts, fmt.Sprintf("%s (%d): %s", v, len(byVerdict[v]), compressIDs(byVerdict[v])))
		}
		if missing := total - len(r.results); missing > 0 {
			parts = append(parts, fmt.Sprintf("%d cases did not run", missing))
		}
		detail := strings.Join(parts, "; ")
		if detail == "" {
			detail = "—"
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %s |\n", r.impl, r.role, ok, total-ok, detail)
	}
	fmt.Fprintf(w, "\nEach echo server and client uses its library's plain API, as its documentation shows, with a\n")
	fmt.Fprintf(w, "64 MiB message limit and no checks of its own: what the table shows is what the library does.\n")
	fmt.Fprintf(w, "INFORMATIONAL cases (7.1.6, 7.13.1, 7.13.2) count as OK when their close behaviour is OK.\n")
}

// compressIDs lists case ids in order, writing runs that differ only in
// their last number as ranges: "6.12.1-8".
func compressIDs(ids []string) string {
	var out []string
	for i := 0; i < len(ids); {
		parent, first := splitID(ids[i])
		j, last := i, first
		for j+1 < len(ids) {
			p, n := splitID(ids[j+1])
			if p != parent || n != last+1 {
				break
			}
			j, last = j+1, n
		}
		if j > i {
			out = append(out, fmt.Sprintf("%s-%d", ids[i], last))
		} else {
			out = append(out, ids[i])
		}
		i = j + 1
	}
	return strings.Join(out, ", ")
}

func splitID(id string) (parent string, last int) {
	k := strings.LastIndexByte(id, '.')
	n, _ := strconv.Atoi(id[k+1:])
	return id[:k], n
}
