// Package segmentio is the kafkaclient backend over
// github.com/segmentio/kafka-go, pure Go.
//
// Most code should use package kafkaclient and never import this package.
// Build with the kafkaclient_segmentio tag to make it the default backend, or
// import it to pick it explicitly for one client:
//
//	p, err := kafkaclient.NewProducer(cfg, kafkaclient.WithBackend(segmentio.New()))
//
// # Capabilities
//
// Rebalance callbacks, pause/resume, manual assignment and seek. The consumer
// runs kafka-go's group membership (kafka.ConsumerGroup) and its own fetch
// loop per partition over kafka.Client, so these are exact: partitions are
// assigned when a generation starts and revoked when it ends. kafka-go does
// not tell why a generation ended, so partitions are always reported as
// Revoked, never Lost: a commit made in OnRevoked after the session expired
// fails with the broker's error.
//
// Not available: transactions, idempotence, read_committed (kafka-go returns
// records of aborted transactions), cooperative-sticky, the sticky assignor
// and static membership. Asking for them fails with CodeUnsupported.
//
// # Settings
//
// acks, linger.ms, batch.size, retries, delivery.timeout.ms, compression and
// the buffer limits map onto kafka.Writer; the defaults are the library's
// (acks=all, 5ms linger), not kafka-go's. kafka-go writes one batch at a time
// per partition, which satisfies any max.in.flight.requests.per.connection.
// A batch.size smaller than message.max.bytes is raised to it, as kafka-go
// refuses a message larger than its batch limit. Commit metadata is kept.
// SASL uses kafka-go's sasl/plain and sasl/scram, and this package's
// OAUTHBEARER; kafka-go cannot re-authenticate a connection (KIP-368), so
// connections are replaced before their token's session ends.
// The backend takes no backend options.
//
// # As
//
// Producer supports As with **kafka.Writer and **kafka.Client. Flush closes
// the writer to send its lingering batches and puts a new one in its place,
// so get the writer again after a Flush. Consumer
// supports **kafka.Client, and **kafka.ConsumerGroup once Subscribe has
// been called. Admin supports **kafka.Client.
package segmentio

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/listoffsets"
	meta "github.com/segmentio/kafka-go/protocol/metadata"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Name is the backend's name.
const Name = "segmentio"

// identity declares none of the config-level capabilities.
var identity = backend.Register(Name, backend.Capabilities{})

type segmentioBackend struct{ backend.Identity }

// New returns the segmentio backend.
func New() backend.Backend { return segmentioBackend{identity} }

// Code maps kafka-go errors to codes.
func (segmentioBackend) Code(err error) backend.Code { return codeOf(err) }

func codeOf(err error) backend.Code {
	if err == nil {
		return backend.CodeNone
	}
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		// WriteErrors does not unwrap: use the first failure.
		for _, e := range we {
			if e != nil {
				return codeOf(e)
			}
		}
	}
	var tooLarge kafka.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return backend.Code(kafka.MessageSizeTooLarge)
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		return backend.Code(ke)
	}
	switch {
	case errors.Is(err, protocol.ErrNoTopic), errors.Is(err, protocol.ErrNoPartition):
		return backend.Code(kafka.UnknownTopicOrPartition)
	case errors.Is(err, protocol.ErrNoLeader):
		return backend.Code(kafka.LeaderNotAvailable)
	case errors.Is(err, kafka.ErrGroupClosed), errors.Is(err, io.ErrClosedPipe), errors.Is(err, net.ErrClosed):
		return backend.CodeClosed
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

// isNetworkError reports whether err is a failure to reach or talk to a
// broker.
func isNetworkError(err error) bool {
	code, ok := backend.NetworkCode(err)
	return ok && code == backend.CodeTransport
}

// settings are the connection settings shared by every client of one
// producer, consumer or admin.
type settings struct {
	addr     net.Addr
	servers  []string
	clientID string
	tls      *tls.Config
	sasl     sasl.Mechanism
	oauth    *oauthBearer // sasl, with OAUTHBEARER
	timeout  time.Duration
	logger   *slog.Logger
}

func newSettings(c backend.ClientConfig) (*settings, error) {
	if err := backend.NoBackendOptions(c, Name); err != nil {
		return nil, err
	}
	s := &settings{addr: kafka.TCP(c.BootstrapServers...), servers: c.BootstrapServers, clientID: c.ClientID, timeout: c.RequestTimeout, logger: c.Logger}
	sec := c.Security
	if sec.Protocol.UsesTLS() {
		tc, err := backend.TLSConfig(sec, Name)
		if err != nil {
			return nil, err
		}
		s.tls = tc
	}
	if sec.Protocol.UsesSASL() {
		switch sec.Mechanism {
		case backend.SASLPlain:
			s.sasl = plain.Mechanism{Username: sec.Username, Password: sec.Password}
		case backend.SASLScramSHA256, backend.SASLScramSHA512:
			algo := scram.SHA256
			if sec.Mechanism == backend.SASLScramSHA512 {
				algo = scram.SHA512
			}
			m, err := scram.Mechanism(algo, sec.Username, sec.Password)
			if err != nil {
				return nil, backend.WithCode(backend.CodeBadConfig, fmt.Errorf("sasl.mechanism %s: %w", sec.Mechanism, err))
			}
			s.sasl = m
		case backend.SASLOAuthBearer:
			s.oauth = &oauthBearer{tokens: sec.TokenProvider}
			s.sasl = s.oauth
		default:
			return nil, backend.Errorf(backend.CodeUnsupported, "sasl.mechanism %s is not supported by the segmentio backend", sec.Mechanism)
		}
	}
	return s, nil
}

// oauthBearer is SASL/OAUTHBEARER (RFC 7628), which kafka-go lacks.
// kafka-go authenticates a connection once and cannot re-authenticate it
// (KIP-368), so a broker that enforces token expiry closes it; instead the
// transport replaces its connections once a token they used is due for
// refresh (see transport.RoundTrip). The group coordinator connection,
// which kafka-go holds for a whole generation, is not replaced: when the
// broker ends its session, the generation ends and the group rebalances.
type oauthBearer struct {
	tokens backend.TokenProvider
	// renewAt is the earliest refresh time (UnixNano) of the tokens handed
	// out since the transport last replaced its connections; 0 for none.
	renewAt atomic.Int64
}

func (*oauthBearer) Name() string { return string(backend.SASLOAuthBearer) }

// Start sends the client's first message: the token and its extensions.
func (m *oauthBearer) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	now := time.Now()
	t, err := m.tokens(ctx)
	if err != nil {
		return nil, nil, err
	}
	at := backend.RefreshTime(now, t.Expiry).UnixNano()
	for cur := m.renewAt.Load(); (cur == 0 || at < cur) && !m.renewAt.CompareAndSwap(cur, at); cur = m.renewAt.Load() {
	}
	var b strings.Builder
	b.WriteString("n,,\x01auth=Bearer " + t.Value + "\x01")
	for _, k := range slices.Sorted(maps.Keys(t.Extensions)) {
		b.WriteString(k + "=" + t.Extensions[k] + "\x01")
	}
	b.WriteString("\x01")
	return &oauthSession{}, []byte(b.String()), nil
}

// oauthSession is one OAUTHBEARER exchange.
type oauthSession struct{ refused []byte }

// Next ends the exchange: the broker answers a valid token with nothing,
// and an invalid one with an error document, after which it waits for a
// lone 0x01 before it fails the authentication.
func (s *oauthSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	switch {
	case len(challenge) == 0:
		return true, nil, nil
	case s.refused == nil:
		s.refused = challenge
		return false, []byte{1}, nil
	}
	return false, nil, backend.Errorf(backend.CodeSASLAuthenticationFailed, "the broker refused the token: %s", s.refused)
}

// renewDue reports, once, that the connections should be replaced.
func (m *oauthBearer) renewDue() bool {
	at := m.renewAt.Load()
	return at != 0 && time.Now().UnixNano() >= at && m.renewAt.CompareAndSwap(at, 0)
}

// dialer returns the kafka.Dialer for group membership connections, with the
// same TLS and SASL as the transports.
func (s *settings) dialer() *kafka.Dialer {
	return &kafka.Dialer{
		ClientID:      s.clientID,
		Timeout:       s.timeout,
		DualStack:     true,
		TLS:           s.tls,
		SASLMechanism: s.sasl,
	}
}

// metadataTTL bounds the age of the cluster layout a transport routes by.
// kafka-go's default is 6s; topics created or deleted meanwhile are also
// caught by the refresh on an unknown topic (see transport).
const metadataTTL = 2 * time.Second

func (s *settings) newKafkaTransport(dial func(context.Context, string, string) (net.Conn, error)) *kafka.Transport {
	return &kafka.Transport{
		Dial:        dial,
		DialTimeout: min(s.timeout, 10*time.Second),
		MetadataTTL: metadataTTL,
		ClientID:    s.clientID,
		TLS:         s.tls,
		SASL:        s.sasl,
	}
}

func (s *settings) printf(level slog.Level) kafka.LoggerFunc {
	return func(format string, args ...any) {
		backend.Log(s.logger, Name, level, fmt.Sprintf(format, args...))
	}
}

// loggers returns kafka-go loggers that write to the configured slog.Logger,
// or nils when there is none.
func (s *settings) loggers() (info, errs kafka.Logger) {
	if s.logger == nil {
		return nil, nil
	}
	return s.printf(slog.LevelDebug), s.printf(slog.LevelWarn)
}

// transport is a kafka.RoundTripper over kafka.Transport that never routes
// by a stale cluster layout for long. kafka.Transport serves metadata from a
// cache refreshed every few seconds, so a topic created a moment ago looks
// unknown and a deleted one still exists. When a request fails because its
// topic or partition is missing from the cached layout, or a metadata answer
// says a topic is unknown, transport swaps in a fresh kafka.Transport (whose
// first metadata is current) and tries once more. Refresh forces the same
// for callers that need current metadata.
type transport struct {
	s *settings

	mu      sync.Mutex
	cur     *kafka.Transport
	all     []*kafka.Transport
	swapped time.Time
	closed  bool
	// inflight counts running round trips: the last one to end after
	// Close closes the connection pools it may have opened.
	inflight int
	// last is the last one-topic metadata answer, reused for lastTTL:
	// kafka-go's Writer asks for it once per message.
	last atomic.Pointer[lastAnswer]
	// conns are the open sockets, closed by Close: a connection kafka-go
	// keeps waiting for the answer to a cancelled request (a fetch waits up
	// to fetch.wait.max.ms) would otherwise outlive the client.
	conns map[*trackedConn]struct{}
	// denied holds the topics the last metadata answer about them said
	// this client may not see (TOPIC_AUTHORIZATION_FAILED), which
	// kafka-go's writer reports as an unknown topic.
	denied sync.Map
}

// deniedErr is err, unless it is kafka-go's unknown topic for a topic the
// broker refused to describe: then it is the broker's refusal.
func (t *transport) deniedErr(topic string, err error) error {
	if _, ok := t.denied.Load(topic); ok && (errors.Is(err, protocol.ErrNoTopic) || errors.Is(err, kafka.UnknownTopicOrPartition)) {
		return fmt.Errorf("%w (%w)", kafka.TopicAuthorizationFailed, err)
	}
	return err
}

// trackedConn is a socket of a transport, which forgets it once closed.
type trackedConn struct {
	net.Conn
	t *transport
}

func (c *trackedConn) Close() error {
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return c.Conn.Close()
}

// dial opens a socket that Close will close; after Close it fails.
func (t *transport) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	nc, err := (&net.Dialer{Timeout: t.s.timeout}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		nc.Close()
		return nil, backend.Errorf(backend.CodeClosed, "client is closed")
	}
	c := &trackedConn{nc, t}
	t.conns[c] = struct{}{}
	return c, nil
}

type lastAnswer struct {
	topic string
	resp  *meta.Response
	until time.Time
}

const lastTTL = 100 * time.Millisecond // far below metadataTTL

// minSwapInterval limits how often an unknown topic replaces the transport.
const minSwapInterval = 200 * time.Millisecond

func newTransport(s *settings) *transport {
	t := &transport{s: s, conns: map[*trackedConn]struct{}{}}
	t.cur = s.newKafkaTransport(t.dial)
	t.all = append(t.all, t.cur)
	return t
}

// RoundTrip implements kafka.RoundTripper.
func (t *transport) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	if t.s.oauth != nil && t.s.oauth.renewDue() {
		t.swap(nil, true)
	}
	mr, _ := req.(*meta.Request)
	if c := t.last.Load(); mr != nil && len(mr.TopicNames) == 1 && c != nil && c.topic == mr.TopicNames[0] && time.Now().Before(c.until) {
		return c.resp, nil
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, backend.Errorf(backend.CodeClosed, "client is closed")
	}
	t.inflight++
	cur := t.cur
	t.mu.Unlock()
	defer t.roundTripDone()
	resp, err := cur.RoundTrip(ctx, addr, req)
	stale := staleLayout(req, resp, err)
	if r, ok := resp.(*meta.Response); ok && mr != nil && len(mr.TopicNames) == 1 && err == nil && !stale {
		t.last.Store(&lastAnswer{mr.TopicNames[0], r, time.Now().Add(lastTTL)})
	}
	if !stale || ctx.Err() != nil {
		return resp, err
	}
	next := t.swap(cur, false)
	if next == nil {
		return resp, err
	}
	return next.RoundTrip(ctx, addr, req)
}

// roundTripDone ends a round trip; after Close, the last one closes the
// pools that round trips opened since (each opens a pool, with a background
// goroutine, for an address it has none for).
func (t *transport) roundTripDone() {
	t.mu.Lock()
	t.inflight--
	var all []*kafka.Transport
	if t.closed && t.inflight == 0 {
		all = t.all
	} else if t.inflight == 0 && len(t.all) > 1 {
		// The transports replaced earlier have no round trip left: close
		// what they still hold (pools a round trip opened after the
		// swap) and forget them.
		for _, kt := range t.all {
			if kt != t.cur {
				all = append(all, kt)
			}
		}
		t.all = append(t.all[:0:0], t.cur)
	}
	t.mu.Unlock()
	for _, kt := range all {
		kt.CloseIdleConnections()
	}
}

// Refresh replaces the transport with one that reads current metadata.
func (t *transport) Refresh() {
	t.swap(nil, true)
}

// swap replaces old (nil: the current one) by a new kafka.Transport unless
// another caller did, or (unless force) one was made under minSwapInterval
// ago; it returns the transport to retry on, or nil.
func (t *transport) swap(old *kafka.Transport, force bool) *kafka.Transport {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	if old != nil && t.cur != old {
		cur := t.cur
		t.mu.Unlock()
		return cur
	}
	if !force && time.Since(t.swapped) < minSwapInterval {
		t.mu.Unlock()
		return nil
	}
	nt, prev := t.s.newKafkaTransport(t.dial), t.cur
	t.cur, t.swapped = nt, time.Now()
	t.last.Store(nil)
	t.all = append(t.all, nt)
	t.mu.Unlock()
	// Requests still running on prev keep its connections until they end.
	prev.CloseIdleConnections()
	return nt
}

// Close closes every connection of every transport made, and every socket,
// ending requests still running; new ones fail.
func (t *transport) Close() {
	t.mu.Lock()
	t.closed = true
	all, conns := t.all, slices.Collect(maps.Keys(t.conns))
	t.mu.Unlock()
	for _, kt := range all {
		kt.CloseIdleConnections()
	}
	for _, c := range conns {
		c.Close()
	}
}

// staleLayout reports whether a request failed, or a metadata request
// answered "unknown topic", possibly because of the cached layout.
func staleLayout(req kafka.Request, resp kafka.Response, err error) bool {
	if err != nil {
		return errors.Is(err, protocol.ErrNoTopic) || errors.Is(err, protocol.ErrNoPartition) || errors.Is(err, protocol.ErrNoLeader)
	}
	if _, ok := req.(*meta.Request); !ok {
		return false
	}
	r, ok := resp.(*meta.Response)
	if !ok {
		return false
	}
	for _, tp := range r.Topics {
		if tp.ErrorCode == int16(kafka.UnknownTopicOrPartition) || tp.ErrorCode == int16(kafka.LeaderNotAvailable) {
			return true
		}
		for _, p := range tp.Partitions {
			if p.LeaderID < 0 {
				return true
			}
		}
	}
	return false
}

// freshMetadata returns current metadata for topics (all topics when
// empty), not the transport's cached copy.
func (t *transport) freshMetadata(ctx context.Context, topics []string) (*meta.Response, error) {
	t.Refresh()
	r, err := t.RoundTrip(ctx, t.s.addr, &meta.Request{TopicNames: topics})
	if err != nil {
		return nil, err
	}
	resp := r.(*meta.Response)
	var topicsCopy []meta.ResponseTopic // resp may be kafka-go's: change a copy
	for i, tm := range resp.Topics {
		if tm.ErrorCode == int16(kafka.UnknownTopicOrPartition) && t.refused(ctx, tm.Name) {
			if topicsCopy == nil {
				topicsCopy = slices.Clone(resp.Topics)
			}
			topicsCopy[i].ErrorCode = int16(kafka.TopicAuthorizationFailed)
		}
	}
	if topicsCopy != nil {
		resp = &meta.Response{ClusterID: resp.ClusterID, ControllerID: resp.ControllerID, Brokers: resp.Brokers, Topics: topicsCopy}
	}
	return resp, nil
}

// refused reports whether the brokers refuse to describe topic to this
// client. kafka-go answers metadata from the cluster layout it keeps, from
// which such a topic is missing as if it did not exist; the answer of a
// broker asked for the topic's configs (which no broker caches, and which
// creates nothing) tells the two apart. kafka-go's writer then reports the
// topic as unknown: deniedErr says why.
func (t *transport) refused(ctx context.Context, topic string) bool {
	resp, err := t.client().DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{
		Resources: []kafka.DescribeConfigRequestResource{{ResourceType: kafka.ResourceTypeTopic, ResourceName: topic}},
	})
	if err != nil || len(resp.Resources) != 1 || !errors.Is(resp.Resources[0].Error, kafka.TopicAuthorizationFailed) {
		t.denied.Delete(topic)
		return false
	}
	t.denied.Store(topic, struct{}{})
	return true
}

// client returns a kafka.Client over t.
func (t *transport) client() *kafka.Client {
	return &kafka.Client{Addr: t.s.addr, Transport: t}
}

// listOffsets answers reqs with one ListOffsets request, which kafka-go's
// transport splits by partition leader; answers carry no timestamp. kafka-go speaks ListOffsets up to
// v5, and the largest-timestamp query (KIP-734) needs v7: it is refused.
func (t *transport) listOffsets(ctx context.Context, isolation int8, reqs []backend.OffsetRequest) ([]backend.ListedOffset, error) {
	req := &listoffsets.Request{ReplicaID: -1, IsolationLevel: isolation}
	idx := map[string]int{}
	for _, r := range reqs {
		if r.Query == backend.OffsetQueryMaxTimestamp {
			return nil, backend.Unsupported(Name, "the largest-timestamp offset query (it needs ListOffsets v7; kafka-go speaks up to v5)")
		}
		i, ok := idx[r.Topic]
		if !ok {
			i, idx[r.Topic] = len(req.Topics), len(req.Topics)
			req.Topics = append(req.Topics, listoffsets.RequestTopic{Topic: r.Topic})
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, listoffsets.RequestPartition{Partition: r.Partition, Timestamp: r.Query, CurrentLeaderEpoch: -1})
	}
	m, err := t.RoundTrip(ctx, t.s.addr, req)
	if err != nil {
		return nil, err
	}
	var out []backend.ListedOffset
	for _, rt := range m.(*listoffsets.Response).Topics {
		for _, p := range rt.Partitions {
			l := backend.ListedOffset{Topic: rt.Topic, Partition: p.Partition, Offset: p.Offset, LeaderEpoch: p.LeaderEpoch}
			if p.ErrorCode != 0 {
				l.Err = kafka.Error(p.ErrorCode)
				if e := kafka.Error(p.ErrorCode); e == kafka.NotLeaderForPartition || e == kafka.LeaderNotAvailable {
					t.Refresh() // route the retry by current leaders
				}
			}
			// The found message's timestamp is not reported: kafka-go's
			// transport puts the requested one in its place.
			out = append(out, l)
		}
	}
	return out, nil
}
