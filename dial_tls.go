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
	"strings"
	"time"
)

// CertificateError is the cause of a failed Dial when the server's
// certificate did not pass verification. Unlike crypto/x509, which stops at
// the first failure, it lists every problem found: a certificate can be
// expired, for another host and from an unknown authority at once.
type CertificateError struct {
	ServerName string              // the name the certificate was checked against
	Chain      []*x509.Certificate // the certificates the server sent, leaf first
	Problems   []CertificateProblem
	// Refusal is the error Dialer.OnCertificateError returned, if it was
	// called and refused the certificate.
	Refusal error
}

// CertificateProblem is one reason a certificate failed verification.
type CertificateProblem struct {
	Kind CertificateProblemKind
	Cert *x509.Certificate // the certificate concerned; nil for CertMissing
	Err  error             // crypto/x509's detail, when it has one
}

// CertificateProblemKind names a verification failure, as Qt's
// QSslError::SslError does.
type CertificateProblemKind int

// The certificate verification failures.
const (
	CertExpired          CertificateProblemKind = iota + 1 // now is after NotAfter
	CertNotYetValid                                        // now is before NotBefore
	CertHostnameMismatch                                   // the certificate is for other names
	CertUnknownAuthority                                   // no chain to a trusted root
	CertSelfSigned                                         // self-signed and not trusted
	CertInvalidPurpose                                     // not valid for TLS server authentication
	CertInvalid                                            // another defect: signature, constraints, ...
	CertMissing                                            // the server sent no certificate
)

var certProblemNames = [...]string{
	CertExpired:          "expired",
	CertNotYetValid:      "not yet valid",
	CertHostnameMismatch: "hostname mismatch",
	CertUnknownAuthority: "unknown authority",
	CertSelfSigned:       "self-signed",
	CertInvalidPurpose:   "invalid purpose",
	CertInvalid:          "invalid",
	CertMissing:          "no certificate",
}

// String names the problem.
func (k CertificateProblemKind) String() string {
	if k > 0 && int(k) < len(certProblemNames) {
		return certProblemNames[k]
	}
	return fmt.Sprintf("CertificateProblemKind(%d)", int(k))
}

// Error lists every problem.
func (e *CertificateError) Error() string {
	names := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		names[i] = p.Kind.String()
		if p.Cert != nil && len(e.Chain) > 0 && p.Cert != e.Chain[0] {
			names[i] += " (" + p.Cert.Subject.CommonName + ")"
		}
	}
	s := fmt.Sprintf("certificate for %q refused: %s", e.ServerName, strings.Join(names, ", "))
	if e.Refusal != nil {
		s += ": " + e.Refusal.Error()
	}
	return s
}

// Has reports whether one of the problems is of kind k.
func (e *CertificateError) Has(k CertificateProblemKind) bool {
	for _, p := range e.Problems {
		if p.Kind == k {
			return true
		}
	}
	return false
}

// Unwrap returns the refusal of OnCertificateError, if any.
func (e *CertificateError) Unwrap() error { return e.Refusal }

// PublicKeyPin returns the pin of cert's public key in the form
// Dialer.PinnedKeys takes: "sha256/" and the base64 SHA-256 of its
// SubjectPublicKeyInfo, as in HTTP public key pinning and in the output of
// "openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst
// -sha256 -binary | base64".
func PublicKeyPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256/" + base64.StdEncoding.EncodeToString(sum[:])
}

// tlsClient runs the TLS handshake for host over nc.
func (d *Dialer) tlsClient(ctx context.Context, nc net.Conn, host string) (*tls.Conn, error) {
	cfg := d.tlsConfig(host)
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err // dialError turns a received alert into a *TLSAlertError
	}
	return tc, nil
}

// tlsConfig clones the Dialer's TLS configuration for a connection to
// host, with verification done by verifyServer unless the caller turned it
// off. HTTP/2 is never offered: WebSocket over TLS here is HTTP/1.1.
func (d *Dialer) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{}
	if d.TLSConfig != nil {
		cfg = d.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	cfg.NextProtos = withoutH2(cfg.NextProtos)
	if cfg.InsecureSkipVerify {
		return cfg
	}
	// crypto/tls stops at the first failure and cannot be asked to go on;
	// verifyServer does the same checks, collects every failure and lets
	// OnCertificateError decide. It runs mid-handshake, so a refusal sends
	// the server a bad_certificate alert as crypto/tls would.
	own := cfg.VerifyConnection
	roots, now, name := cfg.RootCAs, cfg.Time, cfg.ServerName
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		at := time.Now()
		if now != nil {
			at = now()
		}
		if err := d.verifyServer(cs.PeerCertificates, roots, name, at); err != nil {
			return err
		}
		if own != nil {
			return own(cs)
		}
		return nil
	}
	return cfg
}

func withoutH2(protos []string) []string {
	var out []string
	for _, p := range protos {
		if p != "h2" {
			out = append(out, p)
		}
	}
	return out
}

// verifyServer checks the server's chain: trusted as it is (pinned), or
// valid at time at, for name, up to one of roots (nil: the system's).
func (d *Dialer) verifyServer(chain []*x509.Certificate, roots *x509.CertPool, name string, at time.Time) error {
	if len(chain) == 0 {
		return &CertificateError{ServerName: name, Problems: []CertificateProblem{{Kind: CertMissing}}}
	}
	if d.trusts(chain[0]) {
		return nil
	}
	problems := diagnose(chain, roots, name, at)
	if len(problems) == 0 {
		return nil
	}
	ce := &CertificateError{ServerName: name, Chain: chain, Problems: problems}
	if d.OnCertificateError != nil {
		err := d.OnCertificateError(ce)
		if err == nil {
			return nil
		}
		ce.Refusal = err
	}
	return ce
}

// trusts reports whether leaf is one of the Dialer's trusted certificates
// or carries one of its pinned keys.
func (d *Dialer) trusts(leaf *x509.Certificate) bool {
	for _, c := range d.TrustedCertificates {
		if c != nil && bytes.Equal(c.Raw, leaf.Raw) {
			return true
		}
	}
	if len(d.PinnedKeys) > 0 {
		pin := PublicKeyPin(leaf)
		for _, p := range d.PinnedKeys {
			if p == pin {
				return true
			}
		}
	}
	return false
}

// diagnose returns every reason chain fails verification, or none. It
// first runs crypto/x509's verification; only if that fails does it look
// at validity periods, the name and the path to a root one by one.
func diagnose(chain []*x509.Certificate, roots *x509.CertPool, name string, at time.Time) []CertificateProblem {
	leaf := chain[0]
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: x509.NewCertPool(),
		CurrentTime:   at,
		DNSName:       name,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, first := leaf.Verify(opts)
	if first == nil {
		return nil
	}

	var problems []CertificateProblem
	for _, c := range chain {
		switch {
		case at.After(c.NotAfter):
			problems = append(problems, CertificateProblem{Kind: CertExpired, Cert: c})
		case at.Before(c.NotBefore):
			problems = append(problems, CertificateProblem{Kind: CertNotYetValid, Cert: c})
		}
	}
	if name != "" {
		if err := leaf.VerifyHostname(name); err != nil {
			problems = append(problems, CertificateProblem{Kind: CertHostnameMismatch, Cert: leaf, Err: err})
		}
	}
	// The path to a root, checked first at a moment when every certificate
	// sent was valid, so that an expiry already listed does not hide the
	// path's own faults; then now, for a root that was not valid then.
	opts.DNSName = ""
	if err := pathError(leaf, opts, validMoment(chain, at), at); err != nil {
		if p, ok := pathProblem(leaf, err, at); ok && !listed(problems, p) {
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		problems = append(problems, CertificateProblem{Kind: CertInvalid, Cert: leaf, Err: first})
	}
	return problems
}

// pathError verifies leaf's path to a root at each of the moments, and
// returns nil if one succeeds, else the most telling failure: one that is
// not about time, if any.
func pathError(leaf *x509.Certificate, opts x509.VerifyOptions, moments ...time.Time) error {
	var worst error
	for _, t := range moments {
		opts.CurrentTime = t
		_, err := leaf.Verify(opts)
		if err == nil {
			return nil
		}
		if worst == nil || isTimeFailure(worst) && !isTimeFailure(err) {
			worst = err
		}
	}
	return worst
}

func isTimeFailure(err error) bool {
	var invalid x509.CertificateInvalidError
	return errors.As(err, &invalid) && invalid.Reason == x509.Expired
}

// listed reports whether problems already hold p's kind for p's
// certificate.
func listed(problems []CertificateProblem, p CertificateProblem) bool {
	for _, q := range problems {
		if q.Kind == p.Kind && q.Cert == p.Cert {
			return true
		}
	}
	return false
}

// validMoment returns at moved into the period in which every certificate
// of chain is valid, if there is one.
func validMoment(chain []*x509.Certificate, at time.Time) time.Time {
	from, until := chain[0].NotBefore, chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotBefore.After(from) {
			from = c.NotBefore
		}
		if c.NotAfter.Before(until) {
			until = c.NotAfter
		}
	}
	if from.After(until) {
		return at
	}
	if at.Before(from) {
		return from
	}
	if at.After(until) {
		return until
	}
	return at
}

// pathProblem classifies a failure to build a path from leaf to a root at
// time at. ok is false when the failure is a period that holds at: the
// moment checked, not the certificate, was out of time.
func pathProblem(leaf *x509.Certificate, err error, at time.Time) (p CertificateProblem, ok bool) {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		if isSelfSigned(leaf) {
			return CertificateProblem{Kind: CertSelfSigned, Cert: leaf, Err: err}, true
		}
		return CertificateProblem{Kind: CertUnknownAuthority, Cert: leaf, Err: err}, true
	case errors.As(err, &invalid):
		p := CertificateProblem{Kind: CertInvalid, Cert: invalid.Cert, Err: err}
		if p.Cert == nil {
			p.Cert = leaf
		}
		switch invalid.Reason {
		case x509.Expired:
			// x509 says Expired for both ends of the period.
			switch {
			case at.After(p.Cert.NotAfter):
				p.Kind = CertExpired
			case at.Before(p.Cert.NotBefore):
				p.Kind = CertNotYetValid
			default:
				return p, false
			}
		case x509.IncompatibleUsage:
			p.Kind = CertInvalidPurpose
		}
		return p, true
	}
	return CertificateProblem{Kind: CertInvalid, Cert: leaf, Err: err}, true
}

// isSelfSigned reports whether c is signed by its own key.
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// receivedAlert finds a fatal alert from the peer in a TLS handshake
// error. crypto/tls reports one as a *net.OpError with Op "remote error"
// whose text is the alert's; tls.AlertError has the same texts.
func receivedAlert(err error) (tls.AlertError, bool) {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return 0, false
	}
	msg := oe.Err.Error()
	for a := range 256 {
		if tls.AlertError(a).Error() == msg {
			return tls.AlertError(a), true
		}
	}
	return 0, false
}
