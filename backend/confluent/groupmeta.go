//go:build cgo

package confluent

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kafkaclient/kafkaclient/backend"
)

// kafka.ConsumerGroupMetadata is opaque: it holds the bytes of
// rd_kafka_consumer_group_metadata_write, which are
//
//	"CGMDv2:" | generation id (int32, host order) | group id NUL |
//	member id NUL | group instance id is null (int8) | [group instance id NUL]
//
// confluent-kafka-go only builds it from a live consumer (or for tests,
// with generation -1 and no member), and exposes no member id or generation.
// SendOffsetsToTransaction passes the consumer's own value back unchanged
// (backend.GroupMetadata.Handle). The bytes are read only to fill in
// GroupMetadata's member id and generation, and written only for metadata
// that came from another backend's consumer. The layout is checked once
// against kafka.NewTestConsumerGroupMetadata; if it ever differs,
// GroupMetadata reports only the group id and metadata from another backend
// is committed without generation fencing.

const cgmdMagic = "CGMDv2:"

// cgmdUsable reports whether kafka.ConsumerGroupMetadata is a struct of
// one []byte that holds the layout above, as checked once on the value
// kafka.NewTestConsumerGroupMetadata makes.
var cgmdUsable = sync.OnceValue(func() bool {
	t := reflect.TypeFor[kafka.ConsumerGroupMetadata]()
	if t.NumField() != 1 || t.Field(0).Type != reflect.TypeFor[[]byte]() {
		return false
	}
	md, err := kafka.NewTestConsumerGroupMetadata("kafkaclient-probe")
	if err != nil {
		return false
	}
	g, ok := decodeCGMD(*cgmdBytes(md))
	return ok && g == backend.GroupMetadata{GroupID: "kafkaclient-probe", GenerationID: -1}
})

// cgmdBytes is md's only field, the serialized metadata; valid only when
// cgmdUsable.
func cgmdBytes(md *kafka.ConsumerGroupMetadata) *[]byte {
	return (*[]byte)(unsafe.Pointer(md))
}

// encodeCGMD serializes g in the layout above.
func encodeCGMD(g backend.GroupMetadata) []byte {
	b := binary.NativeEndian.AppendUint32([]byte(cgmdMagic), uint32(g.GenerationID))
	b = append(b, g.GroupID+"\x00"+g.MemberID+"\x00"...)
	if g.GroupInstanceID == "" {
		return append(b, 1)
	}
	return append(b, "\x00"+g.GroupInstanceID+"\x00"...)
}

// decodeCGMD parses b; ok is false unless encodeCGMD gives b back.
func decodeCGMD(b []byte) (g backend.GroupMetadata, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(cgmdMagic))
	if !ok || len(rest) < 4 {
		return g, false
	}
	g.GenerationID = int32(binary.NativeEndian.Uint32(rest))
	// group id, member id, the null flag; with a group instance id, the
	// flag is empty and the id and an empty field follow.
	f := strings.Split(string(rest[4:]), "\x00")
	if len(f) < 3 {
		return g, false
	}
	g.GroupID, g.MemberID = f[0], f[1]
	if len(f) == 5 {
		g.GroupInstanceID = f[3]
	}
	return g, bytes.Equal(encodeCGMD(g), b)
}

// toConsumerGroupMetadata returns librdkafka's group metadata for g: the
// consumer's own when g came from this backend, otherwise built from g's
// fields.
func toConsumerGroupMetadata(g backend.GroupMetadata) (*kafka.ConsumerGroupMetadata, error) {
	if md, ok := g.Handle.(*kafka.ConsumerGroupMetadata); ok && md != nil {
		return md, nil
	}
	if !cgmdUsable() {
		return kafka.NewTestConsumerGroupMetadata(g.GroupID)
	}
	md := new(kafka.ConsumerGroupMetadata)
	*cgmdBytes(md) = encodeCGMD(g)
	return md, nil
}

// fromConsumerGroupMetadata reads librdkafka's group metadata, or returns
// fallback when it cannot.
func fromConsumerGroupMetadata(md *kafka.ConsumerGroupMetadata, fallback backend.GroupMetadata) backend.GroupMetadata {
	if cgmdUsable() {
		if g, ok := decodeCGMD(*cgmdBytes(md)); ok {
			return g
		}
	}
	return fallback
}
