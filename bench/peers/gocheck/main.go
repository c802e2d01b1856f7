// Peer: a Go net/http URL checker with a pool of N goroutines (stdlib only).
//
//	gocheck [-c N] [-cacert FILE] [-t SEC] FILE
//
// Written as Go users write a fast client: one shared http.Client whose
// Transport keeps up to N idle connections (in all and per host; Go's
// default of 2 per host would close nearly every connection after its
// request), no cap on connections per host (N goroutines bound them),
// HTTP/2 over TLS where the server offers it (ALPN), and every response
// body read to its end (up to 1 MiB) before Close, since net/http only
// reuses a connection whose body was drained. The workers take URLs from a
// channel; each GET follows redirects (the client's default). Names are
// looked up by Go's own resolver (/etc/hosts, then /etc/resolv.conf).
// Prints a sitecheck-style tally, e.g. {"200": 10000}; any error counts as
// "error".
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// drainLimit bounds what is read of a body to keep its connection: a
// bigger body is cut off and its connection closed instead.
const drainLimit = 1 << 20

func main() {
	conc := flag.Int("c", 256, "requests in flight")
	cacert := flag.String("cacert", "", "trust the CA certificates in this file")
	timeout := flag.Float64("t", 30, "timeout per URL, seconds")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gocheck [-c N] [-cacert FILE] FILE")
		os.Exit(2)
	}
	// DefaultTransport's dialer, proxy and handshake timeouts, sized to -c.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = *conc
	transport.MaxIdleConnsPerHost = *conc
	transport.MaxConnsPerHost = 0
	transport.ForceAttemptHTTP2 = true
	if *cacert != "" {
		pem, err := os.ReadFile(*cacert)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	client := &http.Client{Transport: transport, Timeout: time.Duration(*timeout * float64(time.Second))}

	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	urls := make(chan string, *conc)
	results := make(chan string, *conc)
	var wg sync.WaitGroup
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range urls {
				resp, err := client.Get(u)
				if err != nil {
					results <- "error"
					continue
				}
				io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
				resp.Body.Close()
				results <- strconv.Itoa(resp.StatusCode)
			}
		}()
	}
	go func() {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line != "" && !strings.HasPrefix(line, "#") {
				urls <- line
			}
		}
		close(urls)
		wg.Wait()
		close(results)
	}()
	tally := map[string]int{}
	for r := range results {
		tally[r]++
	}
	keys := make([]string, 0, len(tally))
	for k := range tally {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, ea := strconv.Atoi(keys[i])
		b, eb := strconv.Atoi(keys[j])
		if ea == nil && eb == nil {
			return a < b
		}
		if (ea == nil) != (eb == nil) {
			return ea == nil
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		kj, _ := json.Marshal(k)
		parts[i] = fmt.Sprintf("%s: %d", kj, tally[k])
	}
	fmt.Printf("{%s}\n", strings.Join(parts, ", "))
}
