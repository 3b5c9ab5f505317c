//go:build !kafkaclient_segmentio && !kafkaclient_confluent && !kafkaclient_sarama

package kafkaclient

import "github.com/kafkaclient/kafkaclient/backend/franz"

func defaultBackend() Backend { return franz.New() }
