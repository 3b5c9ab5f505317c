// Package watermill is a Watermill (github.com/ThreeDotsLabs/watermill)
// Publisher and Subscriber on kafkaclient, so that a Watermill application
// runs on any kafkaclient backend (franz-go, kafka-go, confluent-kafka-go),
// chosen by build tag like any kafkaclient program.
//
// It is a module of its own, so that kafkaclient itself does not depend on
// Watermill.
//
// # Contract
//
//   - Publish sends the messages and returns once the brokers have them
//     (acks=all by default). It checks every message first: one without a
//     UUID, or one too large, fails the call with a *kafkaclient.Error and
//     none is sent.
//   - The partition key comes from Marshaler's key function (none by
//     default: the partitioner spreads messages); the key decides the
//     partition with murmur2, as on every backend.
//   - A Subscriber hands out one message at a time per Subscribe call and
//     waits for its Ack or Nack: order is kept. Ack commits (once per
//     fetched batch, before the next fetch); Nack delivers the same message
//     again, after NackResendSleep, and nothing after it meanwhile.
//   - Subscribe joins ConsumerGroup; without one, each Subscribe call reads
//     the whole topic from the start in a group of its own.
//   - Close cancels the context of the messages handed out, waits up to
//     CloseTimeout for the subscriptions to end, and closes the channels.
//   - A subscription polls its consumer between messages, so a handler
//     that holds a message keeps its consumer from taking part in a
//     rebalance: the group waits for it, up to max.poll.interval.ms, and
//     then goes on without it (its message is delivered again). Members of
//     one group subscribed to different topics wait for each other so.
package watermill
