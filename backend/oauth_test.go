package backend_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

func newOAuthServer(t *testing.T) *kafkatest.OAuthServer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return kafkatest.NewOAuthServer(t, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "test-kid", "test-issuer", "kafka")
}

func oidc(s *kafkatest.OAuthServer) backend.OAuth {
	return backend.OAuth{Method: "oidc", TokenURL: s.URL, ClientID: s.ClientID, ClientSecret: s.ClientSecret, Scope: "kafka", CAPEM: s.CAPEM, Extensions: map[string]string{"logicalCluster": "lkc-1"}}
}

func TestOIDCTokenProvider(t *testing.T) {
	s := newOAuthServer(t)
	p, err := backend.OIDCTokenProvider(oidc(s))
	require.NoError(t, err)
	before := time.Now()
	tok, err := p(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 3, len(strings.Split(tok.Value, ".")), "a JWT")
	assert.Equal(t, s.ClientID, tok.Principal, "the sub claim")
	assert.WithinDuration(t, before.Add(time.Hour), tok.Expiry, 5*time.Second)
	assert.Equal(t, map[string]string{"logicalCluster": "lkc-1"}, tok.Extensions)

	t.Run("wrong secret", func(t *testing.T) {
		o := oidc(s)
		o.ClientSecret = "not-the-secret"
		p, err := backend.OIDCTokenProvider(o)
		require.NoError(t, err)
		_, err = p(t.Context())
		require.ErrorContains(t, err, "401")
		require.ErrorContains(t, err, "invalid_client")
		assert.NotContains(t, err.Error(), "not-the-secret")
	})
	t.Run("untrusted endpoint", func(t *testing.T) {
		o := oidc(s)
		o.CAPEM = ""
		p, err := backend.OIDCTokenProvider(o)
		require.NoError(t, err)
		_, err = p(t.Context())
		require.ErrorContains(t, err, "certificate")
	})
	t.Run("secrets in the endpoint URL", func(t *testing.T) {
		o := oidc(s)
		o.ClientSecret = "not-the-secret"
		o.TokenURL = strings.Replace(s.URL, "https://", "https://user:url-secret@", 1) + "?key=query-secret"
		p, err := backend.OIDCTokenProvider(o)
		require.NoError(t, err)
		_, err = p(t.Context())
		require.ErrorContains(t, err, "401")
		assert.NotContains(t, err.Error(), "url-secret")
		assert.NotContains(t, err.Error(), "query-secret")
	})
	t.Run("unreachable endpoint", func(t *testing.T) {
		o := oidc(s)
		o.TokenURL = "https://127.0.0.1:1/token"
		p, err := backend.OIDCTokenProvider(o)
		require.NoError(t, err)
		_, err = p(t.Context())
		require.ErrorContains(t, err, "connection refused")
	})
	t.Run("bad settings", func(t *testing.T) {
		for _, o := range []backend.OAuth{{TokenURL: "ftp://x/token"}, {TokenURL: "://"}, {TokenURL: "https://x/token", CAPEM: "not a certificate"}, {TokenURL: "https://x/token", CAFile: "testdata/nope.pem"}} {
			_, err := backend.OIDCTokenProvider(o)
			code, _ := backend.CodeOf(err)
			assert.Equal(t, backend.CodeBadConfig, code, "%+v: %v", o, err)
		}
	})
}

func TestCachedTokens(t *testing.T) {
	var calls atomic.Int32
	var next atomic.Pointer[backend.Token]
	p := backend.CachedTokens(func(ctx context.Context) (backend.Token, error) {
		calls.Add(1)
		return *next.Load(), nil
	})
	jwt := newOAuthServer(t).Token("alice", time.Hour)
	next.Store(&backend.Token{Value: jwt, Expiry: time.Now().Add(time.Hour)})
	tok, err := p(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "alice", tok.Principal, "filled from the JWT")
	for range 5 {
		_, err = p(t.Context())
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, calls.Load(), "a fresh token is reused")

	// A token past 80% of its lifetime is replaced.
	p2 := backend.CachedTokens(func(ctx context.Context) (backend.Token, error) {
		calls.Add(1)
		return backend.Token{Value: "t", Expiry: time.Now().Add(500 * time.Millisecond)}, nil
	})
	calls.Store(0)
	_, err = p2(t.Context())
	require.NoError(t, err)
	time.Sleep(450 * time.Millisecond)
	_, err = p2(t.Context())
	require.NoError(t, err)
	assert.EqualValues(t, 2, calls.Load())

	// Failures are typed, and backed off: no call per connection attempt.
	p3 := backend.CachedTokens(func(ctx context.Context) (backend.Token, error) {
		calls.Add(1)
		return backend.Token{}, errors.New("endpoint down")
	})
	calls.Store(0)
	for range 10 {
		_, err = p3(t.Context())
		code, _ := backend.CodeOf(err)
		require.Equal(t, backend.CodeSASLAuthenticationFailed, code, "%v", err)
		require.ErrorContains(t, err, "endpoint down")
	}
	assert.EqualValues(t, 1, calls.Load(), "no retry within the backoff")

	// A cancelled context is not a token failure.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = backend.CachedTokens(func(ctx context.Context) (backend.Token, error) { return backend.Token{}, ctx.Err() })(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestCachedTokensRefusesBadTokens(t *testing.T) {
	for name, tok := range map[string]backend.Token{
		"empty":          {Expiry: time.Now().Add(time.Hour)},
		"no expiry":      {Value: "t"},
		"expired":        {Value: "t", Expiry: time.Now().Add(-time.Second)},
		"space in value": {Value: "a b", Expiry: time.Now().Add(time.Hour)},
		"reserved key":   {Value: "t", Expiry: time.Now().Add(time.Hour), Extensions: map[string]string{"auth": "x"}},
		"bad key":        {Value: "t", Expiry: time.Now().Add(time.Hour), Extensions: map[string]string{"a-b": "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := backend.CachedTokens(func(context.Context) (backend.Token, error) { return tok, nil })(t.Context())
			code, _ := backend.CodeOf(err)
			assert.Equal(t, backend.CodeSASLAuthenticationFailed, code, "%v", err)
		})
	}
}

// TestRefreshTime: 80% into a token's life, or 5 s before its expiry when
// that comes first, never before half its life.
func TestRefreshTime(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, c := range []struct{ life, want time.Duration }{
		{time.Hour, 48 * time.Minute},
		{time.Minute, 48 * time.Second},
		{20 * time.Second, 15 * time.Second},
		{10 * time.Second, 5 * time.Second},
		{4 * time.Second, 2 * time.Second},
		{0, 0},
	} {
		assert.Equal(t, c.want, backend.RefreshTime(now, now.Add(c.life)).Sub(now), "a token living %v", c.life)
	}
}
