// Package sarama is the kafkaclient backend over github.com/IBM/sarama,
// pure Go.
//
// Most code should use package kafkaclient and never import this package.
// Build with the kafkaclient_sarama tag to make it the default backend, or
// import it to pick it explicitly for one client:
//
//	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(sarama.New()))
//
// # Capabilities
//
// Idempotence, transactions, read_committed, the cooperative-sticky
// assignor and static membership. The consumer runs Sarama's
// ConsumerGroup; a session's partitions are reported Assigned when it
// starts and Revoked (or Lost, when the member was fenced or its session
// expired) when it ends, and under cooperative-sticky only the partitions
// that move are. Manual assignment and seek read through a second
// sarama.Consumer. Pause keeps what was fetched of a partition queued,
// and Poll skips it until Resume.
//
// Not available: the consumer group protocol of KIP-848 (Sarama speaks the
// classic one), share groups, and the largest-timestamp offset query
// (Sarama speaks ListOffsets up to v6; the query needs v7).
//
// AbortTransaction cannot drop messages still buffered: Sarama delivers
// them and then aborts, so their reports are successes while a
// read_committed reader never sees them.
//
// # Settings
//
// Every kafkaclient setting maps onto sarama.Config; the defaults are the
// library's (acks=all, 5ms linger). Sarama counts retries and has no
// delivery timeout, so messages it gives up on are sent again until
// delivery.timeout.ms. One backend option is taken: "sarama.version", the
// Kafka protocol version to speak (default 3.6.0; request versions are
// lowered to what each broker supports).
//
// Sarama's loggers and metrics are process-wide: log lines go to the
// loggers of every open client, and this package turns off go-metrics
// (metrics.UseNilMetrics), whose meters start a goroutine that never ends.
//
// # As
//
// Producer, Consumer and Admin support As with *sarama.Client. Producer also
// supports *sarama.AsyncProducer once it has connected (a Flush with a
// linger over 100ms closes it and opens another: get it again after one), Consumer
// *sarama.ConsumerGroup once Subscribe has been called and *sarama.Consumer
// once Assign has been, and Admin *sarama.ClusterAdmin (which As makes
// when no call has yet: making one asks the cluster for its controller).
package sarama

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/eapache/go-resiliency/breaker"
	"github.com/rcrowley/go-metrics"
	"github.com/xdg-go/scram"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Name is the backend's name.
const Name = "sarama"

var identity = backend.Register(Name, backend.Capabilities{
	Idempotence: true, ReadCommitted: true, CooperativeRebalance: true, StaticMembership: true,
})

type saramaBackend struct{ backend.Identity }

// New returns the sarama backend.
func New() backend.Backend { return saramaBackend{identity} }

func init() {
	metrics.UseNilMetrics = true
	sarama.Logger = logs
}

// Code maps Sarama's errors to codes.
func (saramaBackend) Code(err error) backend.Code { return codeOf(err) }

func codeOf(err error) backend.Code {
	var (
		ke  sarama.KError
		cfg sarama.ConfigurationError
	)
	if errors.As(err, &ke) {
		return backend.Code(ke)
	}
	if ke, ok := wrappedKError(err); ok {
		return backend.Code(ke)
	}
	if code, ok := backend.NetworkCode(err); ok && code == backend.CodeSSL {
		return code
	}
	switch {
	case err == nil:
		return backend.CodeNone
	case errors.Is(err, sarama.ErrOutOfBrokers), errors.Is(err, sarama.ErrControllerNotAvailable), errors.Is(err, breaker.ErrBreakerOpen):
		return backend.CodeAllBrokersDown
	case errors.Is(err, sarama.ErrNotConnected), errors.Is(err, sarama.ErrBrokerNotFound), errors.Is(err, sarama.ErrConsumerRetriesExhausted):
		return backend.CodeTransport
	case errors.Is(err, sarama.ErrClosedClient), errors.Is(err, sarama.ErrClosedConsumerGroup), errors.Is(err, sarama.ErrShuttingDown):
		return backend.CodeClosed
	case errors.Is(err, sarama.ErrMessageTooLarge):
		return backend.Code(sarama.ErrMessageSizeTooLarge)
	case errors.As(err, &cfg):
		return backend.CodeBadConfig
	case errors.Is(err, sarama.ErrInvalidPartition):
		return backend.Code(sarama.ErrUnknownTopicOrPartition)
	case errors.Is(err, sarama.ErrTransactionNotReady), errors.Is(err, sarama.ErrTransitionNotAllowed), errors.Is(err, sarama.ErrNonTransactedProducer):
		return backend.CodeState
	case errors.Is(err, sarama.ErrProducerRetryBufferOverflow):
		return backend.CodeQueueFull
	case errors.Is(err, context.DeadlineExceeded):
		return backend.CodeTimedOut
	case errors.Is(err, context.Canceled):
		return backend.CodeCanceled
	}
	if code, ok := backend.NetworkCode(err); ok {
		return code
	}
	return backend.CodeFailed
}

// maxKError is the largest Kafka error code Sarama knows.
const maxKError = 140

// wrappedKError finds a Kafka error that errors.As cannot: Sarama's
// sarama.Wrap makes an error (a SASL refusal with the broker's message,
// say) that matches its Kafka error with errors.Is only.
func wrappedKError(err error) (sarama.KError, bool) {
	if err == nil {
		return 0, false
	}
	for ke := sarama.KError(1); ke <= maxKError; ke++ {
		if errors.Is(err, ke) {
			return ke, true
		}
	}
	return 0, false
}

// retriable reports whether a send failed for a reason that may pass: a
// Kafka error the Java client retries, or a cluster out of reach.
func retriable(err error) bool {
	switch code := codeOf(err); {
	case errors.Is(err, sarama.ErrInvalidPartition): // a partition the topic lacks
		return false
	case code == backend.CodeAllBrokersDown, code == backend.CodeTransport:
		return true
	default:
		return slices.Contains(retriableKErrors, sarama.KError(code))
	}
}

// retriableKErrors are the Kafka errors of Java's RetriableException.
var retriableKErrors = []sarama.KError{
	sarama.ErrUnknownTopicOrPartition, sarama.ErrLeaderNotAvailable, sarama.ErrNotLeaderForPartition,
	sarama.ErrRequestTimedOut, sarama.ErrReplicaNotAvailable, sarama.ErrNetworkException, sarama.ErrNotEnoughReplicas,
	sarama.ErrNotEnoughReplicasAfterAppend, sarama.ErrNotController, sarama.ErrConcurrentTransactions,
	sarama.ErrKafkaStorageError, sarama.ErrFencedLeaderEpoch, sarama.ErrUnknownLeaderEpoch, sarama.ErrThrottlingQuotaExceeded,
	sarama.ErrInvalidMessage, sarama.ErrOffsetsLoadInProgress, sarama.ErrConsumerCoordinatorNotAvailable, sarama.ErrNotCoordinatorForConsumer,
	sarama.ErrFetchSessionIDNotFound, sarama.ErrInvalidFetchSessionEpoch, sarama.ErrListenerNotFound, sarama.ErrOffsetNotAvailable,
	sarama.ErrPreferredLeaderNotAvailable, sarama.ErrEligibleLeadersNotAvailable, sarama.ErrUnstableOffsetCommit,
}

// defaultVersion is the protocol version spoken unless sarama.version says
// otherwise: new enough for epoch bumps, cooperative rebalancing and static
// membership.
var defaultVersion = sarama.V3_6_0_0

// newConfig maps the settings every client shares.
func newConfig(c backend.ClientConfig) (*sarama.Config, error) {
	sc := sarama.NewConfig()
	sc.Version = defaultVersion
	for _, k := range slices.Sorted(maps.Keys(c.BackendOptions)) {
		if k != "version" {
			return nil, backend.Errorf(backend.CodeBadConfig, "backend option %q is unknown: the sarama backend takes only sarama.version", Name+"."+k)
		}
		v, err := sarama.ParseKafkaVersion(c.BackendOptions[k])
		if err != nil {
			return nil, backend.WithCode(backend.CodeBadConfig, fmt.Errorf("sarama.version: %w", err))
		}
		sc.Version = v
	}
	if c.ClientID != "" {
		sc.ClientID = c.ClientID
	}
	sc.Net.DialTimeout = min(c.RequestTimeout, 10*time.Second)
	sc.Net.ReadTimeout, sc.Net.WriteTimeout = c.RequestTimeout, c.RequestTimeout
	sc.Admin.Timeout = c.RequestTimeout
	sc.Metadata.Full = false
	sc.Metadata.AllowAutoTopicCreation = false
	// Sarama tries every broker once per attempt, and a broker answers a
	// refused login only after a delay; the producer's Resender and the
	// root retry what may pass. A consumer raises it: Sarama retries a
	// claim whose leader moved this many times.
	sc.Metadata.Retry.Max = 0
	sc.Metadata.Retry.Backoff = 100 * time.Millisecond
	sec := c.Security
	if sec.Protocol.UsesTLS() {
		tc, err := backend.TLSConfig(sec, Name)
		if err != nil {
			return nil, err
		}
		sc.Net.TLS.Enable, sc.Net.TLS.Config = true, tc
	}
	if sec.Protocol.UsesSASL() {
		s := &sc.Net.SASL
		s.Enable, s.User, s.Password = true, sec.Username, sec.Password
		switch sec.Mechanism {
		case backend.SASLPlain:
			s.Mechanism = sarama.SASLTypePlaintext
		case backend.SASLScramSHA256:
			s.Mechanism = sarama.SASLTypeSCRAMSHA256
			s.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.HashGeneratorFcn(sha256.New)} }
		case backend.SASLScramSHA512:
			s.Mechanism = sarama.SASLTypeSCRAMSHA512
			s.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.HashGeneratorFcn(sha512.New)} }
		case backend.SASLOAuthBearer:
			s.Mechanism = sarama.SASLTypeOAuth
			s.TokenProvider = tokenProvider{sec.TokenProvider}
		default:
			return nil, backend.Unsupported(Name, "sasl.mechanism "+string(sec.Mechanism))
		}
	}
	return sc, nil
}

// validated checks sc after the caller's own settings, returning a
// BadConfig error for Sarama's refusal.
func validated(sc *sarama.Config) error {
	if err := sc.Validate(); err != nil {
		return backend.WithCode(backend.CodeBadConfig, err)
	}
	return nil
}

// scramClient is a SCRAM conversation over xdg-go/scram.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (s *scramClient) Begin(user, password, authzID string) error {
	c, err := s.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	s.conv = c.NewConversation()
	return nil
}

func (s *scramClient) Step(challenge string) (string, error) { return s.conv.Step(challenge) }

func (s *scramClient) Done() bool { return s.conv.Done() }

// tokenProvider hands the root's (cached) OAUTHBEARER tokens to Sarama,
// which asks for one on every connection and re-authentication.
type tokenProvider struct{ tokens backend.TokenProvider }

// tokenTimeout bounds one token fetch: Sarama's call has no context.
const tokenTimeout = 10 * time.Second

func (p tokenProvider) Token() (*sarama.AccessToken, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
	defer cancel()
	t, err := p.tokens(ctx)
	if err != nil {
		return nil, err
	}
	return &sarama.AccessToken{Token: t.Value, Extensions: t.Extensions}, nil
}

// logSink is sarama.Logger: Sarama's logger is process-wide, so its lines
// go, at debug level, to the logger of every open client.
type logSink struct {
	mu      sync.Mutex
	loggers map[*slog.Logger]int
}

var logs = &logSink{loggers: map[*slog.Logger]int{}}

// add registers l until the returned function is called.
func (s *logSink) add(l *slog.Logger) (remove func()) {
	if l == nil {
		return func() {}
	}
	s.mu.Lock()
	s.loggers[l]++
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.loggers[l]--; s.loggers[l] == 0 {
				delete(s.loggers, l)
			}
			s.mu.Unlock()
		})
	}
}

func (s *logSink) write(msg string) {
	s.mu.Lock()
	ls := slices.Collect(maps.Keys(s.loggers))
	s.mu.Unlock()
	for _, l := range ls {
		backend.Log(l, Name, slog.LevelDebug, msg)
	}
}

func (s *logSink) Print(v ...any)                 { s.write(fmt.Sprint(v...)) }
func (s *logSink) Printf(format string, v ...any) { s.write(fmt.Sprintf(format, v...)) }
func (s *logSink) Println(v ...any)               { s.write(fmt.Sprintln(v...)) }

// conn is the sarama.Client of one producer, consumer or admin, opened
// without I/O, its logger registration, and the sockets it dialled.
type conn struct {
	client   sarama.Client
	unlogger func()
	dialer   net.Dialer
	// dials ends at close, so that a dial in progress (which holds its
	// broker's lock) does not hold Close up.
	dials      context.Context
	cancelDial context.CancelFunc

	mu     sync.Mutex
	socks  map[*socket]struct{}
	closed bool
}

// dial opens a client on c's servers; with Metadata.Full off, NewClient
// makes no connection. The client dials through the conn (Sarama's proxy
// dialer; TLS still wraps the socket), so that cut can end requests.
func dial(c backend.ClientConfig, sc *sarama.Config) (*conn, error) {
	cn := &conn{dialer: net.Dialer{Timeout: sc.Net.DialTimeout, KeepAlive: sc.Net.KeepAlive}, socks: map[*socket]struct{}{}}
	cn.dials, cn.cancelDial = context.WithCancel(context.Background())
	sc.Net.Proxy.Enable, sc.Net.Proxy.Dialer = true, cn
	if err := validated(sc); err != nil {
		cn.cancelDial()
		return nil, err
	}
	cl, err := sarama.NewClient(c.BootstrapServers, sc)
	if err != nil {
		cn.cancelDial()
		return nil, err
	}
	cn.client, cn.unlogger = cl, logs.add(c.Logger)
	return cn, nil
}

// Dial opens a socket that cut and close will close.
func (c *conn) Dial(network, addr string) (net.Conn, error) {
	nc, err := c.dialer.DialContext(c.dials, network, addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		nc.Close()
		return nil, sarama.ErrClosedClient
	}
	s := &socket{Conn: nc, c: c}
	c.socks[s] = struct{}{}
	return s, nil
}

// socket is a connection of a conn, which forgets it once closed.
type socket struct {
	net.Conn
	c *conn
}

func (s *socket) Close() error {
	s.c.mu.Lock()
	delete(s.c.socks, s)
	s.c.mu.Unlock()
	return s.Conn.Close()
}

// cut closes every socket. Sarama holds a broker's connection for the
// whole of a request, so a request the broker holds (a fetch waiting for
// data) blocks every other one to that broker, Close included, until it
// is answered; a cut socket fails it at once. The brokers are then closed
// too, so that Sarama reconnects for the next request instead of trying
// the cut socket.
func (c *conn) cut() {
	c.mu.Lock()
	socks := slices.Collect(maps.Keys(c.socks))
	c.mu.Unlock()
	for _, s := range socks {
		s.Close() //nolint:errcheck // the request on it fails, as wanted
	}
	if c.client != nil && !c.client.Closed() {
		for _, b := range c.client.Brokers() {
			b.Close() //nolint:errcheck // not connected: nothing to do
		}
	}
}

// close closes the client, which ends Sarama's retries and connections;
// requests in flight are cut short first.
func (c *conn) close() {
	c.unlogger()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancelDial()
	c.cut()
	if !c.client.Closed() {
		c.client.Close() //nolint:errcheck // only ErrClosedClient
	}
}
