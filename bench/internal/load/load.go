// Package load is an open-loop HTTP load generator: requests leave on a
// fixed schedule whatever the server does, and each latency counts from the
// request's scheduled time, so a slow server cannot hide its queueing
// (no coordinated omission).
package load

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Result of one run.
type Result struct {
	Sent      int
	Errors    int             // transport errors and non-2xx answers
	Latencies []time.Duration // of every request, failed ones included
	Elapsed   time.Duration
}

// Quantile returns the q-quantile (0 < q <= 1) of the latencies, nearest rank.
func (r Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// NewClient returns an HTTP client with enough idle connections for rate.
func NewClient(rate int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = rate, rate
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// OpenLoop sends rate requests per second for d, each made by newReq.
func OpenLoop(ctx context.Context, c *http.Client, rate int, d time.Duration, newReq func(ctx context.Context) (*http.Request, error)) Result {
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	var (
		mu  sync.Mutex
		res = Result{Latencies: make([]time.Duration, 0, n)}
		wg  sync.WaitGroup
	)
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return res
			case <-time.After(wait):
			}
		}
		wg.Go(func() {
			ok := send(ctx, c, newReq)
			lat := time.Since(at)
			mu.Lock()
			defer mu.Unlock()
			res.Sent++
			if !ok {
				res.Errors++
			}
			// A failed request counts with the time it took to fail (at
			// least the client timeout for a timeout): leaving it out would
			// flatter the tail.
			res.Latencies = append(res.Latencies, lat)
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

func send(ctx context.Context, c *http.Client, newReq func(ctx context.Context) (*http.Request, error)) bool {
	req, err := newReq(ctx)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode/100 == 2
}
