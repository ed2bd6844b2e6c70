package websocket

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/wsx-go/websocket/internal/httpauth"
)

// authenticate answers a 401: once per URL, with the URL's user-info or
// what Dialer.Auth returns, to the strongest Basic or Digest challenge.
func (s *dialState) authenticate(ctx context.Context, resp *http.Response) error {
	refused := func(reason string) error { return statusError(resp, KindAuthRequired, reason) }
	if s.authTried {
		return refused("the server refused the credentials")
	}
	chs, err := httpauth.ParseChallenges(resp.Header.Values("WWW-Authenticate"))
	if err != nil {
		return refused("malformed WWW-Authenticate: " + err.Error())
	}
	ch, ok := httpauth.Pick(chs)
	if !ok {
		return refused("no Basic or Digest challenge")
	}
	user, pass, ok := credentials(s.url.User)
	if !ok && s.d.Auth != nil {
		user, pass, ok = s.d.Auth(ctx, &AuthChallenge{
			URL: redact(s.url), Scheme: schemeName(ch.Scheme), Realm: ch.Realm(), Header: resp.Header,
		})
	}
	if !ok {
		return refused("the server wants credentials")
	}
	answer, err := answerChallenge(ch, http.MethodGet, s.url.RequestURI(), user, pass)
	if err != nil {
		return refused(err.Error())
	}
	s.authorization, s.authTried = answer, true
	return nil
}

// credentials returns the user name and password of u's user-info.
func credentials(info *url.Userinfo) (user, pass string, ok bool) {
	if info == nil {
		return "", "", false
	}
	pass, _ = info.Password()
	return info.Username(), pass, true
}

// answerChallenge returns the Authorization (or Proxy-Authorization) value
// for ch.
func answerChallenge(ch httpauth.Challenge, method, uri, user, pass string) (string, error) {
	if strings.EqualFold(ch.Scheme, "digest") {
		return httpauth.Digest(ch, httpauth.DigestRequest{Method: method, URI: uri, Username: user, Password: pass})
	}
	return httpauth.Basic(user, pass)
}

// schemeName spells an auth scheme as RFC 7617 and RFC 7616 do.
func schemeName(scheme string) string {
	switch scheme {
	case "basic":
		return "Basic"
	case "digest":
		return "Digest"
	}
	return scheme
}
