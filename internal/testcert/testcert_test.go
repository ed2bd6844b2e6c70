package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

// TestNewVerifies checks that the certificate verifies against its own
// pool for each loopback name, and that the PEM forms load back.
func TestNewVerifies(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
		if _, err := c.TLS.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: c.Pool}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := c.TLS.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: c.Pool}); err == nil {
		t.Error("verifies for example.com")
	}
	if _, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		t.Errorf("PEM pair: %v", err)
	}
}
