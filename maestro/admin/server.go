package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Paths the server answers.
const (
	MetricsPath = "/metrics"
	StatusPath  = "/debug/maestro"
)

// Handler serves src: Prometheus text at MetricsPath, the Status as JSON
// at StatusPath, and a short index at "/". It reads src once per request,
// on the request's goroutine, and fills in Status.UptimeSeconds. Only GET
// and HEAD are allowed.
func Handler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+MetricsPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		_ = WriteMetrics(w, read(src)) // a write error means the client went away
	})
	mux.HandleFunc("GET "+StatusPath, func(w http.ResponseWriter, _ *http.Request) {
		b, err := json.MarshalIndent(read(src), "", "  ")
		if err != nil {
			http.Error(w, "admin: encode status: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(b, '\n'))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "maestro member admin\n%s\tPrometheus metrics\n%s\tstatus as JSON\n", MetricsPath, StatusPath)
	})
	return mux
}

// read takes one Status from src and stamps its uptime.
func read(src Source) Status {
	s := src.Status()
	if !s.Started.IsZero() {
		s.UptimeSeconds = time.Since(s.Started).Seconds()
	}
	return s
}

// Server is a running admin endpoint.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Listen binds addr (see ListenAddr for the forms it takes) and serves
// src there on goroutines of its own until Close. A bind failure is an
// error naming the address.
func Listen(addr string, src Source) (*Server, error) {
	la, err := ListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", la)
	if err != nil {
		return nil, fmt.Errorf("admin: listen on %q: %w", addr, err)
	}
	s := &Server{
		ln:   ln,
		srv:  &http.Server{Handler: Handler(src), ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// Addr returns the bound address, e.g. "127.0.0.1:41234" when the port
// asked for was 0.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server: the listening socket is closed (the port is
// free when Close returns) and so are open connections. It does not wait
// for requests in progress to finish their reply. Safe to call more than
// once.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// ListenAddr returns the TCP address to bind for addr, which is
// "host:port" or ":port". An empty host means the loopback address
// 127.0.0.1: the endpoint tells anyone who reaches it about the group, so
// it is exposed beyond the machine only when asked for, e.g. with
// "0.0.0.0:9464". Anything else is an error naming addr.
func ListenAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("admin: address %q: want host:port or :port: %w", addr, err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return "", fmt.Errorf("admin: address %q: bad port %q", addr, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
