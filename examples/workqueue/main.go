// Command workqueue runs a work queue on a Kafka share group: two workers
// take jobs from one partition, a job that fails is released to be tried
// again (by either worker), and one that still fails on its third delivery
// goes to a dead-letter topic and is rejected, so that the broker never
// delivers it again. Without -brokers it starts the embedded broker
// in-process:
//
//	go run ./examples/workqueue
//	go run ./examples/workqueue -brokers 127.0.0.1:39092   (Kafka 4.1+ with share.version=1)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kafkaclient/kafkaclient"
	"github.com/kafkaclient/kafkaclient/kafkatest"
)

// maxDeliveries is how often a job is tried before it is dead-lettered.
const maxDeliveries = 3

func main() {
	brokers := flag.String("brokers", "", "bootstrap servers (host:port,...); empty starts the embedded broker")
	jobs := flag.Int("jobs", 20, "jobs to queue")
	flag.Parse()
	s, err := run(*brokers, *jobs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "workqueue:", err)
		os.Exit(1)
	}
	fmt.Println(s)
}

// summary is what the workers did.
type summary struct {
	done, retried int
	dead          []string
}

func (s summary) String() string {
	return fmt.Sprintf("done %d jobs (%d after a retry); dead-lettered %d: %s", s.done, s.retried, len(s.dead), strings.Join(s.dead, " "))
}

// process does a job: job-N fails every time when N%7 == 3, and on its
// first delivery only when N%5 == 0.
func process(m *kafkaclient.Message) error {
	n, _ := strconv.Atoi(strings.TrimPrefix(string(m.Value), "job-"))
	switch {
	case n%7 == 3:
		return errors.New("malformed job")
	case n%5 == 0 && m.DeliveryCount == 1:
		return errors.New("downstream busy")
	}
	return nil
}

func run(brokers string, jobs int) (summary, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	servers := strings.Split(brokers, ",")
	if brokers == "" {
		cluster, err := kafkatest.Start()
		if err != nil {
			return summary{}, err
		}
		defer cluster.Close()
		servers = cluster.BootstrapServers()
	}
	client := kafkaclient.ClientConfig{BootstrapServers: servers, ClientID: "workqueue"}
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	topic, deadTopic, group := "jobs-"+suffix, "jobs-dead-"+suffix, "workers-"+suffix

	admin, err := kafkaclient.NewAdmin(kafkaclient.AdminConfig{ClientConfig: client})
	if err != nil {
		return summary{}, err
	}
	defer admin.Close(context.Background())
	created, err := admin.CreateTopics(ctx, kafkaclient.TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: -1},
		kafkaclient.TopicSpec{Name: deadTopic, Partitions: 1, ReplicationFactor: -1})
	if err != nil {
		return summary{}, err
	}
	for _, r := range created {
		if r.Err != nil {
			return summary{}, r.Err
		}
	}
	// A new share group starts at the end of the partition: read the jobs
	// queued before the workers start.
	if err := admin.IncrementalAlterConfigs(ctx, kafkaclient.GroupResource(group),
		kafkaclient.ConfigAlteration{Name: "share.auto.offset.reset", Value: "earliest"}); err != nil {
		return summary{}, err
	}

	p, err := kafkaclient.NewProducer(kafkaclient.ProducerConfig{ClientConfig: client})
	if err != nil {
		return summary{}, err
	}
	defer p.Close(context.Background())
	for i := range jobs {
		if err := p.ProduceSync(ctx, kafkaclient.NewMessage(topic, nil, []byte("job-"+strconv.Itoa(i)))); err != nil {
			return summary{}, err
		}
	}

	var (
		mu  sync.Mutex
		sum summary
	)
	// A job whose lock ran out while it was worked on is delivered again:
	// count at least jobs.
	settled := func() bool { mu.Lock(); defer mu.Unlock(); return sum.done+len(sum.dead) >= jobs }
	work := func(c *kafkaclient.ShareConsumer) error {
		for !settled() {
			pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
			msgs, err := c.Poll(pctx, 5)
			pcancel()
			if errors.Is(err, kafkaclient.ErrTimedOut) && ctx.Err() == nil {
				continue // nothing now; look again
			}
			if err != nil {
				return err
			}
			for _, m := range msgs {
				kind := kafkaclient.AckAccept
				if err := process(m); err != nil {
					kind = kafkaclient.AckRelease
					if m.DeliveryCount >= maxDeliveries {
						dl := kafkaclient.NewMessage(deadTopic, nil, m.Value)
						dl.Headers = []kafkaclient.Header{{Key: "error", Value: []byte(err.Error())},
							{Key: "deliveries", Value: []byte(strconv.Itoa(int(m.DeliveryCount)))}}
						if err := p.ProduceSync(ctx, dl); err != nil {
							return err // the job is released by Close: nothing is lost
						}
						kind = kafkaclient.AckReject
					}
				}
				if err := c.Acknowledge(m, kind); err != nil {
					return err
				}
				mu.Lock()
				switch {
				case kind == kafkaclient.AckAccept:
					sum.done++
					if m.DeliveryCount > 1 {
						sum.retried++
					}
				case kind == kafkaclient.AckReject:
					sum.dead = append(sum.dead, string(m.Value))
				}
				mu.Unlock()
			}
			// A refused acknowledgement (the record's lock ran out and it
			// went to another worker) is not fatal: the job comes back.
			if err := c.Commit(ctx); err != nil && !errors.Is(err, kafkaclient.ErrInvalidRecordState) {
				return err
			}
		}
		return nil
	}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		c, err := kafkaclient.NewShareConsumer(kafkaclient.ShareConsumerConfig{ClientConfig: client, GroupID: group,
			AckMode: kafkaclient.ShareAckExplicit, FetchMaxWait: 100 * time.Millisecond})
		if err != nil {
			return summary{}, err
		}
		if err := c.Subscribe(ctx, []string{topic}); err != nil {
			return summary{}, err
		}
		wg.Go(func() {
			errs[i] = work(c)
			if err := c.Close(context.Background()); errs[i] == nil {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	slices.SortFunc(sum.dead, func(a, b string) int {
		x, _ := strconv.Atoi(strings.TrimPrefix(a, "job-"))
		y, _ := strconv.Atoi(strings.TrimPrefix(b, "job-"))
		return x - y
	})
	return sum, errors.Join(errs...)
}
