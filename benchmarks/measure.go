package benchmarks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one measured span of a workload cost.
type Result struct {
	// Messages is the number of messages in the span.
	Messages int `json:"messages"`
	// Elapsed is the wall-clock time of the span.
	Elapsed time.Duration `json:"elapsed_ns"`
	// CPU is the process's user plus system CPU time in the span.
	CPU time.Duration `json:"cpu_ns"`
	// Mallocs and AllocBytes are the Go heap allocations in the span.
	Mallocs    uint64 `json:"mallocs"`
	AllocBytes uint64 `json:"alloc_bytes"`
	// PeakRSS is the process's peak resident set in bytes since the meter
	// was reset (or since the process started where it cannot be reset).
	PeakRSS int64 `json:"peak_rss"`
}

// MsgsPerSec returns the message rate.
func (r Result) MsgsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Elapsed.Seconds()
}

// AllocsPerMsg returns heap allocations per message.
func (r Result) AllocsPerMsg() float64 { return perMsg(float64(r.Mallocs), r.Messages) }

// BytesPerMsg returns heap bytes allocated per message.
func (r Result) BytesPerMsg() float64 { return perMsg(float64(r.AllocBytes), r.Messages) }

// CPUPerMillion returns CPU seconds per million messages.
func (r Result) CPUPerMillion() float64 { return perMsg(r.CPU.Seconds()*1e6, r.Messages) }

func perMsg(v float64, n int) float64 {
	if n <= 0 {
		return 0
	}
	return v / float64(n)
}

// Meter measures one span of a workload: Start and Stop bracket it. OnStart
// and OnStop, when set, run right after Start and right before Stop take
// their readings (go test benchmarks start and stop b's timer there).
type Meter struct {
	OnStart, OnStop func()

	// Result is set by Stop.
	Result Result

	start   time.Time
	cpu     time.Duration
	mem     runtime.MemStats
	running bool
}

// Start begins the span. Starting a running meter does nothing.
func (m *Meter) Start() {
	if m == nil || m.running {
		return
	}
	m.running = true
	ResetPeakRSS()
	runtime.ReadMemStats(&m.mem)
	m.cpu = processCPU()
	m.start = time.Now()
	if m.OnStart != nil {
		m.OnStart()
	}
}

// Stop ends the span of messages messages. Stopping a stopped meter does
// nothing.
func (m *Meter) Stop(messages int) {
	if m == nil || !m.running {
		return
	}
	if m.OnStop != nil {
		m.OnStop()
	}
	elapsed := time.Since(m.start)
	cpu := processCPU() - m.cpu
	before := m.mem
	runtime.ReadMemStats(&m.mem)
	m.running = false
	m.Result = Result{
		Messages:   messages,
		Elapsed:    elapsed,
		CPU:        cpu,
		Mallocs:    m.mem.Mallocs - before.Mallocs,
		AllocBytes: m.mem.TotalAlloc - before.TotalAlloc,
		PeakRSS:    PeakRSS(),
	}
}

// ResetPeakRSS restarts the peak resident set measurement where the
// platform allows it (Linux: /proc/self/clear_refs).
func ResetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// PeakRSS returns the process's peak resident set in bytes: VmHWM from
// /proc/self/status, or getrusage's maxrss.
func PeakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
				f := bytes.Fields(v)
				if len(f) > 0 {
					if kb, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
						return kb * 1024
					}
				}
			}
		}
	}
	return maxRSS()
}

// pending counts messages handed to a producer and not yet reported, and
// keeps the first delivery error.
type pending struct {
	n      atomic.Int64
	signal chan struct{}
	once   sync.Once
	mu     sync.Mutex
	err    error
}

func (p *pending) init() { p.once.Do(func() { p.signal = make(chan struct{}, 1) }) }

func (p *pending) add() { p.n.Add(1) }

func (p *pending) addN(k int) { p.n.Add(int64(k)) }

func (p *pending) done(k int64, err error) {
	if err != nil {
		p.mu.Lock()
		if p.err == nil {
			p.err = err
		}
		p.mu.Unlock()
	}
	if p.n.Add(-k) == 0 {
		p.init()
		select {
		case p.signal <- struct{}{}:
		default:
		}
	}
}

// wait returns once every added message is done, with the first error.
func (p *pending) wait(ctx context.Context) error {
	p.init()
	for p.n.Load() > 0 {
		select {
		case <-p.signal:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// errClosedEarly reports a workload that ended before its messages came.
var errClosedEarly = errors.New("consumer stopped before every message arrived")
