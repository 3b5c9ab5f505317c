//go:build !windows

package confluent

// librdkafkaSnappy: the linux and darwin builds of librdkafka bundled with
// confluent-kafka-go have snappy.
const librdkafkaSnappy = true
