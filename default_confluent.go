//go:build kafkaclient_confluent && !kafkaclient_segmentio && cgo

package kafkaclient

import "github.com/kafkaclient/kafkaclient/backend/confluent"

func defaultBackend() Backend { return confluent.New() }
