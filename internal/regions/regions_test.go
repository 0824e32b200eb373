package regions

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNearest(t *testing.T) {
	cases := map[string]struct {
		from       string
		candidates []string
		want       string
		wantOK     bool
	}{
		"SameRegionWins":          {from: "nyc3", candidates: []string{"ams3", "nyc3"}, want: "nyc3", wantOK: true},
		"NYC1UsesNYC3":            {from: "nyc1", candidates: []string{"ams3", "sfo3", "nyc3"}, want: "nyc3", wantOK: true},
		"TorontoUsesNewYork":      {from: "tor1", candidates: []string{"sfo3", "nyc3", "ams3"}, want: "nyc3", wantOK: true},
		"LondonUsesAmsterdam":     {from: "lon1", candidates: []string{"nyc3", "fra1", "ams3"}, want: "ams3", wantOK: true},
		"AtlantaUsesNewYork":      {from: "atl1", candidates: []string{"sfo3", "nyc3"}, want: "nyc3", wantOK: true},
		"BangaloreUsesSingapore":  {from: "blr1", candidates: []string{"ams3", "sgp1", "syd1"}, want: "sgp1", wantOK: true},
		"TieGoesToFirstCandidate": {from: "nyc1", candidates: []string{"sfo3", "sfo2"}, want: "sfo3", wantOK: true},
		"UnknownSource":           {from: "mars1", candidates: []string{"nyc3"}, wantOK: false},
		"NoCandidates":            {from: "nyc1", wantOK: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Nearest(tc.from, tc.candidates)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("Nearest(%q, %v) = %q, %v; want %q, %v", tc.from, tc.candidates, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestTables(t *testing.T) {
	if diff := cmp.Diff([]string{"ams3", "blr1", "fra1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1"}, Registry()); diff != "" {
		t.Errorf("Registry(): -want +got:\n%s", diff)
	}
	// Every DOKS region must have a registry region to fall back to.
	for _, k := range Kubernetes() {
		if _, ok := Nearest(k, Registry()); !ok {
			t.Errorf("no registry region for DOKS region %s", k)
		}
	}
	if IsRegistry("lon1") || !IsKubernetes("lon1") || !IsRegistry("nyc3") || IsKubernetes("xyz1") {
		t.Error("region predicates disagree with the table")
	}
}
