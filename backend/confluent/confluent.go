//go:build cgo

// Package confluent is the kafkaclient backend over
// github.com/confluentinc/confluent-kafka-go/v2, which wraps librdkafka
// through cgo. It needs a C toolchain (CGO_ENABLED=1); the module bundles a
// static librdkafka for glibc and musl Linux (build with -tags musl on
// Alpine), macOS and Windows. The repository's scripts/cross cross-compiles
// it from linux/amd64 for linux/arm64 and windows/amd64.
//
// Most code should use package kafkaclient and never import this package.
// Build with the kafkaclient_confluent tag to make it the default backend,
// or pick it explicitly for one client:
//
//	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(confluent.New()))
//
// # Capabilities
//
// Everything: transactions, idempotence, read_committed, rebalance
// callbacks, cooperative-sticky, pause/resume, manual assignment, seek,
// static membership; but on Windows no snappy compression (its librdkafka
// is built without it), so compression.type=snappy is CodeUnsupported there.
//
// # Behaviour
//
// Keyed messages arrive with the partition the root package computed;
// messages with a nil key are spread by librdkafka's murmur2_random
// partitioner. Librdkafka's logs go to ClientConfig.Logger (never to
// stderr), and its client telemetry push is off. ClientConfig.BackendOptions
// are librdkafka properties, set last, so they override what the backend
// derives from the config; a property librdkafka does not know is
// CodeBadConfig.
//
// A transactional producer's delivery timeout is capped at its transaction
// timeout, and its socket timeout at the transaction timeout plus 100ms, as
// librdkafka requires.
//
// Librdkafka needs a group.id even for a consumer that only uses Assign: a
// consumer opened without GroupID gets a private one, which is never used
// to commit.
//
// Librdkafka cannot reach the cluster-wide broker configs (a broker
// resource named ""), nor ACLs of the delegation-token and user resource
// types or the token operations: those calls fail with CodeUnsupported.
//
// # As
//
// Producer supports As with **kafka.Producer, Consumer with
// **kafka.Consumer, and Admin with **kafka.AdminClient and **kafka.Producer
// (the handle the admin client runs on), package kafka being
// github.com/confluentinc/confluent-kafka-go/v2/kafka.
package confluent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Name is the backend's name.
const Name = "confluent"

var identity = backend.Register(Name, capabilities())

// capabilities is every config-level capability, and no snappy where the
// bundled librdkafka leaves it out (librdkafkaSnappy).
func capabilities() backend.Capabilities {
	caps := backend.AllCapabilities
	caps.NoSnappy = !librdkafkaSnappy
	return caps
}

type confluentBackend struct{ backend.Identity }

// New returns the confluent backend.
func New() backend.Backend { return confluentBackend{identity} }

// Code maps librdkafka errors to codes. Kafka protocol codes are passed
// through, and so are librdkafka's local (negative) codes whose numbers the
// client-side codes share; localCodes maps the others that have a
// client-side condition, and any other is CodeFailed.
func (confluentBackend) Code(err error) backend.Code {
	var ke kafka.Error
	if !errors.As(err, &ke) {
		return backend.CodeFailed
	}
	c := ke.Code()
	if isRefusal(ke) && c == kafka.ErrTransport {
		return backend.CodeSSL // a TLS alert from the broker
	}
	if code, ok := localCodes[c]; ok {
		return code
	}
	if c >= -1 || backend.IsClientCode(backend.Code(c)) {
		return backend.Code(c)
	}
	return backend.CodeFailed
}

// localCodes maps librdkafka's local codes whose condition has a
// client-side code under another number.
var localCodes = map[kafka.ErrorCode]backend.Code{
	kafka.ErrUnknownTopic:         backend.CodeUnknownTopicOrPartition,
	kafka.ErrUnknownPartition:     backend.CodeUnknownTopicOrPartition,
	kafka.ErrUnsupportedFeature:   backend.CodeUnsupported,
	kafka.ErrUnknownProtocol:      backend.CodeUnsupported,
	kafka.ErrResolve:              backend.CodeTransport,
	kafka.ErrNodeUpdate:           backend.CodeTransport,
	kafka.ErrDestroyBroker:        backend.CodeTransport,
	kafka.ErrTimedOutQueue:        backend.CodeTimedOut,
	kafka.ErrInvalidType:          backend.CodeInvalidArg,
	kafka.ErrBadMsg:               backend.CodeInvalidArg,
	kafka.ErrNotConfigured:        backend.CodeState,
	kafka.ErrPrevInProgress:       backend.CodeState,
	kafka.ErrExistingSubscription: backend.CodeState,
	kafka.ErrPurgeQueue:           backend.CodeState,
	kafka.ErrPurgeInflight:        backend.CodeState,
	kafka.ErrIsrInsuff:            backend.CodeNotEnoughReplicas,
	kafka.ErrAutoOffsetReset:      backend.CodeOffsetOutOfRange,
	kafka.ErrWaitCoord:            backend.CodeCoordinatorNotAvailable,
	kafka.ErrAssignPartitions:     backend.CodeRebalanceInProgress,
	kafka.ErrRevokePartitions:     backend.CodeRebalanceInProgress,
}

// isRefusal reports whether e is the broker refusing the client for good:
// its credentials (ErrAuthentication), its TLS setup (ErrSsl), or a TLS
// alert the broker sent, such as a missing or untrusted client certificate,
// which librdkafka reports as ErrTransport with OpenSSL's "SSL alert
// number" in the text (the only place it says so).
func isRefusal(e kafka.Error) bool {
	switch e.Code() {
	case kafka.ErrAuthentication, kafka.ErrSsl:
		return true
	case kafka.ErrTransport:
		return strings.Contains(e.String(), "SSL alert number")
	}
	return false
}

// isErr reports whether e carries an error (kafka.Error values with
// ErrNoError mean success).
func isErr(e kafka.Error) bool { return e.Code() != kafka.ErrNoError }

// errOrNil returns e as an error, or nil when it carries no error.
func errOrNil(e kafka.Error) error {
	if isErr(e) {
		return e
	}
	return nil
}

// clientConfig builds the librdkafka properties shared by every client.
// Logs go to logs instead of stderr.
func clientConfig(c backend.ClientConfig, logs chan kafka.LogEvent) kafka.ConfigMap {
	cm := kafka.ConfigMap{
		"bootstrap.servers":      strings.Join(c.BootstrapServers, ","),
		"client.id":              c.ClientID,
		"socket.timeout.ms":      ms(clamp(c.RequestTimeout, 10*time.Millisecond, 300*time.Second)),
		"enable.metrics.push":    false,
		"go.logs.channel.enable": true,
		"go.logs.channel":        logs,
		"log_level":              syslogLevels.Filter(c.Logger),
	}
	s := c.Security
	if s.Protocol != "" {
		cm["security.protocol"] = strings.ToLower(string(s.Protocol))
	}
	if s.Protocol.UsesSASL() {
		cm["sasl.mechanisms"] = string(cmp.Or(s.Mechanism, backend.SASLPlain))
		if s.Mechanism != backend.SASLOAuthBearer {
			cm["sasl.username"] = s.Username
			cm["sasl.password"] = s.Password
		}
	}
	if s.Protocol.UsesTLS() {
		// Unset files and password are left to librdkafka's defaults.
		for k, v := range map[string]string{
			"ssl.ca.location": s.CAFile, "ssl.certificate.location": s.CertFile,
			"ssl.key.location": s.KeyFile, "ssl.key.password": s.KeyPassword,
			"ssl.ca.pem": s.CAPEM, "ssl.certificate.pem": s.CertPEM, "ssl.key.pem": s.KeyPEM,
		} {
			if v != "" {
				cm[k] = v
			}
		}
		algorithm := "https"
		if s.SkipHostnameVerification {
			algorithm = "none"
		}
		cm["ssl.endpoint.identification.algorithm"] = algorithm
	}
	return cm
}

// open makes a librdkafka client with newClient from the shared settings,
// then props, then the user's librdkafka properties (BackendOptions), last;
// its logs go to a forwarder that the caller closes after the client.
func open[T any](c backend.ClientConfig, props kafka.ConfigMap, newClient func(*kafka.ConfigMap) (T, error)) (T, *logForwarder, error) {
	logs := newLogForwarder(c.Logger)
	cm := clientConfig(c, logs.ch)
	maps.Copy(cm, props)
	for k, v := range c.BackendOptions {
		cm[k] = v
	}
	client, err := newClient(&cm)
	if err != nil {
		logs.close()
		return client, nil, openErr(err)
	}
	if c.Security.Protocol.UsesSASL() && c.Security.Mechanism == backend.SASLOAuthBearer {
		if h, ok := any(client).(kafka.Handle); ok {
			logs.tokens = startTokens(h, c.Security.TokenProvider)
		}
	}
	return client, logs, nil
}

// tokenRefresher sets SASL/OAUTHBEARER tokens from a TokenProvider on a
// librdkafka client: the first at once, each next when the last one is due
// for refresh, backend.RefreshTime (librdkafka re-authenticates its
// connections with it, KIP-368), and on failure the error after a backoff.
// It does not wait for librdkafka's refresh events, so that a client whose
// events are not read (the admin) gets its tokens the same way; librdkafka's
// brokers wait for the first token before they authenticate.
type tokenRefresher struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startTokens(h kafka.Handle, tokens backend.TokenProvider) *tokenRefresher {
	ctx, cancel := context.WithCancel(context.Background())
	r := &tokenRefresher{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		backoff := time.Second
		for {
			now := time.Now()
			t, err := tokens(ctx)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				err = h.SetOAuthBearerToken(kafka.OAuthBearerToken{TokenValue: t.Value, Expiration: t.Expiry, Principal: cmp.Or(t.Principal, "kafkaclient"), Extensions: t.Extensions})
			}
			next := backend.RefreshTime(now, t.Expiry).Sub(now)
			if err != nil {
				h.SetOAuthBearerTokenFailure(err.Error()) //nolint:errcheck // fails only without OAUTHBEARER
				next, backoff = backoff, min(2*backoff, 30*time.Second)
			} else {
				backoff = time.Second
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(max(next, 100*time.Millisecond)):
			}
		}
	}()
	return r
}

// stopTokens stops the token refresher, if any: call it before the client
// is destroyed.
func (f *logForwarder) stopTokens() {
	if f.tokens != nil {
		f.tokens.cancel()
		<-f.tokens.done
	}
}

// openErr turns an error of kafka.NewProducer/NewConsumer/NewAdminClient
// into a config error: librdkafka refuses unknown or invalid properties
// there.
func openErr(err error) error {
	if strings.Contains(err.Error(), "not enabled at build time") {
		return backend.WithCode(backend.CodeUnsupported, fmt.Errorf("this build of librdkafka lacks a feature the configuration asks for: %w", err))
	}
	return backend.WithCode(backend.CodeBadConfig, fmt.Errorf("librdkafka refused the configuration: %w", err))
}

// handle guards a librdkafka client against use after it is destroyed:
// calls hold it while they use the client, destroy waits for them.
type handle struct {
	mu        sync.RWMutex
	destroyed bool
}

// acquire holds h for a call; it is false, and the call fails with
// CodeClosed, once the client is destroyed or being destroyed.
func (h *handle) acquire() bool {
	if !h.mu.TryRLock() {
		return false
	}
	if h.destroyed {
		h.mu.RUnlock()
		return false
	}
	return true
}

// release ends a call that acquire let in.
func (h *handle) release() { h.mu.RUnlock() }

// destroy runs fn, which destroys the client, once no call holds h; later
// calls do nothing.
func (h *handle) destroy(fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.destroyed {
		h.destroyed = true
		fn()
	}
}

func ms(d time.Duration) int { return int(d / time.Millisecond) }

func clamp(d, lo, hi time.Duration) time.Duration { return max(lo, min(d, hi)) }

// timeoutMs returns the time left until ctx's deadline in milliseconds,
// capped at def, and at least 1.
func timeoutMs(ctx context.Context, def time.Duration) int {
	d := def
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(dl))
	}
	return max(1, ms(d))
}

// syslogLevels are librdkafka's log levels (log_level, LogEvent.Level).
var syslogLevels = backend.LogLevels[int]{Off: 0, Error: 3, Warn: 4, Info: 6, Debug: 7}

// logForwarder sends librdkafka's log events to a slog.Logger (nil:
// discard) until stopped.
type logForwarder struct {
	ch   chan kafka.LogEvent
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// tokens is the client's token refresher, with OAUTHBEARER.
	tokens *tokenRefresher
}

func newLogForwarder(l *slog.Logger) *logForwarder {
	f := &logForwarder{ch: make(chan kafka.LogEvent, 256), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for {
			select {
			case ev := <-f.ch:
				logEvent(l, ev)
			case <-f.stop:
				// The client is closed: what it sent is all buffered.
				for len(f.ch) > 0 {
					logEvent(l, <-f.ch)
				}
				return
			}
		}
	}()
	return f
}

// close stops the forwarder once the client no longer sends to it.
func (f *logForwarder) close() {
	f.once.Do(func() { close(f.stop) })
	<-f.done
}

func logEvent(l *slog.Logger, ev kafka.LogEvent) {
	backend.Log(l, Name, syslogLevels.Slog(ev.Level), ev.Message, "client", ev.Name, "tag", ev.Tag)
}

// toKafkaTP converts partitions for librdkafka. Offsets share their special
// values (OffsetBeginning, OffsetEnd, OffsetStored, OffsetInvalid).
func toKafkaTP(tps []backend.TopicPartition) []kafka.TopicPartition {
	out := make([]kafka.TopicPartition, len(tps))
	for i, tp := range tps {
		// tp is a copy of its own in each iteration.
		out[i] = kafka.TopicPartition{Topic: &tp.Topic, Partition: tp.Partition, Offset: kafka.Offset(tp.Offset)}
		if tp.Metadata != "" {
			out[i].Metadata = &tp.Metadata
		}
		if tp.LeaderEpoch >= 0 {
			out[i].LeaderEpoch = &tp.LeaderEpoch
		}
	}
	return out
}

func fromKafkaTP(tp kafka.TopicPartition) backend.TopicPartition {
	out := backend.TopicPartition{Partition: tp.Partition, Offset: int64(tp.Offset), LeaderEpoch: -1}
	if tp.Topic != nil {
		out.Topic = *tp.Topic
	}
	if tp.Metadata != nil {
		out.Metadata = *tp.Metadata
	}
	if tp.LeaderEpoch != nil {
		out.LeaderEpoch = *tp.LeaderEpoch
	}
	return out
}

// firstErr returns err, else the first error errOf finds in rs: librdkafka
// reports the failure of a whole call and of each of its items apart.
func firstErr[R any](rs []R, err error, errOf func(R) error) error {
	for i := 0; err == nil && i < len(rs); i++ {
		err = errOf(rs[i])
	}
	return err
}

// tpError is a partition's error, for firstErr.
func tpError(tp kafka.TopicPartition) error { return tp.Error }
