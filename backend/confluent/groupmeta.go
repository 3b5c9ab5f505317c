//go:build cgo

package confluent

import (
	"bytes"
	"encoding/binary"
	"reflect"
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

var (
	cgmdOnce sync.Once
	cgmdOK   bool
)

// cgmdField returns the field of md holding the serialized metadata, if
// the struct has the expected shape.
func cgmdField(md *kafka.ConsumerGroupMetadata) (reflect.Value, bool) {
	v := reflect.ValueOf(md).Elem()
	if v.NumField() != 1 {
		return reflect.Value{}, false
	}
	f := v.Field(0)
	if f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Uint8 {
		return reflect.Value{}, false
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem(), true
}

func cgmdUsable() bool {
	cgmdOnce.Do(func() {
		md, err := kafka.NewTestConsumerGroupMetadata("kafkaclient-probe")
		if err != nil {
			return
		}
		f, ok := cgmdField(md)
		if !ok {
			return
		}
		g, ok := decodeCGMD(f.Bytes())
		want := encodeCGMD(backend.GroupMetadata{GroupID: "kafkaclient-probe", GenerationID: -1})
		cgmdOK = ok && g.GroupID == "kafkaclient-probe" && g.GenerationID == -1 && g.MemberID == "" && bytes.Equal(want, f.Bytes())
	})
	return cgmdOK
}

func encodeCGMD(g backend.GroupMetadata) []byte {
	b := make([]byte, 0, len(cgmdMagic)+4+len(g.GroupID)+len(g.MemberID)+len(g.GroupInstanceID)+4)
	b = append(b, cgmdMagic...)
	b = binary.NativeEndian.AppendUint32(b, uint32(g.GenerationID))
	b = append(b, g.GroupID...)
	b = append(b, 0)
	b = append(b, g.MemberID...)
	b = append(b, 0)
	if g.GroupInstanceID == "" {
		return append(b, 1)
	}
	b = append(b, 0)
	b = append(b, g.GroupInstanceID...)
	return append(b, 0)
}

func decodeCGMD(b []byte) (backend.GroupMetadata, bool) {
	var g backend.GroupMetadata
	if !bytes.HasPrefix(b, []byte(cgmdMagic)) || len(b) < len(cgmdMagic)+4 {
		return g, false
	}
	b = b[len(cgmdMagic):]
	g.GenerationID = int32(binary.NativeEndian.Uint32(b))
	b = b[4:]
	cstr := func() (string, bool) {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return "", false
		}
		s := string(b[:i])
		b = b[i+1:]
		return s, true
	}
	var ok bool
	if g.GroupID, ok = cstr(); !ok {
		return g, false
	}
	if g.MemberID, ok = cstr(); !ok {
		return g, false
	}
	if len(b) < 1 {
		return g, false
	}
	isNull := b[0] != 0
	b = b[1:]
	if !isNull {
		if g.GroupInstanceID, ok = cstr(); !ok {
			return g, false
		}
	}
	return g, len(b) == 0
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
	f, _ := cgmdField(md)
	f.SetBytes(encodeCGMD(g))
	return md, nil
}

// fromConsumerGroupMetadata reads librdkafka's group metadata.
func fromConsumerGroupMetadata(md *kafka.ConsumerGroupMetadata, groupID, instanceID string) backend.GroupMetadata {
	fallback := backend.GroupMetadata{GroupID: groupID, GenerationID: -1, GroupInstanceID: instanceID}
	if !cgmdUsable() {
		return fallback
	}
	f, ok := cgmdField(md)
	if !ok {
		return fallback
	}
	g, ok := decodeCGMD(f.Bytes())
	if !ok {
		return fallback
	}
	return g
}
