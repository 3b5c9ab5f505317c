package kafkaclient_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// TestRootOnlyProgram builds a program that imports only the root package
// and checks that it produces and consumes on the default backend, placing
// each key where the Java client's murmur2 puts it. KAFKACLIENT_TEST_TAGS
// builds it with backend tags, to compare backends.
func TestRootOnlyProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program; skipped with -short")
	}
	cluster := kafkatest.NewCluster(t)
	topic := cluster.CreateTopic(t, 6)
	bin := filepath.Join(t.TempDir(), "rootonly")
	args := []string{"build", "-o", bin}
	if tags := os.Getenv("KAFKACLIENT_TEST_TAGS"); tags != "" {
		args = append(args, "-tags", tags)
	}
	build := exec.Command("go", append(args, "./testdata/rootonly")...)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin, strings.Join(cluster.BootstrapServers(), ","), topic).CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.GreaterOrEqual(t, len(lines), 6, "%s", out)
	assert.Equal(t, "backend "+programBackend(os.Getenv("KAFKACLIENT_TEST_TAGS")), lines[0])
	var keys []string
	for _, l := range lines[1:] {
		key, part, ok := strings.Cut(l, " ")
		require.True(t, ok, l)
		n, err := strconv.Atoi(part)
		require.NoError(t, err, l)
		assert.Equal(t, kafkaclient.KeyPartition(kafkaclient.PartitionerMurmur2, []byte(key), 6), int32(n), "key %q", key)
		keys = append(keys, key)
	}
	slices.Sort(keys)
	assert.Equal(t, []string{"a", "b", "customer-42", "k", "order-123"}, keys)
}

// programBackend is the default backend of a program built with tags:
// franz when they name no backend.
func programBackend(tags string) string {
	for _, tag := range strings.FieldsFunc(tags, func(r rune) bool { return r == ',' || r == ' ' }) {
		if name, ok := strings.CutPrefix(tag, "kafkaclient_"); ok && (name == "confluent" || name == "segmentio" || name == "sarama") {
			return name
		}
	}
	return "franz"
}
