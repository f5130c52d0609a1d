// hoist-test-apiserver: a Kubernetes API server for hoist's tests.
//
// hoist-agent is also checked against a real kube-apiserver, so this server
// keeps the real API's semantics wherever a client can observe them:
// discovery documents, namespaced and cluster paths, server-side apply with
// managedFields computed by structured-merge-diff (the library
// kube-apiserver uses), conflicts and their Status bodies, resourceVersion
// and generation that move only on real changes, dryRun, status
// subresources, CRDs that become served only once established, watches.
// What it leaves out is listed in docs/testing.md.
//
// It keeps everything in memory; one process is one empty cluster with the
// namespaces a fresh cluster has.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	listen         string
	portFile       string
	kubeconfig     string
	certKubeconfig string
	token          string
	tokenFile      string
	insecureHTTP   bool
	crdDelay       time.Duration
	nsDeleteDelay  time.Duration
	bookmarkEvery  time.Duration
	watchHistory   int
	verbose        bool
	cpuProfile     string
	faults         faultFlags
}

type faultFlags []string

func (f *faultFlags) String() string { return strings.Join(*f, "; ") }
func (f *faultFlags) Set(v string) error {
	if _, err := parseFault(v); err != nil {
		return err
	}
	*f = append(*f, v)
	return nil
}

func main() {
	var o options
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on (port 0: a free port)")
	flag.StringVar(&o.portFile, "port-file", "", "write the port listened on to this file once serving")
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "write a kubeconfig (bearer token) for this server to this file")
	flag.StringVar(&o.certKubeconfig, "cert-kubeconfig", "", "write a kubeconfig authenticating with a client certificate to this file")
	flag.StringVar(&o.token, "token", "", "bearer token clients must present (default: random)")
	flag.StringVar(&o.tokenFile, "token-file", "", "accept the bearer token this file holds at each request instead of --token (tests rotate it)")
	flag.BoolVar(&o.insecureHTTP, "insecure-http", false, "serve plain HTTP instead of HTTPS")
	flag.DurationVar(&o.crdDelay, "crd-establish-delay", 300*time.Millisecond, "time before a new CRD is Established and its kinds served")
	flag.DurationVar(&o.nsDeleteDelay, "namespace-delete-delay", 100*time.Millisecond, "time a deleted namespace stays Terminating before its content and itself are removed")
	flag.DurationVar(&o.bookmarkEvery, "bookmark-interval", 2*time.Second, "time between BOOKMARK events of a watch that asked for them (the real server: about a minute; tests want them sooner)")
	flag.IntVar(&o.watchHistory, "watch-history", 10000, "events kept for watches; an older resourceVersion gets 410 Gone")
	flag.BoolVar(&o.verbose, "v", false, "log every request to stderr")
	flag.Var(&o.faults, "fault", "inject a fault: 'METHOD PATH-PREFIX ACTION [times=N]' (see faults.go); repeatable")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file until SIGTERM")
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("hoist-test-apiserver: ")

	if o.token == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			log.Fatal(err)
		}
		o.token = hex.EncodeToString(b)
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		log.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	host := ln.Addr().(*net.TCPAddr).IP.String()
	if host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}

	s := newServer(o)
	for _, line := range o.faults {
		f, _ := parseFault(line)
		s.faults.add(f)
	}
	s.address = net.JoinHostPort(host, strconv.Itoa(port))
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}

	var pki *pkiSet
	scheme := "http"
	if !o.insecureHTTP {
		scheme = "https"
		pki, err = newPKI(host)
		if err != nil {
			log.Fatal(err)
		}
		s.clientCAs = pki.pool
		hs.TLSConfig = &tls.Config{
			Certificates: []tls.Certificate{pki.serverCert},
			ClientAuth:   tls.VerifyClientCertIfGiven,
			ClientCAs:    pki.pool,
			MinVersion:   tls.VersionTLS12,
		}
	}
	serverURL := scheme + "://" + s.address
	if o.kubeconfig != "" {
		if err := writeKubeconfig(o.kubeconfig, serverURL, pki, o.token, false); err != nil {
			log.Fatal(err)
		}
	}
	if o.certKubeconfig != "" {
		if pki == nil {
			log.Fatal("--cert-kubeconfig needs HTTPS")
		}
		if err := writeKubeconfig(o.certKubeconfig, serverURL, pki, "", true); err != nil {
			log.Fatal(err)
		}
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
	}
	go func() {
		<-sig
		if o.cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		os.Exit(0)
	}()

	// The port file is written last, after the kubeconfig: a waiting test
	// may use both as soon as it sees it.
	if o.portFile != "" {
		tmp := o.portFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, o.portFile); err != nil {
			log.Fatal(err)
		}
	}
	if pki != nil {
		err = hs.ServeTLS(ln, "", "")
	} else {
		err = hs.Serve(ln)
	}
	log.Fatal(err)
}

type pkiSet struct {
	caPEM      []byte
	pool       *x509.CertPool
	serverCert tls.Certificate
	clientCert []byte
	clientKey  []byte
	caCert     *x509.Certificate
	caKey      *ecdsa.PrivateKey
}

func newPKI(host string) (*pkiSet, error) {
	p := &pkiSet{}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hoist-test-apiserver CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	p.caCert, err = x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	p.caKey = caKey
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.caCert)

	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default.svc"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
		srvTmpl.IPAddresses = append(srvTmpl.IPAddresses, ip)
	}
	certPEM, keyPEM, err := p.sign(srvTmpl)
	if err != nil {
		return nil, err
	}
	p.serverCert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	cliTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{CommonName: "hoist-test-admin", Organization: []string{"system:masters"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	p.clientCert, p.clientKey, err = p.sign(cliTmpl)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pkiSet) sign(tmpl *x509.Certificate) ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// writeKubeconfig writes a kubeconfig the way kubeadm-made ones look:
// one cluster, one user, one context, current-context set, namespace default.
func writeKubeconfig(path, server string, p *pkiSet, token string, useCert bool) error {
	b64 := base64.StdEncoding.EncodeToString
	cluster := fmt.Sprintf("    server: %s\n", server)
	if p != nil {
		cluster = fmt.Sprintf("    certificate-authority-data: %s\n", b64(p.caPEM)) + cluster
	}
	user := fmt.Sprintf("    token: %s\n", token)
	if useCert {
		user = fmt.Sprintf("    client-certificate-data: %s\n    client-key-data: %s\n",
			b64(p.clientCert), b64(p.clientKey))
	}
	text := "apiVersion: v1\nkind: Config\nclusters:\n- name: hoist-test\n  cluster:\n" + cluster +
		"users:\n- name: hoist-test-admin\n  user:\n" + user +
		"contexts:\n- name: hoist-test\n  context:\n    cluster: hoist-test\n    user: hoist-test-admin\n    namespace: default\n" +
		"current-context: hoist-test\npreferences: {}\n"
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
