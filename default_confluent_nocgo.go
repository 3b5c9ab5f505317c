//go:build kafkaclient_confluent && !kafkaclient_segmentio && !kafkaclient_sarama && !cgo

package kafkaclient

// The confluent backend wraps librdkafka through cgo: the
// kafkaclient_confluent tag needs CGO_ENABLED=1 and a C compiler.
var _ = kafkaclient_confluent_requires_cgo__build_with_CGO_ENABLED_1 // compile error by design
