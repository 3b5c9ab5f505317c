package kafkaclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
)

func TestOAuthBearerConfig(t *testing.T) {
	oauth := func(kv ...any) kafkaclient.ConfigMap {
		m := kafkaclient.ConfigMap{"bootstrap.servers": "127.0.0.1:9092", "security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	oidc := func(kv ...any) kafkaclient.ConfigMap {
		return oauth(append([]any{"sasl.oauthbearer.method", "oidc", "sasl.oauthbearer.token.endpoint.url", "https://idp.example/token",
			"sasl.oauthbearer.client.id", "id", "sasl.oauthbearer.client.secret", "s3cr3t-value"}, kv...)...)
	}
	provider := kafkaclient.WithTokenProvider(func(context.Context) (kafkaclient.Token, error) {
		return kafkaclient.Token{Value: "t", Expiry: time.Now().Add(time.Hour)}, nil
	})
	cases := []struct {
		name     string
		m        kafkaclient.ConfigMap
		opts     []kafkaclient.Option
		contains string // "" when valid
	}{
		{"oidc", oidc("sasl.oauthbearer.scope", "kafka", "sasl.oauthbearer.extensions", "logicalCluster=lkc-1, identityPoolId=pool-2"), nil, ""},
		{"token provider", oauth(), []kafkaclient.Option{provider}, ""},
		{"no token source", oauth(), nil, "TokenProvider"},
		{"oidc without a client secret", oauth("sasl.oauthbearer.method", "oidc", "sasl.oauthbearer.token.endpoint.url", "https://idp.example/token", "sasl.oauthbearer.client.id", "id"), nil, "sasl.oauthbearer.client.secret"},
		{"oidc and a provider", oidc(), []kafkaclient.Option{provider}, "give one"},
		{"oidc settings without the method", oauth("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"), []kafkaclient.Option{provider}, "sasl.oauthbearer.method=oidc"},
		{"unknown method", oauth("sasl.oauthbearer.method", "kerberos"), nil, "sasl.oauthbearer.method"},
		{"token endpoint not http", oidc("sasl.oauthbearer.token.endpoint.url", "file:///etc/passwd"), nil, "not an http(s) URL"},
		{"token endpoint with a secret, not http", oidc("sasl.oauthbearer.token.endpoint.url", "ftp://user:s3cr3t@idp/"), nil, "not an http(s) URL"},
		{"bad extensions", oidc("sasl.oauthbearer.extensions", "novalue"), nil, "sasl.oauthbearer.extensions"},
		{"username with oauthbearer", oauth("sasl.username", "u"), []kafkaclient.Option{provider}, "sasl.username"},
		{"oauth settings with plain", oidc("sasl.mechanism", "PLAIN", "sasl.username", "u", "sasl.password", "p"), nil, "need sasl.mechanism OAUTHBEARER"},
		{"oauth settings without sasl", oidc("security.protocol", "SSL"), nil, "SASL_PLAINTEXT or SASL_SSL"},
		{"provider without sasl", kafkaclient.ConfigMap{"bootstrap.servers": "127.0.0.1:9092"}, []kafkaclient.Option{provider}, "SASL_PLAINTEXT or SASL_SSL"},
		{"both https CAs", oidc("https.ca.location", "/ca.pem", "https.ca.pem", "x"), nil, "give one"},
		{"reserved extension key", oidc("sasl.oauthbearer.extensions", "auth=x"), nil, "sasl.oauthbearer.extensions"},
		{"extension key not letters", oidc("sasl.oauthbearer.extensions", "a-b=y"), nil, "sasl.oauthbearer.extensions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := kafkaclient.NewAdminFromMap(c.m, c.opts...)
			if c.contains == "" {
				require.NoError(t, err)
				cfg := a.Config()
				assert.NotContains(t, cfg.Security.Redacted().OAuth.ClientSecret, "s3cr3t")
				require.NoError(t, a.Close(t.Context()))
				// The effective config opens a client again.
				again, err := kafkaclient.NewAdmin(cfg)
				require.NoError(t, err)
				require.NoError(t, again.Close(t.Context()))
				return
			}
			require.ErrorIs(t, err, kafkaclient.ErrBadConfig)
			assert.Contains(t, err.Error(), c.contains)
			assert.NotContains(t, err.Error(), "s3cr3t", "the client secret never appears in errors")
		})
	}
	cfg, err := kafkaclient.ParseAdminConfig(oidc("sasl.oauthbearer.extensions", "logicalCluster=lkc-1, identityPoolId=pool-2"))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"logicalCluster": "lkc-1", "identityPoolId": "pool-2"}, cfg.Security.OAuth.Extensions)
	assert.Equal(t, "[redacted]", cfg.Security.Redacted().OAuth.ClientSecret)
}
