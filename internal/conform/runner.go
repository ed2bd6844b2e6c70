package conform

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/wsx-go/websocket/internal/handshake"
)

// Progress is told about each case as it ends.
type Progress func(done, total int, r *Result)

// RunServer runs cases against the WebSocket echo server at rawURL, the
// tester playing the client (what Autobahn's fuzzingclient does). Each case
// gets a connection of its own.
func RunServer(ctx context.Context, rawURL string, cases []*Case, progress Progress) ([]*Result, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("conform: URL scheme %q: only ws is supported", u.Scheme)
	}
	results := make([]*Result, 0, len(cases))
	for i, c := range cases {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		r := runServerCase(ctx, u, c)
		results = append(results, r)
		if progress != nil {
			progress(i+1, len(cases), r)
		}
	}
	return results, nil
}

func runServerCase(ctx context.Context, u *url.URL, c *Case) *Result {
	nc, br, neg, err := dialRaw(ctx, u, c.Compression)
	if err != nil {
		r := &Result{
			ID: c.ID, Description: c.Description, Expectation: c.Expectation,
			Behavior: Failed, BehaviorClose: Failed,
			Result: "could not open the connection: " + err.Error(), ResultClose: "no connection",
		}
		if c.Compression != nil {
			r.Compression = &CompressionStats{Offer: neg.offer, Response: neg.response}
		}
		return r
	}
	defer nc.Close()
	return newSession(nc, br, false, neg).run(c)
}

// dialRaw opens a TCP connection to u and runs a client handshake by hand,
// offering the case's compression, if any. An extension in the answer that
// was not offered, or an answer to the offers that breaks RFC 7692, fails
// the handshake (RFC 6455 §4.1).
func dialRaw(ctx context.Context, u *url.URL, comp *Compression) (net.Conn, *bufio.Reader, negotiation, error) {
	var neg negotiation
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, nil, neg, err
	}
	key := handshake.NewKey()
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\nUser-Agent: wsx-conform\r\n"
	if comp != nil && len(comp.Offers) > 0 {
		neg.offer = comp.offerHeader()
		req += "Sec-WebSocket-Extensions: " + neg.offer + "\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		nc.Close()
		return nil, nil, neg, err
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		nc.Close()
		return nil, nil, neg, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		nc.Close()
		return nil, nil, neg, fmt.Errorf("handshake answered %s", resp.Status)
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != handshake.AcceptKey(key) {
		nc.Close()
		return nil, nil, neg, fmt.Errorf("handshake: wrong Sec-WebSocket-Accept")
	}
	exts := resp.Header.Values("Sec-WebSocket-Extensions")
	neg.response = strings.Join(exts, ", ")
	if neg.params, err = checkResponse(comp, exts); err != nil {
		nc.Close()
		return nil, nil, neg, fmt.Errorf("handshake: %v", err)
	}
	return nc, br, neg, nil
}

// upgradeRaw answers a client's handshake by hand, accepting a
// compression offer as comp (nil: none) decides, and takes over the
// connection.
func upgradeRaw(w http.ResponseWriter, r *http.Request, comp *Compression) (net.Conn, *bufio.Reader, negotiation, error) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if !handshake.HasToken(r.Header, "Upgrade", "websocket") || !handshake.ValidKey(key) {
		http.Error(w, "a WebSocket handshake is required", http.StatusBadRequest)
		return nil, nil, negotiation{}, fmt.Errorf("not a WebSocket handshake")
	}
	neg := acceptOffers(comp, r.Header.Values("Sec-WebSocket-Extensions"))
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, neg, err
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + handshake.AcceptKey(key) + "\r\n"
	if neg.params != nil {
		resp += "Sec-WebSocket-Extensions: " + neg.response + "\r\n"
	}
	if _, err := io.WriteString(nc, resp+"\r\n"); err != nil {
		nc.Close()
		return nil, nil, neg, err
	}
	return nc, brw.Reader, neg, nil
}

// agentName keeps an agent name safe for file names and reports.
func agentName(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, s)
}
