package conformance

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// TokenRefreshRun is how long the token-refresh case produces and consumes
// while its tokens live TokenRefreshTTL.
const (
	TokenRefreshRun = 60 * time.Second
	TokenRefreshTTL = 10 * time.Second
	// TokenRefreshDrain is how long the consumer may take to read the
	// last records once the producer stops.
	TokenRefreshDrain = time.Minute
)

// oauthCases are the SASL/OAUTHBEARER cases, against the listener of
// securityCluster.OAuth, with a token endpoint of the case's own
// (kafkatest.OAuthServer) that signs with the key the brokers trust.
var oauthCases = []securityCase{
	{Name: "oauth_oidc", Run: func(t *testing.T, e *secEnv) {
		srv := e.oauthServer(t)
		e.roundTripWith(t, "OAUTH", "", e.oidc(srv), nil)
		assert.Positive(t, srv.Calls(), "the clients fetched their tokens from the endpoint")
	}},
	{Name: "oauth_token_provider", Run: func(t *testing.T, e *secEnv) {
		srv := e.oauthServer(t)
		var calls atomic.Int32 // by every client of the case
		e.opts = []kafkaclient.Option{kafkaclient.WithTokenProvider(func(ctx context.Context) (kafkaclient.Token, error) {
			calls.Add(1)
			return kafkaclient.Token{Value: srv.Token("provider-user", time.Hour), Expiry: time.Now().Add(time.Hour), Extensions: map[string]string{"traceId": "abc"}}, nil
		})}
		e.roundTripWith(t, "OAUTH", "", nil, nil)
		// An admin, a producer and a consumer, each with a token good for
		// an hour: one call each.
		assert.Equal(t, int32(3), calls.Load(), "provider calls")
	}},
	{Name: "oauth_token_refresh", Run: func(t *testing.T, e *secEnv) { e.tokenRefresh(t) }},
	{Name: "oauth_expired_token", Run: func(t *testing.T, e *secEnv) {
		// The JWT has expired, though the provider says it has not: the
		// broker refuses it. (A token the provider itself reports expired
		// is refused before it is sent; see backend.CachedTokens.)
		srv := e.oauthServer(t)
		tok := srv.Token("expired-user", -time.Minute)
		e.oauthRefused(t, "with an expired token", []string{tok}, func(context.Context) (kafkaclient.Token, error) {
			return kafkaclient.Token{Value: tok, Expiry: time.Now().Add(time.Hour)}, nil
		}, nil, nil)
	}},
	{Name: "oauth_forged_token", Run: func(t *testing.T, e *secEnv) {
		srv := e.oauthServer(t)
		tok := srv.ForgedToken("forged-user", time.Hour)
		e.oauthRefused(t, "with a token signed by an untrusted key", []string{tok}, func(context.Context) (kafkaclient.Token, error) {
			return kafkaclient.Token{Value: tok, Expiry: time.Now().Add(time.Hour)}, nil
		}, nil, nil)
	}},
	{Name: "oauth_wrong_client_secret", Run: func(t *testing.T, e *secEnv) {
		srv := e.oauthServer(t)
		m := e.oidc(srv)
		m["sasl.oauthbearer.client.secret"] = e.wrong
		e.oauthRefused(t, "with a wrong client secret", nil, nil, m, srv.Calls)
	}},
	{Name: "oauth_unreachable_endpoint", Run: func(t *testing.T, e *secEnv) {
		srv := e.oauthServer(t)
		m := e.oidc(srv)
		m["sasl.oauthbearer.token.endpoint.url"] = "https://127.0.0.1:1/token"
		e.oauthRefused(t, "with an unreachable token endpoint", nil, nil, m, nil)
	}},
}

// oauthServer returns a token endpoint for the case, signing with the
// cluster's key; it skips t when the cluster has no OAUTHBEARER listener.
func (e *secEnv) oauthServer(t *testing.T) *kafkatest.OAuthServer {
	t.Helper()
	if e.s.OAuth == "" || e.s.OAuthSigningKey == "" {
		t.Skipf("%s unset: the OAUTHBEARER cases run when it and %s, %s, %s and %s are set to what scripts/kafka up prints", EnvOAuth, EnvOAuthSigningKey, EnvOAuthKID, EnvOAuthIssuer, EnvOAuthAudience)
	}
	key, err := os.ReadFile(e.s.OAuthSigningKey)
	require.NoError(t, err)
	srv := kafkatest.NewOAuthServer(t, key, e.s.OAuthKID, e.s.OAuthIssuer, e.s.OAuthAudience)
	e.secrets = append(e.secrets, srv.ClientSecret)
	return srv
}

// oidc returns the settings of the OIDC client-credentials flow against
// srv.
func (e *secEnv) oidc(srv *kafkatest.OAuthServer) kafkaclient.ConfigMap {
	return kafkaclient.ConfigMap{
		"sasl.oauthbearer.method":             "oidc",
		"sasl.oauthbearer.token.endpoint.url": srv.URL,
		"sasl.oauthbearer.client.id":          srv.ClientID,
		"sasl.oauthbearer.client.secret":      srv.ClientSecret,
		"sasl.oauthbearer.scope":              "kafka",
		"https.ca.pem":                        srv.CAPEM,
	}
}

// oauthRefused checks that a producer and an admin whose tokens come from
// provider (when set) or from the settings extra fail with a typed
// authentication error within AuthTimeout, that the token source (the
// provider, or what endpointCalls counts) is not asked again and again
// meanwhile, and that neither the client secret nor any of tokens appears
// in an error or the log.
func (e *secEnv) oauthRefused(t *testing.T, cause string, tokens []string, provider kafkaclient.TokenProvider, extra kafkaclient.ConfigMap, endpointCalls func() int) {
	e.secrets = append(e.secrets, tokens...)
	var providerCalls atomic.Int32
	calls := endpointCalls
	if provider != nil {
		counted := provider
		provider = func(ctx context.Context) (kafkaclient.Token, error) {
			providerCalls.Add(1)
			return counted(ctx)
		}
		calls = func() int { return int(providerCalls.Load()) }
	}
	// The topic exists, so the only thing wrong is the token.
	topic := e.topic(t, e.admin(t, e.configMap("SASL_SSL", "PLAIN", e.s.Password, nil), nil), "secure", 1)

	if provider != nil {
		e.opts = []kafkaclient.Option{kafkaclient.WithTokenProvider(provider)}
	}
	r := e.newSecRefusals(t, cause, requireAuthError)
	m := e.configMap("OAUTH", "", "", extra)
	p := e.producer(t, m, r.logs)
	r.call("ProduceSync", func(ctx context.Context) error {
		return p.ProduceSync(ctx, kafkaclient.NewMessage(topic, []byte("k"), []byte("v")))
	})
	a := e.admin(t, m, r.logs)
	r.call("DescribeCluster", func(ctx context.Context) error { _, err := a.DescribeCluster(ctx); return err })
	// Each client asks once, then again only after a backoff (1 s,
	// doubling): a handful of calls in AuthTimeout, not one per connection
	// attempt.
	if calls != nil {
		assert.LessOrEqual(t, calls(), 10, "token requests of two clients in %v", AuthTimeout)
		t.Logf("token requests: %d", calls())
	}
	r.requireNoSecret(p.Close, a.Close)
}

// tokenRefresh produces and consumes for TokenRefreshRun with tokens that
// live TokenRefreshTTL, so that every client fetches new tokens and every
// connection re-authenticates (or, on a client that cannot, is replaced)
// several times, and requires that every message is delivered and consumed
// exactly once.
func (e *secEnv) tokenRefresh(t *testing.T) {
	srv := e.oauthServer(t)
	srv.SetTTL(TokenRefreshTTL)
	m := e.configMap("OAUTH", "", "", e.oidc(srv))
	topic := e.topic(t, e.admin(t, m, nil), "secure-refresh", 3)

	p := e.producer(t, m, nil)
	cm := e.configMap("OAUTH", "", "", e.oidc(srv))
	cm["group.id"] = kafkatest.UniqueName(t, "secure-refresh-group")
	cm["auto.offset.reset"] = "earliest"
	cm["enable.auto.commit"] = false
	c := e.consumer(t, cm, nil)
	require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	seen := map[string]int{}
	next := map[int32]int64{} // per partition, the offset after the last record consumed
	pollErrs := 0             // polls that timed out
	var mu sync.Mutex
	consumed := make(chan error, 1)
	stop := make(chan struct{})
	var sent atomic.Int64
	go func() {
		for {
			pctx, pcancel := context.WithTimeout(ctx, 500*time.Millisecond)
			msgs, err := c.PollAvailable(pctx, 500)
			pcancel()
			if err != nil && (ctx.Err() != nil || !kafkaclient.IsTimeout(err)) {
				consumed <- err
				return
			}
			mu.Lock()
			for _, msg := range msgs {
				seen[string(msg.Value)]++
				next[msg.Partition] = msg.Offset + 1
			}
			if err != nil {
				pollErrs++
			}
			done := len(seen)
			mu.Unlock()
			if len(msgs) > 0 {
				if err := c.CommitMessages(ctx, msgs...); err != nil {
					consumed <- fmt.Errorf("commit: %w", err)
					return
				}
			}
			select {
			case <-stop:
				if done >= int(sent.Load()) {
					consumed <- nil
					return
				}
			default:
			}
		}
	}()
	var failed []error
	deadline := time.Now().Add(TokenRefreshRun)
	for i := 0; time.Now().Before(deadline); i++ {
		batch := make([]*kafkaclient.Message, 20)
		for j := range batch {
			n := i*len(batch) + j
			batch[j] = kafkaclient.NewMessage(topic, []byte("k"+strconv.Itoa(n%50)), []byte("m"+strconv.Itoa(n)))
		}
		if err := p.ProduceSync(ctx, batch...); err != nil {
			failed = append(failed, err)
		}
		sent.Add(int64(len(batch)))
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	require.Empty(t, failed, "ProduceSync failed across token refreshes")
	drained := time.Now()
	select {
	case err := <-consumed:
		require.NoError(t, err)
	case <-time.After(TokenRefreshDrain): // the checks below name what is missing
		cancel()
		<-consumed
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%v after the last produce, the consumer had read %d of %d; %d polls timed out", time.Since(drained).Round(time.Millisecond), len(seen), sent.Load(), pollErrs)
	for p := range int32(3) {
		_, high, err := c.GetWatermarkOffsets(topic, p)
		t.Logf("partition %d: consumed up to %d of %d (%v)", p, next[p], high, err)
	}
	lost, dup := 0, 0
	for i := range int(sent.Load()) {
		switch n := seen["m"+strconv.Itoa(i)]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	t.Logf("%d messages over %v with %v tokens: %d lost, %d duplicated, %d token requests", sent.Load(), TokenRefreshRun, TokenRefreshTTL, lost, dup, srv.Calls())
	assert.Zero(t, lost, "messages lost across token refreshes")
	assert.Zero(t, dup, "messages consumed twice across token refreshes")
	// Three clients, each with a new token every 8 s.
	assert.GreaterOrEqual(t, srv.Calls(), int(TokenRefreshRun/TokenRefreshTTL), "tokens were refreshed")
}
