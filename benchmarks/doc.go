// Package benchmarks compares the kafkaclient backends with the Kafka client
// libraries they wrap, on one workload, in one run.
//
// # Method
//
// Every registered backend (franz, sarama, segmentio, and confluent when
// cgo is on) is measured twice: through package kafkaclient with
// kafkaclient.WithBackend, and through its client library called directly
// ("raw"), the way that library's own documentation suggests for a fast
// producer and a group consumer. Both sides get the same settings, listed in
// [Settings] and applied explicitly, so no client's own default decides the
// result:
//
//   - a topic created beforehand with 6 partitions;
//   - acks=all, idempotence off (segmentio/kafka-go has none), compression
//     off (franz-go would otherwise use snappy);
//   - 5 ms linger, 1,000,000-byte batches, 5 requests in flight per broker
//     where the client lets it be set, at most 100,000 buffered messages
//     where the client has such a bound (kafka-go and Sarama have none);
//   - 8-byte keys cycling over 1024 values, partitioned with murmur2 like the
//     Java client, so every client spreads the same keys over the same
//     partitions;
//   - a group consumer reading from the earliest offset, committing
//     synchronously every 1000 messages and once at the end.
//
// The workloads are:
//
//   - Produce: after a warm-up (connections, metadata, first batches), send
//     N messages as fast as Produce accepts them and wait for every delivery
//     report.
//   - Consume: a backlog of N messages is written beforehand by a separate
//     franz-go client; a new group member reads it. The clock starts at the
//     first message, so group join time is left out.
//   - Latency: an open loop. Sends are due at a fixed rate (1000 msg/s by
//     default) and each message carries its due time in a header; a ticker
//     sends whatever is due, whether or not earlier sends have completed.
//     The latency of a message is the time the consumer returns it minus its
//     due time, so a slow send shows up in the tail instead of lowering the
//     send rate.
//
// For each workload the package measures messages per second, heap
// allocations and bytes per message, CPU seconds (user + system, from
// getrusage) per million messages and the peak resident set (VmHWM, which
// includes librdkafka's memory outside the Go heap).
//
// # Running
//
// The go test benchmarks have stable names:
//
//	BenchmarkProduce/<backend>/<kafkaclient|raw>/<100B|1KiB>
//	BenchmarkConsume/<backend>/<kafkaclient|raw>/<100B|1KiB>
//	BenchmarkLatency/<backend>/<kafkaclient|raw>/<100B|1KiB>
//
// Run them with
//
//	go test -run '^$' -bench 'Produce|Consume' -benchtime 300000x -count 6 ./benchmarks/ | tee new.txt
//	go test -run '^$' -bench Latency -benchtime 3000x -count 6 ./benchmarks/ | tee -a new.txt
//
// Consume needs a large -benchtime: its clock starts at the first message,
// when the client may already hold one fetch response (about 6 MB here).
// It also keeps sarama's run from being decided by its last commit: Sarama
// sends a group's commits on the connection its fetches use and holds that
// connection for a whole request, so a commit made once the consumer has
// caught up waits for the fetch the broker is holding, up to the 500 ms
// fetch wait, on both the raw and the kafkaclient side.
// BenchmarkLatency sends b.N messages at 1000 msg/s, so 3000x runs it for 3
// seconds. Besides the standard columns, the benchmarks report msgs/s,
// cpu-s/Mmsgs, peak-RSS-MB and, for latency, p50-ms, p99-ms and p99.9-ms.
// The embedded kfake broker runs in a child process, so its CPU time and
// allocations are not counted; set KAFKA_BOOTSTRAP_SERVERS=host:port to use
// a real cluster instead.
//
// Compare two revisions with benchstat
// (GOFLAGS= go install golang.org/x/perf/cmd/benchstat@latest):
//
//	benchstat old.txt new.txt
//
// To compare kafkaclient with raw, name the positional parts of the
// benchmark names first, then pivot on the client:
//
//	sed -E 's#^(Benchmark[A-Za-z]+)/([^/]+)/([^/]+)/([^/[:space:]-]+)#\1/backend=\2/client=\3/size=\4#' new.txt > kv.txt
//	benchstat -col '/client@(raw kafkaclient)' kv.txt
//
// The kbench command (go run ./benchmarks/cmd/kbench) runs every workload
// for every backend and client, each in its own process, and prints a
// markdown table and writes an SVG chart; see its documentation.
//
// # Adding a backend
//
// A backend registers itself with [Register] from a file of this package
// with the build constraints it needs (backend_confluent.go is cgo only),
// giving its kafkaclient backend and a [Client] for its raw library.
package benchmarks
