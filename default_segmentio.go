//go:build kafkaclient_segmentio && !kafkaclient_confluent

package kafkaclient

import "github.com/kafkaclient/kafkaclient/backend/segmentio"

func defaultBackend() Backend { return segmentio.New() }
