package kafkatest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// OAuthServer is an OAuth 2 authorization server for tests: a token
// endpoint over TLS that grants RS256 JWTs to a client with the
// client-credentials flow, signed with a key the test's brokers trust. Point
// a client at it with sasl.oauthbearer.method=oidc,
// sasl.oauthbearer.token.endpoint.url=URL, sasl.oauthbearer.client.id and
// .client.secret, and https.ca.pem=CAPEM.
type OAuthServer struct {
	// URL is the token endpoint.
	URL string
	// CAPEM is the PEM certificate the endpoint serves, for https.ca.pem.
	CAPEM string
	// ClientID and ClientSecret are the only credentials the endpoint
	// accepts.
	ClientID, ClientSecret string

	key              *rsa.PrivateKey
	kid, issuer, aud string
	srv              *httptest.Server
	calls            atomic.Int64
	mu               sync.Mutex
	ttl              time.Duration
	issued           []string
}

// NewOAuthServer starts a token endpoint for t, closed when t ends, that
// signs with keyPEM (a PKCS#8 or PKCS#1 RSA private key) under key id kid,
// for issuer and audience. Its tokens live for an hour (see SetTTL).
func NewOAuthServer(t testing.TB, keyPEM []byte, kid, issuer, audience string) *OAuthServer {
	t.Helper()
	key, err := parseRSAKey(keyPEM)
	if err != nil {
		t.Fatalf("kafkatest: OAuth signing key: %v", err)
	}
	s := &OAuthServer{ClientID: "kafkaclient-test-client", ClientSecret: rand.Text(), key: key, kid: kid, issuer: issuer, aud: audience, ttl: time.Hour}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	s.srv.Config.SetKeepAlivesEnabled(false)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/token"
	s.CAPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}))
	return s
}

// SetTTL sets the lifetime of the tokens granted from now on.
func (s *OAuthServer) SetTTL(d time.Duration) {
	s.mu.Lock()
	s.ttl = d
	s.mu.Unlock()
}

// Issued returns the tokens the endpoint has granted, oldest first.
func (s *OAuthServer) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// Calls returns how many token requests the endpoint has had.
func (s *OAuthServer) Calls() int { return int(s.calls.Load()) }

// Token returns a token for subject valid for ttl (already expired when
// ttl is negative), signed like the endpoint's.
func (s *OAuthServer) Token(subject string, ttl time.Duration) string {
	return s.sign(s.key, subject, ttl)
}

// ForgedToken returns a token like Token's, with the same key id, signed
// with a key of its own that no broker trusts.
func (s *OAuthServer) ForgedToken(subject string, ttl time.Duration) string {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return s.sign(other, subject, ttl)
}

func (s *OAuthServer) sign(key *rsa.PrivateKey, subject string, ttl time.Duration) string {
	now := time.Now()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": s.kid})
	claims := enc(map[string]any{"sub": subject, "iss": s.issuer, "aud": s.aud, "iat": now.Unix(), "exp": now.Add(ttl).Unix(), "scope": "kafka"})
	sum := sha256.Sum256([]byte(head + "." + claims))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err) // a valid key signs any digest
	}
	return head + "." + claims + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// serve answers the client-credentials grant (RFC 6749 4.4) with a token
// for the client id, and anything else with an OAuth error.
func (s *OAuthServer) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	fail := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc}) //nolint:errcheck // the client may be gone
	}
	id, secret, ok := r.BasicAuth()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/token":
		fail(http.StatusNotFound, "invalid_request", "POST /token only")
	case r.ParseForm() != nil || r.PostForm.Get("grant_type") != "client_credentials":
		fail(http.StatusBadRequest, "unsupported_grant_type", "want client_credentials")
	case !ok || id != s.ClientID || secret != s.ClientSecret:
		fail(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
	default:
		s.mu.Lock()
		ttl := s.ttl
		tok := s.Token(id, ttl)
		s.issued = append(s.issued, tok)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck // the client may be gone
			"access_token": tok, "token_type": "Bearer", "expires_in": int(ttl / time.Second),
		})
	}
}

func parseRSAKey(keyPEM []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T, not RSA", k)
	}
	return rk, nil
}
