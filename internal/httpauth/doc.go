// Package httpauth answers HTTP authentication challenges for the Dialer:
// it parses the challenges of a 401 (WWW-Authenticate) or 407
// (Proxy-Authenticate) response (RFC 9110 §11.6.1, §11.7.1) and builds the
// Authorization or Proxy-Authorization value for the Basic (RFC 7617) and
// Digest (RFC 7616) schemes. It does no I/O: sending the retried request is
// the caller's job.
package httpauth
