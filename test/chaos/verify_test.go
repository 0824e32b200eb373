package chaos

import (
	"fmt"
	"sort"
)

// faultCounts counts the simulator's error answers by status (d.mu held).
func (d *driver) faultCounts() [][2]string {
	by := map[int]int{}
	for _, s := range d.r.Sim.Stats().Requests {
		if s.Status == 0 || s.Status >= 429 && s.Status != 404 {
			by[s.Status] += s.Count
		}
	}
	keys := make([]int, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := [][2]string{}
	for _, k := range keys {
		name := fmt.Sprint(k)
		if k == 0 {
			name = "connection reset"
		}
		out = append(out, [2]string{name, fmt.Sprint(by[k])})
	}
	return out
}

// verify checks the invariants (test/chaos/invariants) over what the run recorded.
func (d *driver) verify() {
	d.results = append(d.results, InvariantRow{Name: "converged within the bound", Pass: d.convErr == "", Checked: len(d.mrSeen), Detail: d.convErr})
}
