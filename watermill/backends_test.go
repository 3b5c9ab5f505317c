package watermill_test

import (
	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/backend/franz"
	"github.com/kafkaclient/kafkaclient/backend/segmentio"
)

// testBackend is a backend the tests run on, by name.
type testBackend struct {
	name string
	new  func() kafkaclient.Backend
}

// backends are the backends the tests run on; backends_cgo_test.go adds
// confluent when cgo is on.
var backends = []testBackend{
	{"franz", franz.New},
	{"segmentio", segmentio.New},
}
