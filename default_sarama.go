//go:build kafkaclient_sarama && !kafkaclient_segmentio && !kafkaclient_confluent

package kafkaclient

import "github.com/kafkaclient/kafkaclient/backend/sarama"

func defaultBackend() Backend { return sarama.New() }
