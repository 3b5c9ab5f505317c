package backend_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient/backend"
)

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	cases := []struct {
		name string
		sec  backend.Security
		code backend.Code
	}{
		{"missing CA file", backend.Security{Protocol: backend.SecuritySSL, CAFile: filepath.Join(dir, "nope.pem")}, backend.CodeBadConfig},
		{"CA file without PEM", backend.Security{Protocol: backend.SecuritySSL, CAFile: notPEM}, backend.CodeBadConfig},
		{"missing key pair", backend.Security{Protocol: backend.SecuritySSL, CertFile: filepath.Join(dir, "c.pem"), KeyFile: filepath.Join(dir, "k.pem")}, backend.CodeBadConfig},
		{"wrong key password", backend.Security{Protocol: backend.SecuritySSL, CertFile: "testdata/client.pem", KeyFile: "testdata/client-pbes2-aes256.key", KeyPassword: "secret"}, backend.CodeBadConfig},
		{"wrong legacy key password", backend.Security{Protocol: backend.SecuritySSL, CertFile: "testdata/client.pem", KeyFile: "testdata/client-legacy.key", KeyPassword: "secret"}, backend.CodeBadConfig},
		{"encrypted key without password", backend.Security{Protocol: backend.SecuritySSL, CertFile: "testdata/client.pem", KeyFile: "testdata/client-pbes2-aes256.key"}, backend.CodeBadConfig},
		{"garbage PEM key", backend.Security{Protocol: backend.SecuritySSL, CertPEM: "x", KeyPEM: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", KeyPassword: "secret"}, backend.CodeBadConfig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := backend.TLSConfig(c.sec, "test")
			require.Error(t, err)
			code, ok := backend.CodeOf(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, c.code, code, "%v", err)
			assert.NotContains(t, err.Error(), "secret", "the key password never appears in errors")
		})
	}
}

// TestTLSConfigClientKeyForms loads the client certificate and key in each
// form a user may give them: files or PEM text, the key in clear, as
// PKCS#8 encrypted by OpenSSL 3 (PBES2 with AES-256 and HMAC-SHA256, or
// AES-128 and HMAC-SHA1) or in OpenSSL's older encrypted PEM, and checks
// that every form yields the same key.
func TestTLSConfigClientKeyForms(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		return string(b)
	}
	base := backend.Security{Protocol: backend.SecuritySSL, CertFile: "testdata/client.pem", KeyFile: "testdata/client.key"}
	want, err := backend.TLSConfig(base, "test")
	require.NoError(t, err)
	require.Len(t, want.Certificates, 1)
	for name, sec := range map[string]backend.Security{
		"PEM text":            {Protocol: backend.SecuritySSL, CertPEM: read("client.pem"), KeyPEM: read("client.key"), CAPEM: read("client.pem")},
		"PBES2 AES-256":       {Protocol: backend.SecuritySSL, CertFile: "testdata/client.pem", KeyFile: "testdata/client-pbes2-aes256.key", KeyPassword: "key-secret"},
		"PBES2 AES-128 SHA-1": {Protocol: backend.SecuritySSL, CertFile: "testdata/client.pem", KeyFile: "testdata/client-pbes2-aes128-sha1.key", KeyPassword: "key-secret"},
		"legacy encrypted":    {Protocol: backend.SecuritySSL, CertPEM: read("client.pem"), KeyPEM: read("client-legacy.key"), KeyPassword: "key-secret"},
		"clear key, password": {Protocol: backend.SecuritySSL, CertFile: "testdata/client.pem", KeyFile: "testdata/client.key", KeyPassword: "unused"},
	} {
		t.Run(name, func(t *testing.T) {
			tc, err := backend.TLSConfig(sec, "test")
			require.NoError(t, err)
			require.Len(t, tc.Certificates, 1)
			assert.Equal(t, want.Certificates[0].PrivateKey, tc.Certificates[0].PrivateKey)
			assert.Equal(t, want.Certificates[0].Certificate, tc.Certificates[0].Certificate)
		})
	}
}

func TestSecurityRedactedHidesTheKey(t *testing.T) {
	s := backend.Security{Password: "p", KeyPassword: "k", KeyPEM: "-----BEGIN PRIVATE KEY-----", CertPEM: "cert"}.Redacted()
	assert.Equal(t, backend.Security{Password: "[redacted]", KeyPassword: "[redacted]", KeyPEM: "[redacted]", CertPEM: "cert"}, s)
}

func TestTLSConfigHostnameVerification(t *testing.T) {
	tc, err := backend.TLSConfig(backend.Security{Protocol: backend.SecuritySSL}, "test")
	require.NoError(t, err)
	assert.False(t, tc.InsecureSkipVerify, "hostnames are verified by default")
	tc, err = backend.TLSConfig(backend.Security{Protocol: backend.SecuritySSL, SkipHostnameVerification: true}, "test")
	require.NoError(t, err)
	assert.True(t, tc.InsecureSkipVerify)
	require.NotNil(t, tc.VerifyConnection, "the chain is still verified")
}

func TestParseGroupState(t *testing.T) {
	for in, want := range map[string]backend.GroupState{
		"Stable": backend.GroupStateStable, "STABLE": backend.GroupStateStable,
		"Empty": backend.GroupStateEmpty, "PreparingRebalance": backend.GroupStatePreparingRebalance,
		"ASSIGNING": backend.GroupStatePreparingRebalance, "RECONCILING": backend.GroupStatePreparingRebalance,
		"CompletingRebalance": backend.GroupStateCompletingRebalance, "Dead": backend.GroupStateDead,
		"": backend.GroupStateUnknown, "whatever": backend.GroupStateUnknown,
	} {
		assert.Equal(t, want, backend.ParseGroupState(in), in)
	}
}
