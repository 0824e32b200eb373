/*
Copyright 2026 The provider-docr Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command bench runs the repository's benchmarks repeatedly and the provider
// process measurement (test/perf), computes min/median/max of each figure and
// writes docs/benchmarks.md with the machine, the versions, the load and a
// comparison with the targets of issues 4 and 6. `make bench` runs it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A suite is one `go test -bench` invocation.
type suite struct {
	Name      string
	Pkg       string
	Bench     string
	Count     int
	Benchtime string
	Why       string
}

// suites are the benchmarks make bench runs. Integration benchmarks run one
// iteration per count (each is seconds to a minute of real time); the rest
// use the benchmark's own timing.
var suites = []suite{
	{Name: "function", Pkg: "./functions/docr/", Bench: "^BenchmarkRunFunction$", Count: 5, Benchtime: "2000x",
		Why: "one RunFunction call, wall (ns/op) and process CPU per call (cpu-ns/op), allocations"},
	{Name: "simulator", Pkg: "./pkg/docrsim/", Bench: "^Benchmark", Count: 5, Benchtime: "1s",
		Why: "simulator throughput: GET registry through HTTP with godo, through the handler, and per server CPU-second"},
	{Name: "internal", Pkg: "./internal/retention/ ./internal/schedule/ ./functions/docr/internal/pbconv/", Bench: "^Benchmark", Count: 5, Benchtime: "1s",
		Why: "retention evaluation of 100k tags, schedule decisions, protobuf conversion"},
	{Name: "registry create", Pkg: "./test/integration/registry/", Bench: "^BenchmarkCreateReady(1|10)$", Count: 3, Benchtime: "1x",
		Why: "in-process controllers (test/env, 2 s poll) against the control plane and simulator: create -> Ready watched through the API (ns/op), requests per create and delete counted by the simulator"},
	{Name: "registry poll", Pkg: "./test/integration/registry/", Bench: "^BenchmarkRequestsPerPoll$", Count: 3, Benchtime: "1x",
		Why: "ten Ready Registries, 5 s poll, 30 s window: simulator requests / (registries x polls)"},
}

// sample is one figure from one run.
type key struct{ Pkg, Bench, Unit string }

type stats struct{ Min, Median, Max float64 }

func summarize(xs []float64) stats {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return stats{s[0], med, s[n-1]}
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)

// parse reads `go test -bench` output: "pkg:" lines and benchmark lines of
// value/unit pairs.
func parse(out string, into map[key][]float64, order *[]key) {
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if p, ok := strings.CutPrefix(l, "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimSpace(p), "github.com/crossplane-contrib/provider-docr/")
			continue
		}
		m := benchLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			k := key{pkg, m[1], f[i+1]}
			if _, seen := into[k]; !seen {
				*order = append(*order, k)
			}
			into[k] = append(into[k], v)
		}
	}
}

// Figure and perfResult mirror test/perf's JSON.
type Figure struct {
	Name    string    `json:"name"`
	Unit    string    `json:"unit"`
	Samples []float64 `json:"samples"`
	Method  string    `json:"method"`
}

type perfResult struct {
	Figures []Figure          `json:"figures"`
	Notes   map[string]string `json:"notes"`
	runs    int
}

func (p *perfResult) merge(o perfResult, run string) {
	p.runs++
	for _, f := range o.Figures {
		found := false
		for i := range p.Figures {
			if p.Figures[i].Name == f.Name {
				p.Figures[i].Samples = append(p.Figures[i].Samples, f.Samples...)
				found = true
			}
		}
		if !found {
			p.Figures = append(p.Figures, f)
		}
	}
	for k, v := range o.Notes {
		p.Notes[run+": "+k] = v
	}
}

func sh(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "unknown (" + strings.TrimSpace(string(out)) + ")"
	}
	return strings.TrimSpace(string(out))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	return "unknown"
}

func toolVersion(bin string, args ...string) string {
	dir := os.Getenv("DOCR_TOOLS_BIN")
	if dir == "" {
		dir = filepath.Join(".cache", "tools", "bin")
	}
	v := sh(filepath.Join(dir, bin), args...)
	return strings.SplitN(v, "\n", 2)[0]
}

type run struct {
	suite    suite
	loadPre  string
	loadPost string
	took     time.Duration
	err      error
}

func main() {
	out := flag.String("out", "docs/benchmarks.md", "where to write the report")
	logDir := flag.String("logs", "_output/bench", "where to keep the raw go test output")
	notes := flag.String("notes", "cluster/bench/notes.md", "hand-written interpretation appended to the report")
	skipPerf := flag.Bool("skip-perf", false, "skip the provider process measurement (test/perf)")
	only := flag.String("only", "", "run only suites whose name contains this")
	fromLogs := flag.Bool("from-logs", false, "do not run the suites: report from the logs of an earlier run in -logs")
	perfJSON := flag.String("perf-json", "", "use this test/perf result (DOCR_PERF_OUT of an earlier run) instead of running test/perf")
	skipXDOCR := flag.Bool("skip-xdocr", false, "skip the end-to-end XDOCR convergence measurement (test/perf/xdocr)")
	xdocrJSON := flag.String("xdocr-json", "", "use this test/perf/xdocr result (DOCR_PERF_XDOCR_OUT of an earlier run) instead of running it")
	flag.Parse()
	if err := os.MkdirAll(*logDir, 0o755); err != nil {
		fail(err)
	}

	started := time.Now().UTC()
	samples := map[key][]float64{}
	var order []key
	var runs []run
	for _, s := range suites {
		if *only != "" && !strings.Contains(s.Name, *only) {
			continue
		}
		args := []string{"test", "-run", "^$", "-bench", s.Bench, "-benchmem", "-count", strconv.Itoa(s.Count), "-benchtime", s.Benchtime, "-timeout", "20m"}
		args = append(args, strings.Fields(s.Pkg)...)
		logPath := filepath.Join(*logDir, slug(s.Name)+".log")
		r := run{suite: s}
		var o string
		if *fromLogs {
			o, r.err = r.load(logPath)
		} else {
			r.loadPre = loadavg()
			fmt.Fprintf(os.Stderr, "bench: %s: go %s\n", s.Name, strings.Join(args, " "))
			t0 := time.Now()
			var err error
			o, err = goCmd(logPath, args...)
			r.took, r.loadPost, r.err = time.Since(t0), loadavg(), err
			r.save(logPath)
		}
		parse(o, samples, &order)
		runs = append(runs, r)
	}

	var perf *perfResult
	var perfRun run
	if *perfJSON != "" {
		// Several results (comma-separated) are pooled: their samples are one
		// set per figure; notes are kept per run.
		perfRun = run{suite: suite{Name: "provider process", Pkg: "./test/perf/ (earlier runs: " + *perfJSON + ")"}}
		perf = &perfResult{Notes: map[string]string{}}
		for i, path := range strings.Split(*perfJSON, ",") {
			var one perfResult
			b, err := os.ReadFile(path)
			if err == nil {
				err = json.Unmarshal(b, &one)
			}
			if err != nil {
				fail(fmt.Errorf("%s: %w", path, err))
			}
			perf.merge(one, fmt.Sprintf("run %d (%s)", i+1, filepath.Base(path)))
		}
	} else if !*skipPerf && (*only == "" || strings.Contains("provider process", *only)) {
		perfRun = run{suite: suite{Name: "provider process", Pkg: "./test/perf/"}, loadPre: loadavg()}
		jsonPath, _ := filepath.Abs(filepath.Join(*logDir, "perf.json"))
		_ = os.Remove(jsonPath)
		os.Setenv("DOCR_PERF", "1")          //nolint:errcheck // read by the child
		os.Setenv("DOCR_PERF_OUT", jsonPath) //nolint:errcheck // read by the child
		fmt.Fprintln(os.Stderr, "bench: provider process (test/perf, ~10 minutes)")
		t0 := time.Now()
		_, err := goCmd(filepath.Join(*logDir, "perf.log"), "test", "-count=1", "-v", "-run", "^TestProviderProcess$", "-timeout", "40m", "./test/perf/")
		perfRun.took, perfRun.loadPost, perfRun.err = time.Since(t0), loadavg(), err
		if b, rerr := os.ReadFile(jsonPath); rerr == nil {
			perf = &perfResult{runs: 1}
			if jerr := json.Unmarshal(b, perf); jerr != nil {
				perfRun.err = fmt.Errorf("%s: %w", jsonPath, jerr)
				perf = nil
			}
		} else if err == nil {
			perfRun.err = rerr
		}
	}

	var xdocr *perfResult
	xdocrRun := run{suite: suite{Name: "XDOCRs end to end", Pkg: "./test/perf/xdocr/"}}
	switch {
	case *xdocrJSON != "":
		xdocrRun.suite.Pkg += " (earlier run: " + *xdocrJSON + ")"
		xdocr, xdocrRun.err = readFigures(*xdocrJSON)
	case !*skipXDOCR && (*only == "" || strings.Contains("XDOCRs end to end", *only)):
		jsonPath, _ := filepath.Abs(filepath.Join(*logDir, "xdocr.json"))
		_ = os.Remove(jsonPath)
		os.Setenv("DOCR_PERF", "1")                //nolint:errcheck // read by the child
		os.Setenv("DOCR_PERF_XDOCR_OUT", jsonPath) //nolint:errcheck // read by the child
		fmt.Fprintln(os.Stderr, "bench: XDOCRs end to end (test/perf/xdocr, ~20 minutes)")
		xdocrRun.loadPre = loadavg()
		t0 := time.Now()
		_, err := goCmd(filepath.Join(*logDir, "xdocr.log"), "test", "-count=1", "-v", "-run", "^TestXDOCRConvergence$", "-timeout", "60m", "./test/perf/xdocr/")
		xdocrRun.took, xdocrRun.loadPost, xdocrRun.err = time.Since(t0), loadavg(), err
		if r, rerr := readFigures(jsonPath); rerr == nil {
			xdocr = r
		} else if err == nil {
			xdocrRun.err = rerr
		}
	default:
		xdocrRun = run{}
	}
	var b bytes.Buffer
	report(&b, started, runs, samples, order, perf, perfRun, xdocr, xdocrRun)
	if n, err := os.ReadFile(*notes); err == nil {
		b.WriteString("\n")
		b.Write(n)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s\n", *out)
	for _, r := range append(runs, perfRun, xdocrRun) {
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s failed: %v (log in %s)\n", r.suite.Name, r.err, *logDir)
			os.Exit(1)
		}
	}
}

// meta is what the report needs of a suite's run besides its output, kept
// next to its log for -from-logs.
type meta struct {
	Started  time.Time     `json:"started"`
	Took     time.Duration `json:"took"`
	LoadPre  string        `json:"loadPre"`
	LoadPost string        `json:"loadPost"`
	Err      string        `json:"err,omitempty"`
}

func (r *run) save(logPath string) {
	m := meta{Started: time.Now().Add(-r.took).UTC(), Took: r.took, LoadPre: r.loadPre, LoadPost: r.loadPost}
	if r.err != nil {
		m.Err = r.err.Error()
	}
	b, _ := json.Marshal(m)
	_ = os.WriteFile(logPath+".json", b, 0o644)
}

func (r *run) load(logPath string) (string, error) {
	o, err := os.ReadFile(logPath)
	if err != nil {
		return "", err
	}
	var m meta
	b, err := os.ReadFile(logPath + ".json")
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		return string(o), fmt.Errorf("%s.json: %w", logPath, err)
	}
	r.took, r.loadPre, r.loadPost = m.Took, m.LoadPre, m.LoadPost
	if m.Err != "" {
		return string(o), errors.New(m.Err)
	}
	return string(o), nil
}

func slug(s string) string { return strings.ReplaceAll(s, " ", "-") }

// goCmd runs go with args, teeing output to stderr and to logPath.
func goCmd(logPath string, args ...string) (string, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer f.Close() //nolint:errcheck // best effort log
	var buf bytes.Buffer
	cmd := exec.Command("go", args...)
	w := io.MultiWriter(&buf, f, os.Stderr)
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Run()
	return buf.String(), err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// target is a figure a previous issue set a bound for.
type target struct {
	What      string
	Incumbent string
	Bound     float64 // the figure must be below (or, with AtMost, at most) this
	AtMost    bool
	Display   string
	Scale     float64 // measured value x Scale is compared with Bound
	Unit      string  // display unit after scaling
	// Caveat is added to "met" when the median is below CaveatBelow: a
	// figure that can look better than it is.
	Caveat      string
	CaveatBelow float64
	find        func(map[key][]float64, *perfResult) []float64
}

func bench(pkg, name, unit string) func(map[key][]float64, *perfResult) []float64 {
	return func(m map[key][]float64, _ *perfResult) []float64 { return m[key{pkg, name, unit}] }
}

func perfFig(name string) func(map[key][]float64, *perfResult) []float64 {
	return func(_ map[key][]float64, p *perfResult) []float64 {
		if p == nil {
			return nil
		}
		for _, f := range p.Figures {
			if f.Name == name {
				return f.Samples
			}
		}
		return nil
	}
}

var targets = []target{
	{What: "429 responses, 50 XDOCRs converging with DigitalOcean's rate limits on (issue 8)", Incumbent: "", Bound: 0, AtMost: true, Display: "0", Scale: 1,
		find: perfFig("429 responses, 50 XDOCRs, rate limits on")},
	{What: "Registry create -> Ready, one (issue 4)", Incumbent: "1.7-3.0 s", Bound: 0.2, Display: "< 0.2 s", Scale: 1e-9, Unit: "s",
		find: bench("test/integration/registry", "BenchmarkCreateReady1", "ns/op")},
	{What: "Registry create -> Ready, ten at once (issue 4)", Incumbent: "11-13 s", Bound: 1.3, Display: "< 1.3 s", Scale: 1e-9, Unit: "s",
		find: bench("test/integration/registry", "BenchmarkCreateReady10", "ns/op")},
	{What: "requests per create (issue 4)", Incumbent: "9", Bound: 3, AtMost: true, Display: "<= 3", Scale: 1,
		find: bench("test/integration/registry", "BenchmarkCreateReady1", "requests/create")},
	{What: "requests per delete (issue 4)", Incumbent: "5", Bound: 2, AtMost: true, Display: "<= 2", Scale: 1,
		find: bench("test/integration/registry", "BenchmarkCreateReady1", "requests/delete")},
	{What: "requests per MR per poll, 10 Registries, 5 s poll, in-process (issue 4)", Incumbent: "2", Bound: 1, AtMost: true, Display: "<= 1", Scale: 1,
		find: bench("test/integration/registry", "BenchmarkRequestsPerPoll", "requests/MR/poll")},
	{What: "requests per MR per poll, 10 Registries, 30 s poll, provider binary (issue 4)", Incumbent: "2", Bound: 1, AtMost: true, Display: "<= 1", Scale: 1,
		find: perfFig("DigitalOcean requests per MR per poll, 10 Registries")},
	{What: "requests per MR per poll, 500 Registries / 50 accounts, provider binary (issue 4)", Incumbent: "2", Bound: 1, AtMost: true, Display: "<= 1", Scale: 1,
		Caveat: "; below 1 because the provider observed each resource less often than every poll (see Interpretation)", CaveatBelow: 0.9,
		find: perfFig("DigitalOcean requests per MR per poll, 500 Registries")},
	{What: "provider RSS idle (issue 4)", Incumbent: "132 MiB", Bound: 40, Display: "< 40 MiB", Scale: 1, Unit: "MiB",
		find: perfFig("RSS idle")},
	{What: "provider RSS, 500 MRs across 50 accounts (issue 4)", Incumbent: "> 1 GiB while creating ten", Bound: 100, Display: "< 100 MiB", Scale: 1, Unit: "MiB",
		find: perfFig("RSS with 500 Registries across 50 accounts")},
	{What: "provider CPU, 10 Registries at a 30 s poll (issue 4)", Incumbent: "0.25 cores", Bound: 0.0025, Display: "< 0.0025 cores", Scale: 1, Unit: "cores",
		find: perfFig("CPU at steady state, 10 Registries, 30 s poll")},
	{What: "RunFunction, 8 regions 8 clusters, first run, wall (issue 6)", Incumbent: "4.2 ms (go-templating), 4.0 ms (P&T)", Bound: 0.4, Display: "< 0.4 ms", Scale: 1e-6, Unit: "ms",
		find: bench("functions/docr", "BenchmarkRunFunction/8Regions8Clusters/FirstRun", "ns/op")},
	{What: "RunFunction, 8 regions 8 clusters, first run, CPU (issue 6)", Incumbent: "", Bound: 0.4, Display: "< 0.4 ms", Scale: 1e-6, Unit: "ms",
		find: bench("functions/docr", "BenchmarkRunFunction/8Regions8Clusters/FirstRun", "cpu-ns/op")},
	{What: "RunFunction, 8 regions 8 clusters, steady state, wall (issue 6)", Incumbent: "10.3 ms (go-templating), 4.8 ms (P&T)", Bound: 0.5, Display: "< 0.5 ms", Scale: 1e-6, Unit: "ms",
		find: bench("functions/docr", "BenchmarkRunFunction/8Regions8Clusters/SteadyState", "ns/op")},
	{What: "RunFunction, 8 regions 8 clusters, steady state, CPU (issue 6)", Incumbent: "", Bound: 0.5, Display: "< 0.5 ms", Scale: 1e-6, Unit: "ms",
		find: bench("functions/docr", "BenchmarkRunFunction/8Regions8Clusters/SteadyState", "cpu-ns/op")},
}

func fmtv(v float64) string {
	switch a := abs(v); {
	case a == 0:
		return "0"
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// fmtu formats v of unit; nanosecond figures read as durations.
func fmtu(v float64, unit string) string {
	if strings.HasSuffix(unit, "ns/op") {
		// Four significant digits.
		m := int64(1)
		for m*10000 <= int64(v) {
			m *= 10
		}
		return time.Duration(v).Round(time.Duration(m)).String()
	}
	return fmtv(v)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// readFigures reads a JSON result of test/perf or test/perf/xdocr.
func readFigures(path string) (*perfResult, error) {
	r := &perfResult{runs: 1}
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, r)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func report(w io.Writer, started time.Time, runs []run, samples map[key][]float64, order []key, perf *perfResult, perfRun run, xdocr *perfResult, xdocrRun run) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# Benchmarks\n\n")
	p("Generated by `make bench` (`go run ./cluster/bench`) on %s; do not edit by hand (the\n", started.Format("2006-01-02 15:04 MST"))
	p("interpretation at the end comes from `cluster/bench/notes.md`). Every figure is min / median /\n")
	p("max over repeated runs or samples, against the DigitalOcean simulator with rate limits off.\n\n")

	p("## Machine and versions\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s, %d logical CPUs (nproc %s) |\n", cpuModel(), runtime.NumCPU(), sh("nproc"))
	p("| memory | %s |\n", memTotal())
	p("| kernel | %s |\n", sh("uname", "-sr"))
	p("| Go | %s |\n", sh("go", "env", "GOVERSION"))
	p("| commit | %s |\n", sh("git", "rev-parse", "--short", "HEAD"))
	p("| kube-apiserver | %s |\n", toolVersion("kube-apiserver", "--version"))
	p("| etcd | %s |\n", toolVersion("etcd", "--version"))
	p("| crossplane-runtime | %s |\n", sh("go", "list", "-m", "-f", "{{.Version}}", "github.com/crossplane/crossplane-runtime/v2"))
	p("| godo | %s |\n", sh("go", "list", "-m", "-f", "{{.Version}}", "github.com/digitalocean/godo"))
	p("| controller-runtime | %s |\n\n", sh("go", "list", "-m", "-f", "{{.Version}}", "sigs.k8s.io/controller-runtime"))
	p("The machine is shared: other engineers' builds, control planes and tests ran at the same\n")
	p("time. The load averages (1, 5, 15 min) before and after each suite are recorded below; with\n")
	p("2 CPUs, a load above 2 means runnable processes were waiting, which inflates wall-clock\n")
	p("figures (ns/op, create -> Ready) far more than CPU-time or request-count figures.\n\n")
	p("| suite | runs | took | load before | load after | result |\n|---|---|---:|---|---|---|\n")
	for _, r := range append(runs, perfRun, xdocrRun) {
		if r.suite.Name == "" {
			continue
		}
		res := "ok"
		if r.err != nil {
			res = "FAILED: " + r.err.Error()
		}
		runsDesc := fmt.Sprintf("-count %d -benchtime %s", r.suite.Count, r.suite.Benchtime)
		if r.suite.Count == 0 {
			runsDesc = "once; repeated samples inside"
		}
		took := r.took.Round(time.Second).String()
		if r.took == 0 {
			took, r.loadPre, r.loadPost = "see below", "see below", "see below"
		}
		p("| %s (`%s`) | %s | %s | %s | %s | %s |\n", r.suite.Name, r.suite.Pkg, runsDesc, took, r.loadPre, r.loadPost, res)
	}

	p("\n## Against the targets\n\n")
	p("Met when the median is within the bound (the max column says whether every run was).\n\n")
	p("| figure | target | incumbent | min | median | max | met |\n|---|---|---|---:|---:|---:|---|\n")
	// Targets look figures up in one place: the provider process's and the XDOCRs'.
	figs := &perfResult{}
	for _, r := range []*perfResult{perf, xdocr} {
		if r != nil {
			figs.Figures = append(figs.Figures, r.Figures...)
		}
	}
	for _, t := range targets {
		xs := t.find(samples, figs)
		if len(xs) == 0 {
			p("| %s | %s | %s | | | | not measured |\n", t.What, t.Display, t.Incumbent)
			continue
		}
		s := summarize(xs)
		within := func(v float64) bool {
			if t.AtMost {
				return v*t.Scale <= t.Bound
			}
			return v*t.Scale < t.Bound
		}
		met := "**no**"
		if within(s.Median) {
			met = "yes"
			if !within(s.Max) {
				met = "yes (median; not every run)"
			}
		}
		if s.Median < t.CaveatBelow {
			met += t.Caveat
		}
		u := ""
		if t.Unit != "" {
			u = " " + t.Unit
		}
		p("| %s | %s | %s | %s%s | %s%s | %s%s | %s |\n", t.What, t.Display, t.Incumbent, fmtv(s.Min*t.Scale), u, fmtv(s.Median*t.Scale), u, fmtv(s.Max*t.Scale), u, met)
	}
	if xdocr != nil {
		p("\n## XDOCRs end to end (test/perf/xdocr)\n\n")
		p("The platform API as users drive it: the end-to-end rig (docs/e2e.md: the local control plane,\n")
		p("Crossplane core v2.4.0 out of cluster, our provider, function and Configuration installed by\n")
		p("Crossplane from a loopback registry, the simulator in-process). Each round applies n XDOCRs at\n")
		p("once (3 regions, a GC schedule, retention and a pull Secret: 11 composed resources each; three\n")
		p("XDOCRs per simulated account and ClusterProviderConfig), waits until every XR and composed\n")
		p("resource is Ready, then deletes them and waits until their registries are gone, so every round\n")
		p("starts on an idle provider. Rate limits are off except in the last round.\n\n")
		p("| figure | samples | min | median | max | unit | method |\n|---|---:|---:|---:|---:|---|---|\n")
		for _, f := range xdocr.Figures {
			if len(f.Samples) == 0 {
				continue
			}
			s := summarize(f.Samples)
			p("| %s | %d | %s | %s | %s | %s | %s |\n", f.Name, len(f.Samples), fmtv(s.Min), fmtv(s.Median), fmtv(s.Max), f.Unit, f.Method)
		}
		var ks []string
		for k := range xdocr.Notes {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		p("\n")
		for _, k := range ks {
			p("- %s: %s\n", k, xdocr.Notes[k])
		}
	} else if xdocrRun.suite.Name != "" {
		p("\n## XDOCRs end to end (test/perf/xdocr)\n\nNo result: %v (see _output/bench/xdocr.log).\n", xdocrRun.err)
	}

	if perf != nil {
		p("\n## The provider process (test/perf)\n\n")
		p("`test/perf` builds `cmd/provider` (`CGO_ENABLED=0 go build -trimpath`) and runs it as a separate\n")
		p("process with `--poll=30s` and a kubeconfig for the local control plane (etcd, kube-apiserver,\n")
		p("kube-controller-manager from `.cache/tools`), against the simulator running in the test process\n")
		p("(rate limits off). 50 simulated accounts (Professional tier), each with a namespace, a token\n")
		p("Secret and a ProviderConfig; account 0's Registries use a ClusterProviderConfig. Run once per\n")
		p("`make bench` (this report pools %d run(s)); min/median/max are over the samples or windows\n", perf.runs)
		p("named in each method, from every pooled run.\n\n")
		p("| figure | min | median | max | unit | method |\n|---|---:|---:|---:|---|---|\n")
		for _, f := range perf.Figures {
			if len(f.Samples) == 0 {
				continue
			}
			s := summarize(f.Samples)
			p("| %s | %s | %s | %s | %s | %s |\n", f.Name, fmtv(s.Min), fmtv(s.Median), fmtv(s.Max), f.Unit, f.Method)
		}
		var ks []string
		for k := range perf.Notes {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		p("\nAlso recorded:\n\n")
		for _, k := range ks {
			p("- %s: %s\n", k, perf.Notes[k])
		}
	} else if perfRun.suite.Name != "" {
		p("\n## The provider process (test/perf)\n\nNo result: %v (see _output/bench/perf.log).\n", perfRun.err)
	}

	p("\n## Every benchmark figure\n\n")
	for _, r := range runs {
		p("- **%s** (`%s`, `%s`): %s.\n", r.suite.Name, r.suite.Pkg, r.suite.Bench, r.suite.Why)
	}
	p("\n| package | benchmark | unit | runs | min | median | max |\n|---|---|---|---:|---:|---:|---:|\n")
	for _, k := range order {
		xs := samples[k]
		s := summarize(xs)
		p("| %s | %s | %s | %d | %s | %s | %s |\n", k.Pkg, strings.TrimPrefix(k.Bench, "Benchmark"), k.Unit, len(xs), fmtu(s.Min, k.Unit), fmtu(s.Median, k.Unit), fmtu(s.Max, k.Unit))
	}
}
