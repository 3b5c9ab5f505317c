// Command kbench compares every kafkaclient backend with the client library
// it wraps, on the workloads of package benchmarks.
//
// For each registered backend (franz, sarama, segmentio, and confluent when
// built with cgo), each client kind (kafkaclient, raw) and each value size
// (100B, 1KiB) it runs, in a fresh process, the produce, consume and open-loop
// latency workloads, and at 100B the producer memory workload: 10M messages
// (1M with --quick) produced as fast as the client takes them, for the peak
// resident set against the configured buffer plus 64 MiB. It shows progress
// on stderr, prints markdown tables on stdout, and writes results.md,
// results.json and chart.svg to the --out directory.
//
// Usage:
//
//	go run ./benchmarks/cmd/kbench --quick          # about a minute
//	go run ./benchmarks/cmd/kbench                  # more messages, 3 s latency runs
//	go run ./benchmarks/cmd/kbench --brokers 127.0.0.1:39092
//
// Without --brokers (or KAFKA_BOOTSTRAP_SERVERS) kbench starts an embedded
// kfake broker in its own process; each workload runs in a child process,
// so CPU time, allocations and peak RSS are the client's alone.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/kafkaclient/kafkaclient/benchmarks"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// workerEnv carries a JSON benchmarks.Job to a worker process.
const workerEnv = "KBENCH_WORKER_JOB"

// progressPrefix starts the stderr lines in which a worker reports its step.
const progressPrefix = "kbench-progress: "

type config struct {
	brokers         []string
	quick           bool
	out             string
	messages        int
	latencyRate     int
	latencyDuration time.Duration
	memoryMessages  int
	backends        []string
	clients         []string
	sizes           []string
}

func main() {
	if job := os.Getenv(workerEnv); job != "" {
		os.Exit(worker(job))
	}
	var cfg config
	var brokers, backends, clients, sizes string
	flag.StringVar(&brokers, "brokers", os.Getenv(kafkatest.EnvBootstrapServers), "comma-separated `host:port` list of a Kafka cluster (default: an embedded broker, or $KAFKA_BOOTSTRAP_SERVERS)")
	flag.BoolVar(&cfg.quick, "quick", false, "fewer messages and 1 s latency runs: about a minute on 2 cores")
	flag.StringVar(&cfg.out, "out", filepath.Join("benchmarks", "results"), "`directory` for results.md, results.json and chart.svg")
	flag.IntVar(&cfg.messages, "messages", 0, "messages per produce and consume workload (default: 30 MB of values with --quick, 200 MB without: 300000 or 2000000 of 100B)")
	flag.IntVar(&cfg.latencyRate, "latency-rate", 1000, "open-loop send rate of the latency workload, messages per second")
	flag.DurationVar(&cfg.latencyDuration, "latency-duration", 0, "length of the latency workload (default 1s with --quick, 3s without)")
	flag.IntVar(&cfg.memoryMessages, "memory-messages", 0, "messages of the producer memory workload, run at 100B (default 10000000, 1000000 with --quick; -1 skips it)")
	flag.StringVar(&backends, "backends", "", "comma-separated backends to run (default: every registered one)")
	flag.StringVar(&clients, "clients", "", "comma-separated client kinds to run: kafkaclient, raw (default both)")
	flag.StringVar(&sizes, "sizes", "", "comma-separated value sizes to run: 100B, 1KiB (default both)")
	flag.Parse()
	cfg.brokers, cfg.backends, cfg.clients, cfg.sizes = split(brokers), split(backends), split(clients), split(sizes)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kbench:", err)
		os.Exit(1)
	}
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// worker runs one job and prints its result as JSON on stdout.
func worker(jobJSON string) int {
	var job benchmarks.Job
	if err := json.Unmarshal([]byte(jobJSON), &job); err != nil {
		fmt.Fprintln(os.Stderr, "kbench worker:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), benchmarks.JobTimeout(job))
	defer cancel()
	res := job.Run(ctx, func(step string) { fmt.Fprintln(os.Stderr, progressPrefix+step) })
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "kbench worker:", err)
		return 2
	}
	return 0
}

func (c config) withDefaults() config {
	if c.latencyDuration <= 0 {
		c.latencyDuration = 3 * time.Second
		if c.quick {
			c.latencyDuration = time.Second
		}
	}
	if c.latencyRate <= 0 {
		c.latencyRate = 1000
	}
	if c.memoryMessages == 0 {
		c.memoryMessages = 10_000_000
		if c.quick {
			c.memoryMessages = 1_000_000
		}
	}
	return c
}

// volume is the value bytes of one produce or consume workload when
// --messages is not given. A consumer has up to one fetch response (6 MB
// here) buffered before its first message, when the clock starts; the
// volume keeps that a small part of the backlog.
func (c config) volume() int {
	if c.quick {
		return 30_000_000
	}
	return 200_000_000
}

func (c config) jobs() ([]benchmarks.Job, error) {
	var jobs []benchmarks.Job
	registered := benchmarks.Backends()
	for _, name := range c.backends {
		if !slices.ContainsFunc(registered, func(b benchmarks.Backend) bool { return b.Name == name }) {
			return nil, fmt.Errorf("backend %q is not registered in this build (confluent needs cgo)", name)
		}
	}
	for _, k := range c.clients {
		if !slices.Contains(benchmarks.Kinds, k) {
			return nil, fmt.Errorf("unknown client %q: want %s", k, strings.Join(benchmarks.Kinds, " or "))
		}
	}
	for _, s := range c.sizes {
		if _, ok := benchmarks.SizeByName(s); !ok {
			return nil, fmt.Errorf("unknown size %q", s)
		}
	}
	for _, b := range registered {
		if len(c.backends) > 0 && !slices.Contains(c.backends, b.Name) {
			continue
		}
		for _, size := range benchmarks.Sizes {
			if len(c.sizes) > 0 && !slices.Contains(c.sizes, size.Name) {
				continue
			}
			for _, kind := range benchmarks.Kinds {
				if len(c.clients) > 0 && !slices.Contains(c.clients, kind) {
					continue
				}
				n := c.messages
				if n <= 0 {
					n = c.volume() / size.Bytes
				}
				memory := 0
				if size.Name == "100B" {
					memory = max(0, c.memoryMessages)
				}
				jobs = append(jobs, benchmarks.Job{
					Backend:        b.Name,
					Client:         kind,
					Size:           size.Name,
					Messages:       n,
					Warmup:         min(1000, n),
					LatencyRate:    c.latencyRate,
					LatencyCount:   max(1, int(c.latencyDuration.Seconds()*float64(c.latencyRate))),
					MemoryMessages: memory,
				})
			}
		}
	}
	if len(jobs) == 0 {
		return nil, errors.New("nothing to run")
	}
	return jobs, nil
}

func run(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	cfg = cfg.withDefaults()
	jobs, err := cfg.jobs()
	if err != nil {
		return err
	}
	brokerDesc := "real cluster at " + strings.Join(cfg.brokers, ",")
	if len(cfg.brokers) == 0 {
		c, err := kafkatest.Start(kafkatest.Embedded())
		if err != nil {
			return err
		}
		defer c.Close()
		cfg.brokers = c.BootstrapServers()
		brokerDesc = "embedded kfake broker (separate process from the clients)"
	}
	env, err := benchmarks.NewEnv(cfg.brokers)
	if err != nil {
		return err
	}
	defer env.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}

	p := newProgress(stderr)
	start := time.Now()
	results := make([]benchmarks.JobResult, 0, len(jobs))
	for i, job := range jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		label := fmt.Sprintf("[%d/%d] %s/%s/%s", i+1, len(jobs), job.Backend, job.Client, job.Size)
		p.step(label, "preparing topics")
		res, err := runJob(ctx, env, exe, job, func(step string) { p.step(label, step) })
		if err != nil {
			res = benchmarks.JobResult{Backend: job.Backend, Client: job.Client, Size: job.Size, Errors: []string{err.Error()}}
			if s, ok := benchmarks.SizeByName(job.Size); ok {
				res.SizeBytes = s.Bytes
			}
		}
		results = append(results, res)
		p.done(label, summary(res))
	}
	elapsed := time.Since(start).Round(time.Second)
	fmt.Fprintf(stderr, "kbench: %d jobs in %v\n", len(jobs), elapsed)

	var table bytes.Buffer
	benchmarks.WriteTable(&table, results)
	if _, err := stdout.Write(table.Bytes()); err != nil {
		return err
	}
	return writeOutputs(cfg, brokerDesc, elapsed, results, table.Bytes(), stderr)
}

// runJob prepares the job's topics, runs it in a worker process and cleans
// up.
func runJob(ctx context.Context, env *benchmarks.Env, exe string, job benchmarks.Job, step func(string)) (benchmarks.JobResult, error) {
	var res benchmarks.JobResult
	ctx, cancel := context.WithTimeout(ctx, benchmarks.JobTimeout(job)+time.Minute)
	defer cancel()
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		job.Cleanup(cctx, env)
	}()
	if err := job.Prepare(ctx, env); err != nil {
		return res, err
	}
	js, err := json.Marshal(job)
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), workerEnv+"="+string(js))
	var out bytes.Buffer
	cmd.Stdout = &out
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	var other []string
	sc := bufio.NewScanner(errPipe)
	for sc.Scan() {
		line := sc.Text()
		if s, ok := strings.CutPrefix(line, progressPrefix); ok {
			step(s)
		} else if len(other) < 20 {
			other = append(other, line)
		}
	}
	if err := cmd.Wait(); err != nil {
		return res, fmt.Errorf("worker: %v: %s", err, strings.Join(other, "; "))
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, fmt.Errorf("worker output: %v", err)
	}
	return res, nil
}

func summary(r benchmarks.JobResult) string {
	if len(r.Errors) > 0 && r.Produce.Messages == 0 && r.Consume.Messages == 0 {
		return "failed: " + r.Errors[0]
	}
	s := fmt.Sprintf("produce %.0f msg/s, consume %.0f msg/s, p99 %.2f ms",
		r.Produce.MsgsPerSec(), r.Consume.MsgsPerSec(), float64(r.Latency.P99)/1e6)
	if len(r.Errors) > 0 {
		s += fmt.Sprintf(" (%d failed workloads)", len(r.Errors))
	}
	return s
}

// progress shows the current job's step on one line of a terminal, or one
// line per step elsewhere.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) step(label, step string) {
	t := time.Since(p.start).Round(time.Second)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%6v %s: %s…", t, label, step)
		return
	}
	fmt.Fprintf(p.w, "%6v %s: %s\n", t, label, step)
}

func (p *progress) done(label, summary string) {
	t := time.Since(p.start).Round(time.Second)
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, "%6v %s: %s\n", t, label, summary)
}

// machine describes the computer the run is on.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (nproc), %s, %s %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func writeOutputs(cfg config, brokerDesc string, elapsed time.Duration, results []benchmarks.JobResult, table []byte, stderr io.Writer) error {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	mode := "default"
	if cfg.quick {
		mode = "--quick"
	}
	volume := fmt.Sprintf("%d MB of values", cfg.volume()/1_000_000)
	if cfg.messages > 0 {
		volume = fmt.Sprintf("%d messages", cfg.messages)
	}
	desc := fmt.Sprintf("%s mode: %s per produce/consume workload, latency %d msg/s for %v; %s; %s; %s",
		mode, volume, cfg.latencyRate, cfg.latencyDuration, brokerDesc, machine(), time.Now().UTC().Format("2006-01-02 15:04 MST"))

	var md bytes.Buffer
	fmt.Fprintf(&md, "# kbench results\n\n%s. Run time %v.\n\n", desc, elapsed)
	md.Write(table)
	md.WriteString("\nP / C: produce / consume workload. Latency: open loop, due time to consume time.\n")
	if err := os.WriteFile(filepath.Join(cfg.out, "results.md"), md.Bytes(), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(struct {
		Description string                 `json:"description"`
		Results     []benchmarks.JobResult `json:"results"`
	}{desc, results}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	var svg bytes.Buffer
	sub := fmt.Sprintf("%s mode, %s, %s", mode, strings.SplitN(brokerDesc, " (", 2)[0], machine())
	if err := benchmarks.WriteSVG(&svg, results, sub); err != nil {
		return err
	}
	chart := filepath.Join(cfg.out, "chart.svg")
	if err := os.WriteFile(chart, svg.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "kbench: wrote %s, results.md and results.json\n", chart)
	return nil
}
