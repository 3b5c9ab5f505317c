// Package msgfuzz builds messages from fuzz input and checks that a
// backend's message translation keeps them intact. The backends' fuzz
// targets use it.
package msgfuzz

import (
	"bytes"
	"testing"
	"time"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Nil flags of Message's nilMask.
const (
	NilKey   = 1 << iota // the key is nil (else key, possibly empty)
	NilValue             // the value is nil (a tombstone)
)

// Seed adds inputs covering nil and empty keys, values and header values,
// repeated header keys, zero and pre-epoch timestamps.
func Seed(f *testing.F) {
	f.Add("topic", int32(0), []byte("key"), []byte("value"), uint8(0), []byte("\x01a\x01b\x00\x00\x01c\xff"), int64(1_700_000_000_123))
	f.Add("t", int32(-1), []byte(nil), []byte(nil), uint8(NilKey|NilValue), []byte(nil), int64(0))
	f.Add("t.x_y-z", int32(5), []byte{}, []byte{}, uint8(0), []byte("\x00\xff\x00\x00"), int64(-1))
	f.Add("", int32(2147483647), []byte{0, 1, 2}, []byte("\xff\xfe"), uint8(NilKey), []byte("\x03dup\x01x\x03dup\x01y"), int64(253402300799999))
}

// Message builds a message from fuzz input. hdrs encodes the headers as a
// sequence of [key length][key][value length, 0xff for nil][value]; a
// truncated tail is cut short. tsMillis 0 means no timestamp (the zero
// time); other values are milliseconds since the epoch.
func Message(topic string, partition int32, key, value []byte, nilMask uint8, hdrs []byte, tsMillis int64) *backend.Message {
	m := &backend.Message{Topic: topic, Partition: partition, Offset: backend.OffsetInvalid, LeaderEpoch: -1}
	m.Key = nonNil(key)
	if nilMask&NilKey != 0 {
		m.Key = nil
	}
	m.Value = nonNil(value)
	if nilMask&NilValue != 0 {
		m.Value = nil
	}
	for len(hdrs) > 0 {
		n := int(hdrs[0])
		hdrs = hdrs[1:]
		n = min(n, len(hdrs))
		h := backend.Header{Key: string(hdrs[:n])}
		hdrs = hdrs[n:]
		if len(hdrs) > 0 {
			n = int(hdrs[0])
			hdrs = hdrs[1:]
			if n == 0xff {
				h.Value = nil
			} else {
				n = min(n, len(hdrs))
				h.Value = bytes.Clone(hdrs[:n:n])
				if h.Value == nil {
					h.Value = []byte{}
				}
				hdrs = hdrs[n:]
			}
		}
		m.Headers = append(m.Headers, h)
	}
	if tsMillis != 0 {
		m.Timestamp = time.UnixMilli(tsMillis)
	}
	return m
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return bytes.Clone(b)
}

// Check fails t unless got carries want's topic, partition, key, value,
// headers (in order, nil values nil and empty values empty) and timestamp.
// Nil and empty keys and values must stay distinct.
func Check(t *testing.T, want, got *backend.Message) {
	t.Helper()
	if got == nil {
		t.Fatal("translated message is nil")
	}
	if got.Topic != want.Topic || got.Partition != want.Partition {
		t.Errorf("topic/partition %q[%d], want %q[%d]", got.Topic, got.Partition, want.Topic, want.Partition)
	}
	checkBytes(t, "key", want.Key, got.Key)
	checkBytes(t, "value", want.Value, got.Value)
	if len(got.Headers) != len(want.Headers) {
		t.Fatalf("%d headers, want %d: %+v", len(got.Headers), len(want.Headers), got.Headers)
	}
	for i, h := range want.Headers {
		if got.Headers[i].Key != h.Key {
			t.Errorf("header %d key %q, want %q", i, got.Headers[i].Key, h.Key)
		}
		checkBytes(t, "header value", h.Value, got.Headers[i].Value)
	}
	if !got.Timestamp.Equal(want.Timestamp) {
		t.Errorf("timestamp %v, want %v", got.Timestamp, want.Timestamp)
	}
}

func checkBytes(t *testing.T, what string, want, got []byte) {
	t.Helper()
	if (want == nil) != (got == nil) || !bytes.Equal(want, got) {
		t.Errorf("%s %q (nil %v), want %q (nil %v)", what, got, got == nil, want, want == nil)
	}
}

// Stamp is the timestamp RoundTrip gives a message that has none, as
// Producer.Produce stamps it before a backend sees it.
var Stamp = time.UnixMilli(1_700_000_000_000)

// RoundTrip is a backend's whole fuzz target: for every input it builds a
// message (stamped with Stamp when it has no timestamp), passes it to trip,
// which translates it to the client's form and back and returns the result
// (or nil to skip an input the root refuses), and checks that the result
// carries the message and that the message itself was not changed.
func RoundTrip(f *testing.F, trip func(t *testing.T, in *backend.Message) *backend.Message) {
	Seed(f)
	f.Fuzz(func(t *testing.T, topic string, partition int32, key, value []byte, nilMask uint8, hdrs []byte, ts int64) {
		want := Message(topic, partition, key, value, nilMask, hdrs, ts)
		in := Message(topic, partition, key, value, nilMask, hdrs, ts)
		if want.Timestamp.IsZero() {
			want.Timestamp, in.Timestamp = Stamp, Stamp
		}
		got := trip(t, in)
		if got == nil {
			return
		}
		Check(t, want, in)
		Check(t, want, got)
	})
}
