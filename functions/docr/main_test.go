package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// TestServe runs the function binary as Crossplane does (mTLS from --tls-certs-dir or
// TLS_SERVER_CERTS_DIR) and as `composition render` does (--insecure), and calls it.
func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function binary")
	}
	bin := buildFunction(t)
	pki := newPKI(t)
	serverDir := pki.dir(t, "server", pki.issue(t, "function-docr", false))
	client := pki.issue(t, "crossplane", true)
	other := newPKI(t).issue(t, "intruder", true) // a client certificate from another CA

	type dial struct {
		creds  credentials.TransportCredentials
		wantOK bool
	}
	cases := map[string]struct {
		args  []string
		env   []string
		dials map[string]dial
	}{
		"MTLSFromFlag": {
			args: []string{"--tls-certs-dir=" + serverDir},
			dials: map[string]dial{
				"CrossplaneClient":  {creds: pki.clientTLS(client), wantOK: true},
				"NoClientCert":      {creds: pki.clientTLS(nil), wantOK: false},
				"ClientFromOtherCA": {creds: pki.clientTLS(other), wantOK: false},
				"Plaintext":         {creds: insecure.NewCredentials(), wantOK: false},
			},
		},
		"MTLSFromEnvironment": {
			env: []string{"TLS_SERVER_CERTS_DIR=" + serverDir},
			dials: map[string]dial{
				"CrossplaneClient": {creds: pki.clientTLS(client), wantOK: true},
				"Plaintext":        {creds: insecure.NewCredentials(), wantOK: false},
			},
		},
		"InsecureForRender": {
			args: []string{"--insecure"},
			dials: map[string]dial{
				"Plaintext": {creds: insecure.NewCredentials(), wantOK: true},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			addr, metrics := freeAddr(t), freeAddr(t)
			stop := start(t, bin, append([]string{"--address=" + addr, "--metrics-address=" + metrics}, tc.args...), tc.env)
			defer stop()
			for dname, d := range tc.dials {
				t.Run(dname, func(t *testing.T) {
					err := callFunction(t, addr, d.creds)
					if d.wantOK && err != nil {
						t.Fatalf("RunFunction failed: %v", err)
					}
					if !d.wantOK && err == nil {
						t.Fatal("RunFunction succeeded, want the connection refused")
					}
				})
			}
			// The metrics address serves Prometheus metrics of the gRPC server.
			body := getMetrics(t, metrics)
			if !strings.Contains(body, "grpc_server_handled_total") {
				t.Errorf("metrics at %s lack grpc_server_handled_total:\n%.500s", metrics, body)
			}
		})
	}
}

func callFunction(t *testing.T, addr string, creds credentials.TransportCredentials) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close() //nolint:errcheck // test client
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rsp, err := fnv1.NewFunctionRunnerServiceClient(conn).RunFunction(ctx, request(xr(t, `{registryName: acme, regions: [nyc3, ams3]}`), nil))
	if err != nil {
		return err
	}
	if len(rsp.GetDesired().GetResources()) != 2+1 || fatal(rsp) != "" { // subscription + two registries
		t.Errorf("unexpected response: %d resources, results %v", len(rsp.GetDesired().GetResources()), rsp.GetResults())
	}
	return nil
}

func buildFunction(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "function-docr")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("cannot build the function: %v\n%s", err, out)
	}
	return bin
}

// start runs the function and waits until it accepts connections.
func start(t *testing.T, bin string, args, env []string) (stop func()) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("function log:\n%s", log.String())
		}
	}
	addr := strings.TrimPrefix(args[0], "--address=")
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return stop
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the function did not listen on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getMetrics(t *testing.T, addr string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		rsp, err := http.Get("http://" + addr + "/metrics") //nolint:noctx // test
		if err == nil {
			b, _ := io.ReadAll(rsp.Body)
			_ = rsp.Body.Close()
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics at %s: %v", addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() //nolint:errcheck // only reserving a port
	return l.Addr().String()
}

// pki is a throwaway certificate authority, as Crossplane's root CA would be.
type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

type issued struct {
	certPEM, keyPEM []byte
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &pki{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (p *pki) issue(t *testing.T, cn string, client bool) *issued {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
	}
}

// dir writes tls.crt, tls.key and ca.crt, the layout of Crossplane's TLS Secrets.
func (p *pki) dir(t *testing.T, name string, c *issued) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	for f, b := range map[string][]byte{"tls.crt": c.certPEM, "tls.key": c.keyPEM, "ca.crt": p.pem} {
		if err := os.WriteFile(filepath.Join(d, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// clientTLS trusts this CA and presents c (none when nil).
func (p *pki) clientTLS(c *issued) credentials.TransportCredentials {
	pool := x509.NewCertPool()
	pool.AddCert(p.cert)
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if c != nil {
		pair, err := tls.X509KeyPair(c.certPEM, c.keyPEM)
		if err != nil {
			panic(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(cfg)
}
