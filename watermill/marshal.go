package watermill

import (
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kafkaclient/kafkaclient"
)

// UUIDHeader is the Kafka header holding a message's Watermill UUID, the
// one watermill-kafka uses, so that the two read each other's messages.
const UUIDHeader = "_watermill_message_uuid"

// Marshaler turns Watermill messages into Kafka messages and back.
type Marshaler interface {
	// Marshal returns the Kafka message for msg on topic.
	Marshal(topic string, msg *message.Message) (*kafkaclient.Message, error)
	// Unmarshal returns the Watermill message of a consumed one.
	Unmarshal(m *kafkaclient.Message) (*message.Message, error)
}

// DefaultMarshaler puts the UUID in UUIDHeader and each metadata entry in a
// header of its own; the payload is the value.
type DefaultMarshaler struct {
	// Key, if set, returns the Kafka key of msg: messages with one key go
	// to one partition, in order. Nil sends no key.
	Key func(topic string, msg *message.Message) ([]byte, error)
}

// Marshal implements Marshaler.
func (d DefaultMarshaler) Marshal(topic string, msg *message.Message) (*kafkaclient.Message, error) {
	var key []byte
	if d.Key != nil {
		var err error
		if key, err = d.Key(topic, msg); err != nil {
			return nil, err
		}
	}
	m := kafkaclient.NewMessage(topic, key, msg.Payload)
	m.Headers = make([]kafkaclient.Header, 0, 1+len(msg.Metadata))
	m.Headers = append(m.Headers, kafkaclient.Header{Key: UUIDHeader, Value: []byte(msg.UUID)})
	for k, v := range msg.Metadata {
		m.Headers = append(m.Headers, kafkaclient.Header{Key: k, Value: []byte(v)})
	}
	return m, nil
}

// Unmarshal implements Marshaler.
func (DefaultMarshaler) Unmarshal(m *kafkaclient.Message) (*message.Message, error) {
	var id string
	md := make(message.Metadata, len(m.Headers))
	for _, h := range m.Headers {
		if h.Key == UUIDHeader {
			id = string(h.Value)
			continue
		}
		md[h.Key] = string(h.Value)
	}
	msg := message.NewMessage(id, m.Value)
	msg.Metadata = md
	return msg, nil
}

// KeyFromMetadata returns a key function taking the key from the metadata
// entry name; a message without it has no key.
func KeyFromMetadata(name string) func(string, *message.Message) ([]byte, error) {
	return func(_ string, msg *message.Message) ([]byte, error) {
		if v, ok := msg.Metadata[name]; ok {
			return []byte(v), nil
		}
		return nil, nil
	}
}
