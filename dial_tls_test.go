package websocket

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tlsDialer returns a Dialer that trusts roots, with proxies off so that
// the environment cannot change the tests.
func tlsDialer(roots *x509.CertPool) *Dialer {
	return &Dialer{Proxy: NoProxy, TLSConfig: &tls.Config{RootCAs: roots}}
}

// certWant is an expected certificate problem.
type certWant struct {
	kind CertificateProblemKind
	cert *x509.Certificate // nil: not checked
}

func (w certWant) String() string {
	if w.cert == nil {
		return w.kind.String()
	}
	return fmt.Sprintf("%s (%s)", w.kind, w.cert.Subject.CommonName)
}

// matchProblems reports whether got holds exactly the problems of want,
// in any order.
func matchProblems(got []CertificateProblem, want []certWant) bool {
	if len(got) != len(want) {
		return false
	}
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, p := range got {
			if used[i] || p.Kind != w.kind {
				continue
			}
			if w.cert != nil && (p.Cert == nil || !bytes.Equal(p.Cert.Raw, w.cert.Raw)) {
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			return false
		}
	}
	return true
}

func describeProblems(ps []CertificateProblem) string {
	var s []string
	for _, p := range ps {
		name := "<nil>"
		if p.Cert != nil {
			name = p.Cert.Subject.CommonName
		}
		s = append(s, fmt.Sprintf("%s (%s; %v)", p.Kind, name, p.Err))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// sameChain reports whether got holds the certificates of want, in order.
func sameChain(got, want []*x509.Certificate) bool {
	return slices.EqualFunc(got, want, func(a, b *x509.Certificate) bool {
		return a != nil && b != nil && bytes.Equal(a.Raw, b.Raw)
	})
}

// wantCertError checks that err is a failed TLS dial to addr caused by a
// *CertificateError for serverName about chain, with exactly the problems
// of want, and returns it.
func wantCertError(t *testing.T, err error, addr, serverName string, chain []*x509.Certificate, want ...certWant) *CertificateError {
	t.Helper()
	if err == nil {
		t.Fatal("Dial succeeded")
	}
	var de *DialError
	if !errors.As(err, &de) {
		t.Fatalf("error %T %v is not a *DialError", err, err)
	}
	if de.Op != "tls" || de.Kind != KindTLSCertificate {
		t.Errorf("Op %q Kind %v, want tls, %v (%v)", de.Op, de.Kind, KindTLSCertificate, err)
	}
	if addr != "" && de.Addr != addr {
		t.Errorf("Addr %q, want %q", de.Addr, addr)
	}
	var ce *CertificateError
	if !errors.As(err, &ce) {
		t.Fatalf("no *CertificateError in %v", err)
	}
	if ce.ServerName != serverName {
		t.Errorf("ServerName %q, want %q", ce.ServerName, serverName)
	}
	if !sameChain(ce.Chain, chain) {
		t.Errorf("Chain has %d certificates, not the %d the server sent", len(ce.Chain), len(chain))
	}
	if !matchProblems(ce.Problems, want) {
		t.Errorf("Problems %s, want %v", describeProblems(ce.Problems), want)
	}
	for _, p := range ce.Problems {
		// A problem names one of the certificates sent, not a copy.
		if p.Kind != CertMissing && !slices.Contains(ce.Chain, p.Cert) {
			t.Errorf("problem %v names a certificate that is not in Chain", p.Kind)
		}
	}
	return ce
}

// TestDialTLSCertificateProblems: each certificate problem alone fails the
// dial with a *CertificateError listing exactly that problem.
func TestDialTLSCertificateProblems(t *testing.T) {
	checkNoLeaks(t)
	now := time.Now()
	root := newRootCA(t, certSpec{})
	other := newRootCA(t, certSpec{CommonName: "untrusted root"})
	oldInter := root.Intermediate(t, certSpec{
		CommonName: "expired intermediate",
		NotBefore:  now.Add(-48 * time.Hour),
		NotAfter:   now.Add(-time.Hour),
	})

	expired := root.Leaf(t, certSpec{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	future := root.Leaf(t, certSpec{NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour)})
	wrongHost := root.Leaf(t, certSpec{DNSNames: []string{"other.example"}})
	unknown := other.Leaf(t, certSpec{})
	self := selfSignedLeaf(t, certSpec{})
	clientOnly := root.Leaf(t, certSpec{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	underOld := oldInter.Leaf(t, certSpec{NotBefore: now.Add(-3 * time.Hour)})

	for _, tt := range []struct {
		name string
		cert *testCert
		want certWant
	}{
		{"expired", expired, certWant{CertExpired, expired.Cert}},
		{"not yet valid", future, certWant{CertNotYetValid, future.Cert}},
		{"hostname mismatch", wrongHost, certWant{CertHostnameMismatch, wrongHost.Cert}},
		{"unknown authority", unknown, certWant{CertUnknownAuthority, unknown.Cert}},
		{"self-signed", self, certWant{CertSelfSigned, self.Cert}},
		{"client auth only", clientOnly, certWant{CertInvalidPurpose, clientOnly.Cert}},
		{"expired intermediate", underOld, certWant{CertExpired, oldInter.Cert}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startTLSEcho4(t, tt.cert, nil)
			c, err := Dial(testContext(t), srv.URL, tlsDialer(root.Pool()))
			if err == nil {
				c.Abort()
			}
			ce := wantCertError(t, err, srv.Addr, "127.0.0.1", tt.cert.Chain, tt.want)
			if ce.Refusal != nil {
				t.Errorf("Refusal %v without OnCertificateError", ce.Refusal)
			}
			if !ce.Has(tt.want.kind) {
				t.Errorf("Has(%v) false", tt.want.kind)
			}
			if !strings.Contains(err.Error(), tt.want.kind.String()) {
				t.Errorf("error %q does not name %q", err, tt.want.kind)
			}
		})
	}
}

// TestDialTLSSeveralProblems: a certificate that is expired, for another
// host and from an unknown authority gets all three listed; crypto/x509
// alone reports one.
func TestDialTLSSeveralProblems(t *testing.T) {
	checkNoLeaks(t)
	now := time.Now()
	root := newRootCA(t, certSpec{})
	other := newRootCA(t, certSpec{CommonName: "untrusted root"})
	leaf := other.Leaf(t, certSpec{
		DNSNames:  []string{"other.example"},
		NotBefore: now.Add(-48 * time.Hour),
		NotAfter:  now.Add(-24 * time.Hour),
	})
	srv := startTLSEcho4(t, leaf, nil)
	c, err := Dial(testContext(t), srv.URL, tlsDialer(root.Pool()))
	if err == nil {
		c.Abort()
	}
	ce := wantCertError(t, err, srv.Addr, "127.0.0.1", leaf.Chain,
		certWant{CertExpired, leaf.Cert},
		certWant{CertHostnameMismatch, leaf.Cert},
		certWant{CertUnknownAuthority, leaf.Cert})
	for _, k := range []CertificateProblemKind{CertExpired, CertHostnameMismatch, CertUnknownAuthority} {
		if !strings.Contains(err.Error(), k.String()) {
			t.Errorf("error %q does not list %q", err, k)
		}
		if !ce.Has(k) {
			t.Errorf("Has(%v) false", k)
		}
	}
	if ce.Has(CertSelfSigned) || ce.Has(CertInvalid) {
		t.Errorf("Has reports problems not listed: %s", describeProblems(ce.Problems))
	}
	if !strings.Contains(ce.Error(), `"127.0.0.1"`) {
		t.Errorf("error %q does not name the server", ce.Error())
	}
}

// TestDialTLSValidChain: root → intermediate → leaf verifies for an IP
// literal (IPv4 and IPv6) and for a DNS name, which is the server name
// sent by default.
func TestDialTLSValidChain(t *testing.T) {
	checkNoLeaks(t)
	root := newRootCA(t, certSpec{})
	inter := root.Intermediate(t, certSpec{})
	leaf := inter.Leaf(t, certSpec{
		DNSNames: []string{"wsx.test"},
		IPs:      []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	})
	if len(leaf.Chain) != 2 {
		t.Fatalf("leaf chain has %d certificates, want 2", len(leaf.Chain))
	}

	t.Run("ipv4", func(t *testing.T) {
		srv := startTLSEcho4(t, leaf, nil)
		var called atomic.Int32
		d := tlsDialer(root.Pool())
		d.OnCertificateError = func(*CertificateError) error { called.Add(1); return errors.New("no") }
		c, err := Dial(testContext(t), srv.URL, d)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		tlsEchoCheck(t, c, "over a valid chain")
		if n := called.Load(); n != 0 {
			t.Errorf("OnCertificateError called %d times for a valid chain", n)
		}
		// An IP address is not sent as SNI (RFC 6066 §3).
		if names := srv.ServerNames(); !slices.Equal(names, []string{""}) {
			t.Errorf("server names %q, want one empty", names)
		}
	})

	t.Run("dns name", func(t *testing.T) {
		srv := startTLSEcho4(t, leaf, nil)
		_, port, _ := net.SplitHostPort(srv.Addr)
		d := tlsDialer(root.Pool())
		d.NetDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != "wsx.test:"+port {
				return nil, fmt.Errorf("unexpected address %q", addr)
			}
			var nd net.Dialer
			return nd.DialContext(ctx, "tcp", srv.Addr)
		}
		c, err := Dial(testContext(t), "wss://wsx.test:"+port+"/", d)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		tlsEchoCheck(t, c, "by name")
		if names := srv.ServerNames(); !slices.Equal(names, []string{"wsx.test"}) {
			t.Errorf("server names %q, want [wsx.test]", names)
		}

		// The same name, with a certificate for another one.
		leaf2 := inter.Leaf(t, certSpec{DNSNames: []string{"other.test"}})
		srv2 := startTLSEcho4(t, leaf2, nil)
		_, port2, _ := net.SplitHostPort(srv2.Addr)
		d.NetDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, "tcp", srv2.Addr)
		}
		c, err = Dial(testContext(t), "wss://wsx.test:"+port2+"/", d)
		if err == nil {
			c.Abort()
		}
		wantCertError(t, err, "", "wsx.test", leaf2.Chain, certWant{CertHostnameMismatch, leaf2.Cert})
	})

	t.Run("explicit server name", func(t *testing.T) {
		named := inter.Leaf(t, certSpec{DNSNames: []string{"wsx.test"}})
		srv := startTLSEcho4(t, named, nil)
		d := tlsDialer(root.Pool())
		d.TLSConfig.ServerName = "wsx.test"
		c, err := Dial(testContext(t), srv.URL, d)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		tlsEchoCheck(t, c, "named")
		if names := srv.ServerNames(); !slices.Equal(names, []string{"wsx.test"}) {
			t.Errorf("server names %q, want [wsx.test]", names)
		}
	})

	t.Run("ipv6", func(t *testing.T) {
		srv, err := startTLSEcho(t, "tcp6", leaf, nil)
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		if !strings.HasPrefix(srv.URL, "wss://[::1]:") {
			t.Fatalf("URL %s", srv.URL)
		}
		c, err := Dial(testContext(t), srv.URL, tlsDialer(root.Pool()))
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		tlsEchoCheck(t, c, "over IPv6")

		// A certificate for 127.0.0.1 only does not do for ::1.
		v4 := inter.Leaf(t, certSpec{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
		srv6, err := startTLSEcho(t, "tcp6", v4, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err = Dial(testContext(t), srv6.URL, tlsDialer(root.Pool()))
		if err == nil {
			c.Abort()
		}
		wantCertError(t, err, srv6.Addr, "::1", v4.Chain, certWant{CertHostnameMismatch, v4.Cert})
	})
}

// TestDialTLSTrustedCertificates: a certificate in TrustedCertificates is
// accepted whatever its issuer, names and dates; another one does not help.
func TestDialTLSTrustedCertificates(t *testing.T) {
	checkNoLeaks(t)
	now := time.Now()
	root := newRootCA(t, certSpec{})
	bad := selfSignedLeaf(t, certSpec{
		DNSNames:  []string{"elsewhere.example"},
		NotBefore: now.Add(-72 * time.Hour),
		NotAfter:  now.Add(-time.Hour),
	})
	srv := startTLSEcho4(t, bad, nil)

	d := tlsDialer(root.Pool())
	d.TrustedCertificates = []*x509.Certificate{nil, bad.Cert}
	c, err := Dial(testContext(t), srv.URL, d)
	if err != nil {
		t.Fatalf("Dial with the certificate trusted: %v", err)
	}
	tlsEchoCheck(t, c, "trusted")

	// The same key in another certificate is not the trusted certificate.
	sameKey := selfSignedLeaf(t, certSpec{Key: bad.Key, DNSNames: []string{"elsewhere.example"}})
	d.TrustedCertificates = []*x509.Certificate{sameKey.Cert, selfSignedLeaf(t, certSpec{}).Cert}
	c, err = Dial(testContext(t), srv.URL, d)
	if err == nil {
		c.Abort()
	}
	wantCertError(t, err, srv.Addr, "127.0.0.1", bad.Chain,
		certWant{CertExpired, bad.Cert},
		certWant{CertHostnameMismatch, bad.Cert},
		certWant{CertSelfSigned, bad.Cert})
}

// TestPublicKeyPinFormat checks PublicKeyPin against an independent
// computation: "sha256/" and the base64 SHA-256 of the DER
// SubjectPublicKeyInfo.
func TestPublicKeyPinFormat(t *testing.T) {
	checkNoLeaks(t)
	leaf := selfSignedLeaf(t, certSpec{})
	spki, err := x509.MarshalPKIXPublicKey(&leaf.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(spki)
	want := "sha256/" + base64.StdEncoding.EncodeToString(sum[:])
	if got := PublicKeyPin(leaf.Cert); got != want {
		t.Errorf("PublicKeyPin = %q, want %q", got, want)
	}
	if n := len(PublicKeyPin(leaf.Cert)); n != len("sha256/")+44 {
		t.Errorf("pin is %d characters, want %d", n, len("sha256/")+44)
	}
	// The pin is the key's: a new certificate for the same key has it.
	again := selfSignedLeaf(t, certSpec{Key: leaf.Key, CommonName: "reissued"})
	if PublicKeyPin(again.Cert) != want {
		t.Error("a certificate for the same key has another pin")
	}
	if PublicKeyPin(selfSignedLeaf(t, certSpec{}).Cert) == want {
		t.Error("another key has the same pin")
	}
}

// TestDialTLSPinnedKeys: a leaf whose key is pinned is accepted whatever
// its issuer; a wrong pin does not help.
func TestDialTLSPinnedKeys(t *testing.T) {
	checkNoLeaks(t)
	root := newRootCA(t, certSpec{})
	other := newRootCA(t, certSpec{CommonName: "untrusted root"})
	leaf := other.Leaf(t, certSpec{DNSNames: []string{"other.example"}})
	srv := startTLSEcho4(t, leaf, nil)

	certSum := sha256.Sum256(leaf.Cert.Raw) // the certificate's hash, not the key's
	wrong := []string{
		PublicKeyPin(selfSignedLeaf(t, certSpec{}).Cert),
		PublicKeyPin(other.Cert), // the issuer's key
		"sha256/" + base64.StdEncoding.EncodeToString(certSum[:]),
		strings.TrimPrefix(PublicKeyPin(leaf.Cert), "sha256/"),
	}

	d := tlsDialer(root.Pool())
	d.PinnedKeys = append(slices.Clone(wrong), PublicKeyPin(leaf.Cert))
	c, err := Dial(testContext(t), srv.URL, d)
	if err != nil {
		t.Fatalf("Dial with the key pinned: %v", err)
	}
	tlsEchoCheck(t, c, "pinned")

	d.PinnedKeys = wrong
	c, err = Dial(testContext(t), srv.URL, d)
	if err == nil {
		c.Abort()
	}
	wantCertError(t, err, srv.Addr, "127.0.0.1", leaf.Chain,
		certWant{CertHostnameMismatch, leaf.Cert},
		certWant{CertUnknownAuthority, leaf.Cert})
}

// TestDialTLSOnCertificateError: the callback sees every problem once;
// nil accepts the certificate, an error refuses it with a bad_certificate
// alert to the server.
func TestDialTLSOnCertificateError(t *testing.T) {
	checkNoLeaks(t)
	now := time.Now()
	root := newRootCA(t, certSpec{})
	leaf := selfSignedLeaf(t, certSpec{
		DNSNames:  []string{"other.example"},
		NotBefore: now.Add(-48 * time.Hour),
		NotAfter:  now.Add(-24 * time.Hour),
	})
	want := []certWant{
		{CertExpired, leaf.Cert},
		{CertHostnameMismatch, leaf.Cert},
		{CertSelfSigned, leaf.Cert},
	}

	t.Run("accept", func(t *testing.T) {
		srv := startTLSEcho4(t, leaf, nil)
		var mu sync.Mutex
		var seen []*CertificateError
		d := tlsDialer(root.Pool())
		d.OnCertificateError = func(ce *CertificateError) error {
			mu.Lock()
			seen = append(seen, ce)
			mu.Unlock()
			return nil
		}
		c, err := Dial(testContext(t), srv.URL, d)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		tlsEchoCheck(t, c, "accepted")
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 1 {
			t.Fatalf("OnCertificateError called %d times, want 1", len(seen))
		}
		ce := seen[0]
		if ce.ServerName != "127.0.0.1" || !sameChain(ce.Chain, leaf.Chain) || ce.Refusal != nil {
			t.Errorf("callback got ServerName %q, %d certificates, Refusal %v", ce.ServerName, len(ce.Chain), ce.Refusal)
		}
		if !matchProblems(ce.Problems, want) {
			t.Errorf("callback got %s, want %v", describeProblems(ce.Problems), want)
		}
	})

	t.Run("refuse", func(t *testing.T) {
		srv := startTLSEcho4(t, leaf, nil)
		refused := errors.New("not this one")
		var calls atomic.Int32
		d := tlsDialer(root.Pool())
		d.OnCertificateError = func(ce *CertificateError) error {
			calls.Add(1)
			if !matchProblems(ce.Problems, want) {
				t.Errorf("callback got %s, want %v", describeProblems(ce.Problems), want)
			}
			return refused
		}
		c, err := Dial(testContext(t), srv.URL, d)
		if err == nil {
			c.Abort()
		}
		ce := wantCertError(t, err, srv.Addr, "127.0.0.1", leaf.Chain, want...)
		if ce.Refusal != refused {
			t.Errorf("Refusal %v, want %v", ce.Refusal, refused)
		}
		if !errors.Is(err, refused) {
			t.Errorf("errors.Is(%v, refusal) false", err)
		}
		if !strings.Contains(err.Error(), refused.Error()) {
			t.Errorf("error %q does not give the refusal", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("OnCertificateError called %d times, want 1", n)
		}
		if line := srv.waitHandshakeError(t); !strings.Contains(line, "bad certificate") {
			t.Errorf("server's handshake error %q, want a bad_certificate alert", line)
		}
	})

	t.Run("without callback the server also gets bad_certificate", func(t *testing.T) {
		srv := startTLSEcho4(t, leaf, nil)
		c, err := Dial(testContext(t), srv.URL, tlsDialer(root.Pool()))
		if err == nil {
			c.Abort()
		}
		wantCertError(t, err, srv.Addr, "127.0.0.1", leaf.Chain, want...)
		if line := srv.waitHandshakeError(t); !strings.Contains(line, "bad certificate") {
			t.Errorf("server's handshake error %q, want a bad_certificate alert", line)
		}
	})
}

// wantAlert checks that err is a failed TLS dial ended by alert.
func wantAlert(t *testing.T, err error, alert tls.AlertError) {
	t.Helper()
	if err == nil {
		t.Fatal("Dial succeeded")
	}
	var de *DialError
	if !errors.As(err, &de) {
		t.Fatalf("error %T %v is not a *DialError", err, err)
	}
	if de.Op != "tls" || de.Kind != KindTLSAlert {
		t.Errorf("Op %q Kind %v, want tls, %v (%v)", de.Op, de.Kind, KindTLSAlert, err)
	}
	var ae *TLSAlertError
	if !errors.As(err, &ae) {
		t.Fatalf("no *TLSAlertError in %v", err)
	}
	if ae.Alert != alert {
		t.Errorf("Alert %d (%v), want %d (%v)", uint8(ae.Alert), ae.Alert, uint8(alert), alert)
	}
	var code tls.AlertError
	if !errors.As(err, &code) || code != alert {
		t.Errorf("errors.As tls.AlertError: %d, want %d", uint8(code), uint8(alert))
	}
	if !strings.Contains(err.Error(), alert.Error()) {
		t.Errorf("error %q does not name the alert %q", err, alert.Error())
	}
}

// TestDialTLSAlerts: fatal alerts from the server are reported as such.
func TestDialTLSAlerts(t *testing.T) {
	checkNoLeaks(t)
	root := newRootCA(t, certSpec{})
	leaf := root.Leaf(t, certSpec{})

	t.Run("protocol version", func(t *testing.T) {
		addr, result := rawTLSServer(t, &tls.Config{
			Certificates: []tls.Certificate{leaf.TLS},
			MinVersion:   tls.VersionTLS13,
		})
		d := tlsDialer(root.Pool())
		d.TLSConfig.MaxVersion = tls.VersionTLS12
		c, err := Dial(testContext(t), "wss://"+addr+"/", d)
		if err == nil {
			c.Abort()
		}
		wantAlert(t, err, tls.AlertError(70))
		if serr := <-result; serr == nil || !strings.Contains(serr.Error(), "version") {
			t.Errorf("server's handshake error %v, want a version failure", serr)
		}
	})

	t.Run("client certificate required, TLS 1.2", func(t *testing.T) {
		addr, result := rawTLSServer(t, &tls.Config{
			Certificates: []tls.Certificate{leaf.TLS},
			ClientAuth:   tls.RequireAnyClientCert,
			MaxVersion:   tls.VersionTLS12,
		})
		c, err := Dial(testContext(t), "wss://"+addr+"/", tlsDialer(root.Pool()))
		if err == nil {
			c.Abort()
		}
		// crypto/tls (Go 1.26) answers a missing client certificate with
		// handshake_failure before TLS 1.3, not bad_certificate.
		wantAlert(t, err, tls.AlertError(40))
		if serr := <-result; serr == nil || !strings.Contains(serr.Error(), "certificate") {
			t.Errorf("server's handshake error %v, want a missing certificate", serr)
		}
	})

	t.Run("client certificate required, TLS 1.3", func(t *testing.T) {
		// In TLS 1.3 the client's handshake is over before the server
		// reads its (empty) certificate: the certificate_required alert
		// comes when the client reads the handshake response.
		addr, result := rawTLSServer(t, &tls.Config{
			Certificates: []tls.Certificate{leaf.TLS},
			ClientAuth:   tls.RequireAnyClientCert,
			MinVersion:   tls.VersionTLS13,
		})
		c, err := Dial(testContext(t), "wss://"+addr+"/", tlsDialer(root.Pool()))
		if err == nil {
			c.Abort()
			t.Fatal("Dial succeeded")
		}
		if serr := <-result; serr == nil || !strings.Contains(serr.Error(), "certificate") {
			t.Errorf("server's handshake error %v, want a missing certificate", serr)
		}
		var de *DialError
		if !errors.As(err, &de) {
			t.Fatalf("error %T %v is not a *DialError", err, err)
		}
		var code tls.AlertError
		if !errors.As(err, &code) || code != 116 {
			t.Errorf("errors.As tls.AlertError: %d, want 116 (certificate_required); error %v", uint8(code), err)
		}
		if de.Kind != KindTLSAlert {
			t.Errorf("Op %q Kind %v, want %v (%v)", de.Op, de.Kind, KindTLSAlert, err)
		}
		var ae *TLSAlertError
		if !errors.As(err, &ae) || ae.Alert != 116 {
			t.Errorf("no *TLSAlertError for certificate_required in %v", err)
		}
		t.Logf("certificate_required arrives at step %q: %v", de.Op, err)
	})
}

// TestDialTLSNotTLS: a plain HTTP server dialed with wss fails the TLS
// handshake with a record header error.
func TestDialTLSNotTLS(t *testing.T) {
	checkNoLeaks(t)
	srv, _ := acceptServer(t, false, nil, nil)
	addr := srv.Listener.Addr().String()
	c, err := Dial(testContext(t), "wss://"+addr+"/", tlsDialer(newRootCA(t, certSpec{}).Pool()))
	if err == nil {
		c.Abort()
		t.Fatal("Dial succeeded")
	}
	var de *DialError
	if !errors.As(err, &de) {
		t.Fatalf("error %T %v is not a *DialError", err, err)
	}
	if de.Op != "tls" || de.Kind != KindTLSHandshake || de.Addr != addr {
		t.Errorf("Op %q Kind %v Addr %q, want tls, %v, %s", de.Op, de.Kind, de.Addr, KindTLSHandshake, addr)
	}
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) {
		t.Errorf("no tls.RecordHeaderError in %v", err)
	} else if !bytes.HasPrefix(rh.RecordHeader[:], []byte("HTTP/")) {
		t.Errorf("record header %q, want the start of an HTTP answer", rh.RecordHeader[:])
	}
}

// TestDialTLSInsecureSkipVerify: InsecureSkipVerify turns the library's
// check off; the caller's VerifyConnection runs after the library's check
// in every case.
func TestDialTLSInsecureSkipVerify(t *testing.T) {
	checkNoLeaks(t)
	root := newRootCA(t, certSpec{})
	good := root.Leaf(t, certSpec{})
	bad := selfSignedLeaf(t, certSpec{DNSNames: []string{"other.example"}})

	t.Run("untrusted accepted", func(t *testing.T) {
		srv := startTLSEcho4(t, bad, nil)
		var calls atomic.Int32
		d := tlsDialer(root.Pool())
		d.TLSConfig.InsecureSkipVerify = true
		d.OnCertificateError = func(*CertificateError) error { calls.Add(1); return errors.New("no") }
		c, err := Dial(testContext(t), srv.URL, d)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		tlsEchoCheck(t, c, "insecure")
		if n := calls.Load(); n != 0 {
			t.Errorf("OnCertificateError called %d times with InsecureSkipVerify", n)
		}
	})

	for _, insecure := range []bool{false, true} {
		t.Run(fmt.Sprintf("VerifyConnection insecure=%v", insecure), func(t *testing.T) {
			srv := startTLSEcho4(t, good, nil)
			var calls atomic.Int32
			d := tlsDialer(root.Pool())
			d.TLSConfig.InsecureSkipVerify = insecure
			d.TLSConfig.VerifyConnection = func(cs tls.ConnectionState) error {
				calls.Add(1)
				if len(cs.PeerCertificates) != 1 || !bytes.Equal(cs.PeerCertificates[0].Raw, good.Cert.Raw) {
					t.Errorf("VerifyConnection saw %d certificates", len(cs.PeerCertificates))
				}
				return nil
			}
			c, err := Dial(testContext(t), srv.URL, d)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			tlsEchoCheck(t, c, "verified")
			if n := calls.Load(); n != 1 {
				t.Errorf("VerifyConnection called %d times, want 1", n)
			}

			refused := errors.New("refused by VerifyConnection")
			d.TLSConfig.VerifyConnection = func(tls.ConnectionState) error { return refused }
			c, err = Dial(testContext(t), srv.URL, d)
			if err == nil {
				c.Abort()
				t.Fatal("Dial succeeded though VerifyConnection refused")
			}
			var de *DialError
			if !errors.As(err, &de) || de.Op != "tls" {
				t.Errorf("error %v, want a *DialError with Op tls", err)
			}
			if !errors.Is(err, refused) {
				t.Errorf("errors.Is(%v, refused) false", err)
			}
			// Not a certificate problem the library found: "another TLS
			// failure".
			if de != nil && de.Kind != KindTLSHandshake {
				t.Errorf("VerifyConnection's refusal has Kind %v, want %v", de.Kind, KindTLSHandshake)
			}
			if line := srv.waitHandshakeError(t); !strings.Contains(line, "bad certificate") {
				t.Errorf("server's handshake error %q, want a bad_certificate alert", line)
			}
		})
	}

	t.Run("order", func(t *testing.T) {
		srv := startTLSEcho4(t, bad, nil)
		var mu sync.Mutex
		var order []string
		record := func(s string) {
			mu.Lock()
			order = append(order, s)
			mu.Unlock()
		}
		d := tlsDialer(root.Pool())
		d.TLSConfig.VerifyConnection = func(tls.ConnectionState) error { record("VerifyConnection"); return nil }

		// Refused by the library: the caller's check does not run.
		c, err := Dial(testContext(t), srv.URL, d)
		if err == nil {
			c.Abort()
		}
		wantCertError(t, err, srv.Addr, "127.0.0.1", bad.Chain,
			certWant{CertHostnameMismatch, bad.Cert}, certWant{CertSelfSigned, bad.Cert})

		// Accepted by OnCertificateError: the caller's check runs next.
		d.OnCertificateError = func(*CertificateError) error { record("OnCertificateError"); return nil }
		c, err = Dial(testContext(t), srv.URL, d)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		tlsEchoCheck(t, c, "in order")
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(order, []string{"OnCertificateError", "VerifyConnection"}) {
			t.Errorf("calls %q, want OnCertificateError then VerifyConnection", order)
		}
	})
}

// TestDialTLSDoesNotChangeDialer: dialing, successful or not, leaves the
// Dialer and its TLSConfig as they were.
func TestDialTLSDoesNotChangeDialer(t *testing.T) {
	checkNoLeaks(t)
	root := newRootCA(t, certSpec{})
	good := root.Leaf(t, certSpec{})
	bad := root.Leaf(t, certSpec{DNSNames: []string{"other.example"}})
	goodSrv := startTLSEcho4(t, good, nil)
	badSrv := startTLSEcho4(t, bad, nil)

	pool := root.Pool()
	protos := []string{"h2", "http/1.1"}
	cfg := &tls.Config{RootCAs: pool, NextProtos: protos}
	trusted := []*x509.Certificate{selfSignedLeaf(t, certSpec{}).Cert}
	pins := []string{"sha256/AAAA"}
	d := &Dialer{Proxy: NoProxy, TLSConfig: cfg, TrustedCertificates: trusted, PinnedKeys: pins}

	check := func(when string) {
		t.Helper()
		if d.TLSConfig != cfg {
			t.Errorf("%s: TLSConfig replaced", when)
		}
		if cfg.InsecureSkipVerify || cfg.VerifyConnection != nil || cfg.VerifyPeerCertificate != nil ||
			cfg.ServerName != "" || cfg.Time != nil || cfg.RootCAs != pool ||
			cfg.MinVersion != 0 || cfg.MaxVersion != 0 || cfg.ClientSessionCache != nil {
			t.Errorf("%s: TLSConfig changed: %+v", when, cfg)
		}
		if !slices.Equal(cfg.NextProtos, []string{"h2", "http/1.1"}) || &cfg.NextProtos[0] != &protos[0] {
			t.Errorf("%s: NextProtos changed to %q", when, cfg.NextProtos)
		}
		if len(d.TrustedCertificates) != 1 || d.TrustedCertificates[0] != trusted[0] ||
			!slices.Equal(d.PinnedKeys, []string{"sha256/AAAA"}) || d.OnCertificateError != nil {
			t.Errorf("%s: Dialer changed", when)
		}
	}

	c, err := Dial(testContext(t), goodSrv.URL, d)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if p := c.NetConn().(*tls.Conn).ConnectionState().NegotiatedProtocol; p == "h2" {
		t.Errorf("negotiated %q", p)
	}
	tlsEchoCheck(t, c, "unchanged")
	check("after a successful dial")

	c, err = Dial(testContext(t), badSrv.URL, d)
	if err == nil {
		c.Abort()
	}
	wantCertError(t, err, badSrv.Addr, "127.0.0.1", bad.Chain, certWant{CertHostnameMismatch, bad.Cert})
	check("after a refused certificate")

	d.OnCertificateError = func(*CertificateError) error { return nil }
	c, err = Dial(testContext(t), badSrv.URL, d)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	tlsEchoCheck(t, c, "accepted")
	d.OnCertificateError = nil
	check("after an accepted certificate")
}

// TestVerifyServerNoCertificate: a server that sends no certificate is
// reported as CertMissing.
func TestVerifyServerNoCertificate(t *testing.T) {
	checkNoLeaks(t)
	for _, chain := range [][]*x509.Certificate{nil, {}} {
		err := (&Dialer{}).verifyServer(chain, x509.NewCertPool(), "wsx.test", time.Now())
		var ce *CertificateError
		if !errors.As(err, &ce) {
			t.Fatalf("verifyServer(%d certificates) = %v, want a *CertificateError", len(chain), err)
		}
		if ce.ServerName != "wsx.test" || len(ce.Problems) != 1 || ce.Problems[0].Kind != CertMissing || ce.Problems[0].Cert != nil {
			t.Errorf("got %q %s, want one %v", ce.ServerName, describeProblems(ce.Problems), CertMissing)
		}
		if !strings.Contains(ce.Error(), CertMissing.String()) {
			t.Errorf("error %q", ce.Error())
		}
	}
}

// TestCertificateErrorText checks the names of the kinds and the error
// text, which names a certificate other than the leaf.
func TestCertificateErrorText(t *testing.T) {
	checkNoLeaks(t)
	names := map[CertificateProblemKind]string{
		CertExpired:          "expired",
		CertNotYetValid:      "not yet valid",
		CertHostnameMismatch: "hostname mismatch",
		CertUnknownAuthority: "unknown authority",
		CertSelfSigned:       "self-signed",
		CertInvalidPurpose:   "invalid purpose",
		CertInvalid:          "invalid",
		CertMissing:          "no certificate",
		0:                    "CertificateProblemKind(0)",
		99:                   "CertificateProblemKind(99)",
	}
	for k, want := range names {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
	root := newRootCA(t, certSpec{})
	inter := root.Intermediate(t, certSpec{CommonName: "Middle CA"})
	leaf := inter.Leaf(t, certSpec{CommonName: "the leaf"})
	ce := &CertificateError{
		ServerName: "wsx.test",
		Chain:      leaf.Chain,
		Problems: []CertificateProblem{
			{Kind: CertHostnameMismatch, Cert: leaf.Chain[0]},
			{Kind: CertExpired, Cert: leaf.Chain[1]},
		},
	}
	want := `certificate for "wsx.test" refused: hostname mismatch, expired (Middle CA)`
	if got := ce.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if errors.Unwrap(ce) != nil {
		t.Error("Unwrap without a refusal is not nil")
	}
	ce.Refusal = errors.New("user said no")
	if got := ce.Error(); got != want+": user said no" {
		t.Errorf("Error() = %q", got)
	}
}

// fixed is the moment the diagnose tests run at.
var fixed = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

func year(y int) time.Time { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC) }

// TestDiagnose runs the pure diagnosis on chains made for a fixed moment.
func TestDiagnose(t *testing.T) {
	checkNoLeaks(t)
	span := func(from, until int) certSpec { return certSpec{NotBefore: year(from), NotAfter: year(until)} }
	named := func(s certSpec, dns ...string) certSpec {
		s.DNSNames = dns
		s.IPs = []net.IP{net.IPv4(127, 0, 0, 1)}
		return s
	}

	root := newRootCA(t, span(2020, 2050))
	inter := root.Intermediate(t, certSpec{CommonName: "inter", NotBefore: year(2020), NotAfter: year(2050)})
	oldInter := root.Intermediate(t, certSpec{CommonName: "old inter", NotBefore: year(2020), NotAfter: year(2029)})
	lateInter := root.Intermediate(t, certSpec{CommonName: "late inter", NotBefore: year(2026), NotAfter: year(2050)})
	notCA := root.Intermediate(t, certSpec{CommonName: "not a CA", NotBefore: year(2020), NotAfter: year(2050), notCA: true})
	other := newRootCA(t, certSpec{CommonName: "other root", NotBefore: year(2020), NotAfter: year(2050)})
	oldRoot := newRootCA(t, certSpec{CommonName: "old root", NotBefore: year(2020), NotAfter: year(2029)})
	underOldRoot := oldRoot.Intermediate(t, certSpec{CommonName: "under old root", NotBefore: year(2020), NotAfter: year(2050)})
	// A root renewed (new dates, same key) after a leaf it signed expired.
	renewed := newRootCA(t, certSpec{CommonName: "renewed root", NotBefore: year(2029).AddDate(0, 6, 0), NotAfter: year(2050)})
	// A root that may only sign leaves, above an intermediate.
	shortRoot := newRootCA(t, certSpec{CommonName: "short root", NotBefore: year(2020), NotAfter: year(2050), maxPathZero: true})
	underShort := shortRoot.Intermediate(t, certSpec{CommonName: "under short root", NotBefore: year(2020), NotAfter: year(2050)})

	ok := inter.Leaf(t, named(span(2029, 2031), "wsx.test"))
	direct := root.Leaf(t, named(span(2029, 2031), "wsx.test"))
	expired := inter.Leaf(t, named(span(2028, 2029), "wsx.test"))
	future := inter.Leaf(t, named(span(2031, 2032), "wsx.test"))
	wrongHost := inter.Leaf(t, named(span(2029, 2031), "other.test"))
	clientOnly := inter.Leaf(t, certSpec{NotBefore: year(2029), NotAfter: year(2031), DNSNames: []string{"wsx.test"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	anyPurpose := inter.Leaf(t, certSpec{NotBefore: year(2029), NotAfter: year(2031), DNSNames: []string{"wsx.test"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	unknown := other.Leaf(t, named(span(2029, 2031), "wsx.test"))
	self := selfSignedLeaf(t, named(span(2029, 2031), "wsx.test"))
	selfBad := selfSignedLeaf(t, named(span(2020, 2021), "other.test"))
	underOld := oldInter.Leaf(t, named(span(2025, 2031), "wsx.test"))
	underLate := lateInter.Leaf(t, named(span(2020, 2025), "wsx.test"))
	underNotCA := notCA.Leaf(t, named(span(2029, 2031), "wsx.test"))
	underOldRootLeaf := underOldRoot.Leaf(t, named(span(2029, 2031), "wsx.test"))
	beforeRenewal := renewed.Leaf(t, named(span(2028, 2029), "wsx.test"))
	tooDeep := underShort.Leaf(t, named(span(2029, 2031), "wsx.test"))
	allBad := other.Leaf(t, named(span(2020, 2021), "other.test"))
	futureWrong := inter.Leaf(t, named(span(2031, 2032), "other.test"))
	oldWrong := oldInter.Leaf(t, named(span(2025, 2031), "other.test"))

	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	roots.AddCert(oldRoot.Cert)
	roots.AddCert(renewed.Cert)
	roots.AddCert(shortRoot.Cert)

	for _, tt := range []struct {
		name  string
		chain []*x509.Certificate
		host  string
		at    time.Time
		want  []certWant
	}{
		{"valid", ok.Chain, "wsx.test", fixed, nil},
		{"valid by IP", ok.Chain, "127.0.0.1", fixed, nil},
		{"valid without intermediate", direct.Chain, "wsx.test", fixed, nil},
		{"no name checked", wrongHost.Chain, "", fixed, nil},
		{"any purpose", anyPurpose.Chain, "wsx.test", fixed, nil},
		{"valid at NotAfter", ok.Chain, "wsx.test", year(2031), nil},
		{"expired", expired.Chain, "wsx.test", fixed, []certWant{{CertExpired, expired.Cert}}},
		{"not yet valid", future.Chain, "wsx.test", fixed, []certWant{{CertNotYetValid, future.Cert}}},
		{"not yet valid at an earlier moment", ok.Chain, "wsx.test", year(2028), []certWant{{CertNotYetValid, ok.Cert}}},
		{"hostname mismatch", wrongHost.Chain, "wsx.test", fixed, []certWant{{CertHostnameMismatch, wrongHost.Cert}}},
		{"IP mismatch", ok.Chain, "127.0.0.2", fixed, []certWant{{CertHostnameMismatch, ok.Cert}}},
		{"IP name as DNS", ok.Chain, "::1", fixed, []certWant{{CertHostnameMismatch, ok.Cert}}},
		{"unknown authority", unknown.Chain, "wsx.test", fixed, []certWant{{CertUnknownAuthority, unknown.Cert}}},
		{"missing intermediate", ok.Chain[:1], "wsx.test", fixed, []certWant{{CertUnknownAuthority, ok.Cert}}},
		{"self-signed", self.Chain, "wsx.test", fixed, []certWant{{CertSelfSigned, self.Cert}}},
		{"invalid purpose", clientOnly.Chain, "wsx.test", fixed, []certWant{{CertInvalidPurpose, clientOnly.Cert}}},
		{"expired intermediate", underOld.Chain, "wsx.test", fixed, []certWant{{CertExpired, oldInter.Cert}}},
		// crypto/x509 reports a parent that may not sign as an unknown
		// authority (with the reason as a hint).
		{"intermediate not a CA", underNotCA.Chain, "wsx.test", fixed, []certWant{{CertUnknownAuthority, underNotCA.Cert}}},
		{"path too long", tooDeep.Chain, "wsx.test", fixed, []certWant{{CertInvalid, shortRoot.Cert}}},
		{"expired leaf, root renewed since", beforeRenewal.Chain, "wsx.test", fixed, []certWant{{CertExpired, beforeRenewal.Cert}}},
		{"expired root", underOldRootLeaf.Chain, "wsx.test", fixed, []certWant{{CertExpired, oldRoot.Cert}}},
		{"expired, wrong host, unknown authority", allBad.Chain, "wsx.test", fixed, []certWant{
			{CertExpired, allBad.Cert}, {CertHostnameMismatch, allBad.Cert}, {CertUnknownAuthority, allBad.Cert}}},
		{"self-signed, expired, wrong host", selfBad.Chain, "wsx.test", fixed, []certWant{
			{CertExpired, selfBad.Cert}, {CertHostnameMismatch, selfBad.Cert}, {CertSelfSigned, selfBad.Cert}}},
		{"not yet valid, wrong host", futureWrong.Chain, "wsx.test", fixed, []certWant{
			{CertNotYetValid, futureWrong.Cert}, {CertHostnameMismatch, futureWrong.Cert}}},
		{"expired intermediate, wrong host", oldWrong.Chain, "wsx.test", fixed, []certWant{
			{CertExpired, oldInter.Cert}, {CertHostnameMismatch, oldWrong.Cert}}},
		{"expired leaf, later intermediate", underLate.Chain, "wsx.test", fixed, []certWant{{CertExpired, underLate.Cert}}},
		{"expired leaf and intermediate", underOld.Chain, "wsx.test", year(2032), []certWant{
			{CertExpired, underOld.Cert}, {CertExpired, oldInter.Cert}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagnose(tt.chain, roots, tt.host, tt.at)
			if !matchProblems(got, tt.want) {
				t.Errorf("diagnose = %s, want %v", describeProblems(got), tt.want)
			}
			for _, p := range got {
				if p.Cert == nil {
					t.Errorf("problem %v without a certificate", p.Kind)
				}
			}
			// Whatever it finds, crypto/x509 agrees that there is something.
			_, err := tt.chain[0].Verify(x509.VerifyOptions{
				Roots: roots, Intermediates: poolOf(tt.chain[1:]...), DNSName: tt.host, CurrentTime: tt.at,
			})
			if (err == nil) != (len(got) == 0) {
				t.Errorf("crypto/x509 says %v, diagnose %s", err, describeProblems(got))
			}
		})
	}
}

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// TestValidMoment checks the moment the path to a root is checked at.
func TestValidMoment(t *testing.T) {
	checkNoLeaks(t)
	cert := func(from, until int) *x509.Certificate {
		return &x509.Certificate{NotBefore: year(from), NotAfter: year(until)}
	}
	for _, tt := range []struct {
		name  string
		chain []*x509.Certificate
		at    time.Time
		want  time.Time
	}{
		{"inside", []*x509.Certificate{cert(2020, 2040)}, fixed, fixed},
		{"before", []*x509.Certificate{cert(2031, 2040)}, fixed, year(2031)},
		{"after", []*x509.Certificate{cert(2020, 2025)}, fixed, year(2025)},
		{"at NotBefore", []*x509.Certificate{cert(2030, 2040)}, year(2030), year(2030)},
		{"inside both", []*x509.Certificate{cert(2020, 2040), cert(2025, 2035)}, fixed, fixed},
		{"before the later start", []*x509.Certificate{cert(2020, 2040), cert(2032, 2045)}, fixed, year(2032)},
		{"after the earlier end", []*x509.Certificate{cert(2010, 2040), cert(2015, 2028)}, fixed, year(2028)},
		{"after the leaf's end", []*x509.Certificate{cert(2010, 2027), cert(2015, 2048)}, fixed, year(2027)},
		{"three", []*x509.Certificate{cert(2010, 2040), cert(2021, 2045), cert(2000, 2029)}, fixed, year(2029)},
		{"three, early", []*x509.Certificate{cert(2010, 2040), cert(2021, 2045), cert(2000, 2029)}, year(2012), year(2021)},
		{"disjoint", []*x509.Certificate{cert(2010, 2020), cert(2025, 2045)}, fixed, fixed},
		{"disjoint, early", []*x509.Certificate{cert(2010, 2020), cert(2025, 2045)}, year(2000), year(2000)},
	} {
		if got := validMoment(tt.chain, tt.at); !got.Equal(tt.want) {
			t.Errorf("%s: validMoment = %v, want %v", tt.name, got, tt.want)
		}
	}
}
