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

package retention

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkEvaluate100kTags evaluates 100 repositories of 1,000 tags each,
// every manifest sharing a base layer.
func BenchmarkEvaluate100kTags(b *testing.B) {
	var tags []Tag
	var ms []Manifest
	for r := 0; r < 100; r++ {
		repo := fmt.Sprintf("team/app%02d", r)
		for i := 0; i < 1000; i++ {
			d := fmt.Sprintf("sha256:%d-%d", r, i)
			name := fmt.Sprintf("build-%d", i)
			if i%100 == 0 {
				name = fmt.Sprintf("v1.%d.0", i/100)
			}
			tags = append(tags, Tag{Repository: repo, Tag: name, Digest: d, UpdatedAt: now.Add(-time.Duration(i) * time.Hour)})
			ms = append(ms, Manifest{Repository: repo, Digest: d, Tags: []string{name}, Blobs: []Blob{{"base", 1 << 20}, {d + "-l", 4096}}, OwnBytes: 500})
		}
	}
	p, err := Compile([]string{"team/*"}, []string{`^v\d+\.\d+\.\d+$`}, 20, 72*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := p.Evaluate(now, tags, ms)
		if len(r.Candidates) == 0 {
			b.Fatal("no candidates")
		}
	}
}
