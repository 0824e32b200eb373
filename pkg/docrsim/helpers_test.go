package docrsim

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"golang.org/x/oauth2"
	testingclock "k8s.io/utils/clock/testing"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFakeClock() *testingclock.FakeClock { return testingclock.NewFakeClock(epoch) }

// godoClient is a godo v1.236.0 client for the simulator, without retries so that
// tests see every status the simulator answers.
func godoClient(t testing.TB, s *Server, token string) *godo.Client {
	t.Helper()
	hc := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
	c, err := godo.New(hc, godo.SetBaseURL(s.URL()))
	if err != nil {
		t.Fatalf("godo client: %v", err)
	}
	return c
}

// statusOf is the HTTP status of a godo call's outcome (0 when there is no response).
func statusOf(resp *godo.Response, err error) int {
	var er *godo.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	if resp != nil && resp.Response != nil {
		return resp.StatusCode
	}
	if err == nil {
		return http.StatusOK
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
