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
// Producer, Consumer and Admin support As with **kgo.Client and
// **kadm.Client (the admin client over the same connections). A consumer's
// clients exist once Subscribe or Assign has been called.
package franz

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Name is the backend's name.
const Name = "franz"

var identity = backend.Register(Name, backend.AllCapabilities)

type franzBackend struct{ backend.Identity }

// New returns the franz backend.
func New() backend.Backend { return franzBackend{identity} }

// Code maps franz-go errors to codes.
func (franzBackend) Code(err error) backend.Code {
	var (
		ke *kerr.Error
		fe *kgo.ErrFirstReadEOF
	)
	netCode, isNet := backend.NetworkCode(err)
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
	case errors.As(err, &fe):
		// The broker closed the connection before answering: a TLS/SASL
		// mismatch or refused credentials.
		return backend.CodeAuthentication
	case isNet:
		return netCode
	case strings.Contains(err.Error(), "unable to dial"):
		return backend.CodeTransport
	case strings.Contains(err.Error(), "invalid record partitioning choice"):
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
	if err := backend.NoBackendOptions(c, Name); err != nil {
		return nil, err
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
		case backend.SASLOAuthBearer:
			// franz-go asks for a token per authentication, and
			// re-authenticates before the broker's session ends (KIP-368).
			tokens := s.TokenProvider
			m = oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
				t, err := tokens(ctx)
				return oauth.Auth{Token: t.Value, Extensions: t.Extensions}, err
			})
		default:
			return nil, backend.Unsupported(Name, "sasl.mechanism "+string(s.Mechanism))
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// clients is a franz-go client and the admin client over its connections.
type clients struct {
	cl  *kgo.Client
	adm *kadm.Client
}

// newClients opens a client; options franz-go refuses are CodeBadConfig.
func newClients(opts []kgo.Opt) (clients, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return clients{}, backend.WithCode(backend.CodeBadConfig, err)
	}
	return clients{cl, kadm.NewClient(cl)}, nil
}

// Close closes the client, returning by ctx's deadline.
func (c clients) Close(ctx context.Context) error {
	return backend.RunWithin(ctx, func() error { c.cl.Close(); return nil })
}

// As exposes the clients the package doc lists.
func (c clients) As(target any) bool {
	return backend.SetAs(target, c.adm) || backend.SetAs(target, c.cl)
}

// slogLogger sends franz-go's logs to a slog.Logger (nil: discard).
type slogLogger struct{ l *slog.Logger }

// levels are franz-go's log levels.
var levels = backend.LogLevels[kgo.LogLevel]{
	Off: kgo.LogLevelNone, Error: kgo.LogLevelError, Warn: kgo.LogLevelWarn, Info: kgo.LogLevelInfo, Debug: kgo.LogLevelDebug,
}

func (s slogLogger) Level() kgo.LogLevel { return levels.Filter(s.l) }

func (s slogLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	backend.Log(s.l, Name, levels.Slog(level), msg, keyvals...)
}

// fillRecord sets the fields of r that produce m.
func fillRecord(r *kgo.Record, m *backend.Message) {
	r.Topic, r.Partition, r.Timestamp = m.Topic, m.Partition, m.Timestamp
	r.Key, r.Value = m.Key, m.Value
	r.Headers = backend.Convert(m.Headers, func(h backend.Header) kgo.RecordHeader { return kgo.RecordHeader(h) })
}

// fromRecord fills m from the consumed record r.
func fromRecord(m *backend.Message, r *kgo.Record) {
	m.Topic, m.Partition, m.Offset = r.Topic, r.Partition, r.Offset
	m.Key, m.Value = r.Key, r.Value
	m.Headers = backend.Convert(r.Headers, func(h kgo.RecordHeader) backend.Header { return backend.Header(h) })
	m.Timestamp, m.LeaderEpoch = r.Timestamp, r.LeaderEpoch
}

// listOffsets answers reqs with ListOffsets requests, which franz-go sends
// to each partition's leader, at isolation (0 read_uncommitted, 1
// read_committed).
func listOffsets(ctx context.Context, cl *kgo.Client, isolation int8, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID, req.IsolationLevel = -1, isolation
	idx := map[string]int{}
	for _, r := range reqs {
		i, ok := idx[r.Topic]
		if !ok {
			i, idx[r.Topic] = len(req.Topics), len(req.Topics)
			t := kmsg.NewListOffsetsRequestTopic()
			t.Topic = r.Topic
			req.Topics = append(req.Topics, t)
		}
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Partition, p.Timestamp, p.CurrentLeaderEpoch = r.Partition, r.Query, -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	var out []backend.ListedOffset
	for _, sh := range cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			for _, t := range sh.Req.(*kmsg.ListOffsetsRequest).Topics {
				for _, p := range t.Partitions {
					out = append(out, backend.ListedOffset{Topic: t.Topic, Partition: p.Partition, Offset: backend.OffsetInvalid, LeaderEpoch: -1, Err: sh.Err})
				}
			}
			continue
		}
		for _, t := range sh.Resp.(*kmsg.ListOffsetsResponse).Topics {
			for _, p := range t.Partitions {
				l := backend.ListedOffset{Topic: t.Topic, Partition: p.Partition, Offset: p.Offset, LeaderEpoch: p.LeaderEpoch, Err: kerr.ErrorForCode(p.ErrorCode)}
				if p.Timestamp >= 0 {
					l.Timestamp = time.UnixMilli(p.Timestamp)
				}
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// retryBackoff is how long retryWhile waits between two tries.
const retryBackoff = 20 * time.Millisecond

// retryWhile calls do until it returns an error other than transient, or
// ctx ends (then it returns do's last error).
func retryWhile(ctx context.Context, transient error, do func() error) error {
	for {
		err := do()
		if !errors.Is(err, transient) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(retryBackoff):
		}
	}
}
