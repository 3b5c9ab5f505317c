package conformance

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// securityCluster names the SASL and mutual-TLS listeners of a real Kafka
// cluster, for the security cases.
type securityCluster struct {
	// SASLPlaintext is the host:port of a SASL_PLAINTEXT listener, or a
	// comma-separated list of them (a cluster's).
	SASLPlaintext string
	// SASLSSL is the host:port of a SASL_SSL listener whose certificate is
	// signed by CAFile and names the host.
	SASLSSL string
	// CAFile is the PEM file of the CA that signed the SASL_SSL listener's
	// certificate.
	CAFile string
	// Username and Password are a user that PLAIN, SCRAM-SHA-256 and
	// SCRAM-SHA-512 all accept.
	Username string
	Password string
	// SSL is the host:port (or list) of an SSL listener that requires a
	// client certificate signed by CAFile; ClientCert and ClientKey are
	// one, and ClientKeyEncrypted the same key encrypted with
	// ClientKeyPassword. The mutual-TLS cases skip when SSL is empty.
	SSL, ClientCert, ClientKey, ClientKeyEncrypted, ClientKeyPassword string
	// OAuth is the host:port (or list) of a SASL_SSL listener that takes
	// OAUTHBEARER tokens: RS256 JWTs signed with the key in
	// OAuthSigningKey (PEM) under key id OAuthKID, for OAuthIssuer and
	// OAuthAudience. The OAUTHBEARER cases skip when OAuth is empty.
	OAuth, OAuthSigningKey, OAuthKID, OAuthIssuer, OAuthAudience string
}

// The environment variables that enable the security cases: the listeners
// and the CA that `scripts/kafka up` prints.
const (
	EnvSASLPlaintext = "KAFKA_SASL_PLAINTEXT"
	EnvSASLSSL       = "KAFKA_SASL_SSL"
	EnvCAFile        = "KAFKA_CA_FILE"
	// The mutual-TLS listener, and the client certificate and keys.
	EnvSSL                   = "KAFKA_SSL"
	EnvSSLClientCert         = "KAFKA_SSL_CLIENT_CERT"
	EnvSSLClientKey          = "KAFKA_SSL_CLIENT_KEY"
	EnvSSLClientKeyEncrypted = "KAFKA_SSL_CLIENT_KEY_ENCRYPTED"
	EnvSSLClientKeyPassword  = "KAFKA_SSL_CLIENT_KEY_PASSWORD"
	// The OAUTHBEARER listener, and what its tokens must be.
	EnvOAuth           = "KAFKA_OAUTH"
	EnvOAuthSigningKey = "KAFKA_OAUTH_SIGNING_KEY"
	EnvOAuthKID        = "KAFKA_OAUTH_KID"
	EnvOAuthIssuer     = "KAFKA_OAUTH_ISSUER"
	EnvOAuthAudience   = "KAFKA_OAUTH_AUDIENCE"
)

// securityClusterFromEnv returns the cluster that `scripts/kafka up` starts,
// from the variables it prints, with the script's user alice. It skips t,
// naming the variables, unless all of them are set.
func securityClusterFromEnv(t *testing.T) securityCluster {
	t.Helper()
	s := securityCluster{
		SASLPlaintext: os.Getenv(EnvSASLPlaintext),
		SASLSSL:       os.Getenv(EnvSASLSSL),
		CAFile:        os.Getenv(EnvCAFile),
		Username:      "alice",
		Password:      "alice-secret",

		SSL:                os.Getenv(EnvSSL),
		ClientCert:         os.Getenv(EnvSSLClientCert),
		ClientKey:          os.Getenv(EnvSSLClientKey),
		ClientKeyEncrypted: os.Getenv(EnvSSLClientKeyEncrypted),
		ClientKeyPassword:  os.Getenv(EnvSSLClientKeyPassword),

		OAuth:           os.Getenv(EnvOAuth),
		OAuthSigningKey: os.Getenv(EnvOAuthSigningKey),
		OAuthKID:        os.Getenv(EnvOAuthKID),
		OAuthIssuer:     os.Getenv(EnvOAuthIssuer),
		OAuthAudience:   os.Getenv(EnvOAuthAudience),
	}
	var unset []string
	for name, v := range map[string]string{EnvSASLPlaintext: s.SASLPlaintext, EnvSASLSSL: s.SASLSSL, EnvCAFile: s.CAFile} {
		if v == "" {
			unset = append(unset, name)
		}
	}
	if len(unset) > 0 {
		slices.Sort(unset)
		t.Skipf("%s unset: the security cases run when %s, %s and %s are set to what scripts/kafka up prints (as .ci/run does)",
			strings.Join(unset, ", "), EnvSASLPlaintext, EnvSASLSSL, EnvCAFile)
	}
	return s
}

// AuthTimeout bounds how long a client may take to report refused
// credentials or an untrusted broker certificate.
const AuthTimeout = 10 * time.Second

// securityCase is one security case.
type securityCase = groupCase[*secEnv]

// securityCases are the security cases: produce, consume and admin calls
// over SASL_PLAINTEXT and over SASL_SSL (the broker certificate verified
// against the CA, hostname verification on) with PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512; mutual TLS; OAUTHBEARER (security_oauth.go); a wrong
// password and an untrusted certificate failing with
// typed errors within AuthTimeout; and no secret in any error or log line.
var securityCases = func() []securityCase {
	var cs []securityCase
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		for _, proto := range []string{"SASL_SSL", "SASL_PLAINTEXT"} {
			cs = append(cs, securityCase{Name: secName(proto, mech), Run: func(t *testing.T, e *secEnv) { e.roundTrip(t, proto, mech, nil) }})
		}
	}
	cs = append(cs, securityCase{Name: "debug_logs_hold_no_secret", Run: func(t *testing.T, e *secEnv) {
		logs := newSecLog()
		for _, mech := range []string{"PLAIN", "SCRAM-SHA-512"} {
			e.roundTrip(t, "SASL_SSL", mech, logs)
		}
		if e.s.OAuth != "" {
			srv := e.oauthServer(t)
			e.roundTripWith(t, "OAUTH", "", e.oidc(srv), logs)
			e.secrets = append(e.secrets, srv.Issued()...)
		}
		e.requireNoSecret(t, "the debug log", logs.String())
		// A config is safe to print once redacted.
		cfg, err := kafkaclient.ParseProducerConfig(e.configMap("SASL_SSL", "PLAIN", e.s.Password, nil))
		require.NoError(t, err)
		e.requireNoSecret(t, "a redacted config", fmt.Sprintf("%+v", cfg.Security.Redacted()))
	}})
	for _, tc := range []struct{ proto, mech string }{
		{"SASL_PLAINTEXT", "PLAIN"},
		{"SASL_PLAINTEXT", "SCRAM-SHA-256"},
		{"SASL_SSL", "SCRAM-SHA-512"},
		{"SASL_SSL", "PLAIN"},
	} {
		cs = append(cs, securityCase{Name: "wrong_password_" + secName(tc.proto, tc.mech), Run: func(t *testing.T, e *secEnv) { e.wrongPassword(t, tc.proto, tc.mech) }})
	}
	for _, form := range []string{"files", "pem", "encrypted_key"} {
		cs = append(cs, securityCase{Name: "mtls_" + form, Run: func(t *testing.T, e *secEnv) { e.roundTripWith(t, "SSL", "", e.mtls(t, form), nil) }})
	}
	cs = append(cs, securityCase{Name: "mtls_without_certificate", Run: func(t *testing.T, e *secEnv) { e.mtlsRefused(t, nil) }})
	cs = append(cs, securityCase{Name: "mtls_untrusted_client_certificate", Run: func(t *testing.T, e *secEnv) {
		cert, key := secWriteCA(t)
		e.mtlsRefused(t, kafkaclient.ConfigMap{"ssl.certificate.location": cert, "ssl.key.location": key})
	}})
	cs = append(cs, securityCase{Name: "broker_apis_over_tls", Run: func(t *testing.T, e *secEnv) {
		// BrokerAPIs dials the brokers itself: over TLS, with the broker's
		// certificate verified against the configured CA.
		a := e.admin(t, e.configMap("SASL_SSL", "PLAIN", e.s.Password, nil), nil)
		bs, err := a.BrokerAPIs(Ctx(t))
		require.NoError(t, err)
		require.NotEmpty(t, bs)
		for _, b := range bs {
			require.NoError(t, b.Err, "broker %d", b.Broker.ID)
			require.True(t, b.Supports(kafkaclient.APIProduce, 3), "broker %d: %v", b.Broker.ID, b.APIs)
		}
	}})
	cs = append(cs, oauthCases...)
	cs = append(cs, aclCases...)
	return append(cs, securityCase{Name: "untrusted_certificate", Run: func(t *testing.T, e *secEnv) { e.untrustedCert(t) }})
}()

// secName names a case for proto and mech: sasl_ssl_scram_sha_256.
func secName(proto, mech string) string {
	return strings.ToLower(proto + "_" + strings.ReplaceAll(mech, "-", "_"))
}

// runSecurity runs the security cases against s on h's backend, each as a
// subtest of t checked for leaked goroutines.
func runSecurity(t *testing.T, h Harness, s securityCluster) {
	require.NotEmpty(t, s.Password)
	sec := &secEnv{Backend: h.Backend, Caps: capabilities(t, h.Backend, kafkaclient.ClientConfig{BootstrapServers: strings.Split(s.SASLPlaintext, ",")}), s: s, wrong: "wrong-" + kafkatest.UniqueName(t, "pw")}
	runGroupCases(t, h, "security", securityCases, 0, func(*testing.T) *secEnv { c := *sec; return &c })
}

type secEnv struct {
	Backend kafkaclient.Backend
	Caps    kafkaclient.Capabilities
	s       securityCluster
	wrong   string
	// opts are options every client of the case is opened with.
	opts []kafkaclient.Option
	// secrets are more strings no error or log may hold.
	secrets []string
}

// configMap returns the settings for proto and mech with password (no SASL
// settings for SSL), plus extra, where an empty value removes the key.
func (e *secEnv) configMap(proto, mech, password string, extra kafkaclient.ConfigMap) kafkaclient.ConfigMap {
	m := kafkaclient.ConfigMap{"security.protocol": proto, "client.id": "kafkaclient-security"}
	if proto == "OAUTH" {
		maps.Copy(m, kafkaclient.ConfigMap{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "bootstrap.servers": e.s.OAuth, "ssl.ca.location": e.s.CAFile})
	} else if proto != "SSL" {
		maps.Copy(m, kafkaclient.ConfigMap{"sasl.mechanism": mech, "sasl.username": e.s.Username, "sasl.password": password})
	}
	switch proto {
	case "SASL_SSL":
		m["bootstrap.servers"] = e.s.SASLSSL
		m["ssl.ca.location"] = e.s.CAFile
	case "SSL":
		m["bootstrap.servers"] = e.s.SSL
		m["ssl.ca.location"] = e.s.CAFile
	case "OAUTH":
	default:
		m["bootstrap.servers"] = e.s.SASLPlaintext
	}
	for k, v := range extra {
		if v == "" {
			delete(m, k) // an empty value in extra removes the key
		} else {
			m[k] = v
		}
	}
	return m
}

func (e *secEnv) admin(t *testing.T, m kafkaclient.ConfigMap, logs *secLog) *kafkaclient.Admin {
	t.Helper()
	return secOpen(t, e.Backend, e.opts, m, logs, kafkaclient.NewAdminFromMap, kafkaclient.ParseAdminConfig,
		func(cfg *kafkaclient.AdminConfig) *kafkaclient.ClientConfig { return &cfg.ClientConfig }, kafkaclient.NewAdmin)
}

func (e *secEnv) producer(t *testing.T, m kafkaclient.ConfigMap, logs *secLog) *kafkaclient.Producer {
	t.Helper()
	return secOpen(t, e.Backend, e.opts, m, logs, kafkaclient.NewProducerFromMap, kafkaclient.ParseProducerConfig,
		func(cfg *kafkaclient.ProducerConfig) *kafkaclient.ClientConfig { return &cfg.ClientConfig }, kafkaclient.NewProducer)
}

func (e *secEnv) consumer(t *testing.T, m kafkaclient.ConfigMap, logs *secLog) *kafkaclient.Consumer {
	t.Helper()
	return secOpen(t, e.Backend, e.opts, m, logs, kafkaclient.NewConsumerFromMap, kafkaclient.ParseConsumerConfig,
		func(cfg *kafkaclient.ConsumerConfig) *kafkaclient.ClientConfig { return &cfg.ClientConfig }, kafkaclient.NewConsumer)
}

// secOpen opens a client on b from m, closed with secClose at the end of
// the case. Without logs it opens it with fromMap, the path most
// applications take; with logs, which only a typed config can carry, it
// parses m, sets the logger in the config's client part and opens it with
// newClient.
func secOpen[Cfg any, C interface{ Close(context.Context) error }](t *testing.T, b kafkaclient.Backend, opts []kafkaclient.Option, m kafkaclient.ConfigMap, logs *secLog,
	fromMap func(kafkaclient.ConfigMap, ...kafkaclient.Option) (C, error),
	parse func(kafkaclient.ConfigMap) (Cfg, error),
	client func(*Cfg) *kafkaclient.ClientConfig,
	newClient func(Cfg, ...kafkaclient.Option) (C, error),
) C {
	t.Helper()
	var c C
	var err error
	opts = append(slices.Clone(opts), kafkaclient.WithBackend(b))
	if logs == nil {
		c, err = fromMap(m, opts...)
	} else {
		cfg, perr := parse(m)
		require.NoError(t, perr)
		client(&cfg).Logger = logs.logger
		c, err = newClient(cfg, opts...)
	}
	require.NoError(t, err)
	t.Cleanup(func() { secClose(t, c.Close) })
	return c
}

// secClose closes a client whose connections may have been refused: a
// producer may still hold a message it could not deliver, which Close fails
// with CLOSED once its context ends.
func secClose(t *testing.T, close func(context.Context) error) {
	closeAllowing(t, close, 5*time.Second, kafkaclient.ErrTimedOut)
}

// roundTrip creates a topic, produces a message to it, consumes it and
// deletes the topic, every client authenticating with mech over proto.
func (e *secEnv) roundTrip(t *testing.T, proto, mech string, logs *secLog) {
	t.Helper()
	e.roundTripWith(t, proto, mech, nil, logs)
}

// mtls returns the client certificate settings of form: "files"
// (ssl.certificate.location, ssl.key.location), "pem" (the same as PEM
// text, the CA too) or "encrypted_key" (the key encrypted, with
// ssl.key.password). It skips t when the cluster has no mutual-TLS
// listener.
func (e *secEnv) mtls(t *testing.T, form string) kafkaclient.ConfigMap {
	t.Helper()
	if e.s.SSL == "" {
		t.Skipf("%s unset: the mutual-TLS cases run when it and %s, %s, %s and %s are set to what scripts/kafka up prints", EnvSSL, EnvSSLClientCert, EnvSSLClientKey, EnvSSLClientKeyEncrypted, EnvSSLClientKeyPassword)
	}
	switch form {
	case "pem":
		read := func(file string) string {
			b, err := os.ReadFile(file)
			require.NoError(t, err)
			return string(b)
		}
		return kafkaclient.ConfigMap{"ssl.ca.location": "", "ssl.ca.pem": read(e.s.CAFile), "ssl.certificate.pem": read(e.s.ClientCert), "ssl.key.pem": read(e.s.ClientKey)}
	case "encrypted_key":
		return kafkaclient.ConfigMap{"ssl.certificate.location": e.s.ClientCert, "ssl.key.location": e.s.ClientKeyEncrypted, "ssl.key.password": e.s.ClientKeyPassword}
	}
	return kafkaclient.ConfigMap{"ssl.certificate.location": e.s.ClientCert, "ssl.key.location": e.s.ClientKey}
}

// mtlsRefused checks that the mutual-TLS listener refuses a client without
// a certificate (cert nil), or with the certificate cert that no CA it
// trusts signed, with a typed TLS error, in time, and that no secret
// appears in errors or logs.
func (e *secEnv) mtlsRefused(t *testing.T, cert kafkaclient.ConfigMap) {
	e.mtls(t, "files") // skips without the listener
	cause := "without a client certificate"
	if cert != nil {
		cause = "with a client certificate of an unknown CA"
	}
	e.refusedOverTLS(t, cause, e.configMap("SSL", "", "", cert))
}

// roundTripWith is roundTrip with extra settings in every client's config.
func (e *secEnv) roundTripWith(t *testing.T, proto, mech string, extra kafkaclient.ConfigMap, logs *secLog) {
	t.Helper()
	ctx := Ctx(t)
	m := e.configMap(proto, mech, e.s.Password, extra)
	a := e.admin(t, m, logs)
	topic := kafkatest.UniqueName(t, "secure")
	rs, err := a.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: 1})
	require.NoError(t, err, "admin call over %s with %s", proto, mech)
	require.Len(t, rs, 1)
	require.NoError(t, rs[0].Err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = a.DeleteTopics(ctx, topic)
	})
	require.Eventually(t, func() bool {
		ds, err := a.DescribeTopics(ctx, topic)
		return err == nil && len(ds) == 1 && ds[0].Err == nil && len(ds[0].Partitions) == 1 && ds[0].Partitions[0].Leader >= 0
	}, Timeout, 100*time.Millisecond, "topic %s has a leader", topic)
	d, err := a.DescribeCluster(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, d.Brokers)

	p := e.producer(t, m, logs)
	msg := kafkaclient.NewMessage(topic, []byte("key"), []byte("secured "+mech))
	msg.Headers = []kafkaclient.Header{{Key: "h", Value: []byte("v")}}
	require.NoError(t, p.ProduceSync(ctx, msg), "produce over %s with %s", proto, mech)
	require.GreaterOrEqual(t, msg.Offset, int64(0))

	group := kafkatest.UniqueName(t, "secure-group")
	cm := e.configMap(proto, mech, e.s.Password, extra)
	maps.Copy(cm, kafkaclient.ConfigMap{"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": false})
	c := e.consumer(t, cm, logs)
	if e.Caps.ManualAssign {
		require.NoError(t, c.Assign(Ctx(t), []kafkaclient.TopicPartition{{Topic: topic, Partition: 0, Offset: kafkaclient.OffsetBeginning}}))
	} else {
		require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
	}
	got, err := c.Poll(ctx)
	require.NoError(t, err, "consume over %s with %s", proto, mech)
	assert.Equal(t, msg.Value, got.Value)
	assert.Equal(t, msg.Key, got.Key)
	// A topic created a moment ago may be unknown to the group
	// coordinator for a moment: a commit is not retried by the client, and
	// its error says whether a retry may succeed.
	commit := kafkaclient.TopicPartition{Topic: topic, Partition: 0, Offset: got.Offset + 1, LeaderEpoch: -1}
	require.NoError(t, Retrying(t, func() error { return c.CommitOffsets(ctx, commit) }))
	offsets, err := a.ListConsumerGroupOffsets(ctx, group)
	require.NoError(t, err)
	require.Len(t, offsets, 1)
	assert.Equal(t, got.Offset+1, offsets[0].Offset)
}

// wrongPassword checks that a producer and an admin with a wrong password
// fail with a typed authentication error within AuthTimeout.
func (e *secEnv) wrongPassword(t *testing.T, proto, mech string) {
	// The topic exists, so the only thing wrong is the password.
	topic := e.topic(t, e.admin(t, e.configMap(proto, mech, e.s.Password, nil), nil), "secure", 1)

	r := e.newSecRefusals(t, "with a wrong password", requireAuthError)
	bad := e.configMap(proto, mech, e.wrong, nil)
	p := e.producer(t, bad, r.logs)
	r.call("ProduceSync", func(ctx context.Context) error {
		return p.ProduceSync(ctx, kafkaclient.NewMessage(topic, nil, []byte("v")))
	})
	r.call("ProduceSync of a keyed message", func(ctx context.Context) error {
		return p.ProduceSync(ctx, kafkaclient.NewMessage(topic, []byte("keyed"), []byte("v")))
	})
	a := e.admin(t, bad, r.logs)
	r.call("DescribeCluster", func(ctx context.Context) error { _, err := a.DescribeCluster(ctx); return err })
	// A map-opened admin fails the same way.
	a2 := e.admin(t, bad, nil)
	r.call("DescribeTopics", func(ctx context.Context) error { _, err := a2.DescribeTopics(ctx, topic); return err })
	r.requireNoSecret(p.Close, a.Close)
}

// topic creates a topic of partitions with a, deleted at the end of the
// case, and returns its name.
func (e *secEnv) topic(t *testing.T, a *kafkaclient.Admin, prefix string, partitions int32) string {
	t.Helper()
	topic := kafkatest.UniqueName(t, prefix)
	rs, err := a.CreateTopics(Ctx(t), kafkaclient.TopicSpec{Name: topic, Partitions: partitions, ReplicationFactor: 1})
	require.NoError(t, err)
	require.NoError(t, rs[0].Err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = a.DeleteTopics(ctx, topic)
	})
	return topic
}

// requireAuthError asserts that err is a typed authentication failure.
func requireAuthError(t *testing.T, err error) {
	t.Helper()
	var ke *kafkaclient.Error
	require.ErrorAs(t, err, &ke, "error %v (%T) is not a *kafkaclient.Error", err, err)
	if !errors.Is(err, kafkaclient.ErrSASLAuthenticationFailed) && !errors.Is(err, kafkaclient.ErrAuthentication) {
		t.Fatalf("error is %s, want SASL_AUTHENTICATION_FAILED or AUTHENTICATION: %v", kafkaclient.CodeName(ke.Code), err)
	}
	assert.False(t, kafkaclient.IsRetriable(err), "an authentication failure is not retriable as is")
}

// untrustedCert checks that a broker certificate not signed by the
// configured CA fails with a typed TLS error within AuthTimeout.
func (e *secEnv) untrustedCert(t *testing.T) {
	ca, _ := secWriteCA(t)
	e.refusedOverTLS(t, "with an untrusted certificate", e.configMap("SASL_SSL", "SCRAM-SHA-512", e.s.Password, kafkaclient.ConfigMap{"ssl.ca.location": ca}))
}

// refusedOverTLS checks that a producer and an admin of config m fail for
// cause with a typed TLS error within AuthTimeout, and that no secret
// appears in their errors or logs.
func (e *secEnv) refusedOverTLS(t *testing.T, cause string, m kafkaclient.ConfigMap) {
	r := e.newSecRefusals(t, cause, requireSSLError)
	p := e.producer(t, m, r.logs)
	r.call("ProduceSync", func(ctx context.Context) error {
		return p.ProduceSync(ctx, kafkaclient.NewMessage(kafkatest.UniqueName(t, "secure"), nil, []byte("v")))
	})
	a := e.admin(t, m, r.logs)
	r.call("DescribeCluster", func(ctx context.Context) error { _, err := a.DescribeCluster(ctx); return err })
	r.requireNoSecret(p.Close, a.Close)
}

// requireSSLError asserts that err is a typed TLS failure.
func requireSSLError(t *testing.T, err error) {
	t.Helper()
	var ke *kafkaclient.Error
	require.ErrorAs(t, err, &ke)
	require.ErrorIs(t, err, kafkaclient.ErrSSL, "error is %s: %v", kafkaclient.CodeName(ke.Code), err)
	assert.False(t, kafkaclient.IsRetriable(err))
}

// secRefusals checks calls that the broker must refuse for one cause, and
// keeps their errors and the clients' debug log to search for secrets.
type secRefusals struct {
	t     *testing.T
	e     *secEnv
	cause string // "with a wrong password"
	typed func(t *testing.T, err error)
	logs  *secLog
	errs  []string
}

// newSecRefusals returns a secRefusals whose calls must fail for cause
// with an error typed accepts.
func (e *secEnv) newSecRefusals(t *testing.T, cause string, typed func(t *testing.T, err error)) *secRefusals {
	return &secRefusals{t: t, e: e, cause: cause, typed: typed, logs: newSecLog()}
}

// call runs fn with a context of AuthTimeout and requires that it fails,
// before AuthTimeout, with an error r accepts.
func (r *secRefusals) call(what string, fn func(ctx context.Context) error) {
	t := r.t
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), AuthTimeout)
	err := fn(ctx)
	cancel()
	elapsed := time.Since(start)
	require.Error(t, err, "%s %s", what, r.cause)
	r.errs = append(r.errs, err.Error())
	t.Logf("%s %s, after %v: %v", what, r.cause, elapsed.Round(time.Millisecond), err)
	assert.Less(t, elapsed, AuthTimeout, "%s: no answer within %v", what, AuthTimeout)
	r.typed(t, err)
}

// requireNoSecret closes the clients, so that their log is complete, and
// requires that neither the errors of the calls nor the log holds a
// password.
func (r *secRefusals) requireNoSecret(closers ...func(context.Context) error) {
	r.t.Helper()
	for _, close := range closers {
		secClose(r.t, close)
	}
	r.e.requireNoSecret(r.t, "an error", strings.Join(r.errs, "\n"))
	r.e.requireNoSecret(r.t, "the debug log", r.logs.String())
}

// requireNoSecret fails t if text holds a password.
func (e *secEnv) requireNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, secret := range append([]string{e.s.Password, e.wrong}, e.secrets...) {
		if i := strings.Index(text, secret); i >= 0 {
			lo, hi := max(0, i-200), min(len(text), i+len(secret)+50)
			t.Errorf("%s holds a password: ...%s...", where, text[lo:hi])
		}
	}
}

// secLog is a debug-level slog logger writing to a buffer.
type secLog struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	logger *slog.Logger
}

func newSecLog() *secLog {
	l := &secLog{}
	l.logger = slog.New(slog.NewTextHandler(secWriter{l}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return l
}

type secWriter struct{ l *secLog }

func (w secWriter) Write(b []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.buf.Write(b)
}

func (l *secLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// secWriteCA writes the certificate of a new, unrelated, self-signed CA,
// and its key, to files and returns their paths. The CA's certificate also
// serves as a client certificate that no broker trusts.
func secWriteCA(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "kafkaclient untrusted test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "untrusted-ca.pem"), filepath.Join(dir, "untrusted-ca.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}
