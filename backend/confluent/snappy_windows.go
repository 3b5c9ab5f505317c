package confluent

// librdkafkaSnappy: confluent-kafka-go's windows build of librdkafka is made
// without snappy; it refuses compression.codec=snappy, and cannot read
// records compressed with it.
const librdkafkaSnappy = false
