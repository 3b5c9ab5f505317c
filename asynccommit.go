package kafkaclient

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/kafkaclient/kafkaclient/backend"
)

// asyncCommits runs a consumer's asynchronous commits and hands their
// reports to the goroutine that polls. Its fields are guarded by the
// consumer's mutex, mu.
type asyncCommits struct {
	mu *sync.Mutex
	// wake, called with mu held once a report is ready, interrupts the
	// Poll in progress, if any, so that it runs the report at once.
	wake func()

	inflight int
	done     []func()
	// stopped: Close has begun; start refuses new commits.
	stopped bool
	// idle, when set, is closed once no commit is in flight.
	idle chan struct{}
	// inClose is set while Close runs callbacks: a Close they call returns
	// at once instead of waiting for the Close that runs them.
	inClose atomic.Bool
}

// start runs commit on a goroutine of its own; the report commit returns
// runs in a later runReports. It returns false, doing nothing, once stop
// has been called.
func (a *asyncCommits) start(commit func() (report func())) bool {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return false
	}
	a.inflight++
	a.mu.Unlock()
	go func() {
		report := commit()
		a.mu.Lock()
		defer a.mu.Unlock()
		a.inflight--
		a.done = append(a.done, report)
		a.wake()
		if a.inflight == 0 && a.idle != nil {
			close(a.idle)
			a.idle = nil
		}
	}()
	return true
}

// stop makes start refuse new commits.
func (a *asyncCommits) stop() {
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
}

// runReports runs the reports of the commits finished, on the calling
// goroutine.
func (a *asyncCommits) runReports() {
	a.mu.Lock()
	reports := a.done
	a.done = nil
	a.mu.Unlock()
	for _, r := range reports {
		r()
	}
}

// wait waits, within ctx, for the commits in flight.
func (a *asyncCommits) wait(ctx context.Context) {
	a.mu.Lock()
	if a.inflight == 0 {
		a.mu.Unlock()
		return
	}
	if a.idle == nil {
		a.idle = make(chan struct{})
	}
	idle := a.idle
	a.mu.Unlock()
	backend.Wait(ctx, idle) //nolint:errcheck // the caller goes on either way
}
