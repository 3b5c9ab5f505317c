package kafkaclient

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer frames an ApiVersions response body after its correlation id.
func answer(body []byte) *bufio.Reader {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)+4))
	b = binary.BigEndian.AppendUint32(b, 1)
	return bufio.NewReader(bytes.NewReader(append(b, body...)))
}

// TestReadAPIVersionsAnswers checks both answers a broker may give, the
// flexible version 3 one and the version 0 one an older broker sends with
// UNSUPPORTED_VERSION, and that malformed answers are errors, not panics.
func TestReadAPIVersionsAnswers(t *testing.T) {
	v3 := []byte{0, 0, 3} // no error; compact array of 2
	v3 = append(v3, 0, 1, 0, 4, 0, 17, 0)
	v3 = append(v3, 0, 0, 0, 3, 0, 12, 1, 7, 2, 0xAB, 0xCD) // one tagged field
	v3 = append(v3, 0, 0, 0, 0, 0)                          // throttle, tags
	got, err := readAPIVersions(answer(v3))
	require.NoError(t, err)
	assert.Equal(t, []APIVersionRange{{APIProduce, 3, 12}, {APIFetch, 4, 17}}, got, "sorted by key")
	b := BrokerAPIs{APIs: got}
	assert.True(t, b.Supports(APIProduce, 12))
	assert.False(t, b.Supports(APIProduce, 13))
	assert.False(t, b.Supports(APIConsumerGroupHeartbeat, 0))

	v0 := []byte{0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 2} // UNSUPPORTED_VERSION, ApiVersions 0..2
	got, err = readAPIVersions(answer(v0))
	require.NoError(t, err)
	assert.Equal(t, []APIVersionRange{{18, 0, 2}}, got)

	for name, body := range map[string][]byte{
		"error code":        {0, 31, 0},
		"truncated entry":   {0, 0, 3, 0, 1, 0},
		"huge array":        {0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"v0 negative array": {0, 35, 0xff, 0xff, 0xff, 0xff},
		"empty":             {},
	} {
		_, err := readAPIVersions(answer(body))
		assert.Error(t, err, name)
	}
}

// TestAPIVersionsRequestIsFramed checks the request's size prefix and
// header: ApiVersions (18) version 3, the client id.
func TestAPIVersionsRequestIsFramed(t *testing.T) {
	b := apiVersionsRequest("app")
	require.Equal(t, uint32(len(b)-4), binary.BigEndian.Uint32(b))
	assert.Equal(t, []byte{0, 18, 0, 3, 0, 0, 0, 1, 0, 3, 'a', 'p', 'p', 0}, b[4:18])
}
