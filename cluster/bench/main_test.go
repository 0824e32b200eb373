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

package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	out := `goos: linux
pkg: github.com/crossplane-contrib/provider-docr/test/integration/registry
BenchmarkCreateReady1-2   	       1	 120000000 ns/op	         3.000 requests/create	         2.000 requests/delete	         0 429s	  5000 B/op	      40 allocs/op
BenchmarkCreateReady1-2   	       1	 140000000 ns/op	         3.000 requests/create	         2.000 requests/delete	         0 429s	  5000 B/op	      40 allocs/op
--- FAIL: BenchmarkOther
pkg: github.com/crossplane-contrib/provider-docr/functions/docr
BenchmarkRunFunction/8Regions8Clusters/FirstRun-2 	    2000	    432000 ns/op	    394000 cpu-ns/op	        41.00 resources	  177000 B/op	    1003 allocs/op
BenchmarkNoProcs 	    10	    7 ns/op
ok  	github.com/crossplane-contrib/provider-docr/functions/docr	3.1s
`
	got := map[key][]float64{}
	var order []key
	parse(out, got, &order)
	reg, fn := "test/integration/registry", "functions/docr"
	want := map[key][]float64{
		{reg, "BenchmarkCreateReady1", "ns/op"}:                              {1.2e8, 1.4e8},
		{reg, "BenchmarkCreateReady1", "requests/create"}:                    {3, 3},
		{reg, "BenchmarkCreateReady1", "requests/delete"}:                    {2, 2},
		{reg, "BenchmarkCreateReady1", "429s"}:                               {0, 0},
		{reg, "BenchmarkCreateReady1", "B/op"}:                               {5000, 5000},
		{reg, "BenchmarkCreateReady1", "allocs/op"}:                          {40, 40},
		{fn, "BenchmarkRunFunction/8Regions8Clusters/FirstRun", "ns/op"}:     {432000},
		{fn, "BenchmarkRunFunction/8Regions8Clusters/FirstRun", "cpu-ns/op"}: {394000},
		{fn, "BenchmarkRunFunction/8Regions8Clusters/FirstRun", "resources"}: {41},
		{fn, "BenchmarkRunFunction/8Regions8Clusters/FirstRun", "B/op"}:      {177000},
		{fn, "BenchmarkRunFunction/8Regions8Clusters/FirstRun", "allocs/op"}: {1003},
		{fn, "BenchmarkNoProcs", "ns/op"}:                                    {7},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parse (-want +got):\n%s", diff)
	}
	if len(order) != len(want) || order[0] != (key{reg, "BenchmarkCreateReady1", "ns/op"}) {
		t.Errorf("order: %v", order)
	}
}

func TestSummarize(t *testing.T) {
	for name, c := range map[string]struct {
		in   []float64
		want stats
	}{
		"one":  {in: []float64{4}, want: stats{4, 4, 4}},
		"odd":  {in: []float64{9, 1, 5}, want: stats{1, 5, 9}},
		"even": {in: []float64{8, 2, 4, 6}, want: stats{2, 5, 8}},
	} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, summarize(c.in)); diff != "" {
				t.Errorf("summarize(%v) (-want +got):\n%s", c.in, diff)
			}
		})
	}
}
