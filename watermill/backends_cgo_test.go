//go:build cgo

package watermill_test

import "github.com/kafkaclient/kafkaclient/backend/confluent"

func init() { backends = append(backends, testBackend{"confluent", confluent.New}) }
