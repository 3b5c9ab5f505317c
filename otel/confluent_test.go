//go:build cgo

package kotel_test

import "github.com/kafkaclient/kafkaclient/backend/confluent"

// confluent needs cgo: it is tested only in cgo builds.
func init() { backends = append(backends, confluent.New) }
