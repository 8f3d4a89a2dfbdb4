package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/maestro-go/maestro/internal/cli"
)

// StatusCommand runs `maestro status [-json] [-timeout D] ADDR`: it GETs
// StatusPath from the admin endpoint at ADDR ("host:port", ":port" for
// loopback, or an http:// URL) and writes the member's status to stdout
// as a table (PrintStatus), or with -json the JSON as served. It blocks
// for at most -timeout. -h writes the help and returns flag.ErrHelp; a bad
// flag or argument is a cli.UsageError naming it; an unreachable member
// or a bad reply is a plain error. Pass the result to cli.Status.
func StatusCommand(args []string, stdout io.Writer) error {
	c := cli.New("maestro status", "print a running member's view, role, primary status and metrics, read from its admin endpoint (Options.AdminAddr)",
		"[-json] [-timeout D] ADDR")
	raw := c.Flags.Bool("json", false, "print the JSON of "+StatusPath+" as served instead of a table")
	timeout := c.Flags.Duration("timeout", 5*time.Second, "give up after this long (> 0)")
	if err := c.Parse(args, stdout); err != nil {
		return err
	}
	switch {
	case *timeout <= 0:
		return cli.Usagef("-timeout %v: must be positive", *timeout)
	case c.Flags.NArg() == 0:
		return cli.Usagef("missing ADDR, the member's admin address (see %s -h)", c.Name)
	case c.Flags.NArg() > 1:
		return cli.Usagef("unexpected argument %q (%s takes one ADDR)", c.Flags.Arg(1), c.Name)
	}
	u, err := statusURL(c.Flags.Arg(0))
	if err != nil {
		return cli.UsageError{Err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	body, err := get(ctx, u)
	if err != nil {
		return err
	}
	if *raw {
		_, err = stdout.Write(body)
		return err
	}
	var s Status
	if err := json.Unmarshal(body, &s); err != nil {
		return fmt.Errorf("%s: not a member's status: %w", u, err)
	}
	return PrintStatus(stdout, s)
}

// statusURL turns ADDR into the URL of the status endpoint.
func statusURL(addr string) (string, error) {
	if strings.HasPrefix(addr, "http://") || strings.HasPrefix(addr, "https://") {
		u, err := url.Parse(addr)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("ADDR %q: not a URL with a host", addr)
		}
		u.Path = StatusPath
		return u.String(), nil
	}
	la, err := ListenAddr(addr)
	if err != nil {
		return "", fmt.Errorf("ADDR %q: want host:port, :port or an http:// URL", addr)
	}
	return "http://" + la + StatusPath, nil
}

// get fetches u and returns its body if the status is 200.
func get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("get %s: read reply: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}
