package kafkaclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// APIKey is a Kafka protocol API: a kind of request a broker serves.
type APIKey int16

// Kafka APIs whose presence, or highest version, marks a broker feature.
const (
	APIProduce APIKey = 0
	APIFetch   APIKey = 1
	// APIEndTxn version 5 and later is transactions v2 (KIP-890), Kafka 4.0.
	APIEndTxn APIKey = 26
	// APIConsumerGroupHeartbeat is the consumer group protocol of KIP-848
	// (group.protocol=consumer), Kafka 4.0.
	APIConsumerGroupHeartbeat APIKey = 68
	// APIShareGroupHeartbeat is share groups (KIP-932, queues), Kafka 4.1.
	APIShareGroupHeartbeat APIKey = 76
)

// APIVersionRange is the versions of one API a broker serves.
type APIVersionRange struct {
	Key      APIKey
	Min, Max int16
}

// BrokerAPIs is what one broker answered to an ApiVersions request.
type BrokerAPIs struct {
	Broker BrokerInfo
	// APIs are the APIs the broker serves, sorted by key.
	APIs []APIVersionRange
	// Err is why the broker could not be asked (unreachable, TLS refused);
	// APIs is then empty.
	Err error
}

// Supports reports whether the broker serves api at version or later.
func (b BrokerAPIs) Supports(api APIKey, version int16) bool {
	i, ok := slices.BinarySearchFunc(b.APIs, api, func(r APIVersionRange, k APIKey) int { return int(r.Key) - int(k) })
	return ok && b.APIs[i].Max >= version
}

// BrokerAPIs asks every broker of the cluster which APIs and versions it
// serves, so that a program can check before relying on a feature a broker
// may be too old for (APIConsumerGroupHeartbeat, APIShareGroupHeartbeat,
// APIEndTxn version 5). It sends the ApiVersions request itself, over the
// connection settings of the admin's config (TLS included; ApiVersions
// needs no SASL authentication), so the answer is the same on every
// backend. A broker that cannot be asked has Err set; the call's own error
// is for a failure to list the brokers. Results are sorted by broker id.
func (a *Admin) BrokerAPIs(ctx context.Context) ([]BrokerAPIs, error) {
	d, err := a.DescribeCluster(ctx)
	if err != nil {
		return nil, err
	}
	var tc *tls.Config
	if sec := a.cfg.Security; sec.Protocol.UsesTLS() {
		if tc, err = backend.TLSConfig(sec, a.b.Name()); err != nil {
			return nil, a.errs.wrap("broker apis", "", -1, err)
		}
	}
	out := make([]BrokerAPIs, len(d.Brokers))
	var wg sync.WaitGroup
	for i, b := range d.Brokers {
		wg.Go(func() {
			out[i].Broker = b
			out[i].APIs, out[i].Err = askAPIVersions(ctx, net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))), tc, a.cfg.ClientID, a.cfg.RequestTimeout)
		})
	}
	wg.Wait()
	return out, nil
}

// apiVersionsV3 is the version of ApiVersions askAPIVersions sends: the
// first flexible one (Kafka 2.4 and later). A broker that does not serve it
// answers in version 0 with UNSUPPORTED_VERSION and its ranges.
const apiVersionsV3 = 3

// askAPIVersions sends one ApiVersions request to addr and returns the
// answer's ranges, sorted by key.
func askAPIVersions(ctx context.Context, addr string, tc *tls.Config, clientID string, timeout time.Duration) ([]APIVersionRange, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(err error) ([]APIVersionRange, error) {
		code, ok := backend.NetworkCode(err)
		switch {
		case ctx.Err() != nil:
			return nil, ctxError("broker apis", ctx)
		case !ok:
			code = CodeFailed
		}
		e := newError("broker apis", code, "asking %s for its API versions", addr)
		e.Err = err
		return nil, e
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fail(err)
	}
	defer conn.Close() //nolint:errcheck // read-only use
	// ctx ending interrupts a read or write in progress.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) }) //nolint:errcheck // best effort
	defer stop()
	if tc != nil {
		tc = tc.Clone()
		if tc.ServerName == "" {
			tc.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tconn := tls.Client(conn, tc)
		if err := tconn.HandshakeContext(ctx); err != nil {
			return fail(err)
		}
		conn = tconn
	}
	if _, err := conn.Write(apiVersionsRequest(clientID)); err != nil {
		return fail(err)
	}
	ranges, err := readAPIVersions(bufio.NewReader(conn))
	if err != nil {
		return fail(err)
	}
	return ranges, nil
}

// apiVersionsRequest encodes an ApiVersions v3 request with its size prefix:
// request header v2 (key, version, correlation id 1, client id, no tags),
// then the client's software name and version and no tags.
func apiVersionsRequest(clientID string) []byte {
	b := make([]byte, 4, 64)
	b = binary.BigEndian.AppendUint16(b, 18) // ApiVersions
	b = binary.BigEndian.AppendUint16(b, apiVersionsV3)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
	b = append(b, clientID...)
	b = append(b, 0) // header tags
	for _, s := range []string{"kafkaclient", "1"} {
		b = binary.AppendUvarint(b, uint64(len(s)+1))
		b = append(b, s...)
	}
	b = append(b, 0) // body tags
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// readAPIVersions reads an ApiVersions response: version 3, or version 0
// when the broker does not serve 3 (then with UNSUPPORTED_VERSION).
func readAPIVersions(r *bufio.Reader) ([]APIVersionRange, error) {
	var size int32
	if err := binary.Read(r, binary.BigEndian, &size); err != nil {
		return nil, err
	}
	if size < 6 || size > 1<<20 {
		return nil, fmt.Errorf("response of %d bytes is not an ApiVersions answer", size)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	d := decoder{b: body[4:]} // after the correlation id
	code := Code(d.int16())
	if code == CodeUnsupportedVersion {
		// A version 0 answer: a plain array of key, min, max.
		n := d.int32()
		return d.ranges(int(n), false)
	}
	if code != CodeNone {
		return nil, fmt.Errorf("ApiVersions failed: %s", CodeName(code))
	}
	n := d.uvarint() // compact array: length + 1
	return d.ranges(int(n)-1, true)
}

// decoder reads big-endian fields; a short read leaves err set.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || len(d.b) < n {
		d.err = errors.New("ApiVersions answer is truncated")
		return make([]byte, n)
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) int16() int16 { return int16(binary.BigEndian.Uint16(d.take(2))) }
func (d *decoder) int32() int32 { return int32(binary.BigEndian.Uint32(d.take(4))) }

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errors.New("ApiVersions answer has a bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// ranges reads n entries; flexible entries end with tagged fields, which
// are skipped.
func (d *decoder) ranges(n int, flexible bool) ([]APIVersionRange, error) {
	if n < 0 || n > len(d.b)/6 {
		return nil, errors.New("ApiVersions answer has a bad array length")
	}
	out := make([]APIVersionRange, 0, n)
	for range n {
		r := APIVersionRange{Key: APIKey(d.int16()), Min: d.int16(), Max: d.int16()}
		if flexible {
			for tags := d.uvarint(); tags > 0 && d.err == nil; tags-- {
				d.uvarint()
				d.take(int(d.uvarint()))
			}
		}
		out = append(out, r)
	}
	if d.err != nil {
		return nil, d.err
	}
	slices.SortFunc(out, func(a, b APIVersionRange) int { return int(a.Key) - int(b.Key) })
	return out, nil
}
