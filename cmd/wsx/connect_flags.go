package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/wsx-go/websocket"
)

const connectUsage = `usage: wsx connect [flags] URL [flags]

Connects to the WebSocket server at URL (ws://, wss://), sends every line of
stdin as a message (without its newline) and prints the messages that
arrive. At the end of stdin (Ctrl-D on a terminal) it sends what is queued,
closes with 1000 and keeps printing what arrives until the server's close
frame. An interrupt (Ctrl-C) closes with 1000 too; a second one exits at once.

modes:
  interactive  when stdin is a terminal, or with -i. Every event is a line
               on stdout that shows its direction and type:
                 < hello                     a text message
                 < [binary 3 bytes] 0a0b0c   a binary message, in hex (32 bytes
                                             at most, then …)
                 < ping                      a ping (wsx answers it)
                 < pong 1.2ms                a pong, with the round-trip time
                 < close 1000 reason         the server's close frame
                 > close 1000                the close wsx sent
               The lines typed are not echoed; the connection's URL,
               subprotocol and extensions, and errors, go to stderr.
  pipe         when stdin is not a terminal, or with -pipe. stdout gets each
               incoming message as it is, followed by a newline, and nothing
               else; errors go to stderr.
  json         with -json. stdout gets one JSON object per line for every
               event, messages sent included:
                 {"time":"<RFC 3339, ns>","dir":"in"|"out","type":...}
               where type is "open", "text", "binary", "ping", "pong",
               "close" or "error". Each incoming data frame comes with
               "frame":true and "final", then its whole message with
               "final":true; "data" holds text as a string, binary data and
               ping and pong payloads in base64, "size" the length in bytes.
               A pong has "rtt_ms", a close "code" and "reason"; open (with
               "url", "subprotocol", "extensions") and error have no "dir".

exit status:
  0        the connection closed with 1000
  100+n    it closed with 1000+n, 1001 to 1015: 101 going away, 102 protocol
           error, 105 no status code, 106 dropped without a close frame
           (also after a keepalive timeout), 107 invalid data, ...
  3        the server closed with an application code, 3000 to 4999 (the
           code is printed on stderr)
  1        an error: the dial, proxy, TLS or handshake failed
  2        a usage error

flags:
`

// errUsage reports command-line arguments that were refused; the reason
// has been printed with the help text.
var errUsage = errors.New("usage error")

// connectQueueSize bounds the bytes queued for sending. Lines are queued
// as fast as stdin gives them, but the queue is flushed whenever it holds
// connectFlushAt bytes, so this only bounds the length of one line.
const (
	connectQueueSize = 64 << 20
	connectFlushAt   = 1 << 20
)

// connectConfig holds the parsed flags of wsx connect.
type connectConfig struct {
	url          string
	header       headerList
	origin       string
	subprotocols listFlag
	proxy        string
	insecure     bool
	caCert       string
	trustCert    string
	ping         time.Duration
	pingTimeout  time.Duration
	binary       bool
	json         bool
	interactive  bool
	pipe         bool
	compress     bool
	timeout      time.Duration
	closeTimeout time.Duration
}

// parseConnectFlags parses args into a connectConfig; it prints flag
// errors and the help text on stderr. It returns flag.ErrHelp for -h.
func parseConnectFlags(args []string, stderr io.Writer) (*connectConfig, error) {
	cfg := &connectConfig{}
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), connectUsage)
		fs.PrintDefaults()
	}
	fs.Var(&cfg.header, "H", "request header \"Name: value\"; repeatable")
	fs.StringVar(&cfg.origin, "origin", "", "Origin header to send, as a browser would")
	fs.Var(&cfg.subprotocols, "subprotocol", "subprotocol to offer, in order of preference; repeatable, or comma-separated")
	fs.StringVar(&cfg.proxy, "proxy", "", "proxy URL: http://, https:// or socks5://, user:password@ allowed; \"none\" for no proxy (default from HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY)")
	fs.BoolVar(&cfg.insecure, "insecure", false, "do not verify the server's certificate (wss)")
	fs.StringVar(&cfg.caCert, "cacert", "", "PEM `file` of CA certificates to verify the server's certificate with, instead of the system's")
	fs.StringVar(&cfg.trustCert, "trust-cert", "", "PEM `file` of a certificate accepted as the server's whatever its issuer, names or dates (a self-signed server)")
	fs.DurationVar(&cfg.ping, "ping", 30*time.Second, "keepalive: send a ping at this interval (0 disables)")
	fs.DurationVar(&cfg.pingTimeout, "ping-timeout", 0, "keepalive: drop the connection when a pong has not come within this (default: the -ping interval)")
	fs.BoolVar(&cfg.binary, "binary", false, "send the lines as binary messages instead of text")
	fs.BoolVar(&cfg.json, "json", false, "print every event as a JSON object, one per line")
	fs.BoolVar(&cfg.interactive, "i", false, "interactive mode, even when stdin is not a terminal")
	fs.BoolVar(&cfg.pipe, "pipe", false, "pipe mode, even when stdin is a terminal")
	fs.BoolVar(&cfg.compress, "compress", false, "offer permessage-deflate compression")
	fs.DurationVar(&cfg.timeout, "timeout", websocket.DefaultHandshakeTimeout, "time allowed to connect: proxy, TLS, handshake and redirects")
	fs.DurationVar(&cfg.closeTimeout, "close-timeout", 5*time.Second, "time the server has to answer the close frame")
	// Flags may come after the URL too, as in "wsx connect URL -i".
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	bad := func(format string, a ...any) (*connectConfig, error) {
		fmt.Fprintf(stderr, "wsx connect: "+format+"\n", a...)
		fs.Usage()
		return nil, errUsage
	}
	switch {
	case len(positional) == 0:
		return bad("a URL is required")
	case len(positional) > 1:
		return bad("one URL only, not %q", positional)
	case cfg.interactive && cfg.pipe:
		return bad("-i and -pipe exclude each other")
	case cfg.interactive && cfg.json:
		return bad("-i and -json exclude each other")
	case cfg.ping < 0 || cfg.pingTimeout < 0:
		return bad("-ping and -ping-timeout may not be negative")
	case cfg.timeout <= 0 || cfg.closeTimeout <= 0:
		return bad("-timeout and -close-timeout must be positive")
	case cfg.proxy != "" && cfg.proxy != "none" && !isProxyURL(cfg.proxy):
		return bad("-proxy %q is not a proxy URL", cfg.proxy)
	}
	cfg.url = positional[0]
	return cfg, nil
}

// dialer builds the Dialer the flags describe, reading the certificate
// files they name.
func (cfg *connectConfig) dialer() (*websocket.Dialer, error) {
	d := &websocket.Dialer{
		Options: websocket.Options{
			CloseTimeout:  cfg.closeTimeout,
			PingInterval:  cfg.ping,
			PingTimeout:   cfg.pingTimeout,
			SendQueueSize: connectQueueSize,
		},
		Header:           cfg.header.header(),
		Origin:           cfg.origin,
		Subprotocols:     cfg.subprotocols,
		HandshakeTimeout: cfg.timeout,
	}
	if cfg.compress {
		d.Compression = &websocket.CompressionOptions{}
	}
	switch cfg.proxy {
	case "":
	case "none":
		d.Proxy = websocket.NoProxy
	default:
		u, err := url.Parse(cfg.proxy)
		if err != nil {
			return nil, err
		}
		d.Proxy = websocket.ProxyURL(u)
	}
	if cfg.insecure || cfg.caCert != "" {
		d.TLSConfig = &tls.Config{InsecureSkipVerify: cfg.insecure}
	}
	if cfg.caCert != "" {
		certs, err := readPEMCertificates(cfg.caCert)
		if err != nil {
			return nil, err
		}
		d.TLSConfig.RootCAs = x509.NewCertPool()
		for _, c := range certs {
			d.TLSConfig.RootCAs.AddCert(c)
		}
	}
	if cfg.trustCert != "" {
		certs, err := readPEMCertificates(cfg.trustCert)
		if err != nil {
			return nil, err
		}
		d.TrustedCertificates = certs
	}
	return d, nil
}

// isProxyURL reports whether s is a URL with a scheme and a host.
func isProxyURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

// readPEMCertificates reads every certificate of a PEM file.
func readPEMCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for len(data) > 0 {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return certs, nil
}

// headerList is the value of the repeatable -H flag.
type headerList []string

func (h *headerList) String() string { return strings.Join(*h, "; ") }

func (h *headerList) Set(v string) error {
	name, _, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(strings.TrimSpace(name), " \t") {
		return fmt.Errorf("%q is not \"Name: value\"", v)
	}
	*h = append(*h, v)
	return nil
}

// header returns the headers as an http.Header, nil when there are none.
func (h headerList) header() http.Header {
	if len(h) == 0 {
		return nil
	}
	hdr := make(http.Header)
	for _, line := range h {
		name, value, _ := strings.Cut(line, ":")
		hdr.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)), strings.TrimSpace(value))
	}
	return hdr
}

// listFlag is the value of a repeatable flag whose values may also be
// comma-separated lists.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
