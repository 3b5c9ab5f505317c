//go:build kafkaclient_segmentio && !kafkaclient_confluent && !kafkaclient_sarama

package kafkaclient

import "github.com/kafkaclient/kafkaclient/backend/segmentio"

func defaultBackend() Backend { return segmentio.New() }
