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

package gcschedule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
)

// LatestPush reads every page; a listing that says there is a next page but
// gives no token to reach it is an error, never the newest push of the pages
// read so far (the unread page could hold a push within the quiet period). A
// time in whole seconds counts to the end of its second.
func TestLatestPushPages(t *testing.T) {
	page := func(updated, next string) string {
		links := `{}`
		if next != "" {
			links = `{"pages":{"next":"` + next + `"}}`
		}
		return `{"repositories":[{"registry_name":"reg","name":"r` + updated[:4] + `","latest_manifest":{"updated_at":"` + updated + `"}}],"links":` + links + `,"meta":{"total":2}}`
	}
	cases := map[string]struct {
		pages   map[string]string // page_token -> body
		want    time.Time
		wantErr string
	}{
		"TwoPages": {
			pages: map[string]string{
				"":   page("2026-01-01T00:00:00Z", "/v2/registries/reg/repositoriesV2?page_token=p2&per_page=200"),
				"p2": page("2026-02-01T00:00:00Z", ""),
			},
			// Whole seconds: the push may have happened up to the end of that second.
			want: time.Date(2026, 2, 1, 0, 0, 1, 0, time.UTC),
		},
		"FractionKept": {
			pages: map[string]string{
				"": page("2026-02-01T00:00:00.25Z", ""),
			},
			want: time.Date(2026, 2, 1, 0, 0, 0, 250_000_000, time.UTC),
		},
		"NextPageWithoutToken": {
			pages: map[string]string{
				"": page("2026-01-01T00:00:00Z", "/v2/registries/reg/repositoriesV2?per_page=200"),
			},
			wantErr: "cannot read the next page token of the repositories of registry reg",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, ok := tc.pages[r.URL.Query().Get("page_token")]
				if !ok {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			c, err := godo.New(srv.Client(), godo.SetBaseURL(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			got, err := godoAPI{r: c.Registries}.LatestPush(context.Background(), "reg")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LatestPush() = %s, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("LatestPush() = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}
