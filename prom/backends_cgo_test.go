//go:build cgo

package prom_test

import "github.com/kafkaclient/kafkaclient/backend/confluent"

func init() { backends = append(backends, testBackend{"confluent", confluent.New}) }
