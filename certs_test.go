package websocket

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file is a small certificate factory for the TLS tests: roots,
// intermediates and leaves with the dates, names and purposes a test
// asks for, and a TLS WebSocket echo server that presents them.

// certSpec describes a certificate to make. The zero value is a server
// certificate for 127.0.0.1, ::1 and localhost, valid from an hour ago to
// a day from now.
type certSpec struct {
	CommonName string
	// NotBefore and NotAfter default to an hour ago (30 days for a CA)
	// and a day from now.
	NotBefore, NotAfter time.Time
	// DNSNames and IPs are the subject alternative names. When both are
	// nil a leaf gets localhost, 127.0.0.1 and ::1; noNames gives none.
	DNSNames []string
	IPs      []net.IP
	noNames  bool
	// ExtKeyUsage defaults to server authentication for a leaf and to
	// none (any purpose) for a CA.
	ExtKeyUsage []x509.ExtKeyUsage
	// Key is the key to certify; nil makes a new ECDSA P-256 key.
	Key *ecdsa.PrivateKey
	// notCA makes an "intermediate" without the CA basic constraint.
	notCA bool
	// maxPathZero makes a CA that may sign leaves only.
	maxPathZero bool
}

// testCA is a certificate authority made by the factory.
type testCA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Chain is the certificates a server presents after its leaf when this
	// CA issued it: this CA and the intermediates above it, without the
	// root. Empty for a root.
	Chain []*x509.Certificate
}

// testCert is a leaf certificate with its key and the chain a server
// sends.
type testCert struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// Chain is what the server sends: the leaf, then its intermediates.
	Chain []*x509.Certificate
	// TLS is the certificate for tls.Config.Certificates, chain included.
	TLS tls.Certificate
}

// newKey makes an ECDSA P-256 key.
func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// template fills a certificate template from spec; leaf says which
// defaults apply.
func (spec certSpec) template(t testing.TB, leaf bool) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: spec.CommonName, Organization: []string{"wsx tests"}},
		NotBefore:    spec.NotBefore,
		NotAfter:     spec.NotAfter,
		DNSNames:     spec.DNSNames,
		IPAddresses:  spec.IPs,
		ExtKeyUsage:  spec.ExtKeyUsage,
	}
	now := time.Now()
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-time.Hour)
		if !leaf {
			// A CA older than the leaves the tests backdate.
			tmpl.NotBefore = now.Add(-30 * 24 * time.Hour)
		}
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(24 * time.Hour)
	}
	if leaf {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
		if spec.DNSNames == nil && spec.IPs == nil && !spec.noNames {
			tmpl.DNSNames = []string{"localhost"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
	} else {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		tmpl.BasicConstraintsValid = true
		tmpl.IsCA = !spec.notCA
		tmpl.MaxPathLenZero = spec.maxPathZero
	}
	if tmpl.Subject.CommonName == "" {
		tmpl.Subject.CommonName = "wsx test"
	}
	return tmpl
}

// createCert signs tmpl for pub with parent (tmpl itself when nil) and parses
// the result.
func createCert(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatalf("create certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newRootCA makes a self-signed root.
func newRootCA(t testing.TB, spec certSpec) *testCA {
	t.Helper()
	if spec.CommonName == "" {
		spec.CommonName = "wsx test root"
	}
	key := spec.Key
	if key == nil {
		key = newKey(t)
	}
	tmpl := spec.template(t, false)
	return &testCA{Cert: createCert(t, tmpl, nil, &key.PublicKey, key), Key: key}
}

// Pool returns a pool that trusts ca.
func (ca *testCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Intermediate makes a CA issued by ca.
func (ca *testCA) Intermediate(t testing.TB, spec certSpec) *testCA {
	t.Helper()
	if spec.CommonName == "" {
		spec.CommonName = "wsx test intermediate"
	}
	key := spec.Key
	if key == nil {
		key = newKey(t)
	}
	c := createCert(t, spec.template(t, false), ca.Cert, &key.PublicKey, ca.Key)
	chain := append([]*x509.Certificate{c}, ca.Chain...)
	return &testCA{Cert: c, Key: key, Chain: chain}
}

// Leaf makes a leaf certificate issued by ca.
func (ca *testCA) Leaf(t testing.TB, spec certSpec) *testCert {
	t.Helper()
	if spec.CommonName == "" {
		spec.CommonName = "wsx test leaf"
	}
	key := spec.Key
	if key == nil {
		key = newKey(t)
	}
	c := createCert(t, spec.template(t, true), ca.Cert, &key.PublicKey, ca.Key)
	return newTestCert(c, key, ca.Chain)
}

// selfSignedLeaf makes a leaf certificate signed by its own key.
func selfSignedLeaf(t testing.TB, spec certSpec) *testCert {
	t.Helper()
	if spec.CommonName == "" {
		spec.CommonName = "wsx self-signed"
	}
	key := spec.Key
	if key == nil {
		key = newKey(t)
	}
	c := createCert(t, spec.template(t, true), nil, &key.PublicKey, key)
	return newTestCert(c, key, nil)
}

func newTestCert(c *x509.Certificate, key *ecdsa.PrivateKey, intermediates []*x509.Certificate) *testCert {
	chain := append([]*x509.Certificate{c}, intermediates...)
	tc := &testCert{Cert: c, Key: key, Chain: chain}
	for _, ch := range chain {
		tc.TLS.Certificate = append(tc.TLS.Certificate, ch.Raw)
	}
	tc.TLS.PrivateKey = key
	tc.TLS.Leaf = c
	return tc
}

// tlsEchoServer is a TLS WebSocket server that answers every connection by
// echoing one message.
type tlsEchoServer struct {
	URL  string // wss://127.0.0.1:port/ (or [::1])
	Addr string // host:port
	srv  *httptest.Server

	// handshakeErrors receives the server's TLS handshake failures, as
	// net/http logs them.
	handshakeErrors chan string

	mu          sync.Mutex
	serverNames []string // the SNI of each ClientHello
}

// logLines passes each line net/http logs to a channel, without blocking.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	select {
	case l <- string(p):
	default:
	}
	return len(p), nil
}

// startTLSEcho starts a TLS WebSocket echo server presenting cert on
// network ("tcp4" for 127.0.0.1, "tcp6" for [::1]). It returns nil, and
// the listen error, when network cannot listen on loopback. edit, when
// set, may change the server's TLS configuration.
func startTLSEcho(t *testing.T, network string, cert *testCert, edit func(*tls.Config)) (*tlsEchoServer, error) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var handlers sync.WaitGroup
	s := &tlsEchoServer{handshakeErrors: make(chan string, 16)}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := Accept(w, r, nil)
		if err != nil {
			t.Errorf("echo server: Accept: %v", err)
			return
		}
		defer c.Abort()
		typ, p, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, p); err != nil {
			return
		}
		// Wait for the client's close frame (answered by Read) or its end.
		c.Read(ctx)
	}))
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Config.ErrorLog = log.New(logLines(s.handshakeErrors), "", 0)
	s.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert.TLS},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			s.mu.Lock()
			s.serverNames = append(s.serverNames, hello.ServerName)
			s.mu.Unlock()
			return nil, nil
		},
	}
	if edit != nil {
		edit(s.srv.TLS)
	}
	s.srv.StartTLS()
	t.Cleanup(func() {
		cancel()
		s.srv.Close()
		handlers.Wait()
	})
	s.Addr = ln.Addr().String()
	s.URL = "wss://" + s.Addr + "/"
	return s, nil
}

// startTLSEcho4 is startTLSEcho on 127.0.0.1, which must work.
func startTLSEcho4(t *testing.T, cert *testCert, edit func(*tls.Config)) *tlsEchoServer {
	t.Helper()
	s, err := startTLSEcho(t, "tcp4", cert, edit)
	if err != nil {
		t.Fatalf("listen on 127.0.0.1: %v", err)
	}
	return s
}

// ServerNames returns the server names the clients sent so far.
func (s *tlsEchoServer) ServerNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.serverNames...)
}

// waitHandshakeError waits for the server to log a TLS handshake failure
// and returns its text.
func (s *tlsEchoServer) waitHandshakeError(t *testing.T) string {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case line := <-s.handshakeErrors:
			if strings.Contains(line, "TLS handshake error") {
				return strings.TrimSpace(line)
			}
		case <-timer.C:
			t.Fatal("the server logged no TLS handshake error")
			return ""
		}
	}
}

// tlsEchoCheck sends a message on c, checks that it comes back, and closes c.
func tlsEchoCheck(t *testing.T, c *Conn, msg string) {
	t.Helper()
	ctx := testContext(t)
	defer c.Abort()
	if err := c.WriteText(ctx, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	typ, p, err := c.Read(ctx)
	if err != nil || typ != MessageText || string(p) != msg {
		t.Fatalf("echo: %v %q %v, want text %q", typ, p, err, msg)
	}
	c.Close(CloseNormal, "")
}

// rawTLSServer runs a TLS handshake with cfg on the first connection to a
// loopback listener and reports its result. It returns the address to
// dial; the test waits for the handshake to end before it ends.
func rawTLSServer(t *testing.T, cfg *tls.Config) (addr string, result <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		ln.Close()
		if err != nil {
			res <- err
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(testTimeout))
		tc := tls.Server(nc, cfg)
		err = tc.Handshake()
		if err == nil {
			// A TLS 1.3 server finishes before it reads the client's
			// certificate; a read makes it process the client's flight.
			_, err = tc.Read(make([]byte, 1))
			if err == io.EOF {
				err = nil
			}
		}
		res <- err
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String(), res
}
