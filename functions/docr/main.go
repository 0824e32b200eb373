// Command function-docr is a Crossplane composition function that expands one
// namespaced XDOCR into a multi-region DigitalOcean Container Registry estate.
package main

import (
	_ "time/tzdata" // the runtime image has no zoneinfo; time zones must still resolve

	"github.com/alecthomas/kong"
	"k8s.io/utils/clock"

	function "github.com/crossplane/function-sdk-go"
)

// CLI is the function's command line; Crossplane runs it with TLS_SERVER_CERTS_DIR set.
type CLI struct {
	Debug bool `help:"Emit debug logs in addition to info logs." short:"d"`

	Network            string `default:"tcp"   help:"Network on which to listen for gRPC connections."`
	Address            string `default:":9443" help:"Address at which to listen for gRPC connections."`
	MetricsAddress     string `default:":8080" help:"Address at which to serve Prometheus metrics; empty disables them."`
	TLSCertsDir        string `env:"TLS_SERVER_CERTS_DIR" help:"Directory with the server certificate (tls.crt, tls.key) and the CA that signs clients (ca.crt), for mTLS." name:"tls-certs-dir"`
	Insecure           bool   `help:"Serve without mTLS, as 'crossplane composition render' expects. Crossplane itself always uses mTLS."`
	MaxRecvMessageSize int    `default:"4"     help:"Maximum size of received messages in MiB."`
}

// Run serves the function until it fails.
func (c *CLI) Run() error {
	log, err := function.NewLogger(c.Debug)
	if err != nil {
		return err
	}
	return function.Serve(NewFunction(log, clock.RealClock{}),
		function.Listen(c.Network, c.Address),
		function.MTLSCertificates(c.TLSCertsDir),
		function.Insecure(c.Insecure),
		function.MaxRecvMessageSize(c.MaxRecvMessageSize*1024*1024),
		function.WithMetricsServer(c.MetricsAddress),
	)
}

func main() {
	ctx := kong.Parse(&CLI{}, kong.Description("Composes an XDOCR into a multi-region DigitalOcean Container Registry estate."))
	ctx.FatalIfErrorf(ctx.Run())
}
