package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kafkaclient/kafkaclient/benchmarks"
)

func TestMain(m *testing.M) {
	// The test binary is also the worker process run starts.
	if job := os.Getenv(workerEnv); job != "" {
		os.Exit(worker(job))
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the command's whole path on the embedded broker with a
// few hundred messages of 100B, for every registered backend. -short skips
// it: it starts a broker and a worker process per backend and client, and
// takes a few seconds.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker and worker processes")
	}
	defer goleak.VerifyNone(t)
	t.Setenv("KAFKA_BOOTSTRAP_SERVERS", "")
	out := t.TempDir()
	cfg := config{
		quick:           true,
		out:             out,
		messages:        300,
		latencyRate:     1000,
		latencyDuration: 200 * time.Millisecond,
		memoryMessages:  2000,
		sizes:           []string{"100B"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, cfg, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	table := stdout.String()
	for _, b := range benchmarks.Backends() {
		for _, kind := range benchmarks.Kinds {
			if row := "| " + b.Name + " | " + kind + " | 100B |"; !strings.Contains(table, row) {
				t.Errorf("table has no row %q:\n%s", row, table)
			}
		}
	}
	if strings.Contains(table, "Failed workloads") {
		t.Errorf("workloads failed:\n%s\nstderr:\n%s", table, stderr.String())
	}

	var results struct{ Results []benchmarks.JobResult }
	readJSON(t, filepath.Join(out, "results.json"), &results)
	if want := 2 * len(benchmarks.Backends()); len(results.Results) != want {
		t.Fatalf("results.json has %d results, want %d", len(results.Results), want)
	}
	for _, r := range results.Results {
		if r.Produce.Messages != 300 || r.Consume.Messages != 300 || r.Latency.Received != r.Latency.Sent || r.Latency.P99 <= 0 {
			t.Errorf("%s/%s: incomplete result %+v", r.Backend, r.Client, r)
		}
		if r.Memory.Messages != 2000 || r.Memory.PeakRSS <= 0 {
			t.Errorf("%s/%s: memory workload result %+v", r.Backend, r.Client, r.Memory)
		}
		if row := "| " + r.Backend + " | " + r.Client + " | 100B | "; strings.Count(table, row) != 2 {
			t.Errorf("table has not both a main and a memory row %q:\n%s", row, table)
		}
	}
	f, err := os.Open(filepath.Join(out, "chart.svg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("chart.svg is not well-formed XML: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "results.md")); err != nil {
		t.Error(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
