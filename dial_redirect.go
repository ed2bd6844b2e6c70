package websocket

import (
	"errors"
	"fmt"
	"net/http"
)

// redirect sets s up to follow a 3xx answer, unless it leads from wss to
// ws, past MaxRedirects, or CheckRedirect refuses it.
func (s *dialState) redirect(resp *http.Response) error {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return statusError(resp, KindHandshakeStatus, "a redirect without a Location")
	}
	next, err := s.url.Parse(loc)
	if err != nil {
		return statusError(resp, KindHandshakeStatus, "a redirect to a malformed Location")
	}
	refuse := func(err error) error {
		return &RedirectError{StatusCode: resp.StatusCode, Location: redact(next), Err: err}
	}
	if err := toWebSocketScheme(next); err != nil {
		return refuse(err)
	}
	next.Fragment, next.RawFragment = "", ""
	if next.Host == "" {
		return refuse(errors.New("no host"))
	}
	if s.url.Scheme == "wss" && next.Scheme == "ws" {
		return refuse(ErrInsecureRedirect)
	}
	if len(s.via) >= MaxRedirects {
		return refuse(fmt.Errorf("%w (%d)", ErrTooManyRedirects, MaxRedirects))
	}
	via := append(s.via, s.url)
	if s.d.CheckRedirect != nil {
		if err := s.d.CheckRedirect(next, via); err != nil {
			return refuse(err)
		}
	}
	if next.Host == s.url.Host {
		if next.User == nil {
			next.User = s.url.User
		}
	} else if s.header.Get("Authorization") != "" || s.header.Get("Cookie") != "" {
		// Credentials meant for one host are not sent to another.
		s.header = s.header.Clone()
		s.header.Del("Authorization")
		s.header.Del("Cookie")
	}
	s.via, s.url = via, next
	s.authorization, s.authTried = "", false
	return nil
}
