//go:build kafkaclient_confluent && !kafkaclient_segmentio && !kafkaclient_sarama && cgo

package kafkaclient

import "github.com/kafkaclient/kafkaclient/backend/confluent"

func defaultBackend() Backend { return confluent.New() }
