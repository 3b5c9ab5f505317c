// Package franz is the kafkaclient backend over github.com/twmb/franz-go, pure
// Go. It is the default backend: a build without a backend tag uses it.
//
// Most code should use package kafkaclient and never import this package.
// Import it to pick franz explicitly for one client:
//
//	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(franz.New()))
//
// # Capabilities
//
// Everything: transactions, idempotence, read_committed, rebalance
// callbacks, cooperative-sticky, pause/resume, manual assignment, seek,
// static membership.
//
// # As
//
// Producer, Consumer and Admin support As with **kgo.Client; Admin also with
// **kadm.Client. A consumer's client exists once Subscribe or Assign has
// been called.
package franz

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Name is the backend's name.
const Name = "franz"

type franzBackend struct{}

// New returns the franz backend.
func New() backend.Backend { return franzBackend{} }

func (franzBackend) Name() string { return Name }

func (franzBackend) Capabilities() backend.Capabilities {
	return backend.Capabilities{
		Transactions:         true,
		Idempotence:          true,
		ReadCommitted:        true,
		RebalanceCallbacks:   true,
		CooperativeRebalance: true,
		PauseResume:          true,
		ManualAssign:         true,
		Seek:                 true,
		StaticMembership:     true,
	}
}

// Code maps franz-go errors to codes.
func (franzBackend) Code(err error) backend.Code {
	var ke *kerr.Error
	switch {
	case errors.As(err, &ke):
		return backend.Code(ke.Code)
	case errors.Is(err, kgo.ErrClientClosed):
		return backend.CodeClosed
	case errors.Is(err, kgo.ErrMaxBuffered):
		return backend.CodeQueueFull
	case errors.Is(err, kgo.ErrRecordTimeout), errors.Is(err, kgo.ErrRecordRetries):
		return backend.CodeMsgTimedOut
	case errors.Is(err, kgo.ErrAborting):
		return backend.CodeState
	case errors.Is(err, context.DeadlineExceeded):
		return backend.CodeTimedOut
	case errors.Is(err, context.Canceled):
		return backend.CodeCanceled
	}
	var fe *kgo.ErrFirstReadEOF
	if errors.As(err, &fe) {
		// The broker closed the connection before answering: a TLS/SASL
		// mismatch or refused credentials.
		return backend.CodeAuthentication
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &recErr) {
		return backend.CodeSSL
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return backend.CodeTransport
	}
	if strings.Contains(err.Error(), "unable to dial") {
		return backend.CodeTransport
	}
	if strings.Contains(err.Error(), "invalid record partitioning choice") {
		// franz-go's untyped error for a record whose partition the
		// topic does not have.
		return backend.CodeUnknownTopicOrPartition
	}
	return backend.CodeFailed
}

// clientOpts translates the shared settings.
func clientOpts(c backend.ClientConfig) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.BootstrapServers...),
		kgo.ClientID(c.ClientID),
		kgo.RequestTimeoutOverhead(c.RequestTimeout),
		kgo.WithLogger(slogLogger{c.Logger}),
		// franz-go waits at least MetadataMinAge (5 s by default) between
		// metadata refreshes that a failed request asks for, such as
		// after NOT_LEADER or a partition still being created: a Flush
		// right after a topic's creation could wait 5 s. librdkafka and
		// the Java client retry metadata after about 100 ms.
		kgo.MetadataMinAge(500 * time.Millisecond),
	}
	if len(c.BackendOptions) > 0 {
		keys := make([]string, 0, len(c.BackendOptions))
		for k := range c.BackendOptions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, backend.Errorf(backend.CodeBadConfig, "backend option %q is unknown: the franz backend takes no backend options", Name+"."+keys[0])
	}
	s := c.Security
	if s.Protocol.UsesTLS() {
		tc, err := backend.TLSConfig(s, Name)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if s.Protocol.UsesSASL() {
		var m sasl.Mechanism
		switch s.Mechanism {
		case backend.SASLPlain:
			m = plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()
		case backend.SASLScramSHA256:
			m = scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()
		case backend.SASLScramSHA512:
			m = scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()
		default:
			return nil, backend.Errorf(backend.CodeUnsupported, "sasl.mechanism %s is not supported by the franz backend", s.Mechanism)
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// slogLogger sends franz-go's logs to a slog.Logger (nil: discard).
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Level() kgo.LogLevel {
	if s.l == nil {
		return kgo.LogLevelNone
	}
	switch {
	case s.l.Enabled(context.Background(), slog.LevelDebug):
		return kgo.LogLevelDebug
	case s.l.Enabled(context.Background(), slog.LevelInfo):
		return kgo.LogLevelInfo
	case s.l.Enabled(context.Background(), slog.LevelWarn):
		return kgo.LogLevelWarn
	}
	return kgo.LogLevelError
}

func (s slogLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	if s.l == nil {
		return
	}
	var l slog.Level
	switch level {
	case kgo.LogLevelError:
		l = slog.LevelError
	case kgo.LogLevelWarn:
		l = slog.LevelWarn
	case kgo.LogLevelInfo:
		l = slog.LevelInfo
	default:
		l = slog.LevelDebug
	}
	s.l.Log(context.Background(), l, msg, keyvals...)
}

// toHeaders converts headers for franz-go.
func toHeaders(hs []backend.Header) []kgo.RecordHeader {
	if len(hs) == 0 {
		return nil
	}
	out := make([]kgo.RecordHeader, len(hs))
	for i, h := range hs {
		out[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
	}
	return out
}

func fromHeaders(hs []kgo.RecordHeader) []backend.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]backend.Header, len(hs))
	for i, h := range hs {
		out[i] = backend.Header{Key: h.Key, Value: h.Value}
	}
	return out
}

// asClient implements As for *kgo.Client.
// toRecord builds the franz-go record that produces m.
func toRecord(m *backend.Message) *kgo.Record {
	r := new(kgo.Record)
	fillRecord(r, m)
	return r
}

// fillRecord sets the fields of r that produce m.
func fillRecord(r *kgo.Record, m *backend.Message) {
	r.Topic = m.Topic
	r.Partition = m.Partition
	r.Key = m.Key
	r.Value = m.Value
	r.Headers = toHeaders(m.Headers)
	r.Timestamp = m.Timestamp
}

// fromRecord fills m from the consumed record r.
func fromRecord(m *backend.Message, r *kgo.Record) {
	m.Topic, m.Partition, m.Offset = r.Topic, r.Partition, r.Offset
	m.Key, m.Value, m.Headers = r.Key, r.Value, fromHeaders(r.Headers)
	m.Timestamp, m.LeaderEpoch = r.Timestamp, r.LeaderEpoch
}

func asClient(cl *kgo.Client, target any) bool {
	if p, ok := target.(**kgo.Client); ok && cl != nil {
		*p = cl
		return true
	}
	return false
}

// closeWithin runs fn (which cannot be interrupted) and waits for it or ctx.
func closeWithin(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
