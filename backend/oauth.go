package backend

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Token is a SASL/OAUTHBEARER access token and what a client needs to use
// it.
type Token struct {
	// Value is the token itself, usually a JWT. Required.
	Value string
	// Expiry is when the token stops being valid. Required: clients fetch a
	// new token before it, once 80% of its lifetime has passed (or 5 s
	// before it expires, if that comes first), and re-authenticate their
	// connections with it.
	Expiry time.Time
	// Principal names who the token authenticates. Optional: the default is
	// the token's "sub" claim when it is a JWT.
	Principal string
	// Extensions are SASL extensions (KIP-342) sent with the token, such as
	// Confluent Cloud's logicalCluster and identityPoolId. Keys are letters
	// only, and "auth" is reserved.
	Extensions map[string]string
}

// TokenProvider returns a current token for SASL/OAUTHBEARER. Each client
// calls it when it has no token, or its token is due for refresh (past 80%
// of its lifetime, or 5 s from expiry, whichever comes first), one call at
// a time per client (clients sharing a provider call it concurrently) and
// with a context that ends within 10 seconds. An error
// fails the client's authentication (SASL_AUTHENTICATION_FAILED;
// AUTHENTICATION on the confluent backend); the provider is asked again
// after a backoff (1 s, doubling to 30 s), not on every connection
// attempt.
type TokenProvider func(ctx context.Context) (Token, error)

// OAuth configures SASL/OAUTHBEARER, used when Security.Mechanism is
// OAUTHBEARER. Either Security.TokenProvider is set (the "default" method)
// or Method is "oidc" and the client fetches tokens from TokenURL with the
// OAuth 2 client-credentials grant.
type OAuth struct {
	// Method is sasl.oauthbearer.method: "default" (Security.TokenProvider
	// supplies tokens) or "oidc". Default "default".
	Method string
	// TokenURL is sasl.oauthbearer.token.endpoint.url (oidc).
	TokenURL string
	// ClientID and ClientSecret are sasl.oauthbearer.client.id and
	// sasl.oauthbearer.client.secret (oidc), sent with HTTP basic
	// authentication.
	ClientID     string
	ClientSecret string
	// Scope is sasl.oauthbearer.scope (oidc). Optional.
	Scope string
	// Extensions is sasl.oauthbearer.extensions (oidc): SASL extensions
	// sent with every token, "key=value,key=value" in a ConfigMap.
	Extensions map[string]string
	// CAFile and CAPEM are https.ca.location and https.ca.pem: the CAs that
	// sign the token endpoint's certificate (oidc). Empty means the system
	// roots.
	CAFile string
	CAPEM  string
}

// tokenTimeout bounds one call of a TokenProvider.
const tokenTimeout = 10 * time.Second

// Token backoff after a failed TokenProvider call.
const (
	tokenBackoffMin = time.Second
	tokenBackoffMax = 30 * time.Second
)

// refreshMargin is how long before its expiry a short-lived token is
// replaced at the latest (see RefreshTime).
const refreshMargin = 5 * time.Second

// RefreshTime returns when a token obtained at now and valid until expiry
// should be replaced: once 80% of its lifetime has passed, or 5 s before it
// expires if that comes first, though not before half its lifetime.
//
// The margin is for short-lived tokens. A broker ends a connection's
// session at the token's expiry, which a JWT rounds down to the second, and
// clients re-authenticate 85-95% into that session (librdkafka at 90%): at
// 80% of a 10 s token the new one came about 0.1 s before the
// re-authentication, so a slow token endpoint made connections
// re-authenticate with the old token and then lose their session.
func RefreshTime(now, expiry time.Time) time.Time {
	life := expiry.Sub(now)
	return expiry.Add(-max(life/5, min(refreshMargin, life/2)))
}

// CachedTokens returns a TokenProvider that calls p only when it holds no
// token or its token is due for refresh (RefreshTime), one call at a time,
// within tokenTimeout. It checks what p returns (a value, an expiry in the
// future, valid extensions), fills Principal from the JWT's "sub" claim when
// p left it empty, and gives every error CodeSASLAuthenticationFailed. After
// a failure it returns that failure without calling p until a backoff has
// passed, so that reconnecting clients do not hammer a token endpoint; a
// token that has not expired yet is still returned meanwhile.
func CachedTokens(p TokenProvider) TokenProvider {
	var (
		sem     = make(chan struct{}, 1)
		tok     Token
		refresh time.Time
		failed  error
		retryAt time.Time
		backoff = tokenBackoffMin
	)
	return func(ctx context.Context) (Token, error) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
		defer func() { <-sem }()
		now := time.Now()
		valid := tok.Value != "" && now.Before(tok.Expiry)
		if valid && now.Before(refresh) {
			return tok, nil
		}
		if failed != nil && now.Before(retryAt) {
			if valid {
				return tok, nil
			}
			return Token{}, failed
		}
		cctx, cancel := context.WithTimeout(ctx, tokenTimeout)
		t, err := p(cctx)
		cancel()
		if err == nil {
			err = checkToken(&t, time.Now())
		}
		if err != nil {
			if ctx.Err() != nil {
				return Token{}, ctx.Err()
			}
			failed = WithCode(CodeSASLAuthenticationFailed, fmt.Errorf("OAUTHBEARER token: %w", err))
			retryAt, backoff = time.Now().Add(backoff), min(2*backoff, tokenBackoffMax)
			if valid {
				return tok, nil
			}
			return Token{}, failed
		}
		tok, refresh, failed, backoff = t, RefreshTime(now, t.Expiry), nil, tokenBackoffMin
		return tok, nil
	}
}

// checkToken checks t and fills its Principal from the JWT when empty.
func checkToken(t *Token, now time.Time) error {
	switch {
	case t.Value == "":
		return errors.New("the token provider returned an empty token")
	case strings.ContainsAny(t.Value, "\x01 \t\r\n"):
		return errors.New("the token holds a space or control character")
	case t.Expiry.IsZero():
		return errors.New("the token provider returned a token without an expiry")
	case !t.Expiry.After(now):
		return fmt.Errorf("the token expired at %s", t.Expiry.UTC().Format(time.RFC3339))
	}
	if err := CheckExtensions(t.Extensions); err != nil {
		return err
	}
	if t.Principal == "" {
		t.Principal, _ = jwtClaims(t.Value)
	}
	return nil
}

// CheckExtensions checks SASL extensions (KIP-342): keys are letters only
// and not "auth", values hold no 0x01.
func CheckExtensions(ext map[string]string) error {
	for k, v := range ext {
		if k == "auth" || k == "" || strings.IndexFunc(k, func(r rune) bool { return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') }) >= 0 {
			return fmt.Errorf("SASL extension key %q is invalid: want letters only, not \"auth\"", k)
		}
		if strings.ContainsRune(v, '\x01') {
			return fmt.Errorf("SASL extension %q holds a control character", k)
		}
	}
	return nil
}

// jwtClaims returns the "sub" and "exp" claims of a JWT, or zero values
// when value is not a JWT.
func jwtClaims(value string) (sub string, exp time.Time) {
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		return "", time.Time{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", time.Time{}
	}
	var c struct {
		Sub string  `json:"sub"`
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return "", time.Time{}
	}
	if c.Exp > 0 {
		exp = time.Unix(int64(c.Exp), 0)
	}
	return c.Sub, exp
}

// OIDCTokenProvider returns a TokenProvider that fetches tokens from
// o.TokenURL with the OAuth 2 client-credentials grant (RFC 6749 4.4): a
// form POST with grant_type=client_credentials and the scope, the client
// id and secret in HTTP basic authentication, sent as they are (not
// URL-encoded first), as librdkafka and the Java client do by default. A
// token's expiry is the answer's expires_in, counted from the request,
// else the JWT's "exp" claim. Every call opens its own connection, so that
// nothing is left open between refreshes. Errors name the endpoint
// without its user information or query, which may hold secrets.
func OIDCTokenProvider(o OAuth) (TokenProvider, error) {
	u, err := url.Parse(o.TokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, Errorf(CodeBadConfig, "sasl.oauthbearer.token.endpoint.url is not an http(s) URL")
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	ca, err := pemSetting("https.ca", o.CAPEM, o.CAFile)
	if err != nil {
		return nil, err
	}
	if ca != nil {
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(ca) {
			return nil, Errorf(CodeBadConfig, "https.ca.location/https.ca.pem holds no PEM certificate")
		}
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment, DisableKeepAlives: true}}
	form := url.Values{"grant_type": {"client_credentials"}}
	if o.Scope != "" {
		form.Set("scope", o.Scope)
	}
	body := form.Encode()
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	return func(ctx context.Context) (Token, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenURL, strings.NewReader(body))
		if err != nil {
			return Token{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.SetBasicAuth(o.ClientID, o.ClientSecret)
		sent := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the URL is in the message below once
			}
			return Token{}, fmt.Errorf("token endpoint %s: %w", shown, err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return Token{}, fmt.Errorf("token endpoint %s: reading the answer: %w", shown, err)
		}
		var ans struct {
			AccessToken string  `json:"access_token"`
			ExpiresIn   float64 `json:"expires_in"`
			Error       string  `json:"error"`
			Description string  `json:"error_description"`
		}
		jerr := json.Unmarshal(raw, &ans)
		if resp.StatusCode != http.StatusOK {
			msg := resp.Status
			if ans.Error != "" {
				msg += ": " + strings.TrimSuffix(ans.Error+": "+ans.Description, ": ")
			}
			return Token{}, fmt.Errorf("token endpoint %s answered %s", shown, msg)
		}
		if jerr != nil || ans.AccessToken == "" {
			return Token{}, fmt.Errorf("token endpoint %s answered without an access_token", shown)
		}
		sub, exp := jwtClaims(ans.AccessToken)
		if ans.ExpiresIn > 0 {
			exp = sent.Add(time.Duration(ans.ExpiresIn * float64(time.Second)))
		}
		return Token{Value: ans.AccessToken, Expiry: exp, Principal: sub, Extensions: o.Extensions}, nil
	}, nil
}
