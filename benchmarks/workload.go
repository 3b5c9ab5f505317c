package benchmarks

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient"
)

// Settings is the workload definition every client is configured with.
type Settings struct {
	// Brokers are the bootstrap servers.
	Brokers []string
	// Topic is the topic produced to or consumed from. It exists beforehand.
	Topic string
	// Partitions is the topic's partition count.
	Partitions int32
	// Linger is linger.ms (BatchTimeout for segmentio/kafka-go).
	Linger time.Duration
	// BatchBytes is batch.size: the most bytes in one partition's batch.
	BatchBytes int
	// BatchMessages caps the messages in one batch for clients that need a
	// count as well as a byte size (segmentio/kafka-go allocates room for
	// that many in every batch). It is the cap the kafkaclient segmentio
	// backend uses.
	BatchMessages int
	// MaxInFlight is max.in.flight.requests.per.connection.
	MaxInFlight int
	// MaxBuffered is how many messages may await delivery before Produce
	// blocks (queue.buffering.max.messages).
	MaxBuffered int
	// CommitEvery is how many consumed messages go between two synchronous
	// commits; the consumer also commits once at the end.
	CommitEvery int
	// PollMax is the most messages one poll returns, for clients that take
	// a limit.
	PollMax int
	// FetchMaxWait is fetch.wait.max.ms.
	FetchMaxWait time.Duration
	// MaxPartitionFetchBytes is max.partition.fetch.bytes.
	MaxPartitionFetchBytes int
	// SessionTimeout is session.timeout.ms of the consumer group.
	SessionTimeout time.Duration
	// HeartbeatInterval is heartbeat.interval.ms.
	HeartbeatInterval time.Duration
}

// DefaultSettings returns the shared workload settings for brokers.
func DefaultSettings(brokers []string) Settings {
	return Settings{
		Brokers:                slices.Clone(brokers),
		Partitions:             6,
		Linger:                 5 * time.Millisecond,
		BatchBytes:             1_000_000,
		BatchMessages:          1000,
		MaxInFlight:            5,
		MaxBuffered:            100_000,
		CommitEvery:            1000,
		PollMax:                1000,
		FetchMaxWait:           500 * time.Millisecond,
		MaxPartitionFetchBytes: 1_048_576,
		SessionTimeout:         10 * time.Second,
		HeartbeatInterval:      1 * time.Second,
	}
}

// ProducerConfig returns the settings as a kafkaclient producer config.
func (s Settings) ProducerConfig() kafkaclient.ProducerConfig {
	return kafkaclient.ProducerConfig{
		ClientConfig:        kafkaclient.ClientConfig{BootstrapServers: s.Brokers, ClientID: "kbench"},
		Acks:                kafkaclient.AcksAll,
		Idempotence:         kafkaclient.ToggleOff,
		MaxInFlight:         s.MaxInFlight,
		BatchSize:           s.BatchBytes,
		Linger:              s.Linger,
		MaxBufferedMessages: s.MaxBuffered,
		Compression:         kafkaclient.CompressionNone,
		Partitioner:         kafkaclient.PartitionerMurmur2,
	}
}

// ConsumerConfig returns the settings as a kafkaclient consumer config for
// group.
func (s Settings) ConsumerConfig(group string) kafkaclient.ConsumerConfig {
	return kafkaclient.ConsumerConfig{
		ClientConfig:           kafkaclient.ClientConfig{BootstrapServers: s.Brokers, ClientID: "kbench"},
		GroupID:                group,
		AutoOffsetReset:        kafkaclient.OffsetResetEarliest,
		DisableAutoCommit:      true,
		SessionTimeout:         s.SessionTimeout,
		HeartbeatInterval:      s.HeartbeatInterval,
		FetchMaxWait:           s.FetchMaxWait,
		MaxPartitionFetchBytes: s.MaxPartitionFetchBytes,
		Assignors:              []kafkaclient.Assignor{kafkaclient.AssignorRange},
	}
}

// Producer is the part of a producing client the workloads use.
type Producer interface {
	// Produce hands one message to the client and returns without waiting
	// for its delivery. sent, when not nil, goes in the SentHeader header.
	// Key, value and sent are not modified by the caller afterwards.
	Produce(ctx context.Context, key, value, sent []byte) error
	// Flush waits until every message produced so far has been reported
	// and returns the first delivery error.
	Flush(ctx context.Context) error
	// Close releases the client.
	Close(ctx context.Context) error
}

// BatchProducer is a Producer that also takes many messages in one call,
// the way its client's users would send a batch: one call where the client
// has one, else a loop of Produce.
type BatchProducer interface {
	Producer
	// ProduceBatch hands keys[i], values[i] for every i to the client
	// and returns without waiting for their delivery.
	ProduceBatch(ctx context.Context, keys, values [][]byte) error
}

// Consumer is the part of a group consumer the workloads use. It is
// subscribed to the topic of the Settings it was opened with.
type Consumer interface {
	// Poll waits for the next messages and calls fn for each with the
	// value of its SentHeader header (nil without one). It returns how
	// many messages it passed to fn.
	Poll(ctx context.Context, fn func(sent []byte)) (int, error)
	// Commit synchronously commits the position after every message
	// returned so far.
	Commit(ctx context.Context) error
	// Close leaves the group and releases the client.
	Close(ctx context.Context) error
}

// Client opens producers and consumers of one client library.
type Client interface {
	NewProducer(s Settings) (Producer, error)
	NewConsumer(s Settings, group string) (Consumer, error)
}

// Client kinds: the same backend through package kafkaclient, or its
// client library called directly.
const (
	KindKafkaclient = "kafkaclient"
	KindRaw         = "raw"
)

// Kinds lists the client kinds in the order they are run.
var Kinds = []string{KindKafkaclient, KindRaw}

// SentHeader is the header that carries a message's due time, in Unix
// nanoseconds, big-endian.
const SentHeader = "kbench-sent"

// Backend is a registered backend: how to reach it through kafkaclient, and
// how to drive its client library directly.
type Backend struct {
	// Name is the backend's name, as kafkaclient reports it.
	Name string
	// KafkaClient returns the kafkaclient backend.
	KafkaClient func() kafkaclient.Backend
	// Raw drives the client library directly with the same settings.
	Raw Client
}

// Client returns the client of the given kind (KindKafkaclient or KindRaw).
func (b Backend) Client(kind string) (Client, error) {
	switch kind {
	case KindKafkaclient:
		if b.KafkaClient == nil {
			return nil, fmt.Errorf("backend %s: no kafkaclient backend registered", b.Name)
		}
		return kcClient{b: b.KafkaClient()}, nil
	case KindRaw:
		if b.Raw == nil {
			return nil, fmt.Errorf("backend %s: no raw client registered", b.Name)
		}
		return b.Raw, nil
	}
	return nil, fmt.Errorf("unknown client kind %q (want %s or %s)", kind, KindKafkaclient, KindRaw)
}

// registry is written only by Register, from init functions: Go runs
// those in one goroutine, one after another, before main or any test
// starts, so it needs no lock.
var registry []Backend

// Register adds a backend. It is called from the init function of the
// backend's file in this package, and only there; a name registered twice
// panics.
func Register(b Backend) {
	if slices.ContainsFunc(registry, func(r Backend) bool { return r.Name == b.Name }) {
		panic("benchmarks: backend " + b.Name + " registered twice")
	}
	registry = append(registry, b)
	slices.SortFunc(registry, func(a, b Backend) int { return strings.Compare(a.Name, b.Name) })
}

// Backends returns the registered backends, sorted by name.
func Backends() []Backend { return slices.Clone(registry) }

// Lookup returns the registered backend called name.
func Lookup(name string) (Backend, bool) {
	for _, b := range Backends() {
		if b.Name == name {
			return b, true
		}
	}
	return Backend{}, false
}

// Size is a message value size.
type Size struct {
	Name  string
	Bytes int
}

// Sizes are the value sizes every workload runs with.
var Sizes = []Size{{"100B", 100}, {"1KiB", 1024}}

// SizeByName returns the Size called name.
func SizeByName(name string) (Size, bool) {
	for _, s := range Sizes {
		if s.Name == name {
			return s, true
		}
	}
	return Size{}, false
}

// keyCount is the number of distinct keys the workloads cycle over, and
// keyBytes the length of each.
const (
	keyCount = 1024
	keyBytes = 8
)

// keys are the message keys, shared read-only by every client.
var keys = func() [][]byte {
	ks := make([][]byte, keyCount)
	for i := range ks {
		ks[i] = binary.BigEndian.AppendUint64(nil, uint64(i)*0x9E3779B97F4A7C15)
	}
	return ks
}()

// key returns the key of the i-th message.
func key(i int) []byte { return keys[i%keyCount] }

// payload returns a value of n bytes, shared read-only by every message.
func payload(n int) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}

// header is the layout of a message header in kafkaclient and in every
// client library, so that one function reads and writes SentHeader for all.
type header = struct {
	Key   string
	Value []byte
}

// sentHeaders returns the headers of a message carrying sent: none when
// sent is nil, else SentHeader.
func sentHeaders[H ~header](sent []byte) []H {
	if sent == nil {
		return nil
	}
	return []H{H(header{Key: SentHeader, Value: sent})}
}

// sentOf returns the value of the SentHeader header among hs, or nil.
func sentOf[H ~header](hs []H) []byte {
	for _, h := range hs {
		if h := header(h); h.Key == SentHeader {
			return h.Value
		}
	}
	return nil
}

// encodeSent returns the SentHeader value for t.
func encodeSent(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(t.UnixNano()))
}

// decodeSent returns the time in a SentHeader value, or false.
func decodeSent(v []byte) (int64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}
