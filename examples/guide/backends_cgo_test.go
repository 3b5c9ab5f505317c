//go:build cgo

package guide_test

import "github.com/kafkaclient/kafkaclient/backend/confluent"

// confluent needs cgo (librdkafka).
func init() { register(confluent.New()) }
