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
		{"encrypted key", backend.Security{Protocol: backend.SecuritySSL, CertFile: "c.pem", KeyFile: "k.pem", KeyPassword: "secret"}, backend.CodeUnsupported},
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
