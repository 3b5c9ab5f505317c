//go:build (kafkaclient_segmentio && kafkaclient_confluent) || (kafkaclient_sarama && (kafkaclient_segmentio || kafkaclient_confluent))

package kafkaclient

// Two backend tags are set (kafkaclient_segmentio, kafkaclient_confluent,
// kafkaclient_sarama): pick one. Build with exactly one backend tag (or
// none for franz).
var _ = kafkaclient_build_tags_conflict__pick_one_backend_tag_not_both // compile error by design
